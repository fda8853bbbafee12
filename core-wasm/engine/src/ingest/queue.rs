//! The blobs an ingest stores: queued in order, sealed in batches (on the host's workers
//! when it runs jobs, while this instance chunks and hashes what comes next), then added to
//! the open pack; packs are indexed once their parity group is in storage.

use super::{InFlight, IngestState};
use crate::error::Result;
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::Index;
use crate::pack::BlobKind;
use crate::parallel;
use crate::segments::{self, SEGMENT_PACKS};
use crate::store::Store;

/// Blobs sealed in one batch, per module instance the host runs jobs on, at least (with
/// one instance, every few blobs are sealed as they come).
const SEAL_BATCH_PER_THREAD: usize = 4;
/// Plaintext bytes per module instance a batch of jobs waits for before it is sealed,
/// unless it reaches [`SEAL_BATCH_MAX_PER_THREAD`] blobs first: a batch of a few small
/// files' chunks costs more to hand out and collect than to seal (docs/DESIGN.md §18).
const SEAL_SHARE_BYTES: usize = 1 << 20;
/// Blobs per module instance in one batch at most.
const SEAL_BATCH_MAX_PER_THREAD: usize = 256;
/// Batches being sealed at once: with two, a worker that finishes its share of one goes
/// on with its share of the next instead of waiting for this instance to fill another,
/// and a burst of slow files or of hard-to-compress chunks does not stall either side.
const SEAL_BATCHES_IN_FLIGHT: usize = 2;
/// Plaintext bytes queued for sealing at most.
const SEAL_BATCH_BYTES: usize = 16 << 20;

/// An empty batch to seal, with room for what fills one (docs/DESIGN.md §18).
pub(super) fn new_batch<H: Host>(store: &Store<H>) -> parallel::SealBatch {
    let threads = parallel::threads(store);
    let fills = (threads * SEAL_SHARE_BYTES).min(SEAL_BATCH_BYTES);
    // One more chunk of the largest size may arrive before the batch is found full.
    parallel::SealBatch::with_capacity(fills + store.config().chunking.max as usize + 64 * 1024)
}

impl IngestState {
    /// Queues a blob for the open pack unless it is already stored or queued; true if it
    /// was new. Queued blobs are sealed in batches ([`IngestState::rotate`]).
    pub(super) fn store_blob<H: Host>(
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
        self.queued.push((id, kind, plain.len() as u32));
        self.batch.push(store, plain);
        let threads = parallel::threads(store);
        let (count, bytes) = (self.batch.len(), self.batch.bytes());
        let full = if threads > 1 {
            (count >= threads * SEAL_BATCH_PER_THREAD && bytes >= threads * SEAL_SHARE_BYTES)
                || count >= threads * SEAL_BATCH_MAX_PER_THREAD
        } else {
            count >= SEAL_BATCH_PER_THREAD
        };
        if full || bytes >= SEAL_BATCH_BYTES {
            self.rotate(store, index)?;
        }
        Ok(true)
    }

    /// Starts sealing the queued blobs (on the host's workers when it runs jobs, which work
    /// while this instance chunks and hashes what comes next), then, with more than
    /// [`SEAL_BATCHES_IN_FLIGHT`] batches out, adds the oldest to the open pack: blobs
    /// reach packs in the order they came.
    fn rotate<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        let blobs = std::mem::take(&mut self.queued);
        let batch = std::mem::replace(&mut self.batch, new_batch(store));
        let sealing = batch.submit(store)?;
        self.in_flight.push_back((sealing, blobs));
        if self.in_flight.len() > SEAL_BATCHES_IN_FLIGHT {
            let oldest = self.in_flight.pop_front().expect("more than none");
            self.add_sealed(store, index, oldest)?;
        }
        Ok(())
    }

    /// Seals everything queued or in flight and adds it to the open pack.
    pub(super) fn drain<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        self.rotate(store, index)?;
        while let Some(oldest) = self.in_flight.pop_front() {
            self.add_sealed(store, index, oldest)?;
        }
        Ok(())
    }

    /// Adds a sealed batch to the open pack, writing packs (and index segments) as they fill.
    fn add_sealed<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        (sealing, batch): InFlight,
    ) -> Result<()> {
        let sealing = sealing.collect(store)?;
        for (&(id, kind, len), (codec, stored)) in batch.iter().zip(sealing.sealed()?) {
            self.queued_ids.remove(&id);
            self.stats.stored += stored.len() as u64;
            let Some(record) = self.packs.add(store, index, id, kind, codec, len, stored)? else {
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
}
