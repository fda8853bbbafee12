//! Ingest: streams in, one snapshot out.
//!
//! The host pushes bytes with [`IngestSession::write`]; the engine chunks them, stores
//! each chunk it has not seen (in this repository or earlier in this stream) into the open
//! pack, and writes a pack whenever it reaches the target size. Memory holds one pack, one
//! chunk-list piece and the index, whatever the stream's length.
//!
//! Writes follow docs/FORMAT.md §11: packs (each with its `.idx`), then their parity group,
//! then the index segment, then the manifest. An ingest killed at any point leaves every
//! earlier snapshot intact, and at worst packs no snapshot references.

use std::collections::{BTreeMap, HashSet};

use crate::chunker::Chunker;
use crate::error::{Error, Result};
use crate::events::{self, IngestComplete, Pacer, Progress, INGEST_COMPLETE, INGEST_PROGRESS};
use crate::groups::ParityStream;
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::{Index, PackRecord};
use crate::locking::{self, HeldLock};
pub use crate::manifest::Origin;
use crate::manifest::{
    self, ItemManifest, Manifest, Snapshot, SnapshotItem, LIST_MAX_ENTRIES, MANIFEST_VERSION,
    MANIFEST_VERSION_TREES,
};
use crate::tree::pattern::Excludes;
use crate::tree::Node;

pub use tree::Placed;

mod parent;
mod queue;
mod tree;
use crate::pack::BlobKind;
use crate::segments;
use crate::snapshots;
use crate::store::Store;
use crate::time;
use crate::writer::PackStream;

/// Name of the item that receives bytes written before any item was named: what the CLI
/// calls standard input and the JS package a single stream.
pub const DEFAULT_ITEM: &str = "data";
/// Longest item name, in bytes.
pub const MAX_ITEM_NAME: usize = 255;

/// An item being ingested.
struct ItemBuilder {
    manifest: ItemManifest,
    /// The chunk-list piece not yet stored (of the item, or of its tree's open file).
    list: Vec<(BlobId, u32)>,
    /// A tree item's tree.
    tree: Option<tree::TreeBuilder>,
}

impl ItemBuilder {
    fn has_open_file(&self) -> bool {
        self.tree.as_ref().is_some_and(|t| t.file.is_some())
    }
}

/// Blobs being sealed, in order: id, kind and plaintext length.
type Queued = Vec<(BlobId, BlobKind, u32)>;
/// A batch being sealed, with its blobs.
type InFlight = (crate::parallel::Sealing, Queued);

/// Counters of one ingest (docs/FORMAT.md §9).
#[derive(Default)]
struct Stats {
    original: u64,
    stored: u64,
    chunks: u64,
    new_chunks: u64,
    reused_chunks: u64,
}

/// Everything of an ingest except the chunker, so the chunker's output can be borrowed
/// while this is updated.
struct IngestState {
    lock: Option<HeldLock>,
    tags: BTreeMap<String, String>,
    origin: Origin,
    total_bytes: Option<u64>,
    items: Vec<ItemManifest>,
    current: Option<ItemBuilder>,
    packs: PackStream,
    /// New blobs waiting to be sealed, in order, and their batch.
    queued: Queued,
    batch: crate::parallel::SealBatch,
    /// Ids queued or in flight: stored by this ingest, not in a pack yet.
    queued_ids: HashSet<BlobId>,
    /// The batches being sealed while the next one fills, oldest first (at most
    /// `queue::SEAL_BATCHES_IN_FLIGHT`).
    in_flight: std::collections::VecDeque<InFlight>,
    /// Packs written since the last index segment.
    written: Vec<PackRecord>,
    stats: Stats,
    /// Bytes the host has written, including those still in the chunker.
    received: u64,
    /// When the next `ingest:progress` is due.
    pacer: Pacer,
    /// Problems the host reported with its source (`ingest:warning`).
    warnings: u64,
    /// Entries of trees described so far, and the path of the last one (for progress).
    tree_entries: u64,
    tree_path: String,
    failed: bool,
}

/// An ingest in progress.
pub struct IngestSession {
    chunker: Chunker,
    state: IngestState,
}

/// Checks an item name: 1 to [`MAX_ITEM_NAME`] bytes, no control characters.
pub fn check_item_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_ITEM_NAME || name.chars().any(char::is_control) {
        return Err(Error::InvalidArgument(format!(
            "item name {name:?} is not valid: use 1 to {MAX_ITEM_NAME} bytes without control characters"
        )));
    }
    Ok(())
}

