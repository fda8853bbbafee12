//! [`JsHost`]: the engine's [`Host`] served by a JS host object (the crate docs list its
//! methods).

use std::rc::Rc;

use cairn_core::host::{Host, Planned, Storage, StorageError};
use cairn_core::wire;
use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{bytes, method, required, storage_error};
use crate::intrinsics::Intrinsics;
use crate::jobs::JobMethods;

/// The methods of a host object, looked up once.
struct Methods {
    this: JsValue,
    get: Function,
    get_range: Function,
    put: Function,
    put_new: Function,
    list: Function,
    delete: Function,
    will_read: Option<Function>,
    random: Function,
    now_ms: Function,
    event: Function,
    process_alive: Option<Function>,
    intrinsics: Intrinsics,
    jobs: Option<JobMethods>,
}

/// A [`Host`] served by a JS host object (see the crate docs for its methods).
#[derive(Clone)]
pub struct JsHost {
    m: Rc<Methods>,
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
            will_read: method(&host, "willRead"),
            random: required(&host, "random")?,
            now_ms: required(&host, "nowMs")?,
            event: required(&host, "event")?,
            process_alive: method(&host, "processAlive"),
            intrinsics: Intrinsics::new(&host),
            jobs: JobMethods::new(&host),
            this: host,
        };
        Ok(JsHost { m: Rc::new(m) })
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

    fn will_read(&self, reads: &[Planned]) {
        // A hint has no answer: one the host cannot take changes nothing.
        if let Some(f) = &self.m.will_read {
            let _ = self.apply(f, &[wire::encode_planned(reads).into()]);
        }
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

    fn job_threads(&self) -> usize {
        self.m.jobs.as_ref().map_or(1, JobMethods::threads)
    }

    fn submit_jobs(&self, batch: &[u8]) -> Option<Result<u64, String>> {
        let jobs = self.m.jobs.as_ref()?;
        match jobs.threads() {
            1 => None,
            n => Some(jobs.submit(batch, n)),
        }
    }

    fn collect_jobs(&self, ticket: u64) -> Result<Vec<u8>, String> {
        match &self.m.jobs {
            Some(jobs) => jobs.collect(ticket),
            None => Err("no jobs were submitted".into()),
        }
    }

    fn sha256(&self, data: &[u8]) -> Option<[u8; 32]> {
        self.m.intrinsics.sha256(data)
    }

    fn hmac_sha256(&self, key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
        self.m.intrinsics.hmac_sha256(key, data)
    }

    fn aes256gcm_seal(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        self.m.intrinsics.aes256gcm_seal(key, nonce, aad, plaintext)
    }

    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Option<Option<Vec<u8>>> {
        self.m.intrinsics.aes256gcm_open(key, nonce, aad, ciphertext)
    }
}
