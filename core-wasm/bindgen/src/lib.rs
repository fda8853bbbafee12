//! Cairn's engine behind wasm-bindgen, for the JS package (docs/DESIGN.md §3).
//!
//! Marshalling only: [`Engine`] forwards to [`cairn_core::api::Api`], and [`JsHost`]
//! forwards the engine's [`Host`] calls to a JS host object. The JS loader builds that
//! object from synchronous file access (`fs.*Sync` in a worker, `FileReaderSync`, ...).
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
//! | `random(bytes: Uint8Array)` | fill with cryptographically secure random bytes |
//! | `nowMs() -> number` | milliseconds since the Unix epoch |
//! | `event(name, payloadJson)` | an event such as `ingest:progress` |
//! | `processAlive(pid)?` | optional: `true`/`false` whether process `pid` runs on this host, anything else when unknown |
//! | `sha256(data)?`, `hmacSha256(key, data)?` | optional: 32-byte digests |
//! | `aesGcmSeal(key, nonce, aad, data)?` | optional: ciphertext followed by the 16-byte tag |
//! | `aesGcmOpen(key, nonce, aad, data)?` | optional: plaintext, or `null` if the tag does not verify |
//!
//! Storage methods report failure by throwing; the thrown value's `code` is one of the
//! names of [`cairn_core::wire::StorageStatus`] (`NotFound`, `AlreadyExists`,
//! `InvalidKey`, `Io`; the generated TypeScript lists them as `STORAGE_FAILURE_CODES`);
//! anything else is an I/O error described by its `message`. Hosts check every key with
//! [`validate_key`] / [`validate_prefix`] before touching storage.
//!
//! [`Engine::call`] takes the name and JSON arguments of an operation of the table
//! ([`cairn_core::ops`]); [`Engine`] methods throw `{code, message}` objects (the
//! engine's `Error::to_json`).
//!
//! A panic in the module traps (`unreachable`, a `WebAssembly.RuntimeError` in JS) after
//! its message is recorded; [`take_panic_message`] hands it to the host, which reports it
//! as an internal error. After a trap the instance's engines must not be used again.

#![warn(missing_docs)]

use std::cell::RefCell;