impl IngestSession {
    /// Starts an ingest under a shared lock.
    pub fn begin<H: Host>(
        store: &Store<H>,
        index: &mut Index,
        tags: BTreeMap<String, String>,
        total_bytes: Option<u64>,
        origin: Origin,
    ) -> Result<IngestSession> {
        segments::refresh(store, index)?;
        let lock = locking::acquire(store, false, "ingest")?;
        Ok(IngestSession {
            chunker: store.chunker(),
            state: IngestState {
                lock: Some(lock),
                tags,
                origin,
                total_bytes,
                items: Vec::new(),
                current: None,
                packs: PackStream::new(ParityStream::default(), store.config().pack_size),
                queued: Vec::new(),
                batch: queue::new_batch(store),
                queued_ids: HashSet::new(),
                in_flight: Default::default(),
                written: Vec::new(),
                stats: Stats::default(),
                received: 0,
                pacer: Pacer::new(total_bytes, store.host().now_ms()),
                warnings: 0,
                tree_entries: 0,
                tree_path: String::new(),
                failed: false,
            },
        })
    }

    /// Ends the current item (if any) and starts a new one; later writes go to it.
    pub fn item<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        name: String,
        kind: Option<String>,
        path: Option<String>,
    ) -> Result<()> {
        self.start_item(store, index, SnapshotItem::named(name, kind, path), None)
    }

    /// Ends the current item (if any) and starts a tree item, whose entries come with
    /// [`IngestSession::tree_entry`]; unchanged files of `parent_root` (the same item's
    /// root directory in a parent snapshot) are not read again.
    pub fn tree<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        item: SnapshotItem,
        parent_root: Option<Node>,
        excludes: Excludes,
    ) -> Result<()> {
        let tree = tree::TreeBuilder::new(parent_root, excludes);
        self.start_item(store, index, item, Some(tree))
    }

    fn start_item<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        item: SnapshotItem,
        tree: Option<tree::TreeBuilder>,
    ) -> Result<()> {
        self.check_usable()?;
        let name = &item.name;
        check_item_name(name)?;
        let st = &self.state;
        let mut taken = st
            .items
            .iter()
            .map(|i| &i.item.name)
            .chain(st.current.as_ref().map(|c| &c.manifest.item.name));
        if taken.any(|n| n == name) {
            return Err(Error::InvalidArgument(format!(
                "item name `{name}` is used twice in one snapshot"
            )));
        }
        self.guard(|s| {
            s.end_item(store, index)?;
            s.state.current = Some(ItemBuilder {
                manifest: ItemManifest {
                    item,
                    lists: Vec::new(),
                    tree: None,
                },
                list: Vec::new(),
                tree,
            });
            Ok(())
        })
    }

    /// Feeds bytes of the current item (of [`DEFAULT_ITEM`] when none was named).
    pub fn write<H: Host>(&mut self, store: &Store<H>, index: &mut Index, data: &[u8]) -> Result<()> {
        self.check_usable()?;
        if self.state.current.is_none() {
            self.item(store, index, DEFAULT_ITEM.into(), None, None)?;
        }
        if let Some(item) = self
            .state
            .current
            .as_ref()
            .filter(|i| i.tree.is_some() && !i.has_open_file())
        {
            return Err(Error::InvalidArgument(format!(
                "tree item `{}` takes bytes only for a file whose entry asked for its content",
                item.manifest.item.name
            )));
        }
        self.guard(|s| {
            s.chunker.push(data);
            s.drain_chunks(store, index)?;
            s.state.received += data.len() as u64;
            s.state.progress(store, false);
            Ok(())
        })
    }

    /// Stores what remains and writes the snapshot; returns it.
    pub fn finish<H: Host>(mut self, store: &Store<H>, index: &mut Index) -> Result<Snapshot> {
        self.check_usable()?;
        let result = self.finish_inner(store, index);
        if let Some(lock) = self.state.lock.take() {
            let released = locking::release(store, lock);
            if result.is_ok() {
                released?;
            }
        }
        result
    }

    /// Abandons an ingest: releases its lock. Packs already written stay until prune.
    pub fn abort<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        match self.state.lock.take() {
            Some(lock) => locking::release(store, lock),
            None => Ok(()),
        }
    }

    fn check_usable(&self) -> Result<()> {
        if self.state.failed {
            return Err(Error::InvalidArgument(
                "this ingest failed earlier and cannot continue: abort it and start again".into(),
            ));
        }
        Ok(())
    }

    /// Runs `f`; if it fails, the session is marked failed (its state may be partial).
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let r = f(self);
        if r.is_err() {
            self.state.failed = true;
        }
        r
    }

    fn finish_inner<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<Snapshot> {
        if self.state.current.is_none() && self.state.items.is_empty() {
            self.item(store, index, DEFAULT_ITEM.into(), None, None)?;
        }
        self.end_item(store, index)?;
        let st = &mut self.state;
        st.drain(store, index)?;
        st.written.extend(st.packs.finish(store, index)?);
        if !st.written.is_empty() {
            segments::write(store, index, &[], &st.written)?;
            st.written.clear();
        }
        let trees = st.items.iter().any(|i| i.tree.is_some());
        let manifest = Manifest {
            version: if trees {
                MANIFEST_VERSION_TREES
            } else {
                MANIFEST_VERSION
            },
            created_at: (st.origin.created_at.take()).unwrap_or_else(|| time::format_ms(store.now_ms())),
            tags: std::mem::take(&mut st.tags),
            original_size: st.stats.original,
            stored_size: st.stats.stored,
            chunk_count: st.stats.chunks,
            new_chunks: st.stats.new_chunks,
            reused_chunks: st.stats.reused_chunks,
            items: std::mem::take(&mut st.items),
            warnings: st.warnings + st.origin.warnings,
            host: st.origin.host.take(),
            user: st.origin.user.take(),
            original: st.origin.original.take(),
        };
        let id = snapshots::store_manifest(store, &manifest)?;
        snapshots::record(store, &[id], &[])?; // docs/FORMAT.md §9a
        let snap = manifest.into_snapshot(id);
        st.progress(store, true);
        let done = IngestComplete {
            snapshot_id: id,
            new_chunks: snap.fields.new_chunks,
            reused_chunks: snap.fields.reused_chunks,
            original_size: snap.fields.original_size,
            stored_size: snap.fields.stored_size,
        };
        events::emit(store.host(), INGEST_COMPLETE, &done);
        Ok(snap)
    }

    /// Flushes the chunker's remainder and the chunk list of the current item.
    fn end_item<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        let Some(item) = self.state.current.as_ref() else {
            return Ok(());
        };
        if item.tree.is_some() {
            self.end_tree(store, index)?;
        } else {
            self.flush_content(store, index)?;
            self.state.store_list_piece(store, index)?;
        }
        let item = self.state.current.take().expect("checked above");
        self.state.items.push(item.manifest);
        Ok(())
    }

    /// Cuts and stores the chunker's remainder: the end of an item's or a file's bytes.
    fn flush_content<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        self.chunker.finish();
        self.drain_chunks(store, index)?;
        self.chunker.reset();
        Ok(())
    }

    fn drain_chunks<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        while let Some(chunk) = self.chunker.next_chunk() {
            self.state.add_chunk(store, index, chunk)?;
        }
        Ok(())
    }
}

