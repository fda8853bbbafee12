//! Writing packs behind the engine's back (docs/DESIGN.md §20): a [`Storage`] wrapper whose
//! `put` of a pack, its `.idx` or a parity shard hands the bytes to a writer thread and
//! returns, so the kernel's copy into the page cache and the fsync overlap the engine's
//! chunking, hashing and sealing of what comes next.
//!
//! The engine relies on a `put` being durable when it returns (docs/FORMAT.md §11: a pack is
//! in storage before anything names it). Only content-addressed objects that nothing names
//! yet are written behind, and **every other call first waits for every write behind to be
//! durable** and reports the first that failed. So whatever the engine writes or reads next
//! (an index segment, a group manifest, a snapshot, a lock, a listing) sees storage exactly
//! as if each `put` had finished before it returned; a crash before that wait loses only
//! objects that nothing refers to, which is what a crash during a synchronous `put` loses.

use std::cell::{Cell, RefCell};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::{self, JoinHandle};

use cairn_core::host::{Planned, Storage, StorageError};
use cairn_core::layout::StorageKey;

/// Writes queued beyond the one being written: bounds the memory held to
/// `(QUEUED + 1)` packs.
const QUEUED: usize = 1;

/// A write handed to the writer thread.
type Write = (String, Vec<u8>);

/// The writer thread and its channels.
struct Writer {
    tx: SyncSender<Write>,
    done: Receiver<(String, Result<(), StorageError>)>,
    thread: JoinHandle<()>,
}

/// [`Storage`] that writes content-addressed objects behind the caller (see the module docs).
pub struct WriteBehind<S: Storage + Clone + Send + 'static> {
    inner: S,
    writer: RefCell<Option<Writer>>,
    /// Writes handed over and not yet confirmed.
    pending: Cell<usize>,
    /// A failure seen early, reported by the next wait.
    early: RefCell<Option<(String, StorageError)>>,
}

/// Whether `key` names an object written behind: a pack, its sidecar, or a parity shard,
/// each named by its content and named by nothing else until a later, waiting, call.
fn behind(key: &str) -> bool {
    matches!(
        StorageKey::parse(key),
        Some(StorageKey::Pack(_) | StorageKey::PackIndex(_) | StorageKey::Shard(_))
    )
}

impl<S: Storage + Clone + Send + 'static> WriteBehind<S> {
    /// Wraps `inner`; the writer thread starts with the first write behind.
    pub fn new(inner: S) -> Self {
        WriteBehind {
            inner,
            writer: RefCell::new(None),
            pending: Cell::new(0),
            early: RefCell::new(None),
        }
    }

    /// The storage written to.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn start(&self) -> Result<(), StorageError> {
        if self.writer.borrow().is_some() {
            return Ok(());
        }
        let (tx, rx) = sync_channel::<Write>(QUEUED);
        let (done_tx, done) = channel();
        let inner = self.inner.clone();
        let thread = thread::Builder::new()
            .name("cairn-writer".into())
            .spawn(move || {
                let mut failed = false;
                for (key, data) in rx {
                    // After a failure the operation fails anyway: what is queued behind it
                    // is not written (on a storage that stopped answering, each write would
                    // wait out its own time-outs first).
                    let r = match failed {
                        true => Err(StorageError::Io("not written: an earlier write failed".into())),
                        false => inner.put(&key, &data),
                    };
                    failed |= r.is_err();
                    if done_tx.send((key, r)).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| StorageError::Io(format!("cannot start the writer thread: {e}")))?;
        *self.writer.borrow_mut() = Some(Writer { tx, done, thread });
        Ok(())
    }

    /// The first write behind that has failed by now, without waiting for the others.
    fn failed_so_far(&self) -> Result<(), StorageError> {
        let failed = {
            let writer = self.writer.borrow();
            let Some(w) = writer.as_ref() else {
                return Ok(());
            };
            let mut failed = false;
            while let Ok((key, r)) = w.done.try_recv() {
                self.pending.set(self.pending.get() - 1);
                if let Err(e) = r {
                    // Put back as the first result the wait below reports.
                    self.early.replace(Some((key, e)));
                    failed = true;
                    break;
                }
            }
            failed
        };
        match failed {
            true => self.wait(),
            false => Ok(()),
        }
    }

    /// Waits until every write behind is durable; the first that failed is the error,
    /// naming its key.
    fn wait(&self) -> Result<(), StorageError> {
        let writer = self.writer.borrow();
        let Some(w) = writer.as_ref() else {
            return Ok(());
        };
        let mut first = self.early.take();
        while self.pending.get() > 0 {
            let (key, r) = w
                .done
                .recv()
                .map_err(|_| StorageError::Io("the writer thread stopped".into()))?;
            self.pending.set(self.pending.get() - 1);
            if let Err(e) = r {
                first.get_or_insert((key, e));
            }
        }
        match first {
            None => Ok(()),
            Some((key, StorageError::Io(m))) => Err(StorageError::Io(format!("writing {key}: {m}"))),
            Some((_, e)) => Err(e),
        }
    }
}

impl<S: Storage + Clone + Send + 'static> Drop for WriteBehind<S> {
    fn drop(&mut self) {
        // Whatever is still queued is named by nothing (every naming call waits first), so
        // an error here loses nothing; the wait only keeps the process from exiting early.
        let _ = self.wait();
        if let Some(w) = self.writer.get_mut().take() {
            drop(w.tx);
            let _ = w.thread.join();
        }
    }
}

impl<S: Storage + Clone + Send + 'static> Storage for WriteBehind<S> {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        self.wait()?;
        self.inner.get(key)
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        self.wait()?;
        self.inner.get_range(key, offset, len)
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        if !behind(key) {
            self.wait()?;
            return self.inner.put(key, data);
        }
        self.start()?;
        self.failed_so_far()?;
        let writer = self.writer.borrow();
        let w = writer.as_ref().expect("started above");
        w.tx.send((key.to_string(), data.to_vec()))
            .map_err(|_| StorageError::Io("the writer thread stopped".into()))?;
        self.pending.set(self.pending.get() + 1);
        Ok(())
    }

    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.wait()?;
        self.inner.put_new(key, data)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        self.wait()?;
        self.inner.list(prefix)
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.wait()?;
        self.inner.delete(key)
    }

    fn will_read(&self, reads: &[Planned]) {
        // A hint observes nothing, so it need not wait; the reads it announces will.
        self.inner.will_read(reads)
    }
}
