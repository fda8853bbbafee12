//! Sealing: turning plaintext into the bytes that are stored, and back.
//!
//! These are pure functions of their inputs (DESIGN.md §5): the repository's parameters,
//! a nonce drawn by the caller, and the data. Nothing here reads engine state, so chunks
//! could be sealed on several module instances at once.
//!
//! Every encrypted object has one shape: `nonce (12) || AES-256-GCM ciphertext || tag (16)`,
//! with an associated-data label naming the kind of object, so that a ciphertext moved
//! from one role to another (a lock presented as a snapshot) fails authentication.

use crate::codec::{self, Codec, Compression};
use crate::crypto::{Crypto, NONCE_LEN, TAG_LEN};
use crate::host::Host;

/// Associated data of chunk and chunk-list blobs.
pub const AAD_BLOB: &[u8] = b"cairn/v1/blob";
/// Associated data of pack index tables (pack trailers and `.idx` bodies).
pub const AAD_PACK_INDEX: &[u8] = b"cairn/v1/pack-index";
/// Associated data of global index segments.
pub const AAD_INDEX: &[u8] = b"cairn/v1/index";
/// Associated data of snapshot manifests.
pub const AAD_SNAPSHOT: &[u8] = b"cairn/v1/snapshot";
/// Associated data of lock files.
pub const AAD_LOCK: &[u8] = b"cairn/v1/lock";
/// Associated data of the master key wrapped in a key file.
pub const AAD_KEY: &[u8] = b"cairn/v1/key";

/// Bytes encryption adds to an object.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// The repository parameters that sealing depends on.
#[derive(Clone, Copy)]
pub struct SealParams<'a> {
    /// Compression of chunk blobs.
    pub compression: Compression,
    /// The data key of an encrypted repository; `None` for a plain one.
    pub key: Option<&'a [u8; 32]>,
}

/// Encrypts `data` when there is a key (`nonce || ciphertext || tag`); returns it unchanged otherwise.
pub fn seal_bytes<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    key: Option<&[u8; 32]>,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    data: &[u8],
) -> Vec<u8> {
    match key {
        None => data.to_vec(),
        Some(key) => {
            let ct = crypto.seal(host, key, nonce, aad, data);
            let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
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
    key: Option<&[u8; 32]>,
    aad: &[u8],
    stored: &[u8],
) -> Result<Vec<u8>, String> {
    match key {
        None => Ok(stored.to_vec()),
        Some(key) => {
            if stored.len() < OVERHEAD {
                return Err(format!(
                    "{} bytes is too short for an encrypted object",
                    stored.len()
                ));
            }
            let (nonce, ct) = stored.split_at(NONCE_LEN);
            let nonce: &[u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
            crypto.open(host, key, nonce, aad, ct).ok_or_else(|| {
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
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> (Codec, Vec<u8>) {
    let (codec, packed) = params.compression.compress(plaintext);
    (
        codec,
        seal_bytes(host, crypto, params.key, nonce, AAD_BLOB, &packed),
    )
}

/// Decrypts, then decompresses, one stored blob that must expand to `raw_len` bytes.
pub fn open_blob<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    key: Option<&[u8; 32]>,
    codec: Codec,
    raw_len: usize,
    stored: &[u8],
) -> Result<Vec<u8>, String> {
    let packed = open_bytes(host, crypto, key, AAD_BLOB, stored)?;
    codec::decompress(codec, &packed, raw_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecName;
    use crate::memory::MemoryHost;

    #[test]
    fn blobs_round_trip_plain_and_encrypted() {
        let h = MemoryHost::new(1);
        let c = Crypto::software();
        let data: Vec<u8> = b"hello hello hello hello ".repeat(1000);
        let key = [5u8; 32];
        for k in [None, Some(&key)] {
            for comp in [
                Compression::default(),
                Compression::with_default_level(CodecName::Zstd),
            ] {
                let p = SealParams {
                    compression: comp,
                    key: k,
                };
                let (codec, stored) = seal_blob(&h, &c, &p, &[1; 12], &data);
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
        let (_, stored) = seal_blob(&h, &Crypto::software(), &p, &[0; 12], &data);
        assert_eq!(stored, Compression::default().compress(&data).1);
    }

    #[test]
    fn objects_do_not_open_in_another_role_or_under_another_key() {
        let h = MemoryHost::new(1);
        let c = Crypto::software();
        let key = [5u8; 32];
        let s = seal_bytes(&h, &c, Some(&key), &[3; 12], AAD_LOCK, b"{}");
        assert_eq!(s.len(), 2 + OVERHEAD);
        assert!(open_bytes(&h, &c, Some(&key), AAD_LOCK, &s).is_ok());
        assert!(open_bytes(&h, &c, Some(&key), AAD_SNAPSHOT, &s).is_err());
        assert!(open_bytes(&h, &c, Some(&[6u8; 32]), AAD_LOCK, &s).is_err());
        assert!(open_bytes(&h, &c, Some(&key), AAD_LOCK, &s[..10]).is_err());
    }
}
