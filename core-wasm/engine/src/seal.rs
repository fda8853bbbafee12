//! Sealing: turning plaintext into the bytes that are stored, and back (docs/FORMAT.md §2).
//!
//! These are pure functions of their inputs (docs/DESIGN.md §5): the repository's
//! parameters, a nonce drawn by the caller, and the data. Nothing here reads engine state,
//! so chunks can be sealed on several module instances at once.
//!
//! Every encrypted object has one shape: `nonce || ciphertext || tag (16)`, with an
//! associated-data label naming the kind of object, so that a ciphertext moved from one
//! role to another (a lock presented as a snapshot) fails authentication. The cipher is
//! the repository's ([`Cipher`]): XAES-256-GCM (24-byte nonces) for repositories created
//! now, AES-256-GCM (12-byte nonces) for those created before it, and for key files.

use crate::codec::{self, Codec, Compression};
use crate::crypto::{self, Crypto, NONCE_LEN, TAG_LEN};
use crate::host::Host;

/// Associated data of chunk and chunk-list blobs.
pub const AAD_BLOB: &[u8] = b"cairn/v1/blob";
/// Associated data of pack index tables (pack trailers and `.idx` bodies).
pub const AAD_PACK_INDEX: &[u8] = b"cairn/v1/pack-index";
/// Associated data of global index segments.
pub const AAD_INDEX: &[u8] = b"cairn/v1/index";
/// Associated data of snapshot manifests.
pub const AAD_SNAPSHOT: &[u8] = b"cairn/v1/snapshot";
/// Associated data of snapshot records (docs/FORMAT.md §9a).
pub const AAD_RECORD: &[u8] = b"cairn/v1/snapshot-record";
/// Associated data of lock files.
pub const AAD_LOCK: &[u8] = b"cairn/v1/lock";
/// Associated data of the master key wrapped in a key file.
pub const AAD_KEY: &[u8] = b"cairn/v1/key";

/// The authenticated ciphers a repository can be sealed with (`encryption.cipher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cipher {
    /// AES-256-GCM with 12-byte random nonces: about 2^32 sealings per key are safe.
    Aes256Gcm,
    /// XAES-256-GCM (C2SP) with 24-byte random nonces: a per-message AES-256-GCM key
    /// derived from the first 12 bytes, so nonces never run out in practice.
    XAes256Gcm,
}

impl Cipher {
    /// The name in `config.json`.
    pub const fn name(self) -> &'static str {
        match self {
            Cipher::Aes256Gcm => "aes-256-gcm",
            Cipher::XAes256Gcm => "xaes-256-gcm",
        }
    }

    /// The cipher of a `config.json` name.
    pub fn from_name(name: &str) -> Option<Cipher> {
        [Cipher::Aes256Gcm, Cipher::XAes256Gcm]
            .into_iter()
            .find(|c| c.name() == name)
    }

    /// Bytes of its nonce.
    pub const fn nonce_len(self) -> usize {
        match self {
            Cipher::Aes256Gcm => NONCE_LEN,
            Cipher::XAes256Gcm => 2 * NONCE_LEN,
        }
    }

    /// Bytes sealing adds to an object: nonce and tag.
    pub const fn overhead(self) -> usize {
        self.nonce_len() + TAG_LEN
    }
}

/// A key and the cipher it seals with.
#[derive(Clone, Copy)]
pub struct SealKey<'a> {
    /// The 256-bit key.
    pub key: &'a [u8; 32],
    /// The cipher.
    pub cipher: Cipher,
}

/// The repository parameters that sealing depends on.
#[derive(Clone, Copy)]
pub struct SealParams<'a> {
    /// Compression of chunk blobs.
    pub compression: Compression,
    /// The data key of an encrypted repository; `None` for a plain one.
    pub key: Option<SealKey<'a>>,
}

/// The AES-256-GCM key and 12-byte nonce that seal one message under `key` and `nonce`.
fn gcm_key_and_nonce(key: SealKey<'_>, nonce: &[u8]) -> ([u8; 32], [u8; NONCE_LEN]) {
    let tail: [u8; NONCE_LEN] = nonce[nonce.len() - NONCE_LEN..]
        .try_into()
        .expect("checked length");
    match key.cipher {
        Cipher::Aes256Gcm => (*key.key, tail),
        Cipher::XAes256Gcm => {
            let head: &[u8; NONCE_LEN] = nonce[..NONCE_LEN].try_into().expect("checked length");
            (crypto::xaes_message_key(key.key, head), tail)
        }
    }
}

/// Encrypts `data` when there is a key (`nonce || ciphertext || tag`, with `nonce` of the
/// cipher's length); returns it unchanged otherwise.
pub fn seal_bytes<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    key: Option<SealKey<'_>>,
    nonce: &[u8],
    aad: &[u8],
    data: &[u8],
) -> Vec<u8> {
    match key {
        None => data.to_vec(),
        Some(k) => {
            assert_eq!(
                nonce.len(),
                k.cipher.nonce_len(),
                "a nonce of the cipher's length"
            );
            let (gcm_key, gcm_nonce) = gcm_key_and_nonce(k, nonce);
            let ct = crypto.seal(host, &gcm_key, &gcm_nonce, aad, data);
            let mut out = Vec::with_capacity(nonce.len() + ct.len());
            out.extend_from_slice(nonce);
            out.extend_from_slice(&ct);
            out
        }
    }
}

