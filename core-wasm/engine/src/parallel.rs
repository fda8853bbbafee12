//! Work spread over the host's module instances: sealing and opening many blobs at once
//! as [`crate::jobs`] batches when the host runs jobs (docs/DESIGN.md §18), and one by one
//! here otherwise. Results come back in order and are exactly those of sealing or opening
//! each blob alone, so the number of instances changes nothing that is stored.
//!
//! Jobs are encoded straight into their batch, and results are read as slices of the
//! batch's results, so that a blob is copied as few times as crossing instances needs.

use crate::codec::Codec;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::BlobId;
use crate::jobs::{self, Batch, Job};
use crate::store::Store;

/// How many jobs the host runs at once (1: no parallelism, no batches).
pub fn threads<H: Host>(store: &Store<H>) -> usize {
    store.host().job_threads().max(1)
}

/// Results of a batch of `n` jobs: made here, or on the host's workers (a ticket), or
/// collected from them (framed).
pub enum Results<T> {
    /// Made here (the host runs no jobs, or there was too little to hand out).
    Here(Vec<T>),
    /// Submitted to the host: ticket and job count.
    Submitted(u64, usize),
    /// Collected from the host: framed results and job count.
    Framed(Vec<u8>, usize),
}

/// Blobs being sealed: each result is the codec and the stored bytes.
pub type Sealing = Results<(Codec, Vec<u8>)>;
/// Stored blobs being opened: each result is the plaintext (empty for a check), or why
/// the blob cannot be opened.
pub type Opening = Results<std::result::Result<Vec<u8>, String>>;

impl<T> Results<T> {
    /// Waits for the host's workers, if the jobs run there.
    pub fn collect<H: Host>(self, store: &Store<H>) -> Result<Results<T>> {
        match self {
            Results::Submitted(ticket, n) => {
                let framed = store.host().collect_jobs(ticket).map_err(worker_failed)?;
                Ok(Results::Framed(framed, n))
            }
            done => Ok(done),
        }
    }

    /// The framed items, checked to be as many as the jobs.
    fn items(framed: &[u8], n: usize) -> Result<Vec<&[u8]>> {
        let items = jobs::unframe(framed).map_err(Error::Internal)?;
        if items.len() != n {
            return Err(Error::Internal(format!(
                "{} job results for {n} jobs",
                items.len()
            )));
        }
        Ok(items)
    }
}

impl Sealing {
    /// Each blob's codec and stored bytes, in order (after [`Results::collect`]).
    pub fn sealed(&self) -> Result<Vec<(Codec, &[u8])>> {
        match self {
            Results::Here(done) => Ok(done.iter().map(|(c, s)| (*c, s.as_slice())).collect()),
            Results::Framed(framed, n) => Self::items(framed, *n)?
                .into_iter()
                .map(|r| jobs::seal_result(r).map_err(Error::Internal))
                .collect(),
            Results::Submitted(..) => Err(uncollected()),
        }
    }
}

impl Opening {
    /// Each blob's plaintext (empty for a check), or why it cannot be opened, in order
    /// (after [`Results::collect`]).
    pub fn opened(&self) -> Result<Vec<std::result::Result<&[u8], String>>> {
        match self {
            Results::Here(done) => Ok(done.iter().map(|r| r.as_deref().map_err(Clone::clone)).collect()),
            Results::Framed(framed, n) => Self::items(framed, *n)?
                .into_iter()
                .map(|r| jobs::open_result(r).map_err(Error::Internal))
                .collect(),
            Results::Submitted(..) => Err(uncollected()),
        }
    }

    /// The plaintexts, kept where they were made (after [`Results::collect`]); or the
    /// first blob that cannot be opened: its position and why.
    pub fn into_plaintexts(self) -> Result<std::result::Result<Plaintexts, (usize, String)>> {
        let held = match self {
            Results::Here(done) => {
                let mut plains = Vec::with_capacity(done.len());
                for (i, r) in done.into_iter().enumerate() {
                    match r {
                        Ok(plain) => plains.push(plain),
                        Err(why) => return Ok(Err((i, why))),
                    }
                }
                Held::Here(plains)
            }
            Results::Framed(framed, n) => {
                let mut ranges = Vec::with_capacity(n);
                for (i, item) in Self::items(&framed, n)?.into_iter().enumerate() {
                    let plain = jobs::open_result(item).map_err(Error::Internal)?;
                    match plain {
                        // Where the plaintext lies in the results (a slice of them).
                        Ok(p) => {
                            let start = p.as_ptr() as usize - framed.as_ptr() as usize;
                            ranges.push(start..start + p.len());
                        }
                        Err(why) => return Ok(Err((i, why))),
                    }
                }
                Held::Framed(framed, ranges)
            }
            Results::Submitted(..) => return Err(uncollected()),
        };
        Ok(Ok(Plaintexts(held)))
    }
}

/// Opened blobs' plaintexts, in order, kept where they were made: each in its own buffer
/// when opened here, as ranges of the batch's results when opened on the host's workers.
/// A restore hands each on from there ([`Plaintexts::get`]) instead of copying it out first.
pub struct Plaintexts(Held);

enum Held {
    Here(Vec<Vec<u8>>),
    Framed(Vec<u8>, Vec<std::ops::Range<usize>>),
}

