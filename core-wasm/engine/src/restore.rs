//! Restore: a snapshot, or one of its items, back out as a stream of blocks.
//!
//! The host pulls blocks with [`RestoreSession::read`]; each is one chunk, read from its
//! pack, opened and checked against its id. Chunks are read ahead in batches of up to
//! [`BATCH_BYTES`], so that chunks lying back to back in a pack come in one storage call
//! and are opened in parallel when the host runs jobs; memory holds one chunk-list piece
//! and one batch, whatever the snapshot's size. The session holds a shared lock, which the
//! storage layer keeps alive however long the reader takes.
//!
//! Each item's lists are checked against its manifest entry as they are read
//! ([`ItemTally`]): a list too many, a chunk too long or a total beyond the declared size
//! stops the restore with `CorruptSnapshot` before the bytes it would add are handed out.

use std::collections::VecDeque;

use crate::parallel;

use crate::blobs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::{BlobId, SnapshotId};
use crate::index::Index;
use crate::layout::StorageKey;
use crate::locking::{self, HeldLock};
use crate::manifest::ItemTally;
use crate::segments;
use crate::snapshots;
use crate::store::Store;

/// A restore in progress.
pub struct RestoreSession {
    snapshot_id: SnapshotId,
    size: u64,
    lock: Option<HeldLock>,
    /// Items not started yet.
    items: VecDeque<ItemPlan>,
    /// The item whose lists are being read.
    item: Option<ItemPlan>,
    current: Vec<(BlobId, u32)>,
    pos: usize,
    /// Chunks read ahead, in order.
    ready: VecDeque<Vec<u8>>,
    /// The next batch, being opened while the reader takes `ready`, with its list entries.
    in_flight: Option<(blobs::Reading, Vec<(BlobId, u32)>)>,
}

/// One item to restore: its lists, and the tally that checks them against its manifest entry.
struct ItemPlan {
    tally: ItemTally,
    lists: VecDeque<BlobId>,
}

/// Plaintext bytes read ahead at most (and at least one chunk).
pub const BATCH_BYTES: u64 = 8 << 20;
/// Chunks read ahead per module instance the host runs jobs on.
pub const BATCH_CHUNKS_PER_THREAD: usize = 8;

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
        let corrupt = |detail: String| Error::CorruptSnapshot {
            file: StorageKey::Snapshot(id).to_string(),
            detail,
        };
        manifest.check_counts().map_err(corrupt)?;
        let max_chunk = store.config().chunking.max;
        let mut plans = VecDeque::with_capacity(items.len());
        let mut size = 0u64;
        for i in &items {
            plans.push_back(ItemPlan {
                tally: ItemTally::new(i, max_chunk).map_err(corrupt)?,
                lists: i.lists.iter().copied().collect(),
            });
            size = size
                .checked_add(i.item.size)
                .ok_or_else(|| corrupt("sizes overflow".into()))?;
        }
        segments::refresh(store, index)?;
        let lock = locking::acquire_for_reading(store, "restore")?;
        Ok(RestoreSession {
            snapshot_id: id,
            size,
            lock: Some(lock),
            items: plans,
            item: None,
            current: Vec::new(),
            pos: 0,
            ready: VecDeque::new(),
            in_flight: None,
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
            if let Some(block) = self.ready.pop_front() {
                return Ok(block);
            }
            if let Some((reading, entries)) = self.in_flight.take() {
                // Start the next batch before handing out this one, so it is opened while
                // the host writes these chunks.
                self.read_ahead(store, index)?;
                self.receive(store, index, reading, &entries)?;
                continue;
            }
            if self.pos < self.current.len() {
                self.read_ahead(store, index)?;
                continue;
            }
            if let Some(item) = self.item.as_mut() {
                let corrupt = |detail: String| Error::CorruptSnapshot {
                    file: StorageKey::Snapshot(self.snapshot_id).to_string(),
                    detail,
                };
                match item.lists.pop_front() {
                    Some(list) => {
                        let entries = blobs::read_list(store, index, &list)?;
                        item.tally.add_list(&entries).map_err(corrupt)?;
                        self.current = entries;
                        self.pos = 0;
                    }
                    None => {
                        item.tally.finish().map_err(corrupt)?;
                        self.item = None;
                    }
                }
                continue;
            }
            match self.items.pop_front() {
                Some(item) => self.item = Some(item),
                None => {
                    if let Some(lock) = self.lock.take() {
                        locking::release(store, lock)?;
                    }
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Starts reading the next batch of chunks of the current list (none at its end).
    fn read_ahead<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<()> {
        let most = BATCH_CHUNKS_PER_THREAD * parallel::threads(store);
        let (mut bytes, mut end) = (0u64, self.pos);
        while end < self.current.len() && end - self.pos < most && (end == self.pos || bytes < BATCH_BYTES) {
            bytes += self.current[end].1 as u64;
            end += 1;
        }
        if end == self.pos {
            return Ok(());
        }
        let entries = self.current[self.pos..end].to_vec();
        let ids: Vec<BlobId> = entries.iter().map(|(id, _)| *id).collect();
        self.in_flight = Some((blobs::start_reading(store, index, &ids)?, entries));
        self.pos = end;
        Ok(())
    }

    /// Puts a read batch into `ready`, each chunk checked against its list entry's length.
    fn receive<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &Index,
        reading: blobs::Reading,
        entries: &[(BlobId, u32)],
    ) -> Result<()> {
        for (data, &(id, len)) in blobs::finish_reading(store, index, reading)?
            .into_iter()
            .zip(entries)
        {
            if data.len() != len as usize {
                return Err(Error::CorruptSnapshot {
                    file: id.to_hex(),
                    detail: format!("chunk list says {len} bytes, chunk has {}", data.len()),
                });
            }
            self.ready.push_back(data);
        }
        Ok(())
    }

    /// Ends a restore early (or after the end): releases its lock.
    pub fn end<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        match self.lock.take() {
            Some(lock) => locking::release(store, lock),
            None => Ok(()),
        }
    }
}
