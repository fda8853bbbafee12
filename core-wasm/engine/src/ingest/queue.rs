//! The blobs an ingest stores: queued in order, sealed in batches (on the host's workers
//! when it runs jobs, while this instance chunks and hashes what comes next), then added to
//! the open pack; packs are indexed once their parity group is in storage.

use super::{InFlight, IngestState, SEAL_BATCH_BYTES, SEAL_BATCH_PER_THREAD};
use crate::error::Result;
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::Index;
use crate::pack::BlobKind;
use crate::parallel;
use crate::segments::{self, SEGMENT_PACKS};
use crate::store::Store;

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
    pub(super) fn drain<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
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
}
