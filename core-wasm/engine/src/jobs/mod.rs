//! Jobs: the pure, independent pieces of work that can run on several module instances
//! at once (docs/DESIGN.md §5, §18): sealing a blob (compress, encrypt) and opening one
//! (decrypt, decompress, check its id).
//!
//! A job carries everything it needs, keys included, and its result depends on nothing
//! else, so a host may run a batch of them on other instances of the same module, in
//! threads or workers, and hand the results back in order ([`crate::host::Host::submit_jobs`]).
//! The batch and result encodings are defined here, once, for the engine that sends a
//! batch and the instances that run its jobs ([`run_into`], [`run_batch`]).
//!
//! A batch is framed as [`frame`] says, its results likewise. Hosts only split and join
//! batches; they never look inside a job.

mod frame;

use frame::Reader;
pub use frame::{frame, join, split, unframe, Batch, Joined};

use crate::codec::{Codec, CodecName, Compression};
use crate::crypto::Crypto;
use crate::host::Host;
use crate::ids::BlobId;
use crate::seal::{self, Cipher, SealKey, SealParams};

const SEAL: u8 = 1;
const OPEN: u8 = 2;
const CHECK: u8 = 3;

/// How a blob's id is computed from its plaintext.
#[derive(Clone, Copy)]
pub enum IdKey<'a> {
    /// SHA-256 (plain repositories).
    Sha256,
    /// HMAC-SHA-256 under this key (encrypted repositories).
    Hmac(&'a [u8; 32]),
}

/// One job.
#[derive(Clone, Copy)]
pub enum Job<'a> {
    /// Compress and encrypt `plain` with `nonce`.
    Seal {
        /// Codec and level.
        compression: Compression,
        /// The data key, if the repository is encrypted.
        key: Option<SealKey<'a>>,
        /// The nonce to seal with (empty in plain repositories).
        nonce: &'a [u8],
        /// The plaintext.
        plain: &'a [u8],
    },
    /// Decrypt and decompress `stored`, which must give `raw_len` bytes hashing to `id`.
    Open {
        /// Whether the result carries the plaintext (to restore it) or only the verdict
        /// (to verify it: no plaintext crosses back).
        keep: bool,
        /// How the blob was compressed.
        codec: Codec,
        /// The data key, if the repository is encrypted.
        key: Option<SealKey<'a>>,
        /// How the id is computed.
        id_key: IdKey<'a>,
        /// The id the plaintext must have.
        id: BlobId,
        /// The plaintext length.
        raw_len: u32,
        /// The stored bytes.
        stored: &'a [u8],
    },
}

fn codec_name_byte(c: CodecName) -> u8 {
    match c {
        CodecName::None => 0,
        CodecName::Gzip => 1,
        CodecName::Zstd => 2,
    }
}

fn put_key(out: &mut Vec<u8>, key: Option<SealKey<'_>>) {
    match key {
        None => out.push(0),
        Some(k) => {
            out.push(match k.cipher {
                Cipher::Aes256Gcm => 1,
                Cipher::XAes256Gcm => 2,
            });
            out.extend_from_slice(k.key);
        }
    }
}

/// Encodes a job at the end of `out` (an item of a [`Batch`]).
pub fn encode_into(out: &mut Vec<u8>, job: &Job<'_>) {
    match job {
        Job::Seal {
            compression,
            key,
            nonce,
            plain,
        } => {
            out.reserve(plain.len() + 64);
            out.push(SEAL);
            out.push(codec_name_byte(compression.codec));
            out.extend_from_slice(&compression.level.to_le_bytes());
            put_key(out, *key);
            out.extend_from_slice(nonce);
            out.extend_from_slice(plain);
        }
        Job::Open {
            keep,
            codec,
            key,
            id_key,
            id,
            raw_len,
            stored,
        } => {
            out.reserve(stored.len() + 128);
            out.push(if *keep { OPEN } else { CHECK });
            out.push(*codec as u8);
            put_key(out, *key);
            match id_key {
                IdKey::Sha256 => out.push(0),
                IdKey::Hmac(k) => {
                    out.push(1);
                    out.extend_from_slice(*k);
                }
            }
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&raw_len.to_le_bytes());
            out.extend_from_slice(stored);
        }
    }
}

/// A batch of these jobs, framed.
pub fn batch<'a>(jobs: impl IntoIterator<Item = Job<'a>>) -> Vec<u8> {
    let mut b = Batch::with_capacity(0);
    for job in jobs {
        b.push_with(|out| encode_into(out, &job));
    }
    b.finish()
}

impl<'a> Reader<'a> {
    fn seal_key(&mut self) -> Result<Option<SealKey<'a>>, String> {
        let cipher = match self.byte()? {
            0 => return Ok(None),
            1 => Cipher::Aes256Gcm,
            2 => Cipher::XAes256Gcm,
            c => return Err(format!("a job names unknown cipher {c}")),
        };
        Ok(Some(SealKey {
            key: self.key32()?,
            cipher,
        }))
    }
}

