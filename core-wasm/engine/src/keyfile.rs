//! Encryption keys: the master key, the keys derived from it, and the key file format
//! (docs/FORMAT.md §4).
//!
//! A repository has one random 256-bit master key. Each key file in `keys/` wraps it under
//! a key derived from one passphrase with Argon2id, so several passphrases open the same
//! repository and one can be removed without re-encrypting anything. Adding, listing and
//! removing key files is [`crate::keys`].

use serde::{Deserialize, Serialize};

use crate::checksum;
use crate::crypto::{self, Crypto};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::kdf::KdfParams;
use crate::seal::{self, Cipher, SealKey, AAD_KEY};

/// Key files wrap the master key with AES-256-GCM: each wrapping key seals one message.
const WRAP: Cipher = Cipher::Aes256Gcm;

/// Label of the data-encryption key derived from the master key.
const LABEL_DATA: &[u8] = b"cairn/v1/data-key";
/// Label of the chunk-id (HMAC) key.
const LABEL_CHUNK_ID: &[u8] = b"cairn/v1/chunk-id-key";
/// Label of the gear-table seed.
const LABEL_GEAR: &[u8] = b"cairn/v1/gear-seed";

/// The keys an encrypted repository works with, all derived from its master key.
#[derive(Clone)]
pub struct Keys {
    /// The random master key (what key files wrap).
    pub master: [u8; 32],
    /// AES-256-GCM key of every encrypted object.
    pub data: [u8; 32],
    /// HMAC-SHA-256 key of chunk ids.
    pub chunk_id: [u8; 32],
    /// Seed XORed into FastCDC's gear table.
    pub gear_seed: u64,
}

impl Keys {
    /// Derives the working keys: HMAC-SHA-256(master, label) for each label.
    pub fn derive<H: Host + ?Sized>(host: &H, crypto: &Crypto, master: [u8; 32]) -> Keys {
        let gear = crypto.hmac_sha256(host, &master, LABEL_GEAR);
        Keys {
            master,
            data: crypto.hmac_sha256(host, &master, LABEL_DATA),
            chunk_id: crypto.hmac_sha256(host, &master, LABEL_CHUNK_ID),
            gear_seed: u64::from_le_bytes(gear[..8].try_into().expect("8 bytes")),
        }
    }
}

/// Argon2id settings and salt of one key file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KdfRecord {
    /// Always `argon2id`.
    pub algorithm: String,
    /// Argon2 version; always 19 (0x13).
    pub version: u32,
    /// Cost parameters.
    #[serde(flatten)]
    pub params: KdfParams,
    /// 32 random bytes, hex.
    pub salt: String,
    /// How the passphrase's text becomes the bytes Argon2id reads: `nfc` (Unicode
    /// Normalization Form C, then UTF-8), written by every key file made now; absent in
    /// older key files, which take the UTF-8 bytes as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalization: Option<String>,
}

/// The normalization new key files record.
pub const NFC: &str = "nfc";

/// The bytes Argon2id reads for `passphrase` under a key file's `normalization`, so that
/// the same passphrase typed on systems that compose accents differently (macOS input
/// gives NFD, most others NFC) opens the same key.
fn passphrase_bytes(passphrase: &str, normalization: Option<&str>) -> Option<Vec<u8>> {
    use unicode_normalization::UnicodeNormalization;
    match normalization {
        None => Some(passphrase.as_bytes().to_vec()),
        Some(NFC) => Some(passphrase.nfc().collect::<String>().into_bytes()),
        Some(_) => None,
    }
}

/// The contents of one file in `keys/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyFile {
    /// Key file format version; always 1.
    pub version: u64,
    /// When the key was added.
    pub created_at: String,
    /// The host that added it.
    pub hostname: String,
    /// How the wrapping key is derived from the passphrase.
    pub kdf: KdfRecord,
    /// The master key sealed under the wrapping key: hex of `nonce || ciphertext || tag`.
    pub wrapped_key: String,
}

impl KeyFile {
    /// Wraps `master` under `passphrase`; salt and nonce come from the host's randomness.
    pub fn wrap<H: Host + ?Sized>(
        host: &H,
        crypto: &Crypto,
        master: &[u8; 32],
        passphrase: &str,
        params: KdfParams,
        created_at: String,
        hostname: String,
    ) -> Result<KeyFile> {
        let mut salt = [0u8; 32];
        host.random(&mut salt);
        let mut nonce = [0u8; crypto::NONCE_LEN];
        host.random(&mut nonce);
        let bytes = passphrase_bytes(passphrase, Some(NFC)).expect("NFC is known");
        let kek = crypto.argon2id(host, &bytes, &salt, &params)?;
        let wrap = SealKey {
            key: &kek,
            cipher: WRAP,
        };
        let wrapped = seal::seal_bytes(host, crypto, Some(wrap), &nonce, AAD_KEY, master);
        Ok(KeyFile {
            version: 1,
            created_at,
            hostname,
            kdf: KdfRecord {
                algorithm: "argon2id".into(),
                version: 0x13,
                params,
                salt: hex::encode(salt),
                normalization: Some(NFC.into()),
            },
            wrapped_key: hex::encode(wrapped),
        })
    }

