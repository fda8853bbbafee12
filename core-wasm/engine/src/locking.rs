//! The locking protocol over `locks/` (docs/FORMAT.md §10): shared locks for ingest,
//! restore and verify, exclusive ones for maintenance.
//!
//! A process creates its lock file with `put_new` under a random name, then lists the
//! others and backs off if any live one conflicts, so two processes racing for an
//! exclusive lock both back off rather than both proceeding. A lock is stale when its
//! heartbeat is older than [`STALE_AFTER_MS`](crate::lockfile::STALE_AFTER_MS) or its owner
//! ran on this host and is gone; stale locks block nobody, and maintenance may remove them.
//! While a lock is held, the [`Store`] keeps its heartbeat fresh.

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::LockId;
use crate::layout::{Dir, StorageKey};
use crate::lockfile::LockInfo;
use crate::seal::AAD_LOCK;
use crate::store::Store;

/// A lock this engine holds: release it with [`release`].
#[derive(Debug)]
#[must_use = "a held lock must be released"]
pub struct HeldLock {
    /// `None` for the lock an operation that only reads did not need on read-only storage.
    id: Option<LockId>,
    exclusive: bool,
}

/// Takes a lock, or fails with [`Error::RepositoryLocked`] naming the holder.
pub fn acquire<H: Host>(store: &Store<H>, exclusive: bool, operation: &str) -> Result<HeldLock> {
    take(store, exclusive, operation, false)
}

/// Takes the shared lock of an operation that only reads (restore, verify). On read-only
/// storage (a repository served over HTTP) no lock can be written and none is taken: this
/// host cannot change the repository, and a writer elsewhere is not held off
/// (docs/FORMAT.md §10).
pub fn acquire_for_reading<H: Host>(store: &Store<H>, operation: &str) -> Result<HeldLock> {
    take(store, false, operation, true)
}

fn take<H: Host>(store: &Store<H>, exclusive: bool, operation: &str, reading: bool) -> Result<HeldLock> {
    let info = LockInfo::new(exclusive, operation, store.client().clone(), store.now_ms());
    let mut bytes = [0u8; 32];
    store.host().random(&mut bytes);
    let id = LockId::new(bytes);
    let stored = store.seal_doc(AAD_LOCK, &info.to_bytes()?);
    let key = StorageKey::Lock(id);
    let created = if reading {
        store.put_new_unless_read_only(&key, &stored)?
    } else {
        Some(store.put_new(&key, &stored)?)
    };
    match created {
        None => return Ok(HeldLock { id: None, exclusive }),
        Some(false) => return Err(Error::Internal("random lock name collided".into())),
        Some(true) => {}
    }
    store.hold(id, info);
    let held = HeldLock {
        id: Some(id),
        exclusive,
    };
    match conflicting(store, &held) {
        Ok(None) => Ok(held),
        Ok(Some(holder)) => {
            release(store, held)?;
            Err(Error::RepositoryLocked { holder })
        }
        Err(e) => {
            let _ = release(store, held);
            Err(e)
        }
    }
}

/// Runs `f` under a lock (exclusive or shared) taken for `operation`, and releases it
/// whatever `f` answers; `f`'s error is the one reported.
pub fn with_lock<H: Host, T>(
    store: &Store<H>,
    exclusive: bool,
    operation: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let lock = acquire(store, exclusive, operation)?;
    release_after(store, lock, f())
}

/// Releases `lock` once the work done under it has answered `result`: the work's error
/// is the one reported, then the release's.
pub fn release_after<H: Host, T>(store: &Store<H>, lock: HeldLock, result: Result<T>) -> Result<T> {
    let released = release(store, lock);
    let value = result?;
    released?;
    Ok(value)
}

/// Removes a lock this engine holds.
pub fn release<H: Host>(store: &Store<H>, lock: HeldLock) -> Result<()> {
    let Some(id) = lock.id else {
        return Ok(());
    };
    store.unhold(id);
    store.delete(&StorageKey::Lock(id))
}

/// Describes a live lock other than `mine` that conflicts with it, if any.
fn conflicting<H: Host>(store: &Store<H>, mine: &HeldLock) -> Result<Option<String>> {
    for (id, other) in locks(store)? {
        if Some(id) == mine.id {
            continue;
        }
        match other {
            // A lock we cannot read might be exclusive: treat it as such.
            None => return Ok(Some(format!("an unreadable lock file {}", StorageKey::Lock(id)))),
            Some(o) => {
                if !is_stale(store, &o) && (mine.exclusive || o.exclusive) {
                    return Ok(Some(o.describe()));
                }
            }
        }
    }
    Ok(None)
}

/// Every lock file, with its contents (`None` when it cannot be read).
fn locks<H: Host>(store: &Store<H>) -> Result<Vec<(LockId, Option<LockInfo>)>> {
    let mut out = Vec::new();
    let ids = store.list_ids(Dir::Locks, |k| match k {
        StorageKey::Lock(id) => Some(id),
        _ => None,
    })?;
    for id in ids {
        let Some(stored) = store.get_opt(&StorageKey::Lock(id))? else {
            continue;
        };
        let info = store
            .open_doc(AAD_LOCK, &stored)
            .ok()
            .and_then(|b| LockInfo::parse(&b));
        out.push((id, info));
    }
    Ok(out)
}

/// A lock is stale when its heartbeat has expired, or when its owner ran on this host and
/// the host says that process is gone.
fn is_stale<H: Host>(store: &Store<H>, lock: &LockInfo) -> bool {
    let mine = store.client();
    let here = !lock.client.hostname.is_empty() && lock.client.hostname == mine.hostname;
    lock.heartbeat_expired(store.now_ms())
        || (here && store.host().process_alive(lock.client.pid) == Some(false))
}

