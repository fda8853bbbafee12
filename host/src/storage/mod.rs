//! The storages a repository location names ([`crate::location`]), each implementing the
//! engine's [`Storage`] contract (docs/DESIGN.md §2, §22) and proven against its
//! conformance suite (`cairn_core::conformance`, run by host/tests/storage_*.rs).

pub mod ahead;
pub mod fs;
pub mod http;
pub mod s3;

use std::sync::Arc;
use std::time::Duration;

use cairn_core::host::{Planned, Storage, StorageError};
use cairn_core::layout;
use opendal::Buffer;

/// A storage shared by the engine's instance and the threads that write behind it.
pub type SharedStorage = Arc<dyn Storage + Send + Sync>;

/// A storage that [`ahead::ReadAhead`] fetches ahead from. It may answer a read in the
/// pieces its response arrived in, so that each announced read a merged fetch answers is
/// copied once, straight out of them, and the fetch as a whole never is (docs/DESIGN.md
/// §32): an S3 response comes as many buffers, and joining them cost a copy of every byte
/// restored, with the page faults of a fresh 16 MiB allocation per pack.
pub trait Far: Storage + Send + Sync {
    /// The bytes `read` asks for, as [`Storage::get`] or [`Storage::get_range`] would
    /// answer them; by default those answers, in one piece.
    fn fetch(&self, read: &Planned) -> Result<Buffer, StorageError> {
        match read {
            Planned::Get { key, .. } => self.get(key),
            Planned::Range { key, offset, len } => self.get_range(key, *offset, *len),
        }
        .map(Buffer::from)
    }
}

/// How long to wait for a connection before trying again.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take in all (a pack is tens of MiB at most).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one step of a request's body (S3) may take.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts of a request that failed transiently (a refused or dropped connection, a
/// time-out, throttling, a 5xx answer), the first included.
pub const ATTEMPTS: u32 = 4;
/// The wait before the second attempt; it doubles for each later one.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// What the environment variable names that lowers [`ATTEMPTS`] for tests of failure.
pub const ATTEMPTS_ENV: &str = "CAIRN_STORAGE_ATTEMPTS";

/// What the environment variable names that shortens every time-out to its number of
/// seconds, for tests of failure (a request that stalls fails in seconds, not minutes).
pub const TIMEOUT_ENV: &str = "CAIRN_STORAGE_TIMEOUT";

/// The attempts to make: [`ATTEMPTS`], or fewer (at least 1) from [`ATTEMPTS_ENV`].
pub fn attempts() -> u32 {
    std::env::var(ATTEMPTS_ENV)
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(ATTEMPTS, |n| n.clamp(1, ATTEMPTS))
}

/// `limit`, or less (at least 1 s) from [`TIMEOUT_ENV`]: the environment can only shorten
/// a time-out.
pub fn timeout(limit: Duration) -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(limit, |s| limit.min(Duration::from_secs(s.max(1))))
}

/// The wait before attempt `n` (counting from 0 for the first retry): doubling from
/// [`FIRST_BACKOFF`], with up to a quarter more at random so that clients spread out.
pub fn backoff(n: u32) -> Duration {
    let base = FIRST_BACKOFF * 2u32.saturating_pow(n.min(10));
    let mut r = [0u8; 2];
    let _ = getrandom::fill(&mut r);
    base + base.mul_f64(f64::from(u16::from_le_bytes(r)) / f64::from(u16::MAX) / 4.0)
}

/// `key`, if it is in the repository grammar ([`layout::validate_key`]); checked before any
/// request, so nothing outside the repository is ever asked for.
pub fn checked(key: &str) -> Result<&str, StorageError> {
    if layout::validate_key(key) {
        Ok(key)
    } else {
        Err(StorageError::InvalidKey)
    }
}
