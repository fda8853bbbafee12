//! Ingest: streams in, one snapshot out.
//!
//! The host pushes bytes with [`Repository::ingest_write`]; the engine chunks them, stores
//! each chunk it has not seen (in this repository or earlier in this stream) into the open
//! pack, and writes a pack whenever it reaches the target size. Memory holds one pack, one
//! chunk-list piece and the index, whatever the stream's length (DESIGN.md §8).
//!
//! Writes follow DESIGN.md §11: packs (each with its `.idx`), then their parity group, then
//! the index segment, then the manifest. An ingest killed at any point leaves every earlier snapshot intact, and at
//! worst packs no snapshot references.

use std::collections::{BTreeMap, HashSet};

use serde_json::json;

use crate::chunker::Chunker;
use crate::error::{Error, Result};
use crate::groups::ParityStream;
use crate::host::Host;
use crate::index::PackRecord;
use crate::layout;
use crate::lock::HeldLock;
use crate::pack::{BlobKind, PackBuilder};
use crate::repo::Repository;
use crate::snapshot::{
    self, ItemManifest, Manifest, Snapshot, SnapshotItem, LIST_MAX_ENTRIES, MANIFEST_VERSION,
};
use crate::time;

/// Name of the item that receives bytes written before any item was named.
pub const DEFAULT_ITEM: &str = "data";
/// Packs per index segment: a long ingest writes a segment every this many packs.
pub const SEGMENT_PACKS: usize = 256;
/// Bytes between two `ingest:progress` events.
pub const PROGRESS_EVERY: u64 = 8 * 1024 * 1024;

/// An item being ingested.
struct ItemBuilder {
    manifest: ItemManifest,
    /// The chunk-list piece not yet stored.
    list: Vec<([u8; 32], u32)>,
}

/// Counters of one ingest.
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
    pack: PackBuilder,
    written: Vec<PackRecord>,
    parity: ParityStream,
    /// Ids in the open pack: the only stored blobs the index does not know yet.
    pending_ids: HashSet<[u8; 32]>,
    stats: Stats,
    /// Bytes the host has written, including those still in the chunker.
    received: u64,
    next_progress: u64,
    failed: bool,
}

/// An ingest in progress.
pub struct IngestSession {
    chunker: Chunker,
    state: IngestState,
}

impl<H: Host + Clone> Repository<H> {
    /// Starts an ingest under a shared lock.
    pub fn ingest_begin(
        &mut self,
        tags: BTreeMap<String, String>,
        total_bytes: Option<u64>,
    ) -> Result<IngestSession> {
        self.refresh_index()?;
        let lock = self.acquire_lock(false, "ingest")?;
        Ok(IngestSession {
            chunker: self.chunker(),
            state: IngestState {
                lock: Some(lock),
                tags,
                total_bytes,
                items: Vec::new(),
                current: None,
                pack: PackBuilder::new(),
                written: Vec::new(),
                parity: ParityStream::default(),
                pending_ids: HashSet::new(),
                stats: Stats::default(),
                received: 0,
                next_progress: PROGRESS_EVERY,
                failed: false,
            },
        })
    }