/// Decodes a job.
pub fn decode(bytes: &[u8]) -> Result<Job<'_>, String> {
    let mut r = Reader(bytes);
    match r.byte()? {
        SEAL => {
            let codec = match r.byte()? {
                0 => CodecName::None,
                1 => CodecName::Gzip,
                2 => CodecName::Zstd,
                c => return Err(format!("a job names unknown codec {c}")),
            };
            let compression = Compression {
                codec,
                level: r.u32()?,
            };
            let key = r.seal_key()?;
            let nonce = r.take(key.map_or(0, |k| k.cipher.nonce_len()))?;
            Ok(Job::Seal {
                compression,
                key,
                nonce,
                plain: r.0,
            })
        }
        kind @ (OPEN | CHECK) => {
            let codec = Codec::from_byte(r.byte()?).ok_or("a job names an unknown codec")?;
            let key = r.seal_key()?;
            let id_key = match r.byte()? {
                0 => IdKey::Sha256,
                _ => IdKey::Hmac(r.key32()?),
            };
            let id = BlobId::new(*r.key32()?);
            let raw_len = r.u32()?;
            Ok(Job::Open {
                keep: kind == OPEN,
                codec,
                key,
                id_key,
                id,
                raw_len,
                stored: r.0,
            })
        }
        k => Err(format!("unknown job kind {k}")),
    }
}

/// Runs one job, writing its result at the end of `out` (an item of a [`Batch`]). A seal
/// gives `codec byte || stored bytes`; an open gives `0 || plaintext` (only `0` when it
/// does not keep the plaintext), or `1 || why` when the blob cannot be opened or is not `id`.
pub fn run_into<H: Host + ?Sized>(host: &H, crypto: &Crypto, job: &Job<'_>, out: &mut Vec<u8>) {
    match *job {
        Job::Seal {
            compression,
            key,
            nonce,
            plain,
        } => {
            let (codec, stored) =
                seal::seal_blob(host, crypto, &SealParams { compression, key }, nonce, plain);
            out.push(codec as u8);
            out.extend_from_slice(&stored);
        }
        Job::Open {
            keep,
            codec,
            key,
            id_key,
            id,
            raw_len,
            stored,
        } => {
            // The plaintext is decoded straight into the results, after its status byte.
            let at = out.len();
            out.push(0);
            match open_into(host, crypto, codec, key, id_key, id, raw_len, stored, out) {
                Ok(()) if keep => {}
                Ok(()) => out.truncate(at + 1),
                Err(why) => {
                    out.truncate(at);
                    out.push(1);
                    out.extend_from_slice(why.as_bytes());
                }
            }
        }
    }
}

/// Bytes the results of `jobs` take at most, besides errors' messages: what a batch's
/// results reserve, so that they are written without growing their buffer. A check
/// decodes its plaintext after the results too, and drops it: room for the largest.
fn results_room(jobs: &[Job<'_>]) -> usize {
    let (mut kept, mut checked) = (4, 0);
    for job in jobs {
        kept += 4 + match *job {
            Job::Seal { plain, .. } => plain.len() + 64,
            Job::Open {
                keep: true, raw_len, ..
            } => raw_len as usize + 1,
            Job::Open { raw_len, .. } => {
                checked = checked.max(raw_len as usize);
                1
            }
        };
    }
    kept + checked
}

/// Decrypts and decompresses a stored blob and checks it hashes to `id`: what an open job
/// does, and what the engine does itself when it runs no jobs.
#[allow(clippy::too_many_arguments)]
pub fn open<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    codec: Codec,
    key: Option<SealKey<'_>>,
    id_key: IdKey<'_>,
    id: BlobId,
    raw_len: u32,
    stored: &[u8],
) -> Result<Vec<u8>, String> {
    let mut plain = Vec::new();
    open_into(host, crypto, codec, key, id_key, id, raw_len, stored, &mut plain)?;
    Ok(plain)
}

/// [`open`], appending the plaintext to `out`; on an error `out` is left as it was.
#[allow(clippy::too_many_arguments)]
pub fn open_into<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    codec: Codec,
    key: Option<SealKey<'_>>,
    id_key: IdKey<'_>,
    id: BlobId,
    raw_len: u32,
    stored: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let at = out.len();
    seal::open_blob_into(host, crypto, key, codec, raw_len as usize, stored, out)?;
    check_id(host, crypto, id_key, id, &out[at..]).inspect_err(|_| out.truncate(at))
}

