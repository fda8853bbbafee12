//! Jobs on a pool of other instances of this module (docs/DESIGN.md §18): the engine's
//! side ([`JobMethods`], what [`crate::JsHost`] does with a host object's `jobThreads`,
//! `submitJobs` and `collectJobs`) and a job worker's side ([`JobRunner`]).
//!
//! Batches are split into shares and their results joined here, with
//! [`cairn_core::jobs::split`] and [`cairn_core::jobs::join`], the framing every host
//! uses; the JS pool only moves shares and results.

use cairn_core::crypto::Crypto;
use cairn_core::host::{Host, Storage, StorageError};
use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{bytes, engine_error, js_error, method, thrown_message};
use crate::intrinsics::Intrinsics;
use crate::panic::install_panic_hook;

/// The job methods of a host object, looked up once.
pub struct JobMethods {
    this: JsValue,
    threads: Option<Function>,
    submit: Function,
    collect: Function,
}

impl JobMethods {
    /// The job methods of `host`; `None` unless it has both `submitJobs` and `collectJobs`.
    pub fn new(host: &JsValue) -> Option<JobMethods> {
        Some(JobMethods {
            threads: method(host, "jobThreads"),
            submit: method(host, "submitJobs")?,
            collect: method(host, "collectJobs")?,
            this: host.clone(),
        })
    }

    /// How many jobs the host runs at once: what `jobThreads()` answers, at least 1.
    pub fn threads(&self) -> usize {
        let answer = self.threads.as_ref().and_then(|f| f.call0(&self.this).ok());
        answer.and_then(|v| v.as_f64()).map_or(1, |n| n.max(1.0) as usize)
    }

    /// Splits `batch` into at most `n` shares and hands them to `submitJobs`; its ticket.
    pub fn submit(&self, batch: &[u8], n: usize) -> Result<u64, String> {
        let shares: Array = cairn_core::jobs::split(batch, n)?
            .iter()
            .map(|s| JsValue::from(Uint8Array::from(&s[..])))
            .collect();
        let ticket = self
            .submit
            .call1(&self.this, &shares)
            .map_err(|e| thrown_message(&e, "the JS host's submitJobs failed"))?;
        match ticket.as_f64() {
            Some(t) if t >= 0.0 && t.fract() == 0.0 => Ok(t as u64),
            _ => Err("the JS host's submitJobs answered something other than a ticket".into()),
        }
    }

    /// The results of ticket `ticket`: `collectJobs` answers each share's, joined here.
    pub fn collect(&self, ticket: u64) -> Result<Vec<u8>, String> {
        let answer = self
            .collect
            .call1(&self.this, &(ticket as f64).into())
            .map_err(|e| thrown_message(&e, "the JS host's collectJobs failed"))?;
        let shares = answer
            .dyn_into::<Array>()
            .map_err(|_| "the JS host's collectJobs answered something other than an array".to_string())?
            .iter()
            .map(|s| bytes(&s).ok_or("the JS host's collectJobs answered a share that is not a Uint8Array"))
            .collect::<Result<Vec<_>, _>>()?;
        cairn_core::jobs::join(shares)
    }
}

/// The host of a job worker: crypto intrinsics only. Jobs need nothing else (their keys
/// and nonces come with them), so everything else fails loudly.
struct JobHost {
    intrinsics: Intrinsics,
}

const NO_STORAGE: &str = "a job worker has no storage";

impl Storage for JobHost {
    fn get(&self, _key: &str) -> Result<Vec<u8>, StorageError> {
        Err(StorageError::Io(NO_STORAGE.into()))
    }
    fn get_range(&self, _key: &str, _offset: u64, _len: u64) -> Result<Vec<u8>, StorageError> {
        Err(StorageError::Io(NO_STORAGE.into()))
    }
    fn put(&self, _key: &str, _data: &[u8]) -> Result<(), StorageError> {
        Err(StorageError::Io(NO_STORAGE.into()))
    }
    fn put_new(&self, _key: &str, _data: &[u8]) -> Result<(), StorageError> {
        Err(StorageError::Io(NO_STORAGE.into()))
    }
    fn list(&self, _prefix: &str) -> Result<Vec<String>, StorageError> {
        Err(StorageError::Io(NO_STORAGE.into()))
    }
    fn delete(&self, _key: &str) -> Result<(), StorageError> {
        Err(StorageError::Io(NO_STORAGE.into()))
    }
}

impl Host for JobHost {
    fn random(&self, _buf: &mut [u8]) {
        panic!("a job worker has no randomness: a job brings its nonces");
    }
    fn now_ms(&self) -> i64 {
        panic!("a job worker has no clock");
    }
    fn event(&self, _name: &str, _payload: &str) {}
    fn sha256(&self, data: &[u8]) -> Option<[u8; 32]> {
        self.intrinsics.sha256(data)
    }
    fn hmac_sha256(&self, key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
        self.intrinsics.hmac_sha256(key, data)
    }
    fn aes256gcm_seal(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        self.intrinsics.aes256gcm_seal(key, nonce, aad, plaintext)
    }
    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Option<Option<Vec<u8>>> {
        self.intrinsics.aes256gcm_open(key, nonce, aad, ciphertext)
    }
}

/// What a job worker runs: the shares of batches that another instance's engine handed
/// to its host ([`cairn_core::jobs::run_batch`]).
#[wasm_bindgen]
pub struct JobRunner {
    host: JobHost,
    crypto: Crypto,
}

#[wasm_bindgen]
impl JobRunner {
    /// A runner whose crypto intrinsics (`sha256`, `hmacSha256`, `aesGcmSeal`,
    /// `aesGcmOpen`, each optional) come from `host`, checked on known test vectors as at
    /// `open`: a wrong one is refused (`IntrinsicMismatch`). Throws `{code, message}`.
    #[wasm_bindgen(constructor)]
    pub fn new(host: JsValue) -> Result<JobRunner, JsValue> {
        install_panic_hook();
        let host = JobHost {
            intrinsics: Intrinsics::new(&host),
        };
        let crypto = Crypto::new(&host).map_err(engine_error)?;
        Ok(JobRunner { host, crypto })
    }

    /// Runs a framed share of a batch; its framed results, in order. Throws
    /// `{code, message}` when the share is malformed.
    pub fn run(&self, batch: &[u8]) -> Result<Vec<u8>, JsValue> {
        cairn_core::jobs::run_batch(&self.host, &self.crypto, batch).map_err(|e| {
            js_error(
                "Internal",
                &format!("internal error (a bug in Cairn, please report it): a batch of jobs: {e}"),
            )
        })
    }
}
