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
use crate::manifest::{
    self, ItemManifest, Manifest, Snapshot, SnapshotItem, LIST_MAX_ENTRIES, MANIFEST_VERSION,
};
use crate::pack::BlobKind;
use crate::parallel;
use crate::segments::{self, SEGMENT_PACKS};
use crate::snapshots;
use crate::store::Store;
use crate::time;
use crate::writer::PackStream;

/// Name of the item that receives bytes written before any item was named: what the CLI
/// calls standard input and the JS package a single stream.
pub const DEFAULT_ITEM: &str = "data";
/// Blobs sealed in one batch, per module instance the host runs jobs on (with one
/// instance, every blob is sealed as it comes).
pub const SEAL_BATCH_PER_THREAD: usize = 4;
/// Plaintext bytes queued for sealing at most.
pub const SEAL_BATCH_BYTES: usize = 16 << 20;
/// Longest item name, in bytes.
pub const MAX_ITEM_NAME: usize = 255;

/// An item being ingested.
struct ItemBuilder {
    manifest: ItemManifest,
    /// The chunk-list piece not yet stored.
    list: Vec<(BlobId, u32)>,
}

/// Blobs to seal, in order: id, kind and plaintext.
type Queued = Vec<(BlobId, BlobKind, Vec<u8>)>;
/// A batch being sealed, with its blobs.
type InFlight = (parallel::Sealing, Queued);

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
    total_bytes: Option<u64>,
    items: Vec<ItemManifest>,
    current: Option<ItemBuilder>,
    packs: PackStream,
    /// New blobs waiting to be sealed, in order, with their total plaintext bytes.
    queued: Queued,
    /// Ids queued or in flight: stored by this ingest, not in a pack yet.
    queued_ids: HashSet<BlobId>,
    queued_bytes: usize,
    /// The batch being sealed while the next one fills.
    in_flight: Option<InFlight>,
    /// Packs written since the last index segment.
    written: Vec<PackRecord>,
    stats: Stats,
    /// Bytes the host has written, including those still in the chunker.
    received: u64,
    /// When the next `ingest:progress` is due.
    pacer: Pacer,
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
    ) -> Result<IngestSession> {
        segments::refresh(store, index)?;
        let lock = locking::acquire(store, false, "ingest")?;
        Ok(IngestSession {
            chunker: store.chunker(),
            state: IngestState {
                lock: Some(lock),
                tags,
                total_bytes,
                items: Vec::new(),
                current: None,
                packs: PackStream::new(ParityStream::default(), store.config().pack_size),
                queued: Vec::new(),
                queued_ids: HashSet::new(),
                queued_bytes: 0,
                in_flight: None,
                written: Vec::new(),
                stats: Stats::default(),
                received: 0,
                pacer: Pacer::new(total_bytes, store.host().now_ms()),
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
    ) -> Result<()> {
        self.check_usable()?;
        check_item_name(&name)?;
        let st = &self.state;
        let mut taken = st
            .items
            .iter()
            .map(|i| &i.item.name)
            .chain(st.current.as_ref().map(|c| &c.manifest.item.name));
        if taken.any(|n| *n == name) {
            return Err(Error::InvalidArgument(format!(
                "item name `{name}` is used twice in one snapshot"
            )));
        }
        self.guard(|s| {
            s.end_item(store, index)?;
            s.state.current = Some(ItemBuilder {
                manifest: ItemManifest {
                    item: SnapshotItem {
                        name,
                        kind,
                        size: 0,
                        chunk_count: 0,
                    },
                    lists: Vec::new(),
                },
                list: Vec::new(),
            });
            Ok(())
        })
    }

    /// Feeds bytes of the current item (of [`DEFAULT_ITEM`] when none was named).
    pub fn write<H: Host>(&mut self, store: &Store<H>, index: &mut Index, data: &[u8]) -> Result<()> {
        self.check_usable()?;
        if self.state.current.is_none() {
            self.item(store, index, DEFAULT_ITEM.into(), None)?;
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
    fn guard(&mut self, f: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let r = f(self);
        if r.is_err() {
            self.state.failed = true;
        }
        r
    }

    fn finish_inner<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<Snapshot> {
        if self.state.current.is_none() && self.state.items.is_empty() {
            self.item(store, index, DEFAULT_ITEM.into(), None)?;
        }
        self.end_item(store, index)?;
        let st = &mut self.state;
        st.drain(store, index)?;
        st.written.extend(st.packs.finish(store, index)?);
        if !st.written.is_empty() {
            segments::write(store, index, &[], &st.written)?;
            st.written.clear();
        }
        let manifest = Manifest {
            version: MANIFEST_VERSION,
            created_at: time::format_ms(store.now_ms()),
            tags: std::mem::take(&mut st.tags),
            original_size: st.stats.original,
            stored_size: st.stats.stored,
            chunk_count: st.stats.chunks,
            new_chunks: st.stats.new_chunks,
            reused_chunks: st.stats.reused_chunks,
            items: std::mem::take(&mut st.items),
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
        if self.state.current.is_none() {
            return Ok(());
        }
        self.chunker.finish();
        self.drain_chunks(store, index)?;
        self.chunker.reset();
        self.state.store_list_piece(store, index)?;
        let item = self.state.current.take().expect("checked above");
        self.state.items.push(item.manifest);
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
        if self.store_blob(store, index, id, BlobKind::Data, chunk)? {
            self.stats.new_chunks += 1;
        } else {
            self.stats.reused_chunks += 1;
        }
        self.stats.chunks += 1;
        self.stats.original += len as u64;
        let item = self.current.as_mut().expect("an item is open while chunks flow");
        item.manifest.item.size += len as u64;
        item.manifest.item.chunk_count += 1;
        item.list.push((id, len));
        if item.list.len() == LIST_MAX_ENTRIES {
            self.store_list_piece(store, index)?;
        }
        Ok(())
    }

    /// Stores the current item's pending chunk-list piece as a blob.
    fn store_list_piece<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        let Some(item) = self.current.as_mut() else {
            return Ok(());
        };
        if item.list.is_empty() {
            return Ok(());
        }
        let bytes = manifest::encode_list(&item.list);
        item.list.clear();
        let id = store.blob_id(&bytes);
        item.manifest.lists.push(id);
        self.store_blob(store, index, id, BlobKind::List, &bytes)?;
        Ok(())
    }

    /// Queues a blob for the open pack unless it is already stored or queued; true if it
    /// was new. Queued blobs are sealed in batches ([`IngestState::rotate`]).
    fn store_blob<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        id: BlobId,
        kind: BlobKind,
        plain: &[u8],
    ) -> Result<bool> {
        if index.contains(&id) || self.packs.is_pending(&id) || self.queued_ids.contains(&id) {
            return Ok(false);
        }
        self.queued_ids.insert(id);
        self.queued_bytes += plain.len();
        self.queued.push((id, kind, plain.to_vec()));
        if self.queued.len() >= parallel::threads(store) * SEAL_BATCH_PER_THREAD
            || self.queued_bytes >= SEAL_BATCH_BYTES
        {
            self.rotate(store, index)?;
        }
        Ok(true)
    }

    /// Starts sealing the queued blobs (on the host's workers when it runs jobs, which work
    /// while this instance chunks and hashes what comes next), then adds the batch started
    /// before this one to the open pack: blobs reach packs in the order they came.
    fn rotate<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        let batch = std::mem::take(&mut self.queued);
        self.queued_bytes = 0;
        let plains: Vec<&[u8]> = batch.iter().map(|(_, _, p)| p.as_slice()).collect();
        let sealing = parallel::submit_seals(store, &plains)?;
        match self.in_flight.replace((sealing, batch)) {
            Some(previous) => self.add_sealed(store, index, previous),
            None => Ok(()),
        }
    }

    /// Seals everything queued or in flight and adds it to the open pack.
    fn drain<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        self.rotate(store, index)?;
        match self.in_flight.take() {
            Some(last) => self.add_sealed(store, index, last),
            None => Ok(()),
        }
    }

    /// Adds a sealed batch to the open pack, writing packs (and index segments) as they fill.
    fn add_sealed<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        (sealing, batch): InFlight,
    ) -> Result<()> {
        let sealing = sealing.collect(store)?;
        for ((id, kind, plain), (codec, stored)) in batch.iter().zip(sealing.sealed()?) {
            self.queued_ids.remove(id);
            self.stats.stored += stored.len() as u64;
            let Some(record) = self
                .packs
                .add(store, index, *id, *kind, codec, plain.len() as u32, stored)?
            else {
                continue;
            };
            self.written.push(record);
            if self.written.len() >= SEGMENT_PACKS {
                // Only packs whose parity group is in storage go into the index now
                // (docs/FORMAT.md §11); those of the group still growing wait for the next.
                let packs = &self.packs;
                let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.written)
                    .into_iter()
                    .partition(|r| !packs.awaits_parity(&r.id));
                segments::write(store, index, &[], &ready)?;
                self.written = waiting;
            }
        }
        Ok(())
    }

    /// Emits `ingest:progress` when its [`Pacer`] says it is due, and at the end.
    fn progress<H: Host>(&mut self, store: &Store<H>, last: bool) {
        let done = self.received;
        if !self.pacer.due(done, store.host().now_ms()) && !last {
            return;
        }
        let s = &self.stats;
        let message = format!(
            "{} MiB read, {} new chunks, {} reused",
            done >> 20,
            s.new_chunks,
            s.reused_chunks
        );
        let p = Progress::new("ingest", done, self.total_bytes, message);
        events::emit(store.host(), INGEST_PROGRESS, &p);
    }
}
