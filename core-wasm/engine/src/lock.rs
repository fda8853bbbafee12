//! Advisory locks in `locks/`: shared for ingest and restore, exclusive for maintenance.
//!
//! A lock is a file created with `put_new` under a random name, holding its owner (host,
//! pid, user), its operation and a heartbeat time. After creating its lock, a process lists
//! the others and backs off if any conflicts, so two processes racing for an exclusive lock
//! both back off rather than both proceeding. A lock whose heartbeat is older than
//! [`STALE_AFTER_MS`] is stale: it no longer blocks anyone, and maintenance may remove it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::{Host, StorageError};
use crate::layout;
use crate::repo::Repository;
use crate::seal::AAD_LOCK;
use crate::time;

/// How often a long operation rewrites its lock's heartbeat.
pub const HEARTBEAT_EVERY_MS: i64 = 5 * 60 * 1000;
/// Age of heartbeat after which a lock is stale.
pub const STALE_AFTER_MS: i64 = 30 * 60 * 1000;

/// Who runs the engine: recorded in locks so people can tell whose lock they see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Client {
    /// Host name.
    pub hostname: String,
    /// Process id on that host.
    pub pid: u32,
    /// User name.
    pub user: String,
}

/// The contents of a lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockInfo {
    /// Exclusive (maintenance) or shared (ingest, restore).
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

/// A lock this engine holds.
#[derive(Debug)]
pub struct HeldLock {
    key: String,
    info: LockInfo,
    last_beat_ms: i64,
}

