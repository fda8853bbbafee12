//! The host side of the module's `"cairn"` imports (the ABI of `core-wasm/abi`).
//!
//! [`add_to_linker`] defines exactly the imports of `cairn_core::wire::IMPORTS` and nothing else, so a
//! module that asks for anything more fails to instantiate. Every pointer/length pair is
//! bounds-checked against the module's memory: an out-of-range one traps. Storage goes
//! to the location's storage ([`crate::storage`]), which checks every key against the
//! repository grammar first, through [`WriteBehind`], which writes packs on a thread of
//! their own.

use cairn_core::host::{Storage, StorageError};
use cairn_core::wire::{self, StorageStatus};
use wasmtime::{Caller, Linker, Memory, Result};

use cairn_core::jobs;

use crate::jobs::JobPool;
use crate::storage::fs::FsStorage;
use crate::storage::SharedStorage;
use crate::write_behind::WriteBehind;

mod crypto;

/// The import module every import of the ABI module comes from.
pub const IMPORT_MODULE: &str = wire::IMPORT_MODULE;

/// Receives the module's events: name and JSON payload.
pub type EventSink = Box<dyn FnMut(&str, &str)>;

/// An answer held for the module until it takes it (imports `pending_len`, `take_pending`).
enum Pending {
    /// Bytes, whole.
    Bytes(Vec<u8>),
    /// A batch's results as its shares came back from the workers, checked: joined as
    /// they are copied into the module, not before.
    Shares(jobs::Joined),
}

impl Pending {
    fn len(&self) -> usize {
        match self {
            Pending::Bytes(b) => b.len(),
            Pending::Shares(s) => s.len(),
        }
    }

    /// Copies the answer's first `out.len()` bytes (at most) into `out`.
    fn copy_to(&self, out: &mut [u8]) {
        let parts: Box<dyn Iterator<Item = &[u8]>> = match self {
            Pending::Bytes(b) => Box::new(std::iter::once(&b[..])),
            Pending::Shares(s) => Box::new(s.parts()),
        };
        let mut at = 0;
        for part in parts {
            let n = part.len().min(out.len() - at);
            out[at..at + n].copy_from_slice(&part[..n]);
            at += n;
        }
    }
}

/// What the imports work on: the store's data.
pub struct HostState {
    storage: Option<WriteBehind<SharedStorage>>,
    memory: Option<Memory>,
    pending: Pending,
    on_event: EventSink,
    panic_message: Option<String>,
    jobs: Option<JobPool>,
}

impl HostState {
    /// State for a module serving the repository in `storage`, sending events to `on_event`.
    pub fn new(storage: SharedStorage, on_event: EventSink) -> Self {
        HostState {
            storage: Some(WriteBehind::new(storage)),
            memory: None,
            pending: Pending::Bytes(Vec::new()),
            on_event,
            panic_message: None,
            jobs: None,
        }
    }

    /// State for an instance that only runs jobs: every storage call fails.
    pub fn without_storage(on_event: EventSink) -> Self {
        HostState {
            storage: None,
            ..HostState::new(std::sync::Arc::new(FsStorage::new("")), on_event)
        }
    }

    /// Lets the instance hand batches of jobs to `pool`'s workers.
    pub fn with_jobs(self, pool: JobPool) -> Self {
        HostState {
            jobs: Some(pool),
            ..self
        }
    }

    fn storage(&self) -> Result<&WriteBehind<SharedStorage>, StorageError> {
        self.storage
            .as_ref()
            .ok_or_else(|| StorageError::Io("this instance runs jobs only and has no storage".into()))
    }

    /// Records the instance's memory; the imports need it.
    pub fn set_memory(&mut self, memory: Memory) {
        self.memory = Some(memory);
    }

    /// The message of the module's last `panic` event, if it sent one.
    pub fn panic_message(&self) -> Option<&str> {
        self.panic_message.as_deref()
    }

    /// Holds a storage answer pending: its length, or minus its status with the message held.
    fn hold(&mut self, key: &[u8], r: Result<Vec<u8>, StorageError>) -> i64 {
        match r {
            Ok(bytes) => {
                self.pending = Pending::Bytes(bytes);
                self.pending.len() as i64
            }
            Err(e) => self.hold_error(key, e) as i64,
        }
    }

    /// `0`, or minus the status of the error with its message held pending.
    fn status(&mut self, key: &[u8], r: Result<(), StorageError>) -> i32 {
        match r {
            Ok(()) => 0,
            Err(e) => self.hold_error(key, e),
        }
    }

