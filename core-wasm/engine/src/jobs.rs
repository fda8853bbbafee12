//! Jobs: the pure, independent pieces of work that can run on several module instances
//! at once (docs/DESIGN.md §5, §18): sealing a blob (compress, encrypt) and opening one
//! (decrypt, decompress, check its id).
//!
//! A job carries everything it needs, keys included, and its result depends on nothing
//! else, so a host may run a batch of them on other instances of the same module, in
//! threads or workers, and hand the results back in order ([`crate::host::Host::submit_jobs`]).
//! The batch and result encodings are defined here, once, for the engine that sends a
//! batch and the instances that run its jobs ([`run`]).
//!
//! A batch is `count (u32) || count × (len (u32) || job)`, results likewise, all
//! little-endian. Hosts only split and join batches; they never look inside a job.

use crate::codec::{Codec, CodecName, Compression};
use crate::crypto::Crypto;
use crate::host::Host;
use crate::ids::BlobId;
use crate::seal::{self, Cipher, SealKey, SealParams};

const SEAL: u8 = 1;
const OPEN: u8 = 2;

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

/// Encodes a job.
pub fn encode(job: &Job<'_>) -> Vec<u8> {
    let mut out = Vec::new();
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
            put_key(&mut out, *key);
            out.extend_from_slice(nonce);
            out.extend_from_slice(plain);
        }
        Job::Open {
            codec,
            key,
            id_key,
            id,
            raw_len,
            stored,
        } => {
            out.reserve(stored.len() + 128);
            out.push(OPEN);
            out.push(*codec as u8);
            put_key(&mut out, *key);
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
    out
}

