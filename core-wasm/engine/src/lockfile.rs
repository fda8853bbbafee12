//! The contents of a lock file (docs/FORMAT.md §10) and who writes them.
//!
//! This is the format only; the locking protocol (create, check for conflicts, back off)
//! is in [`crate::locking`], and keeping a held lock's heartbeat fresh is the storage
//! layer's job ([`crate::store::Store`]), so that every operation holding a lock keeps it
//! alive without calling anything.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time;

/// How often a lock holder rewrites its lock's heartbeat.
pub const HEARTBEAT_EVERY_MS: i64 = 5 * 60 * 1000;
/// Age of heartbeat after which a lock is stale.
pub const STALE_AFTER_MS: i64 = 30 * 60 * 1000;
/// The user recorded when the host cannot tell who runs the engine.
pub const UNKNOWN_USER: &str = "unknown";

/// Who runs the engine: recorded in locks so people can tell whose lock they see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase", default)]
pub struct Client {
    /// Host name.
    pub hostname: String,
    /// Process id on that host.
    pub pid: u32,
    /// User name ([`UNKNOWN_USER`] when the host cannot tell).
    pub user: String,
}

/// The contents of a lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockInfo {
    /// Exclusive (maintenance) or shared (ingest, restore, verify).
    pub exclusive: bool,
    /// The operation holding it.
    pub operation: String,
    /// The owner.
    #[serde(flatten)]
    pub client: Client,
    /// When it was taken.
    pub created_at: String,
    /// When the owner last said it is alive.
    pub heartbeat_at: String,
}

impl LockInfo {
    /// A fresh lock of `client` for `operation`, taken at `now_ms`.
    pub fn new(exclusive: bool, operation: &str, client: Client, now_ms: i64) -> LockInfo {
        LockInfo {
            exclusive,
            operation: operation.to_string(),
            client,
            created_at: time::format_ms(now_ms),
            heartbeat_at: time::format_ms(now_ms),
        }
    }

    /// The plaintext of the lock file (sealed by the caller).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::Internal(format!("lock file: {e}")))
    }

    /// Parses the plaintext of a lock file; `None` when it is not one.
    pub fn parse(plain: &[u8]) -> Option<LockInfo> {
        serde_json::from_slice(plain).ok()
    }

    /// True when the heartbeat is older than [`STALE_AFTER_MS`] at `now_ms` (or unreadable).
    pub fn heartbeat_expired(&self, now_ms: i64) -> bool {
        time::parse_ms(&self.heartbeat_at).map_or(true, |t| now_ms - t > STALE_AFTER_MS)
    }

    /// Who holds it, for messages: operation, kind, owner and last heartbeat.
    pub fn describe(&self) -> String {
        format!(
            "{} ({} lock) of {}@{} pid {}, alive at {}",
            self.operation,
            if self.exclusive { "exclusive" } else { "shared" },
            self.client.user,
            self.client.hostname,
            self.client.pid,
            self.heartbeat_at
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_round_trip_with_flat_owner_fields() {
        let c = Client {
            hostname: "db-1".into(),
            pid: 42,
            user: "postgres".into(),
        };
        let l = LockInfo::new(true, "prune", c, 1_767_225_600_000);
        let bytes = l.to_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["hostname"], "db-1");
        assert_eq!(v["heartbeatAt"], "2026-01-01T00:00:00.000Z");
        assert_eq!(LockInfo::parse(&bytes), Some(l.clone()));
        assert!(LockInfo::parse(b"garbage").is_none());
        assert!(!l.heartbeat_expired(1_767_225_600_000 + STALE_AFTER_MS));
        assert!(l.heartbeat_expired(1_767_225_600_001 + STALE_AFTER_MS));
        assert!(l.describe().contains("exclusive lock) of postgres@db-1 pid 42"));
    }
}
