//! Fetching ahead what the engine announces it will read (docs/DESIGN.md §28), for the
//! storages far away (S3, HTTP), where each request waits a round trip or more.
//!
//! The engine's storage calls stay synchronous. Restore and verification announce their
//! next reads ([`Storage::will_read`]); [`ReadAhead`] hands them, in order, to a few
//! fetcher threads ([`IN_FLIGHT`]) while the fetched bytes and those being fetched stay
//! within [`BUDGET`], and the `get` or `get_range` that follows takes its bytes from what
//! was fetched, or waits for its fetch if it is under way. Nothing else changes: a read
//! that was not announced, not fetched yet, or whose fetch failed is made when it is asked
//! for, as without this layer, so every answer and error is the storage's own. A write or
//! delete of a key forgets what was fetched of it.
//!
//! Announced ranges of one object that follow each other are fetched together, up to
//! [`MERGE_MAX`], and the fetched bytes answer each of them: a ranged GET costs an S3
//! service about as much as reading the whole object (SeaweedFS spends about 60 % of a
//! whole 8 MiB read's CPU on a 1 MiB range of it), so a restore that reads a pack a batch
//! at a time asked for several times the work it needed (docs/DESIGN.md §32).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use cairn_core::host::{Planned, Storage, StorageError};
use opendal::Buffer;

use super::{Far, SharedStorage};

/// The storage fetched from.
type Inner = Arc<dyn Far>;

/// Fetcher threads: the most requests in flight at once besides the caller's own.
pub const IN_FLIGHT: usize = 6;
/// Bytes fetched ahead and being fetched, at most (a read larger than this alone still goes).
pub const BUDGET: u64 = 64 << 20;
/// What a read of unknown size is counted as against [`BUDGET`].
const UNKNOWN_SIZE: u64 = 64 << 10;
/// The longest range fetched for several announced ranges of one object.
pub const MERGE_MAX: u64 = 16 << 20;
/// The most bytes fetched between two announced ranges of one object to fetch them as
/// one: reading 1 MiB more costs less than one more request to any S3 service measured
/// (docs/DESIGN.md §32).
pub const GAP_MAX: u64 = 1 << 20;

/// What the environment variable names that turns fetching ahead off (`0`), to measure
/// what it gains.
pub const READ_AHEAD_ENV: &str = "CAIRN_READ_AHEAD";

/// A storage far away, fetching ahead unless [`READ_AHEAD_ENV`] is `0`.
pub fn far(inner: Inner) -> SharedStorage {
    match std::env::var(READ_AHEAD_ENV).as_deref() {
        Ok("0") => inner,
        _ => Arc::new(ReadAhead::new(inner)),
    }
}

/// What one fetch brings: `read`, which covers each of `parts`, the announced reads it
/// answers.
struct Fetch {
    read: Planned,
    parts: Vec<Planned>,
}

impl Fetch {
    fn one(read: Planned) -> Fetch {
        Fetch {
            parts: vec![read.clone()],
            read,
        }
    }

    /// Takes in `next` when it is a range of the same object that lies within [`GAP_MAX`]
    /// of this fetch's range, before or after it, and keeps it within [`MERGE_MAX`]; false
    /// otherwise.
    fn absorb(&mut self, next: &Planned) -> bool {
        let (
            Planned::Range { key, offset, len },
            Planned::Range {
                key: k,
                offset: o,
                len: l,
            },
        ) = (&mut self.read, next)
        else {
            return false;
        };
        let (end, next_end) = (offset.saturating_add(*len), o.saturating_add(*l));
        let (start, stop) = ((*offset).min(*o), end.max(next_end));
        let near = o.saturating_sub(end) <= GAP_MAX && offset.saturating_sub(next_end) <= GAP_MAX;
        if key != k || !near || stop - start > MERGE_MAX {
            return false;
        }
        (*offset, *len) = (start, stop - start);
        self.parts.push(next.clone());
        true
    }
}

/// Announced reads grouped into fetches, in the order of each fetch's first read: a range
/// joins the fetch of its object it lies near ([`Fetch::absorb`]), wherever that fetch's
/// earlier reads stand in the plan, so that a pack a restore comes back to (a chunk the
/// stream repeats, the next batch) is read once.
fn coalesce(reads: impl IntoIterator<Item = Planned>) -> VecDeque<Fetch> {
    let mut fetches: VecDeque<Fetch> = VecDeque::new();
    for read in reads {
        if !fetches.iter_mut().any(|f| f.absorb(&read)) {
            fetches.push_back(Fetch::one(read));
        }
    }
    fetches
}