/// Reads a job's fields in order.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("a job is truncated".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn key32(&mut self) -> Result<&'a [u8; 32], String> {
        Ok(self.take(32)?.try_into().expect("32 bytes"))
    }
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
        OPEN => {
            let codec = Codec::from_byte(r.byte()?).ok_or("a job names an unknown codec")?;
            let key = r.seal_key()?;
            let id_key = match r.byte()? {
                0 => IdKey::Sha256,
                _ => IdKey::Hmac(r.key32()?),
            };
            let id = BlobId::new(*r.key32()?);
            let raw_len = r.u32()?;
            Ok(Job::Open {
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

/// Runs one job; its result bytes. A seal gives `codec byte || stored bytes`; an open
/// gives `0 || plaintext`, or `1 || why` when the blob cannot be opened or is not `id`.
pub fn run<H: Host + ?Sized>(host: &H, crypto: &Crypto, job: &Job<'_>) -> Vec<u8> {
    match *job {
        Job::Seal {
            compression,
            key,
            nonce,
            plain,
        } => {
            let (codec, stored) =
                seal::seal_blob(host, crypto, &SealParams { compression, key }, nonce, plain);
            let mut out = Vec::with_capacity(stored.len() + 1);
            out.push(codec as u8);
            out.extend_from_slice(&stored);
            out
        }
        Job::Open {
            codec,
            key,
            id_key,
            id,
            raw_len,
            stored,
        } => match open(host, crypto, codec, key, id_key, id, raw_len, stored) {
            Ok(mut plain) => {
                plain.insert(0, 0);
                plain
            }
            Err(why) => {
                let mut out = vec![1];
                out.extend_from_slice(why.as_bytes());
                out
            }
        },
    }
}

#[allow(clippy::too_many_arguments)]
fn open<H: Host + ?Sized>(
    host: &H,
    crypto: &Crypto,
    codec: Codec,
    key: Option<SealKey<'_>>,
    id_key: IdKey<'_>,
    id: BlobId,
    raw_len: u32,
    stored: &[u8],
) -> Result<Vec<u8>, String> {
    let plain = seal::open_blob(host, crypto, key, codec, raw_len as usize, stored)?;
    let actual = match id_key {
        IdKey::Sha256 => crypto.sha256(host, &plain),
        IdKey::Hmac(k) => crypto.hmac_sha256(host, k, &plain),
    };
    if actual != *id.as_bytes() {
        return Err("it does not hash to its id".into());
    }
    Ok(plain)
}

/// Decodes a seal's result.
pub fn seal_result(bytes: &[u8]) -> Result<(Codec, Vec<u8>), String> {
    let (&c, stored) = bytes.split_first().ok_or("an empty job result")?;
    Ok((
        Codec::from_byte(c).ok_or("a job result names an unknown codec")?,
        stored.to_vec(),
    ))
}

/// Decodes an open's result: the plaintext, or why the blob cannot be opened.
pub fn open_result(bytes: &[u8]) -> Result<Result<Vec<u8>, String>, String> {
    match bytes.split_first() {
        Some((0, plain)) => Ok(Ok(plain.to_vec())),
        Some((1, why)) => Ok(Err(String::from_utf8_lossy(why).into_owned())),
        _ => Err("a malformed job result".into()),
    }
}

/// Frames items as a batch (or a batch's results): count, then each with its length.
pub fn frame(items: &[Vec<u8>]) -> Vec<u8> {
    let total: usize = items.iter().map(|i| i.len() + 4).sum();
    let mut out = Vec::with_capacity(total + 4);
    out.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for i in items {
        out.extend_from_slice(&(i.len() as u32).to_le_bytes());
        out.extend_from_slice(i);
    }
    out
}

/// Splits a batch (or its results) into its items.
pub fn unframe(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut r = Reader(bytes);
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(bytes.len() / 4));
    for _ in 0..n {
        let len = r.u32()? as usize;
        out.push(r.take(len)?);
    }
    if !r.0.is_empty() {
        return Err("trailing bytes after a batch".into());
    }
    Ok(out)
}

/// Splits a framed batch into at most `n` framed shares of consecutive jobs, as even as
/// the count allows, each with one copy: how a host hands a batch to its workers, whose
/// results [`join`] puts back in order.
pub fn split(batch: &[u8], n: usize) -> Result<Vec<Vec<u8>>, String> {
    let items = unframe(batch)?;
    let per = items.len().div_ceil(n.max(1)).max(1);
    Ok(items.chunks(per).map(|share| reframe(batch, share)).collect())
}

/// A batch of the consecutive items `share` of the framed `batch` (slices of it, as
/// [`unframe`] gives them), with one copy.
fn reframe(batch: &[u8], share: &[&[u8]]) -> Vec<u8> {
    let (Some(first), Some(last)) = (share.first(), share.last()) else {
        return frame(&[]);
    };
    // The items lie back to back in `batch`, each after its 4-byte length.
    let start = first.as_ptr() as usize - batch.as_ptr() as usize - 4;
    let end = last.as_ptr() as usize - batch.as_ptr() as usize + last.len();
    let mut out = Vec::with_capacity(end - start + 4);
    out.extend_from_slice(&(share.len() as u32).to_le_bytes());
    out.extend_from_slice(&batch[start..end]);
    out
}

/// Joins framed results of consecutive shares into the results of the whole batch, with
/// one copy.
pub fn join(shares: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let mut count = 0u32;
    let mut len = 4;
    for s in shares {
        count += Reader(s).u32()?;
        len += s.len() - 4;
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&count.to_le_bytes());
    for s in shares {
        out.extend_from_slice(&s[4..]);
    }
    Ok(out)
}

/// Runs a whole framed batch on this instance: what a host's worker instance does with
/// its share of a batch, and what the engine does when its host runs no jobs.
pub fn run_batch<H: Host + ?Sized>(host: &H, crypto: &Crypto, batch: &[u8]) -> Result<Vec<u8>, String> {
    let results: Result<Vec<Vec<u8>>, String> = unframe(batch)?
        .into_iter()
        .map(|j| decode(j).map(|job| run(host, crypto, &job)))
        .collect();
    Ok(frame(&results?))
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
            let (codec, stored) = seal_result(&run(&h, &c, &decode(&encode(&seal)).unwrap())).unwrap();
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
            let open = |id| Job::Open {
                codec,
                key: k,
                id_key,
                id,
                raw_len: plain.len() as u32,
                stored: &stored,
            };
            let batch = frame(&[encode(&open(id)), encode(&open(BlobId::new([0; 32])))]);
            let results = run_batch(&h, &c, &batch).unwrap();
            let results = unframe(&results).unwrap();
            assert_eq!(open_result(results[0]).unwrap(), Ok(plain.clone()));
            assert!(open_result(results[1]).unwrap().unwrap_err().contains("hash"));
        }
        let batch = frame(&[vec![1], vec![2, 2], vec![3, 3, 3]]);
        let shares = split(&batch, 2).unwrap();
        assert_eq!(unframe(&shares[0]).unwrap(), [&[1u8][..], &[2, 2]]);
        assert_eq!(unframe(&shares[1]).unwrap(), [&[3u8, 3, 3][..]]);
        assert_eq!(join(&shares).unwrap(), batch, "split and joined again");
        assert_eq!(split(&batch, 5).unwrap().len(), 3, "never an empty share");
        assert_eq!(join(&split(&frame(&[]), 2).unwrap()).unwrap(), frame(&[]));
        assert!(decode(&[9]).is_err());
        assert!(unframe(&[1, 0, 0, 0, 5, 0, 0, 0]).is_err());
    }
}