    /// Parses a key file; `file` names it in errors.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<KeyFile> {
        let corrupt = |detail: String| Error::CorruptKey {
            file: file.to_string(),
            detail,
        };
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| corrupt(format!("not a key file: {e}")))?;
        let k: KeyFile =
            serde_json::from_value(v.clone()).map_err(|e| corrupt(format!("not a key file: {e}")))?;
        if k.version != 1 {
            return Err(Error::UnsupportedVersion {
                what: format!("key file {file}"),
                found: k.version,
                supported: 1,
            });
        }
        if k.kdf.algorithm != "argon2id" || k.kdf.version != 0x13 {
            return Err(corrupt(format!(
                "unknown key derivation {} v{}",
                k.kdf.algorithm, k.kdf.version
            )));
        }
        let known = serde_json::to_value(&k).expect("key file serialises");
        checksum::check(bytes, &v, &known).map_err(corrupt)?;
        k.kdf.params.validate().map_err(|e| corrupt(e.to_string()))?;
        Ok(k)
    }

    /// Unwraps the master key; `Ok(None)` when the passphrase is not this key's.
    pub fn unwrap_master<H: Host + ?Sized>(
        &self,
        host: &H,
        crypto: &Crypto,
        file: &str,
        passphrase: &str,
    ) -> Result<Option<[u8; 32]>> {
        let corrupt = |detail: &str| Error::CorruptKey {
            file: file.to_string(),
            detail: detail.to_string(),
        };
        let salt = hex::decode(&self.kdf.salt).map_err(|_| corrupt("salt is not hex"))?;
        let wrapped = hex::decode(&self.wrapped_key).map_err(|_| corrupt("wrappedKey is not hex"))?;
        if wrapped.len() != 32 + WRAP.overhead() {
            return Err(corrupt("wrappedKey has the wrong length"));
        }
        let bytes = passphrase_bytes(passphrase, self.kdf.normalization.as_deref())
            .ok_or_else(|| corrupt("unknown passphrase normalization"))?;
        let kek = crypto.argon2id(host, &bytes, &salt, &self.kdf.params)?;
        let wrap = SealKey {
            key: &kek,
            cipher: WRAP,
        };
        Ok(seal::open_bytes(host, crypto, Some(wrap), AAD_KEY, &wrapped)
            .ok()
            .map(|m| m.try_into().expect("length checked above")))
    }

    /// The file's bytes: pretty JSON under its checksum line (docs/FORMAT.md §3a).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("key file serialises");
        out.push(b'\n');
        checksum::prepend(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryHost;

    const FAST: KdfParams = KdfParams {
        memory_ki_b: 64,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn wrap_then_unwrap_with_the_right_passphrase_only() {
        let h = MemoryHost::new(3);
        let c = Crypto::software();
        let master = [42u8; 32];
        let k = KeyFile::wrap(&h, &c, &master, "correct horse", FAST, "t".into(), "h".into()).unwrap();
        let k = KeyFile::parse("keys/x", &k.to_bytes()).unwrap();
        assert_eq!(
            k.unwrap_master(&h, &c, "keys/x", "correct horse").unwrap(),
            Some(master)
        );
        assert_eq!(k.unwrap_master(&h, &c, "keys/x", "wrong").unwrap(), None);
    }

    #[test]
    fn passphrases_are_compared_in_nfc_and_old_key_files_take_their_bytes() {
        let h = MemoryHost::new(4);
        let c = Crypto::software();
        let (composed, decomposed) = ("caf\u{e9}", "cafe\u{301}");
        let k = KeyFile::wrap(&h, &c, &[9; 32], decomposed, FAST, "t".into(), "h".into()).unwrap();
        assert_eq!(k.kdf.normalization.as_deref(), Some(NFC));
        assert_eq!(
            k.unwrap_master(&h, &c, "keys/x", composed).unwrap(),
            Some([9; 32])
        );
        assert_eq!(
            k.unwrap_master(&h, &c, "keys/x", decomposed).unwrap(),
            Some([9; 32])
        );
        // A key file from before normalization: exactly the bytes it was made with.
        let mut old = k.clone();
        old.kdf.normalization = None;
        let salt = hex::decode(&old.kdf.salt).unwrap();
        let kek = crate::kdf::argon2id(decomposed.as_bytes(), &salt, &FAST).unwrap();
        let wrap = SealKey {
            key: &kek,
            cipher: WRAP,
        };
        old.wrapped_key = hex::encode(seal::seal_bytes(&h, &c, Some(wrap), &[1; 12], AAD_KEY, &[9; 32]));
        assert_eq!(
            old.unwrap_master(&h, &c, "keys/x", decomposed).unwrap(),
            Some([9; 32])
        );
        assert_eq!(old.unwrap_master(&h, &c, "keys/x", composed).unwrap(), None);
        old.kdf.normalization = Some("nfkd".into());
        assert!(matches!(
            old.unwrap_master(&h, &c, "keys/x", composed),
            Err(Error::CorruptKey { .. })
        ));
    }

    #[test]
    fn damaged_key_files_name_themselves() {
        let e = KeyFile::parse("keys/abc", b"{not json").unwrap_err();
        assert!(matches!(&e, Error::CorruptKey { file, .. } if file == "keys/abc"));
        let h = MemoryHost::new(3);
        let c = Crypto::software();
        let mut k = KeyFile::wrap(&h, &c, &[1; 32], "pw", FAST, "t".into(), "h".into()).unwrap();
        k.wrapped_key.truncate(10);
        assert!(matches!(
            k.unwrap_master(&h, &c, "keys/abc", "pw"),
            Err(Error::CorruptKey { .. })
        ));
    }

    #[test]
    fn derived_keys_differ_from_each_other_and_from_the_master() {
        let k = Keys::derive(&MemoryHost::new(1), &Crypto::software(), [7; 32]);
        assert_ne!(k.data, k.chunk_id);
        assert_ne!(k.data, k.master);
        assert_ne!(k.gear_seed, 0);
    }
}
