//! Cairn's engine behind wasm-bindgen, for the JS package (docs/DESIGN.md §3).
//!
//! Marshalling only: [`Engine`] forwards to [`cairn_core::api::Api`], and [`JsHost`]
//! forwards the engine's [`cairn_core::host::Host`] calls to a JS host object. The JS
//! loader builds that object from synchronous file access (`fs.*Sync` in a worker,
//! `FileReaderSync`, ...). [`JobRunner`] runs jobs for another instance's engine, in a job
//! worker (docs/DESIGN.md §18). The engine's HTTP listing parser is exported too, for the
//! JS package's HTTP storage.
//!
//! # The JS host object
//!
//! | method | meaning |
//! |---|---|
//! | `get(key) -> Uint8Array` | the whole object |
//! | `getRange(key, offset, len) -> Uint8Array` | `len` bytes from `offset` (fewer at the end) |
//! | `put(key, bytes)` | create or replace, atomically and durably |
//! | `putNew(key, bytes)` | create; fail if the key exists |
//! | `list(prefix) -> string[]` | every key under the prefix |
//! | `delete(key)` | remove; a missing key is not an error |
//! | `willRead(reads)?` | optional: a hint of the reads that follow, one per line as `cairn_core::wire::encode_planned` writes them (`get KEY SIZE`, `range KEY OFFSET LEN`); a host may fetch them ahead (docs/DESIGN.md §28) |
//! | `random(bytes: Uint8Array)` | fill with cryptographically secure random bytes |
//! | `nowMs() -> number` | milliseconds since the Unix epoch |
//! | `event(name, payloadJson)` | an event such as `ingest:progress` |
//! | `processAlive(pid)?` | optional: `true`/`false` whether process `pid` runs on this host, anything else when unknown |
//! | `sha256(data)?`, `hmacSha256(key, data)?` | optional: 32-byte digests |
//! | `aesGcmSeal(key, nonce, aad, data)?` | optional: ciphertext followed by the 16-byte tag |
//! | `aesGcmOpen(key, nonce, aad, data)?` | optional: plaintext, or `null` if the tag does not verify |
//! | `jobThreads()? -> number` | optional: how many jobs the host runs at once on other instances (its [`JobRunner`]s); 1 or absent: none, the engine runs them itself |
//! | `submitJobs(shares: Uint8Array[])? -> number` | optional: starts the shares of a batch (at most `jobThreads()`, framed, split here) on the host's runners, one each; a ticket |
//! | `collectJobs(ticket)? -> Uint8Array[]` | optional: waits for a submitted batch; each share's framed results, in the order of the shares (joined here) |
//!
//! Storage methods report failure by throwing; the thrown value's `code` is one of the
//! names of [`cairn_core::wire::StorageStatus`] (`NotFound`, `AlreadyExists`,
//! `InvalidKey`, `Io`; the generated TypeScript lists them as `STORAGE_FAILURE_CODES`);
//! anything else is an I/O error described by its `message`. Hosts check every key with
//! [`validate_key`] / [`validate_prefix`] before touching storage. The engine uses the job
//! methods only when the host has both `submitJobs` and `collectJobs` and `jobThreads()`
//! is more than 1; a value they throw fails the operation as an internal error, with the
//! thrown value's `message`. Several tickets may be outstanding at once.
//!
//! [`Engine::call`] takes the name and JSON arguments of an operation of the table
//! ([`cairn_core::ops`]); [`Engine`] methods throw `{code, message}` objects (the
//! engine's `Error::to_json`).
//!
//! A panic in the module traps (`unreachable`, a `WebAssembly.RuntimeError` in JS) after
//! its message is recorded; [`take_panic_message`] hands it to the host, which reports it
//! as an internal error. After a trap the instance's engines and runners must not be used
//! again.

#![warn(missing_docs)]

mod convert;
mod host;
mod intrinsics;
mod jobs;
mod listing;
mod panic;

use cairn_core::api::Api;
use cairn_core::error::{Error, ErrorCode};
use wasm_bindgen::prelude::*;

use crate::convert::{engine_error, js_error};
pub use crate::host::JsHost;
pub use crate::jobs::JobRunner;
pub use crate::listing::{list_objects_v2_query, parse_html_listing, parse_list_objects_v2, percent_encode};
use crate::panic::install_panic_hook;
pub use crate::panic::take_panic_message;

/// Runs the engine's storage conformance suite ([`cairn_core::conformance`]) against the
/// storage methods of a JS host object, which must be empty; it is left empty. A failed
/// check traps, with the check's description in [`take_panic_message`].
#[wasm_bindgen(js_name = checkStorage)]
pub fn check_storage(host: JsValue) -> Result<(), JsValue> {
    install_panic_hook();
    cairn_core::conformance::run_storage_suite(&JsHost::new(host)?);
    Ok(())
}

/// One engine instance over a JS host object.
#[wasm_bindgen]
pub struct Engine {
    api: Api<JsHost>,
}

#[wasm_bindgen]
impl Engine {
    /// An engine whose storage, randomness, clock and events come from `host`.
    #[wasm_bindgen(constructor)]
    pub fn new(host: JsValue) -> Result<Engine, JsValue> {
        install_panic_hook();
        Ok(Engine {
            api: Api::new(JsHost::new(host)?),
        })
    }

    /// Runs one operation of the engine's table with JSON arguments; answers JSON.
    /// Throws `{code, message}`.
    pub fn call(&mut self, op: &str, args_json: &str) -> Result<String, JsValue> {
        self.api.call(op, args_json).map_err(engine_error)
    }

    /// Feeds the next bytes of the current item to an ingest session.
    pub fn write(&mut self, session: u32, bytes: &[u8]) -> Result<(), JsValue> {
        self.api.write(session, bytes).map_err(engine_error)
    }

    /// The next block of a restore session; an empty array means the end.
    pub fn read(&mut self, session: u32) -> Result<Vec<u8>, JsValue> {
        self.api.read(session).map_err(engine_error)
    }

    /// Aborts open sessions, releases locks and closes the repository.
    pub fn close(&mut self) -> Result<(), JsValue> {
        self.api.close().map_err(engine_error)
    }
}

/// Every error code of the engine, in order (what the generated `ERROR_CODES` must list).
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    ErrorCode::all().map(|c| c.as_str().to_string()).collect()
}

/// Throws an example error of `code` the way every engine error is thrown, so that a test
/// can check each code reaches JS under its own name.
#[wasm_bindgen(js_name = throwErrorExample)]
pub fn throw_error_example(code: &str) -> Result<(), JsValue> {
    let code = ErrorCode::all().find(|c| c.as_str() == code).ok_or_else(|| {
        js_error(
            "InvalidArgument",
            &format!("invalid argument: no error code `{code}`"),
        )
    })?;
    Err(engine_error(Error::example(code)))
}

/// True when `key` is a storage key of the repository grammar.
#[wasm_bindgen(js_name = validateKey)]
pub fn validate_key(key: &str) -> bool {
    cairn_core::layout::validate_key(key)
}

/// True when `prefix` may be listed.
#[wasm_bindgen(js_name = validatePrefix)]
pub fn validate_prefix(prefix: &str) -> bool {
    cairn_core::layout::validate_prefix(prefix)
}
