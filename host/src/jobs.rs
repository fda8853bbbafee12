//! The job pool: worker threads, each running its own instance of the engine's module,
//! that run the batches of pure jobs (`cairn_core::jobs`: sealing and opening blobs) the
//! engine's instance hands to the host through the `submit_jobs` and `collect_jobs` imports (docs/DESIGN.md §18).
//!
//! A batch is split into one contiguous share per worker, each share runs on its worker's
//! instance (export `cairn_jobs`), and the results are joined in the order of the jobs, so
//! the number of threads changes nothing the engine stores. Workers start with the first
//! batch, so commands that run no jobs pay nothing for them.

use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread;

use cairn_core::jobs;

use crate::imports::HostState;
use crate::runtime::{Compiled, Runtime};

/// The framed results of one share, or why its worker failed.
type ShareResult = Result<Vec<u8>, String>;
/// One share of a batch, and where its results go.
type Work = (Vec<u8>, Sender<ShareResult>);

/// Worker threads with an instance each, started on first use.
pub struct JobPool {
    compiled: Compiled,
    threads: usize,
    workers: Vec<Sender<Work>>,
    next_ticket: u64,
    /// Batches started and not collected yet: the replies of their shares, in order.
    submitted: HashMap<u64, Vec<Receiver<ShareResult>>>,
}

impl JobPool {
    /// A pool of `threads` workers for `compiled`'s module (none start yet).
    pub fn new(compiled: Compiled, threads: usize) -> JobPool {
        JobPool {
            compiled,
            threads,
            workers: Vec::new(),
            next_ticket: 0,
            submitted: HashMap::new(),
        }
    }

    /// How many jobs run at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    fn start(&mut self) -> Result<(), String> {
        for i in self.workers.len()..self.threads {
            let (tx, rx) = channel::<Work>();
            let compiled = self.compiled.clone();
            let (ready_tx, ready_rx) = channel();
            thread::Builder::new()
                .name(format!("cairn-jobs-{i}"))
                .spawn(move || {
                    let state = HostState::without_storage(Box::new(|_, _| {}));
                    let mut rt = match Runtime::instantiate(&compiled, state) {
                        Ok(rt) => {
                            let _ = ready_tx.send(Ok(()));
                            rt
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    for (share, reply) in rx {
                        let _ = reply.send(rt.run_jobs(&share).map_err(|e| e.to_string()));
                    }
                })
                .map_err(|e| format!("cannot start a job thread: {e}"))?;
            ready_rx
                .recv()
                .map_err(|_| "a job thread died while starting".to_string())??;
            self.workers.push(tx);
        }
        Ok(())
    }

    /// Starts a framed batch on the workers, one contiguous share each; a ticket for
    /// [`JobPool::collect`].
    pub fn submit(&mut self, batch: &[u8]) -> Result<u64, String> {
        self.start()?;
        let mut waiting = Vec::new();
        for (share, worker) in jobs::split(batch, self.workers.len())?
            .into_iter()
            .zip(&self.workers)
        {
            let (tx, rx) = channel();
            worker
                .send((share, tx))
                .map_err(|_| "a job thread has stopped".to_string())?;
            waiting.push(rx);
        }
        self.next_ticket += 1;
        self.submitted.insert(self.next_ticket, waiting);
        Ok(self.next_ticket)
    }

    /// Waits for a submitted batch; the framed results of its shares, in order (which
    /// `jobs::join` puts together).
    pub fn collect(&mut self, ticket: u64) -> Result<Vec<Vec<u8>>, String> {
        let waiting = self
            .submitted
            .remove(&ticket)
            .ok_or_else(|| format!("no batch has ticket {ticket}"))?;
        let mut shares = Vec::with_capacity(waiting.len());
        for rx in waiting {
            shares.push(rx.recv().map_err(|_| "a job thread has stopped".to_string())??);
        }
        Ok(shares)
    }
}
