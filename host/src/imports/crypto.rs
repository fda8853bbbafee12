//! The accelerated intrinsics among the module's imports (docs/DESIGN.md §4): SHA-256,
//! HMAC-SHA-256 and AES-256-GCM computed natively (SHA-NI and AES-NI where the CPU has
//! them), Argon2id, and the engine's own zstd encoder compiled natively.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wasmtime::{Caller, Linker, Result};

use super::{bytes, range, split, HostState, IMPORT_MODULE};

/// The accelerated intrinsics, computed natively: the crypto ones (SHA-NI and AES-NI where
/// the CPU has them), Argon2id and the engine's zstd encoder.
pub(super) fn add_crypto(linker: &mut Linker<HostState>) -> Result<()> {
    let m = IMPORT_MODULE;
    linker.func_wrap(
        m,
        "sha256",
        |mut c: Caller<'_, HostState>, dp: i32, dl: i32, op: i32| -> Result<i32> {
            let (mem, _) = split(&mut c)?;
            let digest = Sha256::digest(bytes(mem, dp, dl)?);
            let out = range(mem, op, 32)?;
            mem[out].copy_from_slice(&digest);
            Ok(1)
        },
    )?;
    linker.func_wrap(
        m,
        "hmac_sha256",
        |mut c: Caller<'_, HostState>, kp: i32, kl: i32, dp: i32, dl: i32, op: i32| -> Result<i32> {
            let (mem, _) = split(&mut c)?;
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(bytes(mem, kp, kl)?)
                .map_err(|_| wasmtime::format_err!("HMAC refused its key"))?;
            mac.update(bytes(mem, dp, dl)?);
            let tag = mac.finalize().into_bytes();
            let out = range(mem, op, 32)?;
            mem[out].copy_from_slice(&tag);
            Ok(1)
        },
    )?;
    linker.func_wrap(
        m,
        "argon2id",
        |mut c: Caller<'_, HostState>,
         pp: i32,
         pl: i32,
         sp: i32,
         sl: i32,
         memory_kib: u32,
         iterations: u32,
         parallelism: u32,
         op: i32|
         -> Result<i32> {
            let (mem, _) = split(&mut c)?;
            // The engine's own Argon2id, compiled natively here.
            let params = cairn_core::kdf::KdfParams {
                memory_ki_b: memory_kib,
                iterations,
                parallelism,
            };
            let Ok(key) = cairn_core::kdf::argon2id(bytes(mem, pp, pl)?, bytes(mem, sp, sl)?, &params) else {
                return Ok(0);
            };
            let out = range(mem, op, 32)?;
            mem[out].copy_from_slice(&key);
            Ok(1)
        },
    )?;
    linker.func_wrap(
        m,
        "zstd_compress",
        |mut c: Caller<'_, HostState>, level: u32, dp: i32, dl: i32, op: i32, cap: i32| -> Result<i64> {
            if !(1..=cairn_core::codec::MAX_ZSTD_LEVEL).contains(&level) {
                return Ok(-1);
            }
            let (mem, _) = split(&mut c)?;
            // The engine's own encoder, compiled natively here: the same frames, faster.
            match cairn_core::codec::zstd_frame(level, bytes(mem, dp, dl)?) {
                Some(frame) if frame.len() <= cap as u32 as usize => {
                    let out = range(mem, op, frame.len())?;
                    mem[out].copy_from_slice(&frame);
                    Ok(frame.len() as i64)
                }
                _ => Ok(-2),
            }
        },
    )?;
    linker.func_wrap(
        m,
        "aes256gcm_seal",
        |mut c: Caller<'_, HostState>,
         kp: i32,
         np: i32,
         ap: i32,
         al: i32,
         dp: i32,
         dl: i32,
         op: i32|
         -> Result<i32> {
            let (mem, _) = split(&mut c)?;
            let (cipher, nonce, aad) = aes_setup(mem, kp, np, ap, al)?;
            let data = range(mem, dp, dl as u32 as usize)?;
            let len = data.len();
            let out = range(mem, op, len + TAG_LEN)?;
            // Seal in place in the output buffer: copy the plaintext there, encrypt, append the tag.
            mem.copy_within(data, out.start);
            let (body, tag_out) = mem[out].split_at_mut(len);
            let tag = cipher
                .encrypt_inout_detached(&nonce, &aad, body.into())
                .map_err(|_| wasmtime::format_err!("AES-GCM refused the message (too long)"))?;
            tag_out.copy_from_slice(&tag);
            Ok(1)
        },
    )?;
    linker.func_wrap(
        m,
        "aes256gcm_open",
        |mut c: Caller<'_, HostState>,
         kp: i32,
         np: i32,
         ap: i32,
         al: i32,
         dp: i32,
         dl: i32,
         op: i32|
         -> Result<i32> {
            let (mem, _) = split(&mut c)?;
            let (cipher, nonce, aad) = aes_setup(mem, kp, np, ap, al)?;
            let data = range(mem, dp, dl as u32 as usize)?;
            let Some(len) = data.len().checked_sub(TAG_LEN) else {
                return Ok(-1);
            };
            let tag = Tag::try_from(&mem[data.start + len..data.end]).expect("a 16-byte range");
            let out = range(mem, op, len)?;
            // Open in place in the output buffer; on failure leave no unauthenticated plaintext there.
            mem.copy_within(data.start..data.start + len, out.start);
            match cipher.decrypt_inout_detached(&nonce, &aad, (&mut mem[out.clone()]).into(), &tag) {
                Ok(()) => Ok(1),
                Err(_) => {
                    mem[out].fill(0);
                    Ok(-1)
                }
            }
        },
    )?;
    Ok(())
}

/// Bytes of an AES-256-GCM tag.
const TAG_LEN: usize = 16;

/// The cipher under the 32-byte key at `kp`, the 12-byte nonce at `np`, and a copy of the
/// associated data (it may overlap the buffer being sealed in place).
fn aes_setup(mem: &[u8], kp: i32, np: i32, ap: i32, al: i32) -> Result<(Aes256Gcm, Nonce<U12>, Vec<u8>)> {
    let cipher = Aes256Gcm::new_from_slice(bytes(mem, kp, 32)?).expect("a 32-byte key");
    let nonce = Nonce::try_from(bytes(mem, np, 12)?).expect("a 12-byte nonce");
    Ok((cipher, nonce, bytes(mem, ap, al)?.to_vec()))
}