/// Checks that `plain` hashes to `id`.
fn check_id<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    id_key: IdKey<'_>,
    id: BlobId,
    plain: &[u8],
) -> Result<(), String> {
    let actual = match id_key {
        IdKey::Sha256 => crypto.sha256(host, plain),
        IdKey::Hmac(k) => crypto.hmac_sha256(host, k, plain),
    };
    if actual != *id.as_bytes() {
        return Err("it does not hash to its id".into());
    }
    Ok(())
}

/// Decodes a seal's result: the codec and the stored bytes.
pub fn seal_result(bytes: &[u8]) -> Result<(Codec, &[u8]), String> {
    let (&c, stored) = bytes.split_first().ok_or("an empty job result")?;
    Ok((
        Codec::from_byte(c).ok_or("a job result names an unknown codec")?,
        stored,
    ))
}

/// Decodes an open's result: the plaintext (empty when the job did not keep it), or why
/// the blob cannot be opened.
pub fn open_result(bytes: &[u8]) -> Result<Result<&[u8], String>, String> {
    match bytes.split_first() {
        Some((0, plain)) => Ok(Ok(plain)),
        Some((1, why)) => Ok(Err(String::from_utf8_lossy(why).into_owned())),
        _ => Err("a malformed job result".into()),
    }
}

/// Runs a whole framed batch on this instance: what a host's worker instance does with
/// its share of a batch, and what the engine does when its host runs no jobs.
pub fn run_batch<H: Host + ?Sized>(host: &H, crypto: &Crypto, batch: &[u8]) -> Result<Vec<u8>, String> {
    run_batch_after(host, crypto, batch, Vec::new())
}

/// [`run_batch`], writing the results after the bytes `head` holds (a reply's status
/// byte), so that they need no copy to be handed over.
pub fn run_batch_after<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    batch: &[u8],
    mut head: Vec<u8>,
) -> Result<Vec<u8>, String> {
    let jobs = unframe(batch)?
        .into_iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    head.reserve_exact(results_room(&jobs));
    let mut out = Batch::after(head);
    for job in &jobs {
        out.push_with(|buf| run_into(host, crypto, job, buf));
    }
    Ok(out.finish())
}

/// The id key of a repository: HMAC under its chunk-id key, or SHA-256 without one.
pub fn id_key(chunk_id: Option<&[u8; 32]>) -> IdKey<'_> {
    chunk_id.map_or(IdKey::Sha256, IdKey::Hmac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryHost;

    #[test]
    fn jobs_round_trip_through_their_encoding_and_run_as_the_engine_would() {
        let h = MemoryHost::new(1);
        let c = Crypto::software();
        let plain = b"a chunk, a chunk, a chunk, a chunk, a chunk".repeat(40);
        let key = [7u8; 32];
        for k in [
            None,
            Some(SealKey {
                key: &key,
                cipher: Cipher::XAes256Gcm,
            }),
        ] {
            let nonce = vec![3u8; k.map_or(0, |k| k.cipher.nonce_len())];
            let seal = Job::Seal {
                compression: Compression::default(),
                key: k,
                nonce: &nonce,
                plain: &plain,
            };
            let results = run_batch(&h, &c, &batch([seal])).unwrap();
            let (codec, stored) = seal_result(unframe(&results).unwrap()[0]).unwrap();
            let stored = stored.to_vec();
            let params = SealParams {
                compression: Compression::default(),
                key: k,
            };
            assert_eq!(
                (codec, stored.clone()),
                seal::seal_blob(&h, &c, &params, &nonce, &plain)
            );
            let hmac = [9u8; 32];
            let id_key = if k.is_some() {
                IdKey::Hmac(&hmac)
            } else {
                IdKey::Sha256
            };
            let id = BlobId::new(match id_key {
                IdKey::Sha256 => crate::crypto::soft_sha256(&plain),
                IdKey::Hmac(k) => crate::crypto::soft_hmac_sha256(k, &plain),
            });
            let open = |id, keep| Job::Open {
                keep,
                codec,
                key: k,
                id_key,
                id,
                raw_len: plain.len() as u32,
                stored: &stored,
            };
            let wrong = BlobId::new([0; 32]);
            let jobs = [
                open(id, true),
                open(wrong, true),
                open(id, false),
                open(wrong, false),
            ];
            let results = run_batch(&h, &c, &batch(jobs)).unwrap();
            let results = unframe(&results).unwrap();
            assert_eq!(open_result(results[0]).unwrap(), Ok(&plain[..]));
            assert!(open_result(results[1]).unwrap().unwrap_err().contains("hash"));
            assert_eq!(
                open_result(results[2]).unwrap(),
                Ok(&[][..]),
                "a check keeps no plaintext"
            );
            assert!(open_result(results[3]).unwrap().unwrap_err().contains("hash"));
        }
        assert!(decode(&[9]).is_err());
        assert!(run_batch(&h, &c, &frame(&[vec![9]])).is_err());
    }
}
