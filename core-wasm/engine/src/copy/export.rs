//! The export side of copy: snapshots of this repository as a snapshot stream
//! ([`super`]), produced frame by frame as the host reads. Stream items are read with a
//! restore session, tree items with a walk, one at a time, so memory holds what a restore
//! holds. The session keeps a shared lock from its start to its end.

use std::collections::{BTreeSet, VecDeque};

use super::{frame, json_frame, ExportArgs, Frame, StreamEnd, StreamHeader, StreamItem, STREAM_MAGIC};
use crate::error::Result;
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::index::Index;
use crate::locking::{self, HeldLock};
use crate::manifest::{ItemManifest, Manifest, SnapshotFilter};
use crate::restore::tree::{TreeSession, WalkLock, WalkScope};
use crate::restore::RestoreSession;
use crate::snapshots;
use crate::store::Store;
use crate::tree::EntryKind;

/// What is being read now.
enum Reading {
    /// Nothing: the next item (or the snapshot's end) comes next.
    Between,
    /// A stream item's bytes.
    Stream(Box<RestoreSession>),
    /// A tree item's walk; `open` holds the depths of the directories not yet left, and
    /// `file` says whether the entry given last is a file whose bytes are being read.
    Tree {
        walk: Box<TreeSession>,
        open: Vec<u32>,
        file: bool,
    },
    /// The last snapshot's end frame is out.
    Done,
}

/// An export in progress.
pub struct ExportSession {
    /// The snapshots still to export (the current one first once begun).
    queue: VecDeque<SnapshotId>,
    /// The snapshots the stream holds, and those left out.
    chosen: Vec<SnapshotId>,
    skipped: Vec<SnapshotId>,
    size: u64,
    /// The snapshot being exported, and its items not begun yet.
    id_hex: String,
    items: VecDeque<ItemManifest>,
    item_count: u64,
    bytes: u64,
    reading: Reading,
    /// Frames made, not yet handed out.
    ready: VecDeque<Vec<u8>>,
    lock: Option<HeldLock>,
}

impl ExportSession {
    /// Starts exporting the snapshots `args` chooses, oldest first, under a shared lock.
    pub fn begin<H: Host>(store: &Store<H>, args: &ExportArgs) -> Result<ExportSession> {
        let lock = locking::acquire_for_reading(store, "copy")?;
        match Self::choose(store, args) {
            Ok(mut s) => {
                s.lock = Some(lock);
                Ok(s)
            }
            Err(e) => {
                let _ = locking::release(store, lock);
                Err(e)
            }
        }
    }

    fn choose<H: Host>(store: &Store<H>, args: &ExportArgs) -> Result<ExportSession> {
        let named = crate::forget::named(store, &args.snapshots, &args.filter)?;
        let skip: BTreeSet<SnapshotId> = args.skip.iter().copied().collect();
        let mut s = ExportSession {
            queue: VecDeque::new(),
            chosen: Vec::new(),
            skipped: Vec::new(),
            size: 0,
            id_hex: String::new(),
            items: VecDeque::new(),
            item_count: 0,
            bytes: 0,
            reading: Reading::Done,
            ready: VecDeque::from([STREAM_MAGIC.to_vec()]),
            lock: None,
        };
        let judge = snapshots::Judge::new(&args.filter)?;
        let mut all = crate::prune::manifests(store)?;
        all.sort_by_key(|(id, t, _)| (*t, *id)); // oldest first, as listings
        for (id, t, m) in all {
            let wanted = match args.snapshots.is_empty() {
                true => judge.passes(&m, t),
                false => named.contains(&id),
            };
            if !wanted {
                continue;
            }
            if skip.contains(&id) || skip.contains(&m.original.unwrap_or(id)) {
                s.skipped.push(id);
            } else {
                s.size += m.original_size;
                s.chosen.push(id);
            }
        }
        s.queue = s.chosen.iter().copied().collect();
        if !s.queue.is_empty() {
            s.reading = Reading::Between;
        }
        Ok(s)
    }

    /// The snapshots the stream holds, in order; those left out; their bytes of content.
    pub fn plan(&self) -> (&[SnapshotId], &[SnapshotId], u64) {
        (&self.chosen, &self.skipped, self.size)
    }

    /// The next block of the stream; empty at its end.
    pub fn read<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<Vec<u8>> {
        while self.ready.is_empty() {
            if matches!(self.reading, Reading::Done) {
                return Ok(Vec::new());
            }
            self.advance(store, index)?;
        }
        Ok(self.ready.pop_front().expect("not empty"))
    }

