//! Cryptographic primitives: SHA-256, HMAC-SHA-256, AES-256-GCM and XAES-256-GCM's
//! key derivation (Argon2id is in [`crate::kdf`]), and which of them, with the zstd
//! encoder, a host supplies ([`Crypto`]).
//!
//! The engine carries pure-Rust implementations (the browser has no synchronous
//! alternative) and uses a host's accelerated ones when offered, after checking each on a
//! known test vector (docs/DESIGN.md §4): a host whose answer differs is refused, not trusted.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::host::Host;

/// Bytes of an AES-256-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of an AES-256-GCM tag.
pub const TAG_LEN: usize = 16;

/// SHA-256 in pure Rust.
pub fn soft_sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// HMAC-SHA-256 in pure Rust.
pub fn soft_hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// AES-256-GCM encryption in pure Rust: ciphertext followed by the tag.
pub fn soft_seal(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .encrypt(&Nonce::from(*nonce), Payload { msg: plaintext, aad })
        .expect("AES-GCM encryption cannot fail for in-memory buffers")
}

/// AES-256-GCM decryption in pure Rust; `None` when the tag does not verify.
pub fn soft_open(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    let cipher = Aes256Gcm::new(key.into());
    cipher
        .decrypt(&Nonce::from(*nonce), Payload { msg: ciphertext, aad })
        .ok()
}

/// XAES-256-GCM's per-message key (C2SP XAES-256-GCM, a NIST SP 800-108r1 counter KDF
/// with CMAC-AES-256): from the key and the first 12 bytes of a 24-byte nonce, the
/// AES-256-GCM key that seals this one message under the nonce's last 12 bytes. With
/// 192-bit random nonces a key can seal 2^80 messages before a collision is likely,
/// where plain AES-256-GCM's 96-bit random nonces allow about 2^32 (docs/FORMAT.md §2).
pub fn xaes_message_key(key: &[u8; 32], nonce_head: &[u8; 12]) -> [u8; 32] {
    use aes::cipher::BlockCipherEncrypt;
    XAES_KEY.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.as_ref().is_none_or(|m| m.key != *key) {
            *memo = Some(XaesKey::new(key));
        }
        let m = memo.as_ref().expect("set above");
        // M_i = counter (2 bytes) || label "X" || 0x00 || the nonce's first 12 bytes,
        // XORed with K1; both blocks in one pass of the cipher.
        let mut blocks = [0u8, 1].map(|i| {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&[0, i + 1, b'X', 0]);
            b[4..].copy_from_slice(nonce_head);
            (u128::from_be_bytes(b) ^ m.k1).to_be_bytes().into()
        });
        m.aes.encrypt_blocks(&mut blocks);
        let mut out = [0u8; 32];
        out[..16].copy_from_slice(&blocks[0]);
        out[16..].copy_from_slice(&blocks[1]);
        out
    })
}

/// What XAES-256-GCM derives from the key alone: its AES-256 key schedule and CMAC's
/// subkey K1. Kept for the last key used on this thread (a repository seals every blob
/// under one key), so each message costs one pass of the cipher, not a key schedule and
/// three (soft AES inside wasm is slow: docs/DESIGN.md §4).
struct XaesKey {
    key: [u8; 32],
    aes: aes::Aes256,
    k1: u128,
}

impl XaesKey {
    fn new(key: &[u8; 32]) -> XaesKey {
        use aes::cipher::{BlockCipherEncrypt, KeyInit as _};
        let aes = aes::Aes256::new(key.into());
        // CMAC's subkey K1: L = AES(0^128), doubled in GF(2^128).
        let mut l = [0u8; 16].into();
        aes.encrypt_block(&mut l);
        let l = u128::from_be_bytes(l.into());
        let k1 = (l << 1) ^ if l >> 127 == 1 { 0x87 } else { 0 };
        XaesKey { key: *key, aes, k1 }
    }
}

std::thread_local! {
    static XAES_KEY: std::cell::RefCell<Option<XaesKey>> = const { std::cell::RefCell::new(None) };
}

/// Which primitives come from the host (the crypto ones, and the zstd encoder compiled
/// natively); the rest run in pure Rust.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Crypto {
    host_sha256: bool,
    host_hmac: bool,
    host_aes: bool,
    host_argon2: bool,
    host_zstd: bool,
}

// FIPS 180-2, appendix B.2: SHA-256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").
const SHA_MSG: &[u8] = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const SHA_DIGEST: &str = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
// Argon2id's check: any inputs do, the engine's own implementation (RFC 9106's vector,
// `kdf.rs`) gives the expected key.
const ARGON_PASS: &[u8] = b"password";
const ARGON_SALT: &[u8] = b"somesalt-somesalt";
const ARGON_CHECK: crate::kdf::KdfParams = crate::kdf::KdfParams {
    memory_ki_b: 64,
    iterations: 1,
    parallelism: 1,
};
// RFC 4231, test case 2.
const HMAC_KEY: &[u8] = b"Jefe";
const HMAC_MSG: &[u8] = b"what do ya want for nothing?";
const HMAC_TAG: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
// NIST CAVP gcmEncryptExtIV256.rsp (96-bit IV, 128-bit tag, with AAD).
const GCM_KEY: &str = "37ccdba1d929d6436c16bba5b5ff34deec88ed7df3d15d0f4ddf80c0c731ee1f";
const GCM_NONCE: &str = "5c1b21c8998ed6299006d3f9";
const GCM_PT: &str = "ad4260e3cdc76bcc10c7b2c06b80b3be948258e5ef20c508a81f51e96a518388";
const GCM_AAD: &str = "22ed235946235a85a45bc5fad7140bfa";
const GCM_CT_TAG: &str =
    "3b335f8b08d33ccdcad228a74700f1007542a4d1e7fc1ebe3f447fe71af298161fbf49cc46f458bf6e88f6370975e6d4";

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).expect("constant test vector");
    out
}