    /// A job import's answer: the value, or -2 with the failure's message held pending.
    fn hold_job(&mut self, r: std::result::Result<i64, String>) -> i64 {
        r.unwrap_or_else(|message| {
            self.pending = Pending::Bytes(message.into_bytes());
            -2
        })
    }

    /// Minus the status of `e`, with its message held pending.
    fn hold_error(&mut self, key: &[u8], e: StorageError) -> i32 {
        self.pending = Pending::Bytes(wire::failure_message(&e, &String::from_utf8_lossy(key)).into_bytes());
        StorageStatus::of(&e).code()
    }
}

/// The guest range `ptr..ptr + len`, if it lies inside `mem`.
fn range(mem: &[u8], ptr: i32, len: usize) -> Result<std::ops::Range<usize>> {
    let start = ptr as u32 as usize;
    match start.checked_add(len) {
        Some(end) if end <= mem.len() => Ok(start..end),
        _ => Err(wasmtime::format_err!(
            "the module passed an out-of-bounds buffer ({start}, {len} bytes)"
        )),
    }
}

fn bytes(mem: &[u8], ptr: i32, len: i32) -> Result<&[u8]> {
    Ok(&mem[range(mem, ptr, len as u32 as usize)?])
}

/// A key or prefix argument; text that is not UTF-8 is an invalid key, not a trap.
fn key(raw: &[u8]) -> Result<&str, StorageError> {
    std::str::from_utf8(raw).map_err(|_| StorageError::InvalidKey)
}

/// The instance's memory and the host state, borrowed together.
fn split<'a>(caller: &'a mut Caller<'_, HostState>) -> Result<(&'a mut [u8], &'a mut HostState)> {
    let memory = caller
        .data()
        .memory
        .ok_or_else(|| wasmtime::format_err!("the module's memory is not set"))?;
    Ok(memory.data_and_store_mut(caller))
}