    /// Makes at least one more frame (or finishes).
    fn advance<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        match &mut self.reading {
            Reading::Done => {}
            Reading::Between if self.id_hex.is_empty() => self.start_snapshot(store)?,
            Reading::Between => match self.items.pop_front() {
                None => {
                    let end = StreamEnd {
                        items: self.item_count,
                        bytes: self.bytes,
                    };
                    self.ready.push_back(json_frame(Frame::End, &end)?);
                    self.queue.pop_front();
                    self.id_hex.clear();
                    if self.queue.is_empty() {
                        self.reading = Reading::Done;
                    }
                }
                Some(item) => self.start_item(store, index, item)?,
            },
            Reading::Stream(s) => {
                let block = s.read(store, index)?;
                if block.is_empty() {
                    if let Reading::Stream(s) = std::mem::replace(&mut self.reading, Reading::Between) {
                        s.end(store)?;
                    }
                } else {
                    self.data(block);
                }
            }
            Reading::Tree { walk, open, file } => {
                if *file {
                    let block = walk.read(store, index)?;
                    match block.is_empty() {
                        true => *file = false,
                        false => {
                            self.bytes += block.len() as u64;
                            self.ready.push_back(frame(Frame::Data, &block));
                        }
                    }
                    return Ok(());
                }
                match walk.next(store, index)? {
                    Some(step) => {
                        while open.last().is_some_and(|d| *d >= step.depth) {
                            open.pop();
                            self.ready.push_back(frame(Frame::Leave, &[]));
                        }
                        match step.entry.kind {
                            EntryKind::Dir => open.push(step.depth),
                            EntryKind::File => *file = true,
                            _ => {}
                        }
                        self.ready.push_back(json_frame(Frame::Entry, &step.entry)?);
                    }
                    None => {
                        for _ in open.drain(..) {
                            self.ready.push_back(frame(Frame::Leave, &[]));
                        }
                        if let Reading::Tree { walk, .. } =
                            std::mem::replace(&mut self.reading, Reading::Between)
                        {
                            walk.end(store)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The header of the next snapshot in the queue.
    fn start_snapshot<H: Host>(&mut self, store: &Store<H>) -> Result<()> {
        let id = *self.queue.front().expect("a snapshot is queued while reading");
        let m: Manifest = snapshots::load(store, id)?;
        let header = StreamHeader {
            source: id,
            size: m.original_size,
            created_at: m.created_at.clone(),
            tags: m.tags.clone(),
            host: m.host.clone(),
            user: m.user.clone(),
            original: m.original.unwrap_or(id),
            warnings: m.warnings,
        };
        self.ready.push_back(json_frame(Frame::Header, &header)?);
        self.id_hex = id.to_hex();
        self.item_count = m.items.len() as u64;
        self.items = m.items.into();
        self.bytes = 0;
        Ok(())
    }

    fn data(&mut self, block: Vec<u8>) {
        self.bytes += block.len() as u64;
        self.ready.push_back(frame(Frame::Data, &block));
    }

    fn start_item<H: Host>(&mut self, store: &Store<H>, index: &mut Index, item: ItemManifest) -> Result<()> {
        let described = StreamItem {
            name: item.item.name.clone(),
            kind: item.item.kind.clone(),
            path: item.item.path.clone(),
        };
        let name = Some(item.item.name.as_str());
        let no_filter = SnapshotFilter::default();
        if item.tree.is_some() {
            self.ready.push_back(json_frame(Frame::Tree, &described)?);
            let scope = WalkScope {
                recursive: true,
                ..WalkScope::default()
            };
            let walk = TreeSession::begin(
                store,
                index,
                &self.id_hex,
                name,
                &no_filter,
                &scope,
                WalkLock::Caller,
            )?;
            self.reading = Reading::Tree {
                walk: Box::new(walk),
                open: Vec::new(),
                file: false,
            };
        } else {
            self.ready.push_back(json_frame(Frame::Item, &described)?);
            let s = RestoreSession::begin(store, index, &self.id_hex, name, &no_filter)?;
            self.reading = Reading::Stream(Box::new(s));
        }
        Ok(())
    }

    /// Ends the export (early, or after its end): releases its locks.
    pub fn end<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        let inner = match std::mem::replace(&mut self.reading, Reading::Done) {
            Reading::Stream(s) => s.end(store),
            Reading::Tree { walk, .. } => walk.end(store),
            Reading::Between | Reading::Done => Ok(()),
        };
        let released = match self.lock.take() {
            Some(lock) => locking::release(store, lock),
            None => Ok(()),
        };
        inner.and(released)
    }
}
