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
/// Batches being opened on the host's workers while one is handed out: two, so that the
/// workers find the next one waiting when they finish one, instead of waiting for the
/// reader to take a whole batch first (docs/DESIGN.md §32).
pub const IN_FLIGHT: usize = 2;

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

/// What a reader reads after a stream, announced with it ([`ChunkStream::read_into_before`]).
pub struct After<'a> {
    /// The streams it reads next, in order.
    pub streams: Vec<&'a ChunkStream>,
    /// The blobs it reads between those (a few, small), asked for only when the stream
    /// announces.
    pub blobs: &'a dyn Fn() -> Vec<BlobId>,
}

impl Default for After<'_> {
    fn default() -> Self {
        After {
            streams: Vec::new(),
            blobs: &Vec::new,
        }
    }
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
    /// Chunks read ahead and checked, in order, and how many of them were handed out.
    ready: Option<(blobs::Plaintexts, usize)>,
    /// The next batches, being opened while the reader takes `ready`, with their list
    /// entries, in order: [`IN_FLIGHT`] of them when the host runs jobs, else one.
    in_flight: VecDeque<(blobs::Reading, Vec<(BlobId, u32)>)>,
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

    /// Continues the announcing of the stream read before this one (`window`, taken from it
    /// with [`ChunkStream::window`]): a reader of many small contents announces about
    /// twice per window across them, not once per content.
    pub fn with_window(mut self, window: Window) -> ChunkStream {
        self.window = window;
        self
    }

    /// Where this stream's announcing stands, for the stream read next.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Appends the next block to `out` (nothing at the end): copied once, from where it
    /// was opened to where the reader wants it, or moved there when `out` is empty and
    /// the block has a buffer of its own.
    pub fn read_into<H: Host>(&mut self, store: &Store<H>, index: &Index, out: &mut Vec<u8>) -> Result<()> {
        self.read_into_before(store, index, out, &After::default())
    }

    /// [`ChunkStream::read_into`] for a reader that reads what `after` says next (a tree
    /// walk: the files it hands out after this one, the directory pieces it reads between
    /// them): those reads are announced with this stream's own, so that a far storage
    /// fetches ahead across many small files.
    pub fn read_into_before<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &Index,
        out: &mut Vec<u8>,
        after: &After<'_>,
    ) -> Result<()> {
        if let Some((plains, i)) = self.next(store, index, after)? {
            if out.is_empty() {
                *out = plains.take(i);
            } else {
                super::append(out, plains.get(i));
            }
        }
        Ok(())
    }

    /// The batch that holds the next block, and its position there; `None` at the end.
    fn next<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &Index,
        after: &After<'_>,
    ) -> Result<Option<(&mut blobs::Plaintexts, usize)>> {
        if !self.fill(store, index, after)? {
            return Ok(None);
        }
        let (plains, next) = self.ready.as_mut().expect("a batch with blocks left");
        *next += 1;
        Ok(Some((plains, *next - 1)))
    }

    /// Reads until a block is ready; false at the end.
    fn fill<H: Host>(&mut self, store: &Store<H>, index: &Index, after: &After<'_>) -> Result<bool> {
        loop {
            match &self.ready {
                Some((plains, next)) if *next < plains.len() => return Ok(true),
                Some(_) => self.ready = None,
                None => {}
            }
            if let Some((reading, entries)) = self.in_flight.pop_front() {
                // Start the next batches before handing out this one, so they are opened
                // while the host writes these chunks.
                self.top_up(store, index, after)?;
                self.receive(store, index, reading, &entries)?;
                continue;
            }
            if self.pos < self.current.len() {
                self.top_up(store, index, after)?;
                continue;
            }
            if let Some(plan) = self.plan.as_ref() {
                if matches!(plan.lists.front(), Some(ListRef::Stored(_))) {
                    self.announce(store, index, after);
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
                None => return Ok(false),
            }
        }
    }

    /// Starts reading batches of the current list until as many are in flight as the host
    /// keeps busy ([`IN_FLIGHT`] on its workers, one when it runs none), or the list ends.
    fn top_up<H: Host>(&mut self, store: &Store<H>, index: &Index, after: &After<'_>) -> Result<()> {
        let most = match parallel::threads(store) {
            1 => 1,
            _ => IN_FLIGHT,
        };
        while self.in_flight.len() < most && self.pos < self.current.len() {
            self.read_ahead(store, index, after)?;
        }
        Ok(())
    }

    /// Starts reading the next batch of chunks of the current list (none at its end).
    fn read_ahead<H: Host>(&mut self, store: &Store<H>, index: &Index, after: &After<'_>) -> Result<()> {
        let most = BATCH_CHUNKS_PER_THREAD * parallel::threads(store);
        let end = batch_end(&self.current, self.pos, most);
        if end == self.pos {
            return Ok(());
        }
        self.announce(store, index, after);
        let entries = self.current[self.pos..end].to_vec();
        let ids: Vec<BlobId> = entries.iter().map(|(id, _)| *id).collect();
        self.in_flight
            .push_back((blobs::start_reading(store, index, &ids)?, entries));
        self.pos = end;
        Ok(())
    }

    /// A step (a batch, or reading a stored list) is about to be taken: announces the
    /// reads from it on when the window says so.
    fn announce<H: Host>(&mut self, store: &Store<H>, index: &Index, after: &After<'_>) {
        if self.window.due() {
            let plan = self.plan_ahead(index, BATCH_CHUNKS_PER_THREAD * parallel::threads(store), after);
            store.will_read(&plan.reads);
            self.window.announced(&plan);
        }
        self.window.step();
    }

    /// The reads of the steps from the one about to be taken: the batches of the rest of
    /// the current list, then of the lists that follow while they are held inline (this
    /// stream's, then those of the streams read `after` it, after the blobs read between),
    /// and the read of the first stored list (its chunks are known only once it is read).
    /// A blob the index lacks ends the plan; its step reports it when it comes.
    fn plan_ahead(&self, index: &Index, most: usize, after: &After<'_>) -> Plan {
        let mut plan = Plan::default();
        // Blobs read between the contents (a tree walk's directory pieces): few, small, and
        // wanted soon.
        for id in (after.blobs)() {
            if let Ok((_, runs)) = blobs::runs(index, &[id]) {
                plan.also(runs.iter().map(|r| r.planned(index)));
            }
        }
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
            let later = after.streams.iter().flat_map(|s| s.plan.iter().chain(&s.plans));
            let lists = self
                .plan
                .iter()
                .chain(&self.plans)
                .chain(later)
                .flat_map(|c| &c.lists);
            for list in lists {
                match list {
                    ListRef::Inline(entries) if add(entries, 0) => {}
                    ListRef::Inline(_) => break,
                    ListRef::Stored(id) => {
                        if let (false, Ok((_, runs))) = (plan.full(), blobs::runs(index, &[*id])) {
                            plan.step(runs.iter().map(|r| r.planned(index)));
                        }
                        break;
                    }
                }
            }
        }
        plan
    }

    /// Makes a read batch `ready`, each chunk checked against its list entry's length.
    fn receive<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &Index,
        reading: blobs::Reading,
        entries: &[(BlobId, u32)],
    ) -> Result<()> {
        let plains = blobs::finish_reading(store, index, reading)?;
        for (i, &(id, len)) in entries.iter().enumerate() {
            let data = plains.get(i);
            if data.len() != len as usize {
                return Err(Error::CorruptSnapshot {
                    file: id.to_hex(),
                    detail: format!("chunk list says {len} bytes, chunk has {}", data.len()),
                });
            }
        }
        self.ready = Some((plains, 0));
        Ok(())
    }
}