impl LockInfo {
    fn describe(&self) -> String {
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

impl<H: Host + Clone> Repository<H> {
    /// Takes a lock, or fails with [`Error::RepositoryLocked`] naming the holder.
    pub fn acquire_lock(&self, exclusive: bool, operation: &str) -> Result<HeldLock> {
        let now = self.host().now_ms();
        let info = LockInfo {
            exclusive,
            operation: operation.to_string(),
            client: self.client().clone(),
            created_at: time::format_ms(now),
            heartbeat_at: time::format_ms(now),
        };
        let mut id = [0u8; 32];
        self.host().random(&mut id);
        let key = layout::lock_file(&id);
        let body = serde_json::to_vec(&info).map_err(|e| Error::Internal(e.to_string()))?;
        let stored = self.seal_doc(AAD_LOCK, &body);
        match self.host().put_new(&key, &stored) {
            Ok(()) => {}
            Err(StorageError::AlreadyExists) => {
                return Err(Error::Internal("random lock name collided".into()))
            }
            Err(e) => return Err(self.storage_error(&key, e)),
        }
        let held = HeldLock {
            key,
            info,
            last_beat_ms: now,
        };
        match self.conflicting_lock(&held) {
            Ok(None) => Ok(held),
            Ok(Some(holder)) => {
                self.release_lock(held)?;
                Err(Error::RepositoryLocked { holder })
            }
            Err(e) => {
                let _ = self.release_lock(held);
                Err(e)
            }
        }
    }

    /// Describes a live lock other than `mine` that conflicts with it, if any.
    fn conflicting_lock(&self, mine: &HeldLock) -> Result<Option<String>> {
        for (key, other) in self.locks()? {
            if key == mine.key {
                continue;
            }
            match other {
                // A lock we cannot read might be exclusive: treat it as such.
                None => return Ok(Some(format!("an unreadable lock file {key}"))),
                Some(o) => {
                    if !self.is_stale(&o) && (mine.info.exclusive || o.exclusive) {
                        return Ok(Some(o.describe()));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Every lock file, with its contents (`None` when it cannot be read).
    fn locks(&self) -> Result<Vec<(String, Option<LockInfo>)>> {
        let mut out = Vec::new();
        for key in self.list(layout::LOCKS)? {
            let Some(stored) = self.get_opt(&key)? else {
                continue;
            };
            let info = self
                .open_doc(AAD_LOCK, &stored)
                .ok()
                .and_then(|b| serde_json::from_slice::<LockInfo>(&b).ok());
            out.push((key, info));
        }
        Ok(out)
    }

    /// A lock is stale when its heartbeat is older than [`STALE_AFTER_MS`], or when its owner
    /// ran on this host and the host says that process is gone.
    fn is_stale(&self, lock: &LockInfo) -> bool {
        let now = self.host().now_ms();
        let old = time::parse_ms(&lock.heartbeat_at).map_or(true, |t| now - t > STALE_AFTER_MS);
        let here = !lock.client.hostname.is_empty() && lock.client.hostname == self.client().hostname;
        old || (here && self.host().process_alive(lock.client.pid) == Some(false))
    }

    /// Removes stale locks, or with `force` every lock (also live and unreadable ones);
    /// returns how many were removed.
    pub fn unlock(&self, force: bool) -> Result<u64> {
        let mut removed = 0;
        for (key, info) in self.locks()? {
            if force || info.is_some_and(|i| self.is_stale(&i)) {
                self.delete(&key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Rewrites the heartbeat if [`HEARTBEAT_EVERY_MS`] has passed since the last one.
    pub fn refresh_lock(&self, lock: &mut HeldLock) -> Result<()> {
        let now = self.host().now_ms();
        if now - lock.last_beat_ms < HEARTBEAT_EVERY_MS {
            return Ok(());
        }
        lock.info.heartbeat_at = time::format_ms(now);
        let body = serde_json::to_vec(&lock.info).map_err(|e| Error::Internal(e.to_string()))?;
        self.put(&lock.key, &self.seal_doc(AAD_LOCK, &body))?;
        lock.last_beat_ms = now;
        Ok(())
    }

    /// Removes a lock this engine holds.
    pub fn release_lock(&self, lock: HeldLock) -> Result<()> {
        self.delete(&lock.key)
    }
}

#[cfg(test)]
mod tests {
    use crate::memory::MemoryHost;
    use crate::repo::tests::{open_plain, plain_repo};
    use crate::repo::Repository;
    use crate::{layout, Error};

    #[test]
    fn shared_locks_coexist_and_exclusive_ones_do_not() {
        let host = MemoryHost::new(5);
        let a = plain_repo(&host);
        let b = open_plain(&host);
        let s1 = a.acquire_lock(false, "ingest").unwrap();
        let s2 = b.acquire_lock(false, "ingest").unwrap();
        let e = b.acquire_lock(true, "prune").unwrap_err();
        assert!(
            matches!(&e, Error::RepositoryLocked { holder } if holder.contains("ingest")),
            "{e}"
        );
        a.release_lock(s1).unwrap();
        b.release_lock(s2).unwrap();
        let x = b.acquire_lock(true, "prune").unwrap();
        assert!(matches!(
            a.acquire_lock(false, "ingest"),
            Err(Error::RepositoryLocked { .. })
        ));
        b.release_lock(x).unwrap();
        assert_eq!(
            host.list(layout::LOCKS).unwrap(),
            Vec::<String>::new(),
            "failed attempts leave no files"
        );
    }

    #[test]
    fn stale_locks_block_nobody_and_heartbeats_keep_locks_alive() {
        let host = MemoryHost::new(6);
        let a = plain_repo(&host);
        let mut held = a.acquire_lock(true, "prune").unwrap();
        host.set_now_ms(host.now_ms() + super::STALE_AFTER_MS - 1000);
        a.refresh_lock(&mut held).unwrap();
        host.set_now_ms(host.now_ms() + super::STALE_AFTER_MS - 1000);
        assert!(a.acquire_lock(false, "ingest").is_err(), "refreshed lock is live");
        host.set_now_ms(host.now_ms() + 2000);
        let s = a.acquire_lock(false, "ingest").expect("stale lock is ignored");
        a.release_lock(s).unwrap();
    }

    #[test]
    fn unlock_removes_stale_locks_and_those_of_dead_local_processes_and_force_removes_all() {
        let host = MemoryHost::new(8);
        let a = plain_repo(&host);
        let _live = a.acquire_lock(false, "ingest").unwrap();
        let mut other = a.client().clone();
        other.pid = 777;
        let b = Repository::open(host.clone(), None, other).unwrap();
        let _dead = b.acquire_lock(false, "ingest").unwrap();
        assert_eq!(a.unlock(false).unwrap(), 0, "all owners alive, heartbeats fresh");
        host.end_process(777);
        assert_eq!(a.unlock(false).unwrap(), 1, "the dead local owner's lock goes");
        host.set_now_ms(host.now_ms() + super::STALE_AFTER_MS + 1);
        let mut elsewhere = a.client().clone();
        elsewhere.hostname = "otherhost".into();
        elsewhere.pid = 777;
        let c = Repository::open(host.clone(), None, elsewhere).unwrap();
        let _remote = c.acquire_lock(false, "ingest").unwrap();
        host.set_object(&layout::lock_file(&[3; 32]), b"garbage".to_vec());
        assert_eq!(
            a.unlock(false).unwrap(),
            1,
            "the old heartbeat goes, the fresh remote one stays"
        );
        assert_eq!(
            a.unlock(true).unwrap(),
            2,
            "force removes the live and the unreadable lock"
        );
        assert!(host.list(layout::LOCKS).unwrap().is_empty());
    }

    #[test]
    fn an_unreadable_lock_is_treated_as_exclusive() {
        let host = MemoryHost::new(7);
        let a = plain_repo(&host);
        host.set_object(&layout::lock_file(&[3; 32]), b"garbage".to_vec());
        let e = a.acquire_lock(false, "ingest").unwrap_err();
        assert!(e.to_string().contains("unreadable"), "{e}");
    }

    use crate::host::{Host, Storage};
}
