//! An in-memory [`Host`] for tests and for embedding without a file system.
//!
//! Clones share the same store, so a test can open a second engine on the same
//! repository, inspect or damage stored objects, and move the clock.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::host::{Host, Planned, Storage, StorageError};
use crate::layout;

#[derive(Default)]
struct Inner {
    objects: BTreeMap<String, Vec<u8>>,
    now_ms: i64,
    rng: u64,
    events: Vec<(String, String)>,
    dead: std::collections::BTreeSet<u32>,
    job_threads: usize,
    next_ticket: u64,
    tickets: std::collections::HashMap<u64, Result<Vec<u8>, String>>,
    read_only: bool,
    reads: Option<Vec<ReadLog>>,
}

/// What a [`MemoryHost`] records of reads once told to ([`MemoryHost::log_reads`]): lets
/// a test check that what the engine announces ([`Storage::will_read`]) is what it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadLog {
    /// A `will_read` hint, as given.
    Hint(Vec<Planned>),
    /// A read made: a `get` (its size 0) or a `get_range`.
    Read(Planned),
}

/// Storage, clock, randomness and an event log held in memory.
///
/// Randomness is a deterministic generator (splitmix64) seeded at creation: good for
/// reproducible tests, never for real keys.
#[derive(Clone, Default)]
pub struct MemoryHost {
    inner: Rc<RefCell<Inner>>,
}

impl MemoryHost {
    /// An empty store whose clock reads 2026-01-01T00:00:00Z.
    pub fn new(seed: u64) -> Self {
        let host = MemoryHost::default();
        {
            let mut i = host.inner.borrow_mut();
            i.now_ms = 1_767_225_600_000;
            i.rng = seed;
        }
        host
    }

    /// Makes every later write fail with [`StorageError::ReadOnly`], as a repository served
    /// over HTTP does (or lifts that with `false`).
    pub fn set_read_only(&self, read_only: bool) {
        self.inner.borrow_mut().read_only = read_only;
    }

