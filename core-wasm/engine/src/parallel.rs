//! Work spread over the host's module instances: sealing and opening many blobs at once
//! as [`crate::jobs`] batches when the host runs jobs (docs/DESIGN.md §18), and one by one
//! here otherwise. Results come back in order and are exactly those of sealing or opening
//! each blob alone, so the number of instances changes nothing that is stored.

use crate::codec::Codec;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::BlobId;
use crate::jobs::{self, Job};
use crate::store::Store;

/// How many jobs the host runs at once (1: no parallelism, no batches).
pub fn threads<H: Host>(store: &Store<H>) -> usize {
    store.host().job_threads().max(1)
}

/// Blobs being sealed: on the host's workers (a ticket), or sealed already here.
pub enum Sealing {
    /// Submitted to the host; collect with [`collect_seals`].
    Submitted(u64, usize),
    /// Sealed here (the host runs no jobs, or there was too little to hand out).
    Done(Vec<(Codec, Vec<u8>)>),
}

/// Starts sealing several blobs, in order: on the host's workers when it runs jobs (the
/// caller goes on while they work), here at once otherwise. The results are those of
/// [`Store::seal_blob`] one by one.
pub fn submit_seals<H: Host>(store: &Store<H>, plains: &[&[u8]]) -> Result<Sealing> {
    if threads(store) == 1 || plains.len() < 2 {
        return Ok(Sealing::Done(plains.iter().map(|p| store.seal_blob(p)).collect()));
    }
    let compression = store.config().compression;
    let nonces: Vec<Vec<u8>> = plains.iter().map(|_| store.nonce()).collect();
    let key = store.data_key();
    let batch: Vec<Vec<u8>> = plains
        .iter()
        .zip(&nonces)
        .map(|(plain, nonce)| {
            jobs::encode(&Job::Seal {
                compression,
                key,
                nonce,
                plain,
            })
        })
        .collect();
    let framed = jobs::frame(&batch);
    match store.host().submit_jobs(&framed) {
        Some(ticket) => Ok(Sealing::Submitted(ticket.map_err(worker_failed)?, batch.len())),
        None => Ok(Sealing::Done(decode_seals(&local(store, &framed)?, batch.len())?)),
    }
}

/// The results of [`submit_seals`], in order.
pub fn collect_seals<H: Host>(store: &Store<H>, sealing: Sealing) -> Result<Vec<(Codec, Vec<u8>)>> {
    match sealing {
        Sealing::Done(done) => Ok(done),
        Sealing::Submitted(ticket, n) => {
            let results = store.host().collect_jobs(ticket).map_err(worker_failed)?;
            decode_seals(&results, n)
        }
    }
}

/// Seals several blobs, in order: the results of [`Store::seal_blob`] one by one.
pub fn seal_many<H: Host>(store: &Store<H>, plains: &[&[u8]]) -> Result<Vec<(Codec, Vec<u8>)>> {
    let sealing = submit_seals(store, plains)?;
    collect_seals(store, sealing)
}

fn decode_seals(results: &[u8], n: usize) -> Result<Vec<(Codec, Vec<u8>)>> {
    items(results, n)?
        .iter()
        .map(|r| jobs::seal_result(r).map_err(Error::Internal))
        .collect()
}

fn worker_failed(e: String) -> Error {
    Error::Internal(format!("a job worker failed: {e}"))
}

/// Runs a framed batch here.
fn local<H: Host>(store: &Store<H>, framed: &[u8]) -> Result<Vec<u8>> {
    jobs::run_batch(store.host(), store.crypto(), framed).map_err(Error::Internal)
}

/// The `n` items of framed results.
fn items(results: &[u8], n: usize) -> Result<Vec<&[u8]>> {
    let items = jobs::unframe(results).map_err(Error::Internal)?;
    if items.len() != n {
        return Err(Error::Internal(format!(
            "{} job results for {n} jobs",
            items.len()
        )));
    }
    Ok(items)
}

/// One stored blob to open: its id, codec, plaintext length and stored bytes.
pub type Sealed<'a> = (BlobId, Codec, u32, &'a [u8]);

/// Stored blobs being opened: on the host's workers (a ticket), or opened already here.
pub enum Opening {
    /// Submitted to the host; collect with [`collect_opens`].
    Submitted(u64, usize),
    /// Opened here.
    Done(Vec<std::result::Result<Vec<u8>, String>>),
}

/// Starts opening several stored blobs, each to be checked against its id: on the host's
/// workers when it runs jobs (the caller goes on while they work), here at once otherwise.
pub fn submit_opens<H: Host>(store: &Store<H>, blobs: &[Sealed<'_>]) -> Result<Opening> {
    if threads(store) == 1 || blobs.len() < 2 {
        return Ok(Opening::Done(blobs.iter().map(|b| open_one(store, b)).collect()));
    }
    let key = store.data_key();
    let id_key = jobs::id_key(store.keys().map(|k| &k.chunk_id));
    let batch: Vec<Vec<u8>> = blobs
        .iter()
        .map(|&(id, codec, raw_len, stored)| {
            jobs::encode(&Job::Open {
                codec,
                key,
                id_key,
                id,
                raw_len,
                stored,
            })
        })
        .collect();
    let framed = jobs::frame(&batch);
    match store.host().submit_jobs(&framed) {
        Some(ticket) => Ok(Opening::Submitted(ticket.map_err(worker_failed)?, batch.len())),
        None => Ok(Opening::Done(decode_opens(&local(store, &framed)?, batch.len())?)),
    }
}

/// The plaintext of each blob of [`submit_opens`], or why it cannot be opened, in order.
pub fn collect_opens<H: Host>(
    store: &Store<H>,
    opening: Opening,
) -> Result<Vec<std::result::Result<Vec<u8>, String>>> {
    match opening {
        Opening::Done(done) => Ok(done),
        Opening::Submitted(ticket, n) => {
            let results = store.host().collect_jobs(ticket).map_err(worker_failed)?;
            decode_opens(&results, n)
        }
    }
}

/// Opens several stored blobs, each checked against its id: the plaintext of each, or
/// why it cannot be opened.
pub fn open_many<H: Host>(
    store: &Store<H>,
    blobs: &[Sealed<'_>],
) -> Result<Vec<std::result::Result<Vec<u8>, String>>> {
    let opening = submit_opens(store, blobs)?;
    collect_opens(store, opening)
}

fn decode_opens(results: &[u8], n: usize) -> Result<Vec<std::result::Result<Vec<u8>, String>>> {
    items(results, n)?
        .iter()
        .map(|r| jobs::open_result(r).map_err(Error::Internal))
        .collect()
}

/// Opens one stored blob here and checks it against its id.
pub fn open_one<H: Host>(
    store: &Store<H>,
    &(id, codec, raw_len, stored): &Sealed<'_>,
) -> std::result::Result<Vec<u8>, String> {
    let plain = store.open_blob(codec, raw_len as usize, stored)?;
    match store.blob_id(&plain) == id {
        true => Ok(plain),
        false => Err("it does not hash to its id".into()),
    }
}
