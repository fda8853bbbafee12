//! The chunks of one or more contents (stream items, or files of a tree) as a stream of
//! blocks: each chunk read from its pack, opened and checked against its id and its list
//! entry's length; lists checked against the content's declared shape ([`ItemTally`]) as
//! they are read. Chunks are read ahead in batches of up to [`BATCH_BYTES`], so chunks lying
//! back to back in a pack come in one storage call and are opened in parallel when the
//! host runs jobs. The reads of the batches that follow are announced to the host ahead
//! ([`crate::ahead`]), so that a storage far away can fetch several at once.

use std::collections::VecDeque;

use crate::ahead::{Plan, Window};
use crate::blobs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::Index;
use crate::manifest::ItemTally;
use crate::parallel;
use crate::store::Store;
use crate::tree::{Chunks, Content, Node};

/// Plaintext bytes read ahead at most (and at least one chunk).
pub const BATCH_BYTES: u64 = 8 << 20;
/// Chunks read ahead per module instance the host runs jobs on.
pub const BATCH_CHUNKS_PER_THREAD: usize = 8;

/// One piece of a content's chunk list: a chunk-list blob, or entries a tree holds inline.
#[derive(Debug, Clone)]
pub enum ListRef {
    /// A chunk-list blob (docs/FORMAT.md §9).
    Stored(BlobId),
    /// Entries held in a tree piece (docs/FORMAT.md §9b).
    Inline(Vec<(BlobId, u32)>),
}

impl ListRef {
    /// A tree file's chunk lists (docs/FORMAT.md §9b): its inline chunks as one list (none
    /// when it has no chunks), or its chunk-list blobs.
    pub fn of_file(chunks: &Chunks) -> Vec<ListRef> {
        match chunks {
            Chunks::Inline(e) if e.is_empty() => Vec::new(),
            Chunks::Inline(e) => vec![ListRef::Inline(e.clone())],
            Chunks::Lists(l) => l.iter().map(|id| ListRef::Stored(*id)).collect(),
        }
    }
}

/// The tally that checks a tree file's `lists` chunk lists against its entry (its size
/// and chunk count); `what` names it in the answer's disagreement.
pub fn file_tally(
    what: &str,
    node: &Node,
    lists: usize,
    max_chunk: u32,
) -> std::result::Result<ItemTally, String> {
    match &node.content {
        Content::File { chunk_count, .. } => {
            ItemTally::of(what, node.entry.size, *chunk_count, lists, max_chunk)
        }
        _ => Err(format!("{what} is a file entry without a chunk list")),
    }
}

/// One content to read: its lists, and the tally that checks them against its shape.
pub struct ContentPlan {
    /// Checks the lists as they come.
    pub tally: ItemTally,
    /// The lists, in order.
    pub lists: VecDeque<ListRef>,
    /// What a disagreement is reported against (a snapshot file, or an item and path).
    pub file: String,
}

/// Blocks of a sequence of contents, in order.
#[derive(Default)]
pub struct ChunkStream {
    /// Contents not started yet.
    plans: VecDeque<ContentPlan>,
    /// The content whose lists are being read.
    plan: Option<ContentPlan>,
    current: Vec<(BlobId, u32)>,
    pos: usize,
    /// Chunks read ahead, in order.
    ready: VecDeque<Vec<u8>>,
    /// The next batch, being opened while the reader takes `ready`, with its list entries.
    in_flight: Option<(blobs::Reading, Vec<(BlobId, u32)>)>,
    /// When to announce the next batches' reads.
    window: Window,
}

/// Where the batch that starts at `pos` of `entries` ends: at most `most` chunks, and
/// [`BATCH_BYTES`] (but at least one chunk).
fn batch_end(entries: &[(BlobId, u32)], pos: usize, most: usize) -> usize {
    let (mut bytes, mut end) = (0u64, pos);
    while end < entries.len() && end - pos < most && (end == pos || bytes < BATCH_BYTES) {
        bytes += entries[end].1 as u64;
        end += 1;
    }
    end
}