    fn check_writable(&self) -> Result<(), StorageError> {
        if self.inner.borrow().read_only {
            Err(StorageError::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// Starts recording hints and reads ([`ReadLog`]), or stops with `false`.
    pub fn log_reads(&self, on: bool) {
        self.inner.borrow_mut().reads = on.then(Vec::new);
    }

    /// Removes and returns what was recorded since [`MemoryHost::log_reads`].
    pub fn take_read_log(&self) -> Vec<ReadLog> {
        self.inner
            .borrow_mut()
            .reads
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn log(&self, entry: ReadLog) {
        if let Some(log) = self.inner.borrow_mut().reads.as_mut() {
            log.push(entry);
        }
    }

    /// Sets the clock.
    pub fn set_now_ms(&self, ms: i64) {
        self.inner.borrow_mut().now_ms = ms;
    }

    /// Every stored key, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.inner.borrow().objects.keys().cloned().collect()
    }

    /// A stored object, if present.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        self.inner.borrow().objects.get(key).cloned()
    }

    /// Replaces or inserts an object directly, bypassing the grammar (to inject damage).
    pub fn set_object(&self, key: &str, data: Vec<u8>) {
        self.inner.borrow_mut().objects.insert(key.to_string(), data);
    }

    /// A copy of every stored object, to put back later with [`MemoryHost::restore_objects`].
    pub fn clone_objects(&self) -> BTreeMap<String, Vec<u8>> {
        self.inner.borrow().objects.clone()
    }

    /// Replaces the whole store with `objects` (a test's pristine copy).
    pub fn restore_objects(&self, objects: &BTreeMap<String, Vec<u8>>) {
        self.inner.borrow_mut().objects = objects.clone();
    }

    /// Makes [`Host::process_alive`] report process `pid` as gone (every other one lives).
    pub fn end_process(&self, pid: u32) {
        self.inner.borrow_mut().dead.insert(pid);
    }

    /// Makes the host run job batches as a host with `n` worker instances does: each
    /// batch split into `n` shares, each share run as a worker runs it, the results
    /// joined in order (the shares run one after another here).
    pub fn set_job_threads(&self, n: usize) {
        self.inner.borrow_mut().job_threads = n;
    }

    /// Removes and returns the events received so far.
    pub fn take_events(&self) -> Vec<(String, String)> {
        std::mem::take(&mut self.inner.borrow_mut().events)
    }

    fn check(key: &str) -> Result<(), StorageError> {
        if layout::validate_key(key) {
            Ok(())
        } else {
            Err(StorageError::InvalidKey)
        }
    }
}

impl Storage for MemoryHost {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        Self::check(key)?;
        self.log(ReadLog::Read(Planned::Get {
            key: key.to_string(),
            size: 0,
        }));
        self.inner
            .borrow()
            .objects
            .get(key)
            .cloned()
            .ok_or(StorageError::NotFound)
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        Self::check(key)?;
        self.log(ReadLog::Read(Planned::Range {
            key: key.to_string(),
            offset,
            len,
        }));
        let inner = self.inner.borrow();
        let data = inner.objects.get(key).ok_or(StorageError::NotFound)?;
        let start = (offset as usize).min(data.len());
        let end = start.saturating_add(len as usize).min(data.len());
        Ok(data[start..end].to_vec())
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        Self::check(key)?;
        self.check_writable()?;
        self.inner
            .borrow_mut()
            .objects
            .insert(key.to_string(), data.to_vec());
        Ok(())
    }

    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        Self::check(key)?;
        self.check_writable()?;
        let mut inner = self.inner.borrow_mut();
        if inner.objects.contains_key(key) {
            return Err(StorageError::AlreadyExists);
        }
        inner.objects.insert(key.to_string(), data.to_vec());
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        if !layout::validate_prefix(prefix) {
            return Err(StorageError::InvalidKey);
        }
        let inner = self.inner.borrow();
        Ok(inner
            .objects
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        Self::check(key)?;
        self.check_writable()?;
        self.inner.borrow_mut().objects.remove(key);
        Ok(())
    }

    fn will_read(&self, reads: &[Planned]) {
        self.log(ReadLog::Hint(reads.to_vec()));
    }
}

impl Host for MemoryHost {
    fn random(&self, buf: &mut [u8]) {
        let mut inner = self.inner.borrow_mut();
        for b in buf.chunks_mut(8) {
            inner.rng = inner.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = inner.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            b.copy_from_slice(&z.to_le_bytes()[..b.len()]);
        }
    }

    fn now_ms(&self) -> i64 {
        self.inner.borrow().now_ms
    }

    fn event(&self, name: &str, payload: &str) {
        self.inner
            .borrow_mut()
            .events
            .push((name.to_string(), payload.to_string()));
    }

    fn process_alive(&self, pid: u32) -> Option<bool> {
        Some(!self.inner.borrow().dead.contains(&pid))
    }

    fn job_threads(&self) -> usize {
        self.inner.borrow().job_threads.max(1)
    }

    fn submit_jobs(&self, batch: &[u8]) -> Option<Result<u64, String>> {
        let n = self.inner.borrow().job_threads;
        if n < 2 {
            return None;
        }
        let run = || -> Result<Vec<u8>, String> {
            let crypto = crate::crypto::Crypto::software();
            let results = crate::jobs::split(batch, n)?
                .iter()
                .map(|share| crate::jobs::run_batch(self, &crypto, share))
                .collect::<Result<Vec<_>, _>>()?;
            crate::jobs::join(results)
        };
        let results = run();
        let mut inner = self.inner.borrow_mut();
        inner.next_ticket += 1;
        let ticket = inner.next_ticket;
        inner.tickets.insert(ticket, results);
        Some(Ok(ticket))
    }

    fn collect_jobs(&self, ticket: u64) -> Result<Vec<u8>, String> {
        self.inner
            .borrow_mut()
            .tickets
            .remove(&ticket)
            .unwrap_or_else(|| Err(format!("no batch has ticket {ticket}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_storage_passes_the_conformance_suite() {
        crate::conformance::run_storage_suite(&MemoryHost::new(1));
    }
}