use cairn_core::api::Api;
use cairn_core::error::{Error, ErrorCode};
use cairn_core::host::{Host, Storage, StorageError};
use cairn_core::wire::StorageStatus;
use js_sys::{Array, Function, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

/// The methods of a host object, looked up once.
struct Methods {
    this: JsValue,
    get: Function,
    get_range: Function,
    put: Function,
    put_new: Function,
    list: Function,
    delete: Function,
    random: Function,
    now_ms: Function,
    event: Function,
    process_alive: Option<Function>,
    sha256: Option<Function>,
    hmac_sha256: Option<Function>,
    aes_gcm_seal: Option<Function>,
    aes_gcm_open: Option<Function>,
}

/// A [`Host`] served by a JS host object (see the crate docs for its methods).
#[derive(Clone)]
pub struct JsHost {
    m: std::rc::Rc<Methods>,
}

fn method(host: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(host, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<Function>()
        .ok()
}

fn required(host: &JsValue, name: &str) -> Result<Function, JsValue> {
    method(host, name).ok_or_else(|| {
        js_error(
            "InvalidArgument",
            &format!("invalid argument: the host object has no `{name}` method"),
        )
    })
}

/// A `{code, message}` object, the shape every error thrown to JS has.
fn js_error(code: &str, message: &str) -> JsValue {
    let obj = js_sys::Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(&obj, &"code".into(), &code.into());
    let _ = Reflect::set(&obj, &"message".into(), &message.into());
    obj.into()
}

fn engine_error(e: Error) -> JsValue {
    js_error(e.code().as_str(), &e.to_string())
}

/// Maps what a storage method threw to a [`StorageError`].
fn storage_error(thrown: JsValue) -> StorageError {
    let field = |name: &str| {
        Reflect::get(&thrown, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    let status = field("code")
        .as_deref()
        .and_then(StorageStatus::from_name)
        .unwrap_or(StorageStatus::Io);
    let message = field("message")
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "the JS host's storage failed".into());
    status.error(message)
}

fn bytes(v: &JsValue) -> Option<Vec<u8>> {
    v.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
}

fn digest(v: &JsValue) -> Option<[u8; 32]> {
    bytes(v).and_then(|b| b.try_into().ok())
}

impl JsHost {
    /// Looks up the host object's methods; fails if a required one is missing.
    pub fn new(host: JsValue) -> Result<JsHost, JsValue> {
        let m = Methods {
            get: required(&host, "get")?,
            get_range: required(&host, "getRange")?,
            put: required(&host, "put")?,
            put_new: required(&host, "putNew")?,
            list: required(&host, "list")?,
            delete: required(&host, "delete")?,
            random: required(&host, "random")?,
            now_ms: required(&host, "nowMs")?,
            event: required(&host, "event")?,
            process_alive: method(&host, "processAlive"),
            sha256: method(&host, "sha256"),
            hmac_sha256: method(&host, "hmacSha256"),
            aes_gcm_seal: method(&host, "aesGcmSeal"),
            aes_gcm_open: method(&host, "aesGcmOpen"),
            this: host,
        };
        Ok(JsHost {
            m: std::rc::Rc::new(m),
        })
    }

    fn apply(&self, f: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
        f.apply(&self.m.this, &args.iter().collect::<Array>())
    }

    fn storage(&self, f: &Function, args: &[JsValue]) -> Result<JsValue, StorageError> {
        self.apply(f, args).map_err(storage_error)
    }

    fn storage_bytes(&self, f: &Function, args: &[JsValue]) -> Result<Vec<u8>, StorageError> {
        let v = self.storage(f, args)?;
        bytes(&v)
            .ok_or_else(|| StorageError::Io("the JS host returned something other than a Uint8Array".into()))
    }
}

impl Storage for JsHost {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        self.storage_bytes(&self.m.get, &[key.into()])
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        self.storage_bytes(
            &self.m.get_range,
            &[key.into(), (offset as f64).into(), (len as f64).into()],
        )
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.storage(&self.m.put, &[key.into(), Uint8Array::from(data).into()])
            .map(drop)
    }

    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.storage(&self.m.put_new, &[key.into(), Uint8Array::from(data).into()])
            .map(drop)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let v = self.storage(&self.m.list, &[prefix.into()])?;
        let arr = v.dyn_into::<Array>().map_err(|_| {
            StorageError::Io("the JS host's list returned something other than an array".into())
        })?;
        arr.iter()
            .map(|k| {
                k.as_string()
                    .ok_or_else(|| StorageError::Io("the JS host listed a key that is not a string".into()))
            })
            .collect()
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.storage(&self.m.delete, &[key.into()]).map(drop)
    }
}

impl Host for JsHost {
    fn random(&self, buf: &mut [u8]) {
        let arr = Uint8Array::new_with_length(buf.len() as u32);
        self.apply(&self.m.random, &[arr.clone().into()])
            .expect("the JS host's random() threw");
        arr.copy_to(buf);
    }

    fn now_ms(&self) -> i64 {
        let v = self
            .apply(&self.m.now_ms, &[])
            .expect("the JS host's nowMs() threw");
        v.as_f64()
            .expect("the JS host's nowMs() returned something other than a number") as i64
    }

    fn event(&self, name: &str, payload: &str) {
        // An event handler that throws must not break the operation that reported it.
        let _ = self.apply(&self.m.event, &[name.into(), payload.into()]);
    }

    fn process_alive(&self, pid: u32) -> Option<bool> {
        let f = self.m.process_alive.as_ref()?;
        self.apply(f, &[pid.into()]).ok()?.as_bool()
    }

    fn sha256(&self, data: &[u8]) -> Option<[u8; 32]> {
        let f = self.m.sha256.as_ref()?;
        digest(&self.apply(f, &[Uint8Array::from(data).into()]).ok()?)
    }

    fn hmac_sha256(&self, key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
        let f = self.m.hmac_sha256.as_ref()?;
        digest(
            &self
                .apply(f, &[Uint8Array::from(key).into(), Uint8Array::from(data).into()])
                .ok()?,
        )
    }

    fn aes256gcm_seal(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        let f = self.m.aes_gcm_seal.as_ref()?;
        let args = [&key[..], &nonce[..], aad, plaintext].map(|b| JsValue::from(Uint8Array::from(b)));
        bytes(&self.apply(f, &args).ok()?)
    }

    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Option<Option<Vec<u8>>> {
        let f = self.m.aes_gcm_open.as_ref()?;
        let args = [&key[..], &nonce[..], aad, ciphertext].map(|b| JsValue::from(Uint8Array::from(b)));
        let v = self.apply(f, &args).ok()?;
        if v.is_null() || v.is_undefined() {
            Some(None)
        } else {
            bytes(&v).map(Some)
        }
    }
}

thread_local! {
    /// The message of the last panic, until the host takes it.
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records a panic's message before the module traps (installed once per instance).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(info.to_string()));
        }));
    });
}

/// The message of the panic behind the last trap, once; `undefined` if there was none.
#[wasm_bindgen(js_name = takePanicMessage)]
pub fn take_panic_message() -> Option<String> {
    PANIC_MESSAGE.with(|m| m.borrow_mut().take())
}

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
