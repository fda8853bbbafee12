//! A fault-injecting [`Host`] for tests: a [`MemoryHost`] whose storage can be made to
//! crash after a number of changes (as if the process were killed right there) or to run
//! out of space after a number of bytes (a full disk).
//!
//! One host serves every fault campaign, so crash tests and full-disk tests exercise the
//! same delegation to the store underneath.

use std::cell::Cell;
use std::rc::Rc;

use crate::host::{Host, Storage, StorageError};
use crate::memory::MemoryHost;

/// The faults in force, shared by every clone.
struct Faults {
    /// Storage changes (put, put_new, delete) left before the crash.
    changes_left: Cell<u64>,
    /// Storage changes made since the last [`FaultyHost::crash_after`].
    changes: Cell<u64>,
    /// Bytes that may still be written before the disk is full.
    space_left: Cell<u64>,
}

/// A [`MemoryHost`] with injectable crashes and a disk that can fill up.
#[derive(Clone)]
pub struct FaultyHost {
    inner: MemoryHost,
    faults: Rc<Faults>,
}

/// The message a full disk gives, as Linux words it.
pub const NO_SPACE: &str = "No space left on device (os error 28)";
/// The message every storage call gives after the crash.
pub const KILLED: &str = "the process was killed";

impl FaultyHost {
    /// A host over `inner`'s store with no faults in force.
    pub fn new(inner: &MemoryHost) -> Self {
        FaultyHost {
            inner: inner.clone(),
            faults: Rc::new(Faults {
                changes_left: Cell::new(u64::MAX),
                changes: Cell::new(0),
                space_left: Cell::new(u64::MAX),
            }),
        }
    }

    /// Crashes at the storage change after the next `changes` ones: that change and every
    /// later storage call fail. Resets the count of changes made.
    pub fn crash_after(&self, changes: u64) {
        self.faults.changes_left.set(changes);
        self.faults.changes.set(0);
    }

    /// Lets `bytes` more bytes be written; writes beyond fail as on a full disk.
    pub fn disk_space(&self, bytes: u64) {
        self.faults.space_left.set(bytes);
    }

    /// Removes every fault.
    pub fn heal(&self) {
        self.faults.changes_left.set(u64::MAX);
        self.faults.space_left.set(u64::MAX);
    }

    /// Storage changes made since the last [`FaultyHost::crash_after`].
    pub fn changes(&self) -> u64 {
        self.faults.changes.get()
    }

    /// The store underneath, to inspect or to use without faults.
    pub fn memory(&self) -> &MemoryHost {
        &self.inner
    }

    fn alive(&self) -> Result<(), StorageError> {
        match self.faults.changes_left.get() {
            0 => Err(StorageError::Io(KILLED.into())),
            _ => Ok(()),
        }
    }

    fn change(&self, bytes: usize) -> Result<(), StorageError> {
        self.alive()?;
        let f = &self.faults;
        let Some(left) = f.space_left.get().checked_sub(bytes as u64) else {
            return Err(StorageError::Io(NO_SPACE.into()));
        };
        f.space_left.set(left);
        f.changes_left.set(f.changes_left.get() - 1);
        f.changes.set(f.changes.get() + 1);
        Ok(())
    }
}

impl Storage for FaultyHost {
    fn get(&self, k: &str) -> Result<Vec<u8>, StorageError> {
        self.alive()?;
        self.inner.get(k)
    }
    fn get_range(&self, k: &str, o: u64, l: u64) -> Result<Vec<u8>, StorageError> {
        self.alive()?;
        self.inner.get_range(k, o, l)
    }
    fn put(&self, k: &str, d: &[u8]) -> Result<(), StorageError> {
        self.change(d.len())?;
        self.inner.put(k, d)
    }
    fn put_new(&self, k: &str, d: &[u8]) -> Result<(), StorageError> {
        self.change(d.len())?;
        self.inner.put_new(k, d)
    }
    fn list(&self, p: &str) -> Result<Vec<String>, StorageError> {
        self.alive()?;
        self.inner.list(p)
    }
    fn delete(&self, k: &str) -> Result<(), StorageError> {
        self.change(0)?;
        self.inner.delete(k)
    }
}

impl Host for FaultyHost {
    fn random(&self, b: &mut [u8]) {
        self.inner.random(b)
    }
    fn now_ms(&self) -> i64 {
        self.inner.now_ms()
    }
    fn event(&self, n: &str, p: &str) {
        self.inner.event(n, p)
    }
    fn process_alive(&self, pid: u32) -> Option<bool> {
        self.inner.process_alive(pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "snapshots/0000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn crashes_stop_everything_and_a_full_disk_stops_writes_only() {
        let mem = MemoryHost::new(1);
        let h = FaultyHost::new(&mem);
        h.crash_after(1);
        h.put(KEY, b"a").unwrap();
        assert_eq!(h.changes(), 1);
        assert_eq!(h.put(KEY, b"b"), Err(StorageError::Io(KILLED.into())));
        assert_eq!(
            h.get(KEY),
            Err(StorageError::Io(KILLED.into())),
            "reads fail too after the crash"
        );
        h.heal();
        assert_eq!(h.get(KEY).unwrap(), b"a");
        h.disk_space(3);
        assert_eq!(h.put(KEY, b"four"), Err(StorageError::Io(NO_SPACE.into())));
        h.put(KEY, b"abc").unwrap();
        assert_eq!(h.get(KEY).unwrap(), b"abc", "reads work on a full disk");
        h.delete(KEY).unwrap();
        assert!(mem.keys().is_empty());
    }
}