impl Plaintexts {
    /// How many blobs.
    pub fn len(&self) -> usize {
        match &self.0 {
            Held::Here(plains) => plains.len(),
            Held::Framed(_, ranges) => ranges.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The plaintext of blob `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        match &self.0 {
            Held::Here(plains) => &plains[i],
            Held::Framed(framed, ranges) => &framed[ranges[i].clone()],
        }
    }

    /// The plaintext of blob `i`, owned: moved out when it has a buffer of its own (which
    /// is left empty), copied otherwise.
    pub fn take(&mut self, i: usize) -> Vec<u8> {
        match &mut self.0 {
            Held::Here(plains) => std::mem::take(&mut plains[i]),
            Held::Framed(framed, ranges) => framed[ranges[i].clone()].to_vec(),
        }
    }

    /// Every plaintext, owned.
    pub fn into_vecs(mut self) -> Vec<Vec<u8>> {
        (0..self.len()).map(|i| self.take(i)).collect()
    }
}

fn uncollected() -> Error {
    Error::Internal("job results read before they were collected".into())
}

fn worker_failed(e: String) -> Error {
    Error::Internal(format!("a job worker failed: {e}"))
}

/// Hands a framed batch to the host's workers, or runs it here if the host takes none.
fn submit<H: Host, T>(store: &Store<H>, batch: Batch) -> Result<Results<T>> {
    let n = batch.len();
    let framed = batch.finish();
    match store.host().submit_jobs(&framed) {
        Some(ticket) => Ok(Results::Submitted(ticket.map_err(worker_failed)?, n)),
        None => {
            let results = jobs::run_batch(store.host(), store.crypto(), &framed).map_err(Error::Internal)?;
            Ok(Results::Framed(results, n))
        }
    }
}

/// Blobs gathered for sealing, in order: each is encoded as a job straight into the batch
/// the host's workers will run (the plaintext's one copy) when the host runs jobs, and
/// sealed here at once otherwise. The results are those of [`Store::seal_blob`] one by one.
pub struct SealBatch {
    jobs: Option<Batch>,
    here: Vec<(Codec, Vec<u8>)>,
    count: usize,
    bytes: usize,
    capacity: usize,
}

impl SealBatch {
    /// An empty batch; when it becomes a batch of jobs, room for `capacity` bytes of
    /// plaintext is made at once (no copy as it grows up to that).
    pub fn with_capacity(capacity: usize) -> SealBatch {
        SealBatch {
            jobs: None,
            here: Vec::new(),
            count: 0,
            bytes: 0,
            capacity,
        }
    }

    /// Adds a blob to seal.
    pub fn push<H: Host>(&mut self, store: &Store<H>, plain: &[u8]) {
        self.count += 1;
        self.bytes += plain.len();
        if threads(store) == 1 {
            self.here.push(store.seal_blob(plain));
            return;
        }
        let capacity = self.capacity;
        let batch = self.jobs.get_or_insert_with(|| Batch::with_capacity(capacity));
        let nonce = store.nonce();
        let job = Job::Seal {
            compression: store.config().compression,
            key: store.data_key(),
            nonce: &nonce,
            plain,
        };
        batch.push_with(|out| jobs::encode_into(out, &job));
    }

    /// How many blobs it holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Their plaintext bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Starts sealing: on the host's workers (the caller goes on while they work), or
    /// already done here.
    pub fn submit<H: Host>(self, store: &Store<H>) -> Result<Sealing> {
        match self.jobs {
            Some(batch) => submit(store, batch),
            None => Ok(Results::Here(self.here)),
        }
    }
}

/// One stored blob to open: its id, codec, plaintext length and stored bytes.
pub type Sealed<'a> = (BlobId, Codec, u32, &'a [u8]);

/// Starts opening several stored blobs, each to be checked against its id: on the host's
/// workers when it runs jobs (the caller goes on while they work), here at once otherwise.
/// With `keep` false only the verdicts come back (verification), not the plaintext.
pub fn submit_opens<H: Host>(store: &Store<H>, blobs: &[Sealed<'_>], keep: bool) -> Result<Opening> {
    if threads(store) == 1 || blobs.len() < 2 {
        let open = |b: &Sealed<'_>| open_one(store, b).map(|p| if keep { p } else { Vec::new() });
        return Ok(Results::Here(blobs.iter().map(open).collect()));
    }
    let key = store.data_key();
    let id_key = jobs::id_key(store.keys().map(|k| &k.chunk_id));
    let mut batch = Batch::with_capacity(blobs.iter().map(|b| b.3.len() + 128).sum());
    for &(id, codec, raw_len, stored) in blobs {
        let job = Job::Open {
            keep,
            codec,
            key,
            id_key,
            id,
            raw_len,
            stored,
        };
        batch.push_with(|out| jobs::encode_into(out, &job));
    }
    submit(store, batch)
}

/// Opens one stored blob here and checks it against its id.
pub fn open_one<H: Host>(
    store: &Store<H>,
    &(id, codec, raw_len, stored): &Sealed<'_>,
) -> std::result::Result<Vec<u8>, String> {
    let id_key = jobs::id_key(store.keys().map(|k| &k.chunk_id));
    jobs::open(
        store.host(),
        store.crypto(),
        codec,
        store.data_key(),
        id_key,
        id,
        raw_len,
        stored,
    )
}