impl ChunkStream {
    /// A stream of these contents' bytes, one after the other.
    pub fn new(plans: impl IntoIterator<Item = ContentPlan>) -> ChunkStream {
        ChunkStream {
            plans: plans.into_iter().collect(),
            ..ChunkStream::default()
        }
    }

    /// The next block; empty at the end.
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
            if let Some(plan) = self.plan.as_ref() {
                if matches!(plan.lists.front(), Some(ListRef::Stored(_))) {
                    self.announce(store, index);
                }
                let plan = self.plan.as_mut().expect("a content being read");
                let corrupt = |detail: String| Error::CorruptSnapshot {
                    file: plan.file.clone(),
                    detail,
                };
                match plan.lists.pop_front() {
                    Some(list) => {
                        let entries = match list {
                            ListRef::Stored(id) => blobs::read_list(store, index, &id)?,
                            ListRef::Inline(entries) => entries,
                        };
                        plan.tally.add_list(&entries).map_err(corrupt)?;
                        self.current = entries;
                        self.pos = 0;
                    }
                    None => {
                        plan.tally.finish().map_err(corrupt)?;
                        self.plan = None;
                    }
                }
                continue;
            }
            match self.plans.pop_front() {
                Some(plan) => self.plan = Some(plan),
                None => return Ok(Vec::new()),
            }
        }
    }

    /// Starts reading the next batch of chunks of the current list (none at its end).
    fn read_ahead<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<()> {
        let most = BATCH_CHUNKS_PER_THREAD * parallel::threads(store);
        let end = batch_end(&self.current, self.pos, most);
        if end == self.pos {
            return Ok(());
        }
        self.announce(store, index);
        let entries = self.current[self.pos..end].to_vec();
        let ids: Vec<BlobId> = entries.iter().map(|(id, _)| *id).collect();
        self.in_flight = Some((blobs::start_reading(store, index, &ids)?, entries));
        self.pos = end;
        Ok(())
    }

    /// A step (a batch, or reading a stored list) is about to be taken: announces the
    /// reads from it on when the window says so.
    fn announce<H: Host>(&mut self, store: &Store<H>, index: &Index) {
        if self.window.due() {
            let plan = self.plan_ahead(index, BATCH_CHUNKS_PER_THREAD * parallel::threads(store));
            store.will_read(&plan.reads);
            self.window.announced(&plan);
        }
        self.window.step();
    }

    /// The reads of the steps from the one about to be taken: the batches of the rest of
    /// the current list, then of the lists that follow while they are held inline, and
    /// the read of the first stored list (its chunks are known only once it is read). A
    /// blob the index lacks ends the plan; its step reports it when it comes.
    fn plan_ahead(&self, index: &Index, most: usize) -> Plan {
        let mut plan = Plan::default();
        let mut add = |entries: &[(BlobId, u32)], mut pos: usize| -> bool {
            while pos < entries.len() {
                if plan.full() {
                    return false;
                }
                let end = batch_end(entries, pos, most);
                let ids: Vec<BlobId> = entries[pos..end].iter().map(|(id, _)| *id).collect();
                let Ok((_, runs)) = blobs::runs(index, &ids) else {
                    return false;
                };
                plan.step(runs.iter().map(|r| r.planned(index)));
                pos = end;
            }
            true
        };
        if add(&self.current, self.pos) {
            'lists: for content in self.plan.iter().chain(&self.plans) {
                for list in &content.lists {
                    match list {
                        ListRef::Inline(entries) if add(entries, 0) => {}
                        ListRef::Inline(_) => break 'lists,
                        ListRef::Stored(id) => {
                            if let (false, Ok((_, runs))) = (plan.full(), blobs::runs(index, &[*id])) {
                                plan.step(runs.iter().map(|r| r.planned(index)));
                            }
                            break 'lists;
                        }
                    }
                }
            }
        }
        plan
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
}