/// A read fetched ahead or being fetched.
struct Slot {
    id: u64,
    read: Planned,
    /// The announced reads it answers and were not taken yet: it is dropped when the last
    /// is taken, or, when a later hint leaves them all out, at once (fetched) or when its
    /// fetch ends.
    parts: Vec<Planned>,
    /// Its share of [`BUDGET`].
    cost: u64,
    /// `None` while in flight; the pieces the response arrived in, each part copied out
    /// of them when it is taken.
    data: Option<Buffer>,
    /// False once its key was written: never used, dropped when its fetch ends.
    fresh: bool,
}

#[derive(Default)]
struct State {
    /// Announced and not started, in order.
    queue: VecDeque<Fetch>,
    slots: Vec<Slot>,
    /// The sum of the slots' costs.
    held: u64,
    next_id: u64,
    fetchers: usize,
    /// Set when the storage is dropped: the fetchers end.
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// [`Storage`] that fetches announced reads ahead (see the module docs).
pub struct ReadAhead {
    inner: Inner,
    shared: Arc<Shared>,
}

fn cost(read: &Planned) -> u64 {
    read.size().max(UNKNOWN_SIZE)
}

/// Whether `a` and `b` are the same read (a whole-object read's expected size aside: a
/// `get` asks for none).
fn same(a: &Planned, b: &Planned) -> bool {
    match (a, b) {
        (Planned::Get { key: x, .. }, Planned::Get { key: y, .. }) => x == y,
        _ => a == b,
    }
}

/// Whether a slot holding `have` answers the read `want`: the same whole-object read, or
/// a range inside the range it holds.
fn answers(have: &Planned, want: &Planned) -> bool {
    match (have, want) {
        (Planned::Get { key: a, .. }, Planned::Get { key: b, .. }) => a == b,
        (
            Planned::Range {
                key: a,
                offset: ao,
                len: al,
            },
            Planned::Range {
                key: b,
                offset: bo,
                len: bl,
            },
        ) => a == b && ao <= bo && bo.saturating_add(*bl) <= ao.saturating_add(*al),
        _ => false,
    }
}

/// Where in `len` bytes fetched for `have` the bytes `want` asks for lie; `None` when it
/// asks for all of them.
fn bounds(have: &Planned, want: &Planned, len: usize) -> Option<std::ops::Range<usize>> {
    match (have, want) {
        (
            Planned::Range { offset: ao, .. },
            Planned::Range {
                offset: bo, len: bl, ..
            },
        ) if (ao, len as u64) != (bo, *bl) => {
            let start = ((bo - ao) as usize).min(len);
            Some(start..start.saturating_add(*bl as usize).min(len))
        }
        _ => None,
    }
}

/// The part of `data`, fetched for `have`, that `want` asks for, copied out of it once (or
/// moved, when it is all of one piece no one else holds).
fn slice(have: &Planned, want: &Planned, data: Buffer) -> Vec<u8> {
    let part = match bounds(have, want, data.len()) {
        Some(r) => data.slice(r),
        None => data,
    };
    let bytes = part.to_bytes();
    drop(part);
    bytes.into()
}

impl ReadAhead {
    /// `inner`, fetching ahead what the engine announces; no thread starts before the
    /// first announcement.
    pub fn new(inner: Inner) -> ReadAhead {
        ReadAhead {
            inner,
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
            }),
        }
    }

    /// One fetcher: takes the first announced read when it fits the budget, fetches it,
    /// and keeps the bytes for the call that asks for them.
    fn fetcher(inner: Inner, shared: Arc<Shared>) {
        let mut st = shared.lock();
        while !st.stop {
            let fits = st
                .queue
                .front()
                .is_some_and(|f| st.held == 0 || st.held + cost(&f.read) <= BUDGET);
            if !fits {
                st = shared.changed.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let Fetch { read, parts } = st.queue.pop_front().expect("a queued read");
            let (id, c) = (st.next_id, cost(&read));
            st.next_id += 1;
            st.held += c;
            st.slots.push(Slot {
                id,
                read: read.clone(),
                parts,
                cost: c,
                data: None,
                fresh: true,
            });
            drop(st);
            let got = inner.fetch(&read);
            st = shared.lock();
            if let Some(i) = st.slots.iter().position(|s| s.id == id) {
                // A later hint that left it out emptied its parts.
                let wanted = !st.slots[i].parts.is_empty() && st.slots[i].fresh;
                match got {
                    Ok(data) if wanted => {
                        let c = (data.len() as u64).max(st.slots[i].cost);
                        st.held = st.held - st.slots[i].cost + c;
                        st.slots[i].cost = c;
                        st.slots[i].data = Some(data);
                    }
                    // Failed (the call that asks makes the read itself and reports its
                    // error), no longer wanted, or stale.
                    _ => {
                        let slot = st.slots.swap_remove(i);
                        st.held -= slot.cost;
                    }
                }
            }
            shared.changed.notify_all();
        }
    }

    /// The bytes of `want` if they were fetched ahead (waiting for a fetch under way);
    /// `None` when the caller must read them itself.
    fn take(&self, want: &Planned) -> Option<Vec<u8>> {
        let mut st = self.shared.lock();
        loop {
            let Some(i) = st.slots.iter().position(|s| s.fresh && answers(&s.read, want)) else {
                // Not started: the caller reads it now, so no fetcher should (a fetch that
                // brings other announced reads too still goes, for them).
                if let Some(q) = st
                    .queue
                    .iter()
                    .position(|f| f.parts.iter().any(|p| same(p, want)))
                {
                    let f = &mut st.queue[q];
                    if let Some(p) = f.parts.iter().position(|p| same(p, want)) {
                        f.parts.swap_remove(p);
                    }
                    if f.parts.is_empty() {
                        st.queue.remove(q);
                    }
                }
                return None;
            };
            let slot = &mut st.slots[i];
            if let Some(data) = &slot.data {
                if let Some(p) = slot.parts.iter().position(|p| same(p, want)) {
                    slot.parts.swap_remove(p);
                }
                if !slot.parts.is_empty() {
                    // Other announced reads are still to come from these bytes.
                    let part = bounds(&slot.read, want, data.len()).unwrap_or(0..data.len());
                    return Some(data.slice(part).to_vec());
                }
                let slot = st.slots.swap_remove(i);
                st.held -= slot.cost;
                self.shared.changed.notify_all();
                return Some(slice(&slot.read, want, slot.data.expect("fetched")));
            }
            st = self.shared.changed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Forgets what was fetched of `key`: it is being written.
    fn forget(&self, key: &str) {
        let mut st = self.shared.lock();
        st.queue.retain(|f| f.read.key() != key);
        let mut freed = 0;
        st.slots.retain_mut(|s| {
            if s.read.key() != key {
                return true;
            }
            s.fresh = false;
            // In flight: its fetcher drops it.
            let done = s.data.is_some();
            if done {
                freed += s.cost;
            }
            !done
        });
        st.held -= freed;
        self.shared.changed.notify_all();
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Fetchers under way finish their request and end; their bytes go unused.
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
    }
}

impl Storage for ReadAhead {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        let want = Planned::Get {
            key: key.to_string(),
            size: 0,
        };
        match self.take(&want) {
            Some(data) => Ok(data),
            None => self.inner.get(key),
        }
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        let want = Planned::Range {
            key: key.to_string(),
            offset,
            len,
        };
        match self.take(&want) {
            Some(data) => Ok(data),
            None => self.inner.get_range(key, offset, len),
        }
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.forget(key);
        self.inner.put(key, data)
    }

    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.forget(key);
        self.inner.put_new(key, data)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        self.inner.list(prefix)
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.forget(key);
        self.inner.delete(key)
    }

    fn will_read(&self, reads: &[Planned]) {
        let mut st = self.shared.lock();
        // Each announced read is answered by the first fetch, made or under way, that
        // holds it; the others are queued. A fetch that answers none is not wanted.
        for s in &mut st.slots {
            s.parts.clear();
        }
        let mut rest = Vec::new();
        for r in reads {
            match st.slots.iter_mut().find(|s| s.fresh && answers(&s.read, r)) {
                Some(s) => s.parts.push(r.clone()),
                None => rest.push(r.clone()),
            }
        }
        let mut freed = 0;
        st.slots.retain_mut(|s| {
            let drop_now = s.parts.is_empty() && s.data.is_some();
            if drop_now {
                freed += s.cost;
            }
            !drop_now
        });
        st.held -= freed;
        let queue = coalesce(rest);
        st.queue = queue;
        while st.fetchers < IN_FLIGHT.min(st.queue.len()) {
            let (inner, shared) = (self.inner.clone(), self.shared.clone());
            let spawned = thread::Builder::new()
                .name("cairn-read-ahead".into())
                .spawn(move || ReadAhead::fetcher(inner, shared));
            if spawned.is_err() {
                break; // fewer fetchers, or none: every read is then made when asked for
            }
            st.fetchers += 1;
        }
        self.shared.changed.notify_all();
    }
}
