//! Reads announced ahead (docs/DESIGN.md §28). The engine's storage calls are synchronous,
//! so a storage far away (S3, HTTP) would serve one request at a time; restore and
//! verification know which reads come next, and tell the host with
//! [`Store::will_read`](crate::store::Store::will_read), which may fetch them several at
//! once. A [`Plan`] gathers the reads of the next steps (batches of chunks, packs) within
//! a bound, and a [`Window`] says when to announce again: when half of what was announced
//! has been read, so the host always knows the next steps and the hint is sent about
//! twice per window rather than before every read.

use crate::host::{Host, Planned};
use crate::layout::StorageKey;
use crate::store::Store;

/// Bytes announced ahead at most: what a host may hold fetched ahead at once.
pub const AHEAD_BYTES: u64 = 64 << 20;
/// Steps (batches of chunks, packs) announced ahead at most.
pub const AHEAD_STEPS: usize = 32;

/// The reads of the next steps, bounded by [`AHEAD_BYTES`] and [`AHEAD_STEPS`].
#[derive(Debug, Default)]
pub struct Plan {
    /// The reads, in the order they will be made.
    pub reads: Vec<Planned>,
    bytes: u64,
    /// How many steps the reads cover.
    pub steps: usize,
}

impl Plan {
    /// True when no more steps fit.
    pub fn full(&self) -> bool {
        self.steps >= AHEAD_STEPS || self.bytes >= AHEAD_BYTES
    }

    /// Adds one step's reads.
    pub fn step(&mut self, reads: impl IntoIterator<Item = Planned>) {
        self.also(reads);
        self.steps += 1;
    }

    /// Adds reads made between steps (a tree walk's directory pieces): their bytes count,
    /// but they are no step, so a reader still announces again after half its steps.
    pub fn also(&mut self, reads: impl IntoIterator<Item = Planned>) {
        for r in reads {
            self.bytes += r.size();
            self.reads.push(r);
        }
    }
}

/// Whole objects announced ahead at most while a reader goes through a list of them
/// (snapshot manifests, index segments): small objects, a request each, which a storage
/// far away would otherwise serve one round trip after another.
pub const OBJECTS_AHEAD: usize = 64;

/// The objects named by `ids`, in order, each read by `read` as it is taken, announced
/// ahead (as `key` names them) at the first read and every [`OBJECTS_AHEAD`] / 2 reads
/// after that, [`OBJECTS_AHEAD`] at a time, so the host always knows the next ones. A list
/// of one object is not announced: nothing could be fetched beside it.
pub fn read_each<'s, H: Host, I: Copy + 's, T>(
    store: &'s Store<H>,
    ids: Vec<I>,
    key: impl Fn(I) -> StorageKey + 's,
    read: impl Fn(&Store<H>, I) -> T + 's,
) -> impl Iterator<Item = (I, T)> + 's {
    let keys: Vec<StorageKey> = ids.iter().map(|id| key(*id)).collect();
    ids.into_iter().enumerate().map(move |(i, id)| {
        if keys.len() > 1 && i.is_multiple_of(OBJECTS_AHEAD / 2) {
            let reads: Vec<Planned> = keys[i..]
                .iter()
                .take(OBJECTS_AHEAD)
                .map(|k| Planned::Get {
                    key: k.to_string(),
                    size: 0,
                })
                .collect();
            store.will_read(&reads);
        }
        (id, read(store, id))
    })
}

/// When a reader announces its next steps again (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Window {
    left: usize,
    len: usize,
}

impl Window {
    /// True when the next step should announce a new plan: nothing announced is left, or
    /// half of the last plan has been read.
    pub fn due(&self) -> bool {
        self.left * 2 <= self.len
    }

    /// A plan was announced; it starts with the step about to be taken.
    pub fn announced(&mut self, plan: &Plan) {
        self.left = plan.steps;
        self.len = plan.steps;
    }

    /// A step starts.
    pub fn step(&mut self) {
        self.left = self.left.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_bounded_and_a_window_is_renewed_at_half() {
        let mut plan = Plan::default();
        while !plan.full() {
            plan.step([Planned::Range {
                key: "k".into(),
                offset: 0,
                len: 8 << 20,
            }]);
        }
        assert_eq!((plan.steps, plan.reads.len()), (8, 8), "64 MiB of 8 MiB reads");
        let mut w = Window::default();
        assert!(w.due(), "nothing announced yet");
        w.announced(&plan);
        let mut renewed_after = 0;
        for n in 1..=8 {
            assert!(!w.due(), "step {n}");
            w.step();
            if w.due() {
                renewed_after = n;
                break;
            }
        }
        assert_eq!(renewed_after, 4);
    }
}
