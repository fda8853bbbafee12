//! Restore: a snapshot, or one of its items, back out as a stream of blocks.
//!
//! The host pulls blocks with [`RestoreSession::read`]; each is one chunk, read from its
//! pack, opened and checked against its id. Memory holds one chunk-list piece and one
//! chunk at a time, whatever the snapshot's size. The session holds a shared lock, which
//! the storage layer keeps alive however long the reader takes.

use std::collections::VecDeque;

use crate::blobs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::{BlobId, SnapshotId};
use crate::index::Index;
use crate::locking::{self, HeldLock};
use crate::segments;
use crate::snapshots;
use crate::store::Store;

/// A restore in progress.
pub struct RestoreSession {
    snapshot_id: SnapshotId,
    size: u64,
    lock: Option<HeldLock>,
    lists: VecDeque<BlobId>,
    current: Vec<(BlobId, u32)>,
    pos: usize,
}

impl RestoreSession {
    /// Starts restoring a snapshot (full id, unique prefix or `latest`), or one item of it.
    pub fn begin<H: Host>(
        store: &Store<H>,
        index: &mut Index,
        wanted: &str,
        item: Option<&str>,
    ) -> Result<RestoreSession> {
        let id = snapshots::resolve(store, wanted)?;
        let manifest = snapshots::load(store, id)?;
        let items: Vec<_> = match item {
            None => manifest.items.iter().collect(),
            Some(name) => {
                let found: Vec<_> = manifest.items.iter().filter(|i| i.item.name == name).collect();
                if found.is_empty() {
                    let names: Vec<&str> = manifest.items.iter().map(|i| i.item.name.as_str()).collect();
                    return Err(Error::ItemNotFound {
                        snapshot: id.to_hex(),
                        item: name.to_string(),
                        available: names.join(", "),
                    });
                }
                found
            }
        };
        let lists = items.iter().flat_map(|i| i.lists.iter().copied()).collect();
        let size = items.iter().map(|i| i.item.size).sum();
        segments::refresh(store, index)?;
        let lock = locking::acquire(store, false, "restore")?;
        Ok(RestoreSession {
            snapshot_id: id,
            size,
            lock: Some(lock),
            lists,
            current: Vec::new(),
            pos: 0,
        })
    }

    /// The snapshot being restored.
    pub fn snapshot_id(&self) -> SnapshotId {
        self.snapshot_id
    }

    /// Bytes the restore will produce.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next block; empty at the end (the lock is released then).
    pub fn read<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Vec<u8>> {
        loop {
            if let Some(&(id, len)) = self.current.get(self.pos) {
                self.pos += 1;
                let data = blobs::read(store, index, &id)?;
                if data.len() != len as usize {
                    return Err(Error::CorruptSnapshot {
                        file: id.to_hex(),
                        detail: format!("chunk list says {len} bytes, chunk has {}", data.len()),
                    });
                }
                return Ok(data);
            }
            match self.lists.pop_front() {
                Some(list) => {
                    self.current = blobs::read_list(store, index, &list)?;
                    self.pos = 0;
                }
                None => {
                    if let Some(lock) = self.lock.take() {
                        locking::release(store, lock)?;
                    }
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Ends a restore early (or after the end): releases its lock.
    pub fn end<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        match self.lock.take() {
            Some(lock) => locking::release(store, lock),
            None => Ok(()),
        }
    }
}