    /// Ends the current item (if any) and starts a new one; later writes go to it.
    pub fn ingest_item(&mut self, s: &mut IngestSession, name: String, kind: Option<String>) -> Result<()> {
        check_usable(s)?;
        if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
            return Err(Error::InvalidArgument(format!(
                "item name {name:?} is not valid: use 1 to 255 characters without control characters"
            )));
        }
        let taken = s
            .state
            .items
            .iter()
            .map(|i| &i.item.name)
            .chain(s.state.current.as_ref().map(|c| &c.manifest.item.name));
        if taken.into_iter().any(|n| *n == name) {
            return Err(Error::InvalidArgument(format!(
                "item name `{name}` is used twice in one snapshot"
            )));
        }
        self.guard(s, |repo, s| {
            repo.end_item(s)?;
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

    /// Feeds bytes of the current item.
    pub fn ingest_write(&mut self, s: &mut IngestSession, data: &[u8]) -> Result<()> {
        check_usable(s)?;
        if s.state.current.is_none() {
            self.ingest_item(s, DEFAULT_ITEM.into(), None)?;
        }
        self.guard(s, |repo, s| {
            s.chunker.push(data);
            repo.drain_chunks(s)?;
            s.state.received += data.len() as u64;
            repo.progress(&mut s.state, false);
            Ok(())
        })
    }

    /// Stores what remains and writes the snapshot; returns it.
    pub fn ingest_finish(&mut self, mut s: IngestSession) -> Result<Snapshot> {
        check_usable(&s)?;
        let result = self.finish_inner(&mut s);
        if let Some(lock) = s.state.lock.take() {
            let released = self.release_lock(lock);
            if result.is_ok() {
                released?;
            }
        }
        result
    }

    /// Abandons an ingest: releases its lock. Packs already written stay until prune.
    pub fn ingest_abort(&mut self, mut s: IngestSession) -> Result<()> {
        match s.state.lock.take() {
            Some(lock) => self.release_lock(lock),
            None => Ok(()),
        }
    }

    fn finish_inner(&mut self, s: &mut IngestSession) -> Result<Snapshot> {
        if s.state.current.is_none() && s.state.items.is_empty() {
            self.ingest_item(s, DEFAULT_ITEM.into(), None)?;
        }
        self.end_item(s)?;
        let st = &mut s.state;
        if !st.pack.is_empty() {
            self.flush_pack(st)?;
        }
        self.finish_parity(&mut st.parity)?;
        if !st.written.is_empty() {
            self.write_segment(&[], &st.written)?;
            st.written.clear();
        }
        let manifest = Manifest {
            version: MANIFEST_VERSION,
            created_at: time::format_ms(self.host().now_ms()),
            tags: std::mem::take(&mut st.tags),
            original_size: st.stats.original,
            stored_size: st.stats.stored,
            chunk_count: st.stats.chunks,
            new_chunks: st.stats.new_chunks,
            reused_chunks: st.stats.reused_chunks,
            items: std::mem::take(&mut st.items),
        };
        let id = self.store_manifest(&manifest)?;
        let snap = manifest.into_snapshot(&id);
        self.progress(st, true);
        let done = json!({
            "snapshotId": id,
            "newChunks": snap.fields.new_chunks,
            "reusedChunks": snap.fields.reused_chunks,
            "originalSize": snap.fields.original_size,
            "storedSize": snap.fields.stored_size,
        });
        self.host().event("ingest:complete", &done.to_string());
        Ok(snap)
    }

    /// Runs `f`; if it fails, the session is marked failed (its state may be partial).
    fn guard(
        &mut self,
        s: &mut IngestSession,
        f: impl FnOnce(&mut Self, &mut IngestSession) -> Result<()>,
    ) -> Result<()> {
        let r = f(self, s);
        if r.is_err() {
            s.state.failed = true;
        }
        r
    }

    /// Flushes the chunker's remainder and the chunk list of the current item.
    fn end_item(&mut self, s: &mut IngestSession) -> Result<()> {
        if s.state.current.is_none() {
            return Ok(());
        }
        s.chunker.finish();
        self.drain_chunks(s)?;
        s.chunker.reset();
        self.store_list_piece(&mut s.state)?;
        let item = s.state.current.take().expect("checked above");
        s.state.items.push(item.manifest);
        Ok(())
    }

    fn drain_chunks(&mut self, s: &mut IngestSession) -> Result<()> {
        while let Some(chunk) = s.chunker.next_chunk() {
            self.add_chunk(&mut s.state, chunk)?;
        }
        Ok(())
    }

    fn add_chunk(&mut self, st: &mut IngestState, chunk: &[u8]) -> Result<()> {
        let id = self.blob_id(chunk);
        let len = chunk.len() as u32;
        if self.store_blob(st, id, BlobKind::Data, chunk)? {
            st.stats.new_chunks += 1;
        } else {
            st.stats.reused_chunks += 1;
        }
        st.stats.chunks += 1;
        st.stats.original += len as u64;
        let item = st.current.as_mut().expect("an item is open while chunks flow");
        item.manifest.item.size += len as u64;
        item.manifest.item.chunk_count += 1;
        item.list.push((id, len));
        if item.list.len() == LIST_MAX_ENTRIES {
            self.store_list_piece(st)?;
        }
        Ok(())
    }

    /// Stores the current item's pending chunk-list piece as a blob.
    fn store_list_piece(&mut self, st: &mut IngestState) -> Result<()> {
        let Some(item) = st.current.as_mut() else {
            return Ok(());
        };
        if item.list.is_empty() {
            return Ok(());
        }
        let bytes = snapshot::encode_list(&item.list);
        item.list.clear();
        let id = self.blob_id(&bytes);
        item.manifest.lists.push(layout::hex_id(&id));
        self.store_blob(st, id, BlobKind::List, &bytes)?;
        Ok(())
    }

    /// Adds a blob to the open pack unless it is already stored; true if it was new.
    fn store_blob(
        &mut self,
        st: &mut IngestState,
        id: [u8; 32],
        kind: BlobKind,
        plain: &[u8],
    ) -> Result<bool> {
        if self.index.contains(&id) || st.pending_ids.contains(&id) {
            return Ok(false);
        }
        let (codec, stored) = self.seal_blob(plain);
        st.pack.add(id, kind, codec, plain.len() as u32, &stored);
        st.stats.stored += stored.len() as u64;
        st.pending_ids.insert(id);
        if st.pack.len() >= self.config.pack_size as usize {
            self.flush_pack(st)?;
        }
        Ok(true)
    }

    fn flush_pack(&mut self, st: &mut IngestState) -> Result<()> {
        let record = self.write_pack(&mut st.pack, &mut st.parity)?;
        st.pending_ids.clear(); // write_pack indexed them
        st.written.push(record);
        if st.written.len() >= SEGMENT_PACKS {
            self.write_segment(&[], &st.written)?;
            st.written.clear();
        }
        if let Some(lock) = st.lock.as_mut() {
            self.refresh_lock(lock)?;
        }
        Ok(())
    }

    /// Emits `ingest:progress` every [`PROGRESS_EVERY`] bytes received, and at the end.
    fn progress(&self, st: &mut IngestState, last: bool) {
        let done = st.received;
        if !last && done < st.next_progress {
            return;
        }
        st.next_progress = done + PROGRESS_EVERY;
        let mut ev = json!({
            "operation": "ingest",
            "bytesProcessed": done,
            "message": format!("{} MiB read, {} new chunks, {} reused", done >> 20, st.stats.new_chunks, st.stats.reused_chunks),
        });
        if let Some(total) = st.total_bytes {
            ev["totalBytes"] = json!(total);
            if total > 0 {
                ev["percentage"] = json!(((done as f64 / total as f64) * 100.0).min(100.0));
            }
        }
        self.host().event("ingest:progress", &ev.to_string());
    }
}

fn check_usable(s: &IngestSession) -> Result<()> {
    if s.state.failed {
        return Err(Error::InvalidArgument(
            "this ingest failed earlier and cannot continue: abort it and start again".into(),
        ));
    }
    Ok(())
}