/// Reverses [`seal_bytes`]; the error says why the object cannot be opened.
pub fn open_bytes<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    key: Option<SealKey<'_>>,
    aad: &[u8],
    stored: &[u8],
) -> Result<Vec<u8>, String> {
    match key {
        None => Ok(stored.to_vec()),
        Some(k) => {
            if stored.len() < k.cipher.overhead() {
                return Err(format!(
                    "{} bytes is too short for an encrypted object",
                    stored.len()
                ));
            }
            let (nonce, ct) = stored.split_at(k.cipher.nonce_len());
            let (gcm_key, gcm_nonce) = gcm_key_and_nonce(k, nonce);
            crypto.open(host, &gcm_key, &gcm_nonce, aad, ct).ok_or_else(|| {
                "authentication failed (the bytes were altered, or belong elsewhere)".to_string()
            })
        }
    }
}

/// Compresses, then encrypts, one blob; returns the codec used and the stored bytes.
pub fn seal_blob<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    params: &SealParams<'_>,
    nonce: &[u8],
    plaintext: &[u8],
) -> (Codec, Vec<u8>) {
    let zstd = |level: u32, data: &[u8]| crypto.zstd_frame(host, level, data);
    let (codec, packed) = params.compression.compress_by(&zstd, plaintext);
    match params.key {
        None => (codec, packed),
        key => (codec, seal_bytes(host, crypto, key, nonce, AAD_BLOB, &packed)),
    }
}

/// Decrypts, then decompresses, one stored blob that must expand to `raw_len` bytes.
pub fn open_blob<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    key: Option<SealKey<'_>>,
    codec: Codec,
    raw_len: usize,
    stored: &[u8],
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    open_blob_into(host, crypto, key, codec, raw_len, stored, &mut out)?;
    Ok(out)
}

/// [`open_blob`], appending the plaintext to `out`; on an error `out` is left as it was.
/// Into an empty `out`, a decrypted blob stored uncompressed is moved, not copied.
pub fn open_blob_into<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    key: Option<SealKey<'_>>,
    codec: Codec,
    raw_len: usize,
    stored: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match key {
        None => codec::decompress_into(codec, stored, raw_len, out),
        key => {
            let packed = open_bytes(host, crypto, key, AAD_BLOB, stored)?;
            if out.is_empty() {
                *out = codec::decompress_owned(codec, packed, raw_len)?;
                Ok(())
            } else {
                codec::decompress_into(codec, &packed, raw_len, out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecName;
    use crate::memory::MemoryHost;

    const CIPHERS: [Cipher; 2] = [Cipher::Aes256Gcm, Cipher::XAes256Gcm];

    #[test]
    fn blobs_round_trip_plain_and_encrypted() {
        let h = MemoryHost::new(1);
        let c = Crypto::software();
        let data: Vec<u8> = b"hello hello hello hello ".repeat(1000);
        let key = [5u8; 32];
        let keys = CIPHERS.map(|cipher| Some(SealKey { key: &key, cipher }));
        for k in [None, keys[0], keys[1]] {
            let nonce = vec![1; k.map_or(0, |k| k.cipher.nonce_len())];
            for comp in [
                Compression::default(),
                Compression::with_default_level(CodecName::Zstd),
            ] {
                let p = SealParams {
                    compression: comp,
                    key: k,
                };
                let (codec, stored) = seal_blob(&h, &c, &p, &nonce, &data);
                assert!(stored.len() < data.len() / 10);
                assert_eq!(open_blob(&h, &c, k, codec, data.len(), &stored).unwrap(), data);
            }
        }
    }

    #[test]
    fn plain_blobs_are_exactly_the_codec_output() {
        let h = MemoryHost::new(1);
        let data: Vec<u8> = b"abcabcabc".repeat(100);
        let p = SealParams {
            compression: Compression::default(),
            key: None,
        };
        let (_, stored) = seal_blob(&h, &Crypto::software(), &p, &[], &data);
        assert_eq!(stored, Compression::default().compress(&data).1);
    }

    #[test]
    fn objects_do_not_open_in_another_role_under_another_key_or_another_cipher() {
        let h = MemoryHost::new(1);
        let c = Crypto::software();
        let key = [5u8; 32];
        for cipher in CIPHERS {
            let k = Some(SealKey { key: &key, cipher });
            let nonce = vec![3; cipher.nonce_len()];
            let s = seal_bytes(&h, &c, k, &nonce, AAD_LOCK, b"{}");
            assert_eq!(s.len(), 2 + cipher.overhead());
            assert!(open_bytes(&h, &c, k, AAD_LOCK, &s).is_ok());
            assert!(open_bytes(&h, &c, k, AAD_SNAPSHOT, &s).is_err());
            let other = Some(SealKey {
                key: &[6u8; 32],
                cipher,
            });
            assert!(open_bytes(&h, &c, other, AAD_LOCK, &s).is_err());
            assert!(open_bytes(&h, &c, k, AAD_LOCK, &s[..10]).is_err());
        }
        let x = seal_bytes(
            &h,
            &c,
            Some(SealKey {
                key: &key,
                cipher: Cipher::XAes256Gcm,
            }),
            &[3; 24],
            AAD_LOCK,
            b"{}",
        );
        let as_gcm = Some(SealKey {
            key: &key,
            cipher: Cipher::Aes256Gcm,
        });
        assert!(
            open_bytes(&h, &c, as_gcm, AAD_LOCK, &x).is_err(),
            "the ciphers differ"
        );
        assert_eq!(Cipher::from_name("xaes-256-gcm"), Some(Cipher::XAes256Gcm));
        assert_eq!(Cipher::XAes256Gcm.overhead(), 40);
    }
}