/// Defines the `"cairn"` imports of `cairn_core::wire::IMPORTS` in `linker`.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> Result<()> {
    let m = IMPORT_MODULE;
    linker.func_wrap(
        m,
        "storage_get",
        |mut c: Caller<'_, HostState>, kp: i32, kl: i32| -> Result<i64> {
            let (mem, st) = split(&mut c)?;
            let k = bytes(mem, kp, kl)?;
            let r = key(k).and_then(|k| st.storage()?.get(k));
            Ok(st.hold(k, r))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_get_range",
        |mut c: Caller<'_, HostState>, kp: i32, kl: i32, offset: i64, len: i64| -> Result<i64> {
            let (mem, st) = split(&mut c)?;
            let k = bytes(mem, kp, kl)?;
            let r = key(k).and_then(|k| st.storage()?.get_range(k, offset as u64, len as u64));
            Ok(st.hold(k, r))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_list",
        |mut c: Caller<'_, HostState>, pp: i32, pl: i32| -> Result<i64> {
            let (mem, st) = split(&mut c)?;
            let p = bytes(mem, pp, pl)?;
            let r = key(p)
                .and_then(|p| st.storage()?.list(p))
                .map(|keys| keys.join("\n").into_bytes());
            Ok(st.hold(p, r))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_put",
        |mut c: Caller<'_, HostState>, kp: i32, kl: i32, dp: i32, dl: i32| -> Result<i32> {
            let (mem, st) = split(&mut c)?;
            let (k, data) = (bytes(mem, kp, kl)?, bytes(mem, dp, dl)?);
            let r = key(k).and_then(|k| st.storage()?.put(k, data));
            Ok(st.status(k, r))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_put_new",
        |mut c: Caller<'_, HostState>, kp: i32, kl: i32, dp: i32, dl: i32| -> Result<i32> {
            let (mem, st) = split(&mut c)?;
            let (k, data) = (bytes(mem, kp, kl)?, bytes(mem, dp, dl)?);
            let r = key(k).and_then(|k| st.storage()?.put_new(k, data));
            Ok(st.status(k, r))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_delete",
        |mut c: Caller<'_, HostState>, kp: i32, kl: i32| -> Result<i32> {
            let (mem, st) = split(&mut c)?;
            let k = bytes(mem, kp, kl)?;
            let r = key(k).and_then(|k| st.storage()?.delete(k));
            Ok(st.status(k, r))
        },
    )?;
    linker.func_wrap(
        m,
        "storage_will_read",
        |mut c: Caller<'_, HostState>, lp: i32, ll: i32| -> Result<()> {
            let (mem, st) = split(&mut c)?;
            let text = String::from_utf8_lossy(bytes(mem, lp, ll)?);
            if let Ok(storage) = st.storage() {
                storage.will_read(&wire::decode_planned(&text));
            }
            Ok(())
        },
    )?;
    linker.func_wrap(m, "pending_len", |c: Caller<'_, HostState>| -> i64 {
        c.data().pending.len() as i64
    })?;
    linker.func_wrap(
        m,
        "take_pending",
        |mut c: Caller<'_, HostState>, dp: i32, dl: i32| -> Result<()> {
            let (mem, st) = split(&mut c)?;
            let pending = std::mem::replace(&mut st.pending, Pending::Bytes(Vec::new()));
            let n = pending.len().min(dl as u32 as usize);
            let r = range(mem, dp, n)?;
            pending.copy_to(&mut mem[r]);
            Ok(())
        },
    )?;
    linker.func_wrap(
        m,
        "random_fill",
        |mut c: Caller<'_, HostState>, p: i32, l: i32| -> Result<()> {
            let (mem, _) = split(&mut c)?;
            let r = range(mem, p, l as u32 as usize)?;
            getrandom::fill(&mut mem[r])
                .map_err(|e| wasmtime::format_err!("the operating system's random source failed: {e}"))
        },
    )?;
    linker.func_wrap(m, "process_alive", |pid: u32| -> i32 {
        process_alive(pid).map_or(-1, i32::from)
    })?;
    linker.func_wrap(m, "now_ms", || -> i64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.map_or(0, |d| d.as_millis() as i64)
    })?;
    linker.func_wrap(
        m,
        "emit_event",
        |mut c: Caller<'_, HostState>, np: i32, nl: i32, pp: i32, pl: i32| -> Result<()> {
            let (mem, st) = split(&mut c)?;
            let name = String::from_utf8_lossy(bytes(mem, np, nl)?);
            let payload = String::from_utf8_lossy(bytes(mem, pp, pl)?);
            if name == wire::PANIC_EVENT {
                let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
                st.panic_message = Some(
                    v["message"]
                        .as_str()
                        .map_or_else(|| payload.to_string(), str::to_owned),
                );
            }
            (st.on_event)(&name, &payload);
            Ok(())
        },
    )?;
    add_jobs(linker)?;
    crypto::add_crypto(linker)
}

/// The job imports: how many jobs run at once, and running a batch on the pool.
fn add_jobs(linker: &mut Linker<HostState>) -> Result<()> {
    let m = IMPORT_MODULE;
    linker.func_wrap(m, "job_threads", |c: Caller<'_, HostState>| -> i32 {
        c.data().jobs.as_ref().map_or(1, |p| p.threads() as i32)
    })?;
    linker.func_wrap(
        m,
        "submit_jobs",
        |mut c: Caller<'_, HostState>, bp: i32, bl: i32| -> Result<i64> {
            let (mem, st) = split(&mut c)?;
            let Some(pool) = st.jobs.as_mut() else {
                return Ok(wire::NO_JOBS);
            };
            let r = pool.submit(bytes(mem, bp, bl)?).map(|t| t as i64);
            Ok(st.hold_job(r))
        },
    )?;
    linker.func_wrap(
        m,
        "collect_jobs",
        |mut c: Caller<'_, HostState>, ticket: i64| -> Result<i64> {
            let (_, st) = split(&mut c)?;
            let r = match st.jobs.as_mut() {
                Some(pool) => pool.collect(ticket as u64),
                None => Err("no jobs were submitted".into()),
            };
            // The shares are checked here, and joined as the module takes them.
            let r = r.and_then(jobs::Joined::new);
            let r = r.map(|shares| {
                st.pending = Pending::Shares(shares);
                st.pending.len() as i64
            });
            Ok(st.hold_job(r))
        },
    )?;
    Ok(())
}

/// Whether process `pid` runs on this machine: Linux lists live processes in /proc;
/// elsewhere `None`, "cannot tell" (the engine's `Host::process_alive`).
pub fn process_alive(pid: u32) -> Option<bool> {
    std::path::Path::new("/proc/self")
        .exists()
        .then(|| std::path::Path::new(&format!("/proc/{pid}")).exists())
}
