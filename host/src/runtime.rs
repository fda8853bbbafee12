//! The engine under wasmtime: the embedded ABI module (precompiled at build time, compiled
//! at start only if that copy does not fit this wasmtime), instantiated with exactly the
//! `"cairn"` imports ([`crate::imports`]), and driven through its exports.

use cairn_core::error::ErrorCode;
use cairn_core::ops::Operation;
use cairn_core::wire;
use wasmtime::{Engine as WasmEngine, Linker, Memory, Module, Store, TypedFunc};

use crate::error::{CliError, Result};
use crate::imports::{self, EventSink, HostState};
use crate::jobs::JobPool;
use crate::storage::SharedStorage;

/// The ABI module (`core-wasm/abi` for `wasm32-unknown-unknown`), built by `build.rs`.
pub static MODULE_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cairn_abi.wasm"));

/// [`MODULE_WASM`] compiled ahead of time by `build.rs` under [`engine_config`].
pub static MODULE_PRECOMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cairn_abi.cwasm"));

include!("engine_config.rs");

/// Set (to anything) to have wasmtime write `/tmp/perf-<pid>.map`, so that `perf report`
/// names the engine's functions.
pub const PERFMAP_ENV: &str = "CAIRN_PERFMAP";

/// A wasmtime engine and the compiled ABI module (cheap to clone: both are shared).
#[derive(Clone)]
pub struct Compiled {
    /// The wasmtime engine the module was compiled for.
    pub engine: WasmEngine,
    /// The compiled module.
    pub module: Module,
}

