//! The optional crypto intrinsics of a host object (`sha256`, `hmacSha256`, `aesGcmSeal`,
//! `aesGcmOpen`; docs/DESIGN.md §4), shared by the engine's host and a job worker's.

use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::convert::{bytes, digest, method};

/// The crypto methods a host object has, looked up once; absent ones answer `None`, and
/// the engine then runs its own.
pub struct Intrinsics {
    this: JsValue,
    sha256: Option<Function>,
    hmac_sha256: Option<Function>,
    aes_gcm_seal: Option<Function>,
    aes_gcm_open: Option<Function>,
}

/// A `Uint8Array` copy of each of `parts`, as call arguments.
fn arrays<const N: usize>(parts: [&[u8]; N]) -> Array {
    parts
        .into_iter()
        .map(|b| JsValue::from(Uint8Array::from(b)))
        .collect()
}

impl Intrinsics {
    /// The intrinsics of `host`, whichever it has.
    pub fn new(host: &JsValue) -> Intrinsics {
        Intrinsics {
            sha256: method(host, "sha256"),
            hmac_sha256: method(host, "hmacSha256"),
            aes_gcm_seal: method(host, "aesGcmSeal"),
            aes_gcm_open: method(host, "aesGcmOpen"),
            this: host.clone(),
        }
    }

    fn call(&self, f: &Option<Function>, args: Array) -> Option<JsValue> {
        f.as_ref()?.apply(&self.this, &args).ok()
    }

    /// Accelerated SHA-256.
    pub fn sha256(&self, data: &[u8]) -> Option<[u8; 32]> {
        digest(&self.call(&self.sha256, arrays([data]))?)
    }

    /// Accelerated HMAC-SHA-256.
    pub fn hmac_sha256(&self, key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
        digest(&self.call(&self.hmac_sha256, arrays([key, data]))?)
    }

    /// Accelerated AES-256-GCM encryption: ciphertext and tag.
    pub fn aes256gcm_seal(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        bytes(&self.call(&self.aes_gcm_seal, arrays([key, nonce, aad, plaintext]))?)
    }

    /// Accelerated AES-256-GCM decryption: `Some(None)` when the tag does not verify.
    pub fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Option<Option<Vec<u8>>> {
        let v = self.call(&self.aes_gcm_open, arrays([key, nonce, aad, ciphertext]))?;
        if v.is_null() || v.is_undefined() {
            Some(None)
        } else {
            bytes(&v).map(Some)
        }
    }
}