impl Crypto {
    /// Pure Rust for everything.
    pub fn software() -> Self {
        Crypto::default()
    }

    /// Probes the host's intrinsics and keeps each one that passes its test vector.
    ///
    /// An intrinsic that answers wrongly is an error, never silently replaced: a host
    /// that miscomputes hashes would write a repository nobody else can read.
    pub fn new<H: Host + ?Sized>(host: &H) -> Result<Self> {
        let mut c = Crypto::default();
        if let Some(d) = host.sha256(SHA_MSG) {
            if hex::encode(d) != SHA_DIGEST {
                return Err(Error::IntrinsicMismatch("SHA-256".into()));
            }
            c.host_sha256 = true;
        }
        if let Some(t) = host.hmac_sha256(HMAC_KEY, HMAC_MSG) {
            if hex::encode(t) != HMAC_TAG {
                return Err(Error::IntrinsicMismatch("HMAC-SHA-256".into()));
            }
            c.host_hmac = true;
        }
        let key: [u8; 32] = unhex(GCM_KEY);
        let nonce: [u8; 12] = unhex(GCM_NONCE);
        let pt: [u8; 32] = unhex(GCM_PT);
        let aad: [u8; 16] = unhex(GCM_AAD);
        let ct: [u8; 48] = unhex(GCM_CT_TAG);
        let sealed = host.aes256gcm_seal(&key, &nonce, &aad, &pt);
        let opened = host.aes256gcm_open(&key, &nonce, &aad, &ct);
        let mut bad_ct = ct;
        bad_ct[0] ^= 1;
        let forged = host.aes256gcm_open(&key, &nonce, &aad, &bad_ct);
        match (sealed, opened, forged) {
            (None, None, None) => {}
            (Some(s), Some(Some(o)), Some(None)) if s[..] == ct[..] && o[..] == pt[..] => c.host_aes = true,
            _ => return Err(Error::IntrinsicMismatch("AES-256-GCM".into())),
        }
        // Argon2id against the engine's own, on parameters small enough to cost nothing.
        if let Some(k) = host.argon2id(ARGON_PASS, ARGON_SALT, &ARGON_CHECK) {
            if k != crate::kdf::argon2id(ARGON_PASS, ARGON_SALT, &ARGON_CHECK)? {
                return Err(Error::IntrinsicMismatch("Argon2id".into()));
            }
            c.host_argon2 = true;
        }
        c.host_zstd = crate::codec::probe_host_zstd(host)?;
        Ok(c)
    }

    /// The zstd frame of `data` at `level` when it is shorter than `data`
    /// ([`crate::codec::zstd_frame`]), natively when the host offers it.
    pub fn zstd_frame<H: Host + ?Sized>(&self, host: &H, level: u32, data: &[u8]) -> Option<Vec<u8>> {
        if self.host_zstd {
            if let Some(frame) = host.zstd_compress(level, data, data.len().saturating_sub(1)) {
                return frame;
            }
        }
        crate::codec::zstd_frame(level, data)
    }

    /// Argon2id of a passphrase into a 32-byte key ([`crate::kdf::argon2id`]), natively when
    /// the host offers it.
    pub fn argon2id<H: Host + ?Sized>(
        &self,
        host: &H,
        passphrase: &[u8],
        salt: &[u8],
        params: &crate::kdf::KdfParams,
    ) -> Result<[u8; 32]> {
        params.validate()?;
        if self.host_argon2 {
            if let Some(k) = host.argon2id(passphrase, salt, params) {
                return Ok(k);
            }
        }
        crate::kdf::argon2id(passphrase, salt, params)
    }

    /// SHA-256 of `data`.
    pub fn sha256<H: Host + ?Sized>(&self, host: &H, data: &[u8]) -> [u8; 32] {
        if self.host_sha256 {
            if let Some(d) = host.sha256(data) {
                return d;
            }
        }
        soft_sha256(data)
    }

    /// HMAC-SHA-256 of `data` under `key`.
    pub fn hmac_sha256<H: Host + ?Sized>(&self, host: &H, key: &[u8], data: &[u8]) -> [u8; 32] {
        if self.host_hmac {
            if let Some(t) = host.hmac_sha256(key, data) {
                return t;
            }
        }
        soft_hmac_sha256(key, data)
    }

    /// AES-256-GCM: ciphertext followed by the 16-byte tag.
    pub fn seal<H: Host + ?Sized>(
        &self,
        host: &H,
        key: &[u8; 32],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Vec<u8> {
        if self.host_aes {
            if let Some(c) = host.aes256gcm_seal(key, nonce, aad, plaintext) {
                return c;
            }
        }
        soft_seal(key, nonce, aad, plaintext)
    }

    /// AES-256-GCM decryption; `None` when the data or tag was altered or the key is wrong.
    pub fn open<H: Host + ?Sized>(
        &self,
        host: &H,
        key: &[u8; 32],
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Option<Vec<u8>> {
        if ciphertext.len() < TAG_LEN {
            return None;
        }
        if self.host_aes {
            if let Some(r) = host.aes256gcm_open(key, nonce, aad, ciphertext) {
                return r;
            }
        }
        soft_open(key, nonce, aad, ciphertext)
    }

    /// True when the host supplies every intrinsic (for diagnostics).
    pub fn accelerated(&self) -> bool {
        self.host_sha256 && self.host_hmac && self.host_aes
    }
}

#[cfg(test)]
mod tests;
