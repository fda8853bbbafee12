//! Restore: a snapshot, or one of its items, back out as a stream of blocks. A tree item
//! asked for alone comes out as a tar archive ([`tar`]).
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

pub mod chunks;
pub mod select;
pub mod tar;
pub mod tree;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::index::Index;
use crate::layout::StorageKey;
use crate::locking::{self, HeldLock};
use crate::manifest::{ItemTally, SnapshotFilter};
use crate::segments;
use crate::snapshots;
use crate::store::Store;
use chunks::{ChunkStream, ContentPlan, ListRef};
use tar::TarStream;
use tree::{TreeSession, WalkLock, WalkScope};

pub use chunks::{BATCH_BYTES, BATCH_CHUNKS_PER_THREAD};

/// Appends `block` to `out`, growing it by exactly that much (a reply buffer is handed
/// over at its length).
fn append(out: &mut Vec<u8>, block: &[u8]) {
    out.reserve_exact(block.len());
    out.extend_from_slice(block);
}

/// What a restore reads from.
enum Source {
    /// Stream items' chunks, in order.
    Chunks(Box<ChunkStream>),
    /// A tree item as a tar archive (its walk holds the lock).
    Tar(Box<TarStream>),
}

/// A restore in progress.
pub struct RestoreSession {
    snapshot_id: SnapshotId,
    size: u64,
    lock: Option<HeldLock>,
    source: Source,
}

impl RestoreSession {
    /// Starts restoring a snapshot (full id, unique prefix or `latest`), or one item of it.
    pub fn begin<H: Host>(
        store: &Store<H>,
        index: &mut Index,
        wanted: &str,
        item: Option<&str>,
        filter: &SnapshotFilter,
    ) -> Result<RestoreSession> {
        let id = snapshots::resolve_in(store, wanted, &snapshots::having_item(filter, item))?;
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
        if let [one] = items.as_slice() {
            if one.tree.is_some() {
                let scope = WalkScope {
                    recursive: true,
                    ..WalkScope::default()
                };
                let wanted = id.to_hex();
                let item = Some(one.item.name.as_str());
                let walk = TreeSession::begin(
                    store,
                    index,
                    &wanted,
                    item,
                    &Default::default(),
                    &scope,
                    WalkLock::Own,
                )?;
                return Ok(RestoreSession {
                    snapshot_id: id,
                    size: one.item.size,
                    lock: None,
                    source: Source::Tar(Box::new(TarStream::new(walk))),
                });
            }
        }
        let max_chunk = store.config().chunking.max;
        let mut plans = Vec::with_capacity(items.len());
        let mut size = 0u64;
        for i in &items {
            if i.tree.is_some() {
                return Err(Error::InvalidArgument(format!(
                    "item `{}` is a directory tree: restore it alone (`--item {}`, as a tar archive), or into a directory (`--target DIR`)",
                    i.item.name, i.item.name
                )));
            }
            plans.push(ContentPlan {
                tally: ItemTally::new(i, max_chunk).map_err(corrupt)?,
                lists: i.lists.iter().map(|l| ListRef::Stored(*l)).collect(),
                file: StorageKey::Snapshot(id).to_string(),
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
            source: Source::Chunks(Box::new(ChunkStream::new(plans))),
        })
    }

    /// The snapshot being restored.
    pub fn snapshot_id(&self) -> SnapshotId {
        self.snapshot_id
    }

    /// Bytes of content the restore will produce (a tar archive adds its headers).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// True when the restore is a tree item as a tar archive.
    pub fn is_tar(&self) -> bool {
        matches!(self.source, Source::Tar(_))
    }

    /// The next block; empty at the end (the lock is released then).
    pub fn read<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Vec<u8>> {
        let mut block = Vec::new();
        self.read_into(store, index, &mut block)?;
        Ok(block)
    }

    /// [`RestoreSession::read`], appending the block to `out` (nothing at the end).
    pub fn read_into<H: Host>(&mut self, store: &Store<H>, index: &Index, out: &mut Vec<u8>) -> Result<()> {
        let before = out.len();
        match &mut self.source {
            Source::Chunks(c) => c.read_into(store, index, out)?,
            Source::Tar(t) => match t.read(store, index)? {
                block if out.is_empty() => *out = block,
                block => append(out, &block),
            },
        }
        if out.len() == before {
            if let Some(lock) = self.lock.take() {
                locking::release(store, lock)?;
            }
        }
        Ok(())
    }

    /// Ends a restore early (or after the end): releases its lock.
    pub fn end<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        if let Some(lock) = self.lock.take() {
            locking::release(store, lock)?;
        }
        match self.source {
            Source::Tar(t) => t.into_walk().end(store),
            Source::Chunks(_) => Ok(()),
        }
    }
}