/// Removes stale locks, or with `force` every lock (also live and unreadable ones);
/// returns how many were removed.
pub fn unlock<H: Host>(store: &Store<H>, force: bool) -> Result<u64> {
    let mut removed = 0;
    for (id, info) in locks(store)? {
        if force || info.is_some_and(|i| is_stale(store, &i)) {
            store.delete(&StorageKey::Lock(id))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::{Client, HEARTBEAT_EVERY_MS, STALE_AFTER_MS};
    use crate::memory::MemoryHost;
    use crate::store::tests::plain_store;

    fn store_of(host: &MemoryHost, hostname: &str, pid: u32) -> Store<MemoryHost> {
        let s = plain_store(host);
        let client = Client {
            hostname: hostname.into(),
            pid,
            user: "tester".into(),
        };
        Store::new(host.clone(), *s.crypto(), s.config().clone(), None, client)
    }

    #[test]
    fn shared_locks_coexist_and_exclusive_ones_do_not() {
        let host = MemoryHost::new(5);
        let (a, b) = (store_of(&host, "h", 1), store_of(&host, "h", 2));
        let s1 = acquire(&a, false, "ingest").unwrap();
        let s2 = acquire(&b, false, "ingest").unwrap();
        let e = acquire(&b, true, "prune").unwrap_err();
        assert!(
            matches!(&e, Error::RepositoryLocked { holder } if holder.contains("ingest")),
            "{e}"
        );
        release(&a, s1).unwrap();
        release(&b, s2).unwrap();
        let x = acquire(&b, true, "prune").unwrap();
        assert!(matches!(
            acquire(&a, false, "ingest"),
            Err(Error::RepositoryLocked { .. })
        ));
        release(&b, x).unwrap();
        assert!(
            a.list(Dir::Locks).unwrap().is_empty(),
            "failed attempts leave no files"
        );
    }

    #[test]
    fn stale_locks_block_nobody_and_held_locks_stay_alive_while_used() {
        let host = MemoryHost::new(6);
        let (a, b) = (store_of(&host, "h", 1), store_of(&host, "other", 2));
        let held = acquire(&a, true, "prune").unwrap();
        // Two hours of work, touching storage every minute: the heartbeat stays fresh.
        for _ in 0..120 {
            host.set_now_ms(host.now_ms() + 60_000);
            a.get_opt(&StorageKey::Config).unwrap();
        }
        assert!(acquire(&b, false, "ingest").is_err(), "a lock in use is live");
        // Its holder stops touching storage (it hangs or died elsewhere): stale after 30 min.
        host.set_now_ms(host.now_ms() + STALE_AFTER_MS + HEARTBEAT_EVERY_MS);
        let s = acquire(&b, false, "ingest").expect("a stale lock is ignored");
        release(&b, s).unwrap();
        release(&a, held).unwrap();
    }

    #[test]
    fn unlock_removes_stale_locks_and_those_of_dead_local_processes_and_force_removes_all() {
        let host = MemoryHost::new(8);
        let a = store_of(&host, "testhost", 42);
        let _live = acquire(&a, false, "ingest").unwrap();
        let b = store_of(&host, "testhost", 777);
        let _dead = acquire(&b, false, "ingest").unwrap();
        assert_eq!(
            unlock(&a, false).unwrap(),
            0,
            "all owners alive, heartbeats fresh"
        );
        host.end_process(777);
        assert_eq!(unlock(&a, false).unwrap(), 1, "the dead local owner's lock goes");
        host.set_now_ms(host.now_ms() + STALE_AFTER_MS + 1);
        let c = store_of(&host, "otherhost", 777);
        let _remote = acquire(&c, false, "ingest").unwrap();
        host.set_object(&StorageKey::Lock([3; 32].into()).to_string(), b"garbage".to_vec());
        let fresh = store_of(&host, "testhost", 43);
        assert_eq!(
            unlock(&fresh, false).unwrap(),
            1,
            "the old heartbeat goes, the fresh remote one stays"
        );
        assert_eq!(
            unlock(&fresh, true).unwrap(),
            2,
            "force removes the live and the unreadable lock"
        );
        assert!(fresh.list(Dir::Locks).unwrap().is_empty());
    }

    #[test]
    fn an_unreadable_lock_is_treated_as_exclusive() {
        let host = MemoryHost::new(7);
        let a = store_of(&host, "h", 1);
        host.set_object(&StorageKey::Lock([3; 32].into()).to_string(), b"garbage".to_vec());
        let e = acquire(&a, false, "ingest").unwrap_err();
        assert!(e.to_string().contains("unreadable"), "{e}");
    }

    #[test]
    fn reading_read_only_storage_takes_no_lock_and_writing_it_fails() {
        let host = MemoryHost::new(9);
        let a = store_of(&host, "h", 1);
        host.set_read_only(true);
        let held = acquire_for_reading(&a, "restore").expect("no lock is needed to read");
        assert!(held.id.is_none());
        release(&a, held).unwrap();
        for exclusive in [false, true] {
            let e = acquire(&a, exclusive, "ingest").unwrap_err();
            assert!(e.to_string().contains("read-only"), "{e}");
        }
        host.set_read_only(false);
        let held = acquire_for_reading(&a, "restore").unwrap();
        assert_eq!(
            a.list(Dir::Locks).unwrap().len(),
            1,
            "writable storage gets its lock"
        );
        release(&a, held).unwrap();
    }
}