/// The embedded module, ready to run: the precompiled copy when this wasmtime accepts it,
/// else compiled now with cranelift.
pub fn compile() -> Result<Compiled> {
    let mut config = engine_config();
    if std::env::var_os(PERFMAP_ENV).is_some() {
        // For profiling only: `perf` then names the module's functions (docs/DESIGN.md §20).
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let engine = WasmEngine::new(&config).map_err(CliError::Runtime)?;
    let module = match precompiled(&engine) {
        Some(module) => module,
        None => Module::new(&engine, MODULE_WASM).map_err(CliError::Runtime)?,
    };
    Ok(Compiled { engine, module })
}

/// The precompiled module, if it was made for this engine's version and configuration.
pub fn precompiled(engine: &WasmEngine) -> Option<Module> {
    // SAFETY: the bytes are wasmtime's own output for this very module, made by this
    // build (build.rs) and embedded in this binary, not input from anywhere else; wasmtime
    // checks its version and configuration and refuses (Err) bytes made for another.
    unsafe { Module::deserialize(engine, MODULE_PRECOMPILED) }.ok()
}

/// Compiles the embedded module with cranelift, ignoring the precompiled copy.
pub fn compile_now() -> Result<Compiled> {
    let engine = WasmEngine::new(&engine_config()).map_err(CliError::Runtime)?;
    let module = Module::new(&engine, MODULE_WASM).map_err(CliError::Runtime)?;
    Ok(Compiled { engine, module })
}

/// The module's exports.
struct Exports {
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    free: TypedFunc<(i32, i32), ()>,
    call: TypedFunc<(i32, i32, i32, i32), i64>,
    write: TypedFunc<(i32, i32, i32), i64>,
    read: TypedFunc<i32, i64>,
    jobs: TypedFunc<(i32, i32), i64>,
}

/// One running engine instance on one repository.
pub struct Runtime {
    store: Store<HostState>,
    ex: Exports,
    /// A guest buffer reused for inputs: (pointer, capacity).
    scratch: Option<(i32, usize)>,
    /// Set once the module has trapped; the instance must not run again.
    trapped: Option<String>,
}

impl Runtime {
    /// Starts an instance of the embedded module serving `storage`, with a pool of
    /// `threads` job workers (none for 1) for the work it can hand out.
    pub fn start(storage: SharedStorage, on_event: EventSink, threads: usize) -> Result<Runtime> {
        Self::start_compiled(compile()?, storage, on_event, threads)
    }

    /// As [`Runtime::start`], with the module already compiled (on another thread while
    /// the passphrase is asked for, say).
    pub fn start_compiled(
        compiled: Compiled,
        storage: SharedStorage,
        on_event: EventSink,
        threads: usize,
    ) -> Result<Runtime> {
        let mut state = HostState::new(storage, on_event);
        if threads > 1 {
            state = state.with_jobs(JobPool::new(compiled.clone(), threads));
        }
        Self::instantiate(&compiled, state)
    }

    /// Starts an instance of an already compiled module over `state`.
    pub fn instantiate(compiled: &Compiled, state: HostState) -> Result<Runtime> {
        let mut linker = Linker::new(&compiled.engine);
        imports::add_to_linker(&mut linker).map_err(CliError::Runtime)?;
        let mut store = Store::new(&compiled.engine, state);
        let instance = linker
            .instantiate(&mut store, &compiled.module)
            .map_err(CliError::Runtime)?;
        let memory = instance
            .get_memory(&mut store, wire::MEMORY_EXPORT)
            .ok_or_else(|| CliError::Protocol("the module exports no memory".into()))?;
        store.data_mut().set_memory(memory);
        let mut func = |name: &str| {
            instance
                .get_func(&mut store, name)
                .ok_or_else(|| CliError::Protocol(format!("no export `{name}`")))
        };
        let (alloc, free, call, write, read, jobs) = (
            func("cairn_alloc")?,
            func("cairn_free")?,
            func("cairn_call")?,
            func("cairn_write")?,
            func("cairn_read")?,
            func("cairn_jobs")?,
        );
        let typed =
            |e: wasmtime::Error| CliError::Protocol(format!("an export has the wrong signature: {e}"));
        let ex = Exports {
            memory,
            alloc: alloc.typed(&store).map_err(typed)?,
            free: free.typed(&store).map_err(typed)?,
            call: call.typed(&store).map_err(typed)?,
            write: write.typed(&store).map_err(typed)?,
            read: read.typed(&store).map_err(typed)?,
            jobs: jobs.typed(&store).map_err(typed)?,
        };
        Ok(Runtime {
            store,
            ex,
            scratch: None,
            trapped: None,
        })
    }

    /// Runs one operation of the engine's table ([`cairn_core::ops`]) with its typed
    /// arguments; answers its typed answer.
    pub fn call<O: Operation>(&mut self, args: &O::Args) -> Result<O::Answer> {
        let args = serde_json::to_string(args)
            .map_err(|e| CliError::Protocol(format!("`{}` arguments do not serialise: {e}", O::NAME)))?;
        let answer = self.call_json(O::NAME, &args)?;
        serde_json::from_slice(&answer).map_err(|e| {
            CliError::Protocol(format!(
                "`{}` answered something else than its type: {e}",
                O::NAME
            ))
        })
    }

    /// Runs one operation by name with JSON arguments; answers the engine's JSON bytes.
    pub fn call_json(&mut self, op: &str, args: &str) -> Result<Vec<u8>> {
        let mut input = Vec::with_capacity(op.len() + args.len());
        input.extend_from_slice(op.as_bytes());
        input.extend_from_slice(args.as_bytes());
        let ptr = self.stage(&input)?;
        let packed = self.guard(|rt| {
            rt.ex.call.call(
                &mut rt.store,
                (ptr, op.len() as i32, ptr + op.len() as i32, args.len() as i32),
            )
        })?;
        self.reply(packed)
    }

    /// Feeds the next bytes of the current item to an ingest session.
    pub fn write(&mut self, session: u32, data: &[u8]) -> Result<()> {
        let ptr = self.stage(data)?;
        let packed = self.guard(|rt| {
            rt.ex
                .write
                .call(&mut rt.store, (session as i32, ptr, data.len() as i32))
        })?;
        self.reply(packed).map(drop)
    }

    /// Runs a framed batch of jobs on this instance (a job worker's work); their framed results.
    pub fn run_jobs(&mut self, batch: &[u8]) -> Result<Vec<u8>> {
        let ptr = self.stage(batch)?;
        let packed = self.guard(|rt| rt.ex.jobs.call(&mut rt.store, (ptr, batch.len() as i32)))?;
        self.reply(packed)
    }

    /// The next block of a restore session; empty at the end.
    pub fn read(&mut self, session: u32) -> Result<Vec<u8>> {
        self.read_with(session, <[u8]>::to_vec)
    }

    /// The next block of a restore session (empty at the end), handed to `f` where it lies
    /// in the module's memory, before that is freed: a restore writes it to its output
    /// from there, without a copy in between.
    pub fn read_with<T>(&mut self, session: u32, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
        let packed = self.guard(|rt| rt.ex.read.call(&mut rt.store, session as i32))?;
        self.reply_with(packed, f)
    }

    /// True once the module has trapped: nothing more can run (not even `close`).
    pub fn is_dead(&self) -> bool {
        self.trapped.is_some()
    }

    /// Runs a guest function, turning a trap into [`CliError::Trap`] and retiring the instance.
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> wasmtime::Result<T>) -> Result<T> {
        if let Some(message) = &self.trapped {
            return Err(CliError::Trap {
                message: message.clone(),
            });
        }
        f(self).map_err(|e| {
            let message = match self.store.data().panic_message() {
                Some(m) => m.to_string(),
                None => format!("{e}"),
            };
            self.trapped = Some(message.clone());
            CliError::Trap { message }
        })
    }

    /// Copies `data` into the reusable guest input buffer; returns its guest address.
    fn stage(&mut self, data: &[u8]) -> Result<i32> {
        let ptr = match self.scratch {
            Some((ptr, cap)) if cap >= data.len() => ptr,
            old => {
                if let Some((ptr, cap)) = old {
                    self.guard(|rt| rt.ex.free.call(&mut rt.store, (ptr, cap as i32)))?;
                }
                let cap = data.len().max(64 * 1024);
                let ptr = self.guard(|rt| rt.ex.alloc.call(&mut rt.store, cap as i32))?;
                self.scratch = Some((ptr, cap));
                ptr
            }
        };
        self.ex
            .memory
            .write(&mut self.store, ptr as u32 as usize, data)
            .map_err(|e| CliError::Protocol(format!("the input buffer is outside memory: {e}")))?;
        Ok(ptr)
    }

    /// Copies out and frees a packed reply ([`wire::pack_reply`]); its payload on success.
    fn reply(&mut self, packed: i64) -> Result<Vec<u8>> {
        self.reply_with(packed, <[u8]>::to_vec)
    }

    /// Hands the payload of a packed reply ([`wire::pack_reply`]) to `f` where it lies, then
    /// frees the reply; `f`'s answer on success, the engine's error otherwise.
    fn reply_with<T>(&mut self, packed: i64, f: impl FnOnce(&[u8]) -> T) -> Result<T> {
        let (ptr, len) = wire::unpack_reply(packed);
        let (ptr, len) = (ptr as usize, len as usize);
        if len == 0 {
            return Err(CliError::Protocol("a reply without a status byte".into()));
        }
        let reply = ptr
            .checked_add(len)
            .and_then(|end| self.ex.memory.data(&self.store).get(ptr..end))
            .ok_or_else(|| CliError::Protocol(format!("the reply ({ptr}, {len} bytes) is outside memory")))?;
        let answer = match reply[0] {
            wire::REPLY_OK => Ok(f(&reply[1..])),
            wire::REPLY_ERR => Err(engine_error(&reply[1..])),
            other => Err(CliError::Protocol(format!("a reply with status byte {other}"))),
        };
        self.guard(|rt| rt.ex.free.call(&mut rt.store, (ptr as i32, len as i32)))?;
        answer
    }
}

/// Decodes the `{code, message}` JSON of an engine error.
fn engine_error(payload: &[u8]) -> CliError {
    #[derive(serde::Deserialize)]
    struct Wire {
        code: String,
        message: String,
    }
    match serde_json::from_slice::<Wire>(payload) {
        Ok(w) => match ErrorCode::all().find(|c| c.as_str() == w.code) {
            Some(code) => CliError::Engine {
                code,
                message: w.message,
            },
            // The module is built with this host: a code it does not know is a broken ABI.
            None => CliError::Protocol(format!(
                "an error with an unknown code `{}`: {}",
                w.code, w.message
            )),
        },
        Err(e) => CliError::Protocol(format!("an error that is not {{code, message}} JSON: {e}")),
    }
}
