//! Chunk ids computed on the host's workers (docs/DESIGN.md §18): ingest hands chunks to
//! them in batches, one batch hashing while the next fills, and gets the chunks back in
//! order with their ids, so that the engine's own thread only chunks and deduplicates.
//! With no workers, ids are computed where the chunk is cut and nothing is batched.

use crate::error::Result;
use crate::host::Host;
use crate::ids::BlobId;
use crate::parallel::{self, Hashing};
use crate::store::Store;

/// Chunks per batch, per instance the host runs jobs on.
const PER_THREAD: usize = 8;
/// Bytes of chunks per batch at most.
const BATCH_BYTES: usize = 8 << 20;

/// A chunk and its id.
pub type Identified = (Vec<u8>, BlobId);

/// Chunks waiting for their ids, in order.
#[derive(Default)]
pub struct ChunkIds {
    filling: Vec<Vec<u8>>,
    filling_bytes: usize,
    in_flight: Option<(Hashing, Vec<Vec<u8>>)>,
}

impl ChunkIds {
    /// Takes a chunk; gives back the chunks whose ids are known by now, in order (none, or
    /// a whole earlier batch).
    pub fn push<H: Host>(&mut self, store: &Store<H>, chunk: &[u8]) -> Result<Vec<Identified>> {
        self.filling_bytes += chunk.len();
        self.filling.push(chunk.to_vec());
        if self.filling.len() < PER_THREAD * parallel::threads(store) && self.filling_bytes < BATCH_BYTES {
            return Ok(Vec::new());
        }
        let batch = std::mem::take(&mut self.filling);
        self.filling_bytes = 0;
        let hashing = parallel::submit_ids(store, &batch)?;
        match self.in_flight.replace((hashing, batch)) {
            Some(previous) => identified(store, previous),
            None => Ok(Vec::new()),
        }
    }

    /// Every chunk taken and not given back yet, with its id, in order.
    pub fn flush<H: Host>(&mut self, store: &Store<H>) -> Result<Vec<Identified>> {
        let mut out = match self.in_flight.take() {
            Some(previous) => identified(store, previous)?,
            None => Vec::new(),
        };
        let rest = std::mem::take(&mut self.filling);
        self.filling_bytes = 0;
        out.extend(rest.into_iter().map(|c| {
            let id = store.blob_id(&c);
            (c, id)
        }));
        Ok(out)
    }
}

/// A batch's chunks with their ids, once the host has them.
fn identified<H: Host>(
    store: &Store<H>,
    (hashing, chunks): (Hashing, Vec<Vec<u8>>),
) -> Result<Vec<Identified>> {
    let ids = hashing.collect(store)?.ids()?;
    Ok(chunks.into_iter().zip(ids).collect())
}