impl IngestState {
    fn add_chunk<H: Host>(&mut self, store: &Store<H>, index: &mut Index, chunk: &[u8]) -> Result<()> {
        let id = store.blob_id(chunk);
        let len = chunk.len() as u32;
        let new = self.store_blob(store, index, id, BlobKind::Data, chunk)?;
        if new {
            self.stats.new_chunks += 1;
        } else {
            self.stats.reused_chunks += 1;
        }
        self.stats.chunks += 1;
        self.stats.original += len as u64;
        let item = self.current.as_mut().expect("an item is open while chunks flow");
        item.manifest.item.size += len as u64;
        item.manifest.item.chunk_count += 1;
        if let Some(file) = item.tree.as_mut().and_then(|t| t.file.as_mut()) {
            file.size += len as u64;
            file.chunks += 1;
            file.new_chunks += new as u64;
        }
        item.list.push((id, len));
        if item.list.len() == LIST_MAX_ENTRIES {
            self.store_list_piece(store, index)?;
        }
        Ok(())
    }

    /// Stores the current item's pending chunk-list piece as a blob.
    pub(super) fn store_list_piece<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        let Some(item) = self.current.as_mut() else {
            return Ok(());
        };
        if item.list.is_empty() {
            return Ok(());
        }
        let bytes = manifest::encode_list(&item.list);
        item.list.clear();
        let id = store.blob_id(&bytes);
        match item.tree.as_mut().and_then(|t| t.file.as_mut()) {
            Some(file) => file.lists.push(id),
            None => item.manifest.lists.push(id),
        }
        self.store_blob(store, index, id, BlobKind::List, &bytes)?;
        Ok(())
    }

    /// Emits `ingest:progress` when its [`Pacer`] says it is due, and at the end.
    fn progress<H: Host>(&mut self, store: &Store<H>, last: bool) {
        let done = self.received;
        if !self.pacer.due(done, store.host().now_ms()) && !last {
            return;
        }
        let s = &self.stats;
        let entries = (self.tree_entries > 0).then_some(self.tree_entries);
        let message = format!(
            "{} MiB read, {}{} new chunks, {} reused",
            done >> 20,
            entries.map_or(String::new(), |n| format!("{n} entries, ")),
            s.new_chunks,
            s.reused_chunks
        );
        let mut p = Progress::new("ingest", done, self.total_bytes, message);
        p.entries = entries;
        p.path = entries.map(|_| self.tree_path.clone());
        events::emit(store.host(), INGEST_PROGRESS, &p);
    }
}
