//! Cairn's engine behind a small C ABI, for wasmtime and any other wasm runtime
//! (docs/DESIGN.md §3).
//!
//! This crate is marshalling only: it moves bytes between the runtime and
//! [`cairn_core::api::Api`], which holds every operation. It is built for
//! `wasm32-unknown-unknown` only (by host/build.rs); it also compiles for the build
//! machine, so that the workspace's one native `cargo clippy` lints it (docs/DESIGN.md §31).
//!
//! The contract with the host (imports, exports, statuses, replies, panics) is written
//! once, in [`cairn_core::wire`]; the `extern` block below is generated from its table.

#![warn(missing_docs)]

use std::alloc::{alloc, dealloc, Layout};
use std::cell::RefCell;

use cairn_core::api::Api;
use cairn_core::host::{Host, Planned, Storage, StorageError};
use cairn_core::wire::{self, StorageStatus};

/// The ABI argument type of a wire-table argument kind.
macro_rules! abi_type {
    (ptr) => {
        *const u8
    };
    (out) => {
        *mut u8
    };
    (len) => {
        usize
    };
    (u32) => {
        u32
    };
    (i32) => {
        i32
    };
    (i64) => {
        i64
    };
}

/// Declares the imports of [`cairn_core::wire`]'s table.
macro_rules! declare_imports {
    ($($(#[doc = $doc:literal])+ $name:ident($($arg:ident: $ty:ident),*) $(-> $ret:ident)?;)+) => {
        mod sys {
            #[link(wasm_import_module = "cairn")]
            extern "C" {
                $($(#[doc = $doc])+ pub fn $name($($arg: abi_type!($ty)),*) $(-> abi_type!($ret))?;)+
            }
        }
    };
}

cairn_core::cairn_imports!(declare_imports);

/// The [`Host`] of the module: every method is one call of a `"cairn"` import.
#[derive(Clone, Copy, Debug, Default)]
pub struct AbiHost;

/// Copies out the bytes the host holds pending (`len` of them).
fn take_pending(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    // SAFETY: `buf` is a live, writable buffer of exactly `len` bytes.
    unsafe { sys::take_pending(buf.as_mut_ptr(), len) };
    buf
}

/// The message the host holds pending after a failure.
fn pending_message() -> String {
    // SAFETY: a call without arguments.
    let len = unsafe { sys::pending_len() }.max(0) as usize;
    String::from_utf8_lossy(&take_pending(len)).into_owned()
}

/// Turns a negative status into a [`StorageError`], collecting the pending message.
fn status_error(status: i64) -> StorageError {
    StorageStatus::from_code(status).error(pending_message())
}

/// Collects the answer of an `i64`-returning storage import.
fn pending_result(r: i64) -> Result<Vec<u8>, StorageError> {
    if r >= 0 {
        Ok(take_pending(r as usize))
    } else {
        Err(status_error(r))
    }
}

/// Checks the status of an `i32`-returning storage import.
fn status_result(r: i32) -> Result<(), StorageError> {
    if r >= 0 {
        Ok(())
    } else {
        Err(status_error(r as i64))
    }
}

// SAFETY (for every `unsafe` block below): each import only reads or writes the
// pointer/length pairs it is given, and each pair names a live slice of this module's memory
// of that length (or, for `out_ptr`, a writable buffer of the size the contract states).
impl Storage for AbiHost {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        pending_result(unsafe { sys::storage_get(key.as_ptr(), key.len()) })
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        pending_result(unsafe { sys::storage_get_range(key.as_ptr(), key.len(), offset as i64, len as i64) })
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        status_result(unsafe { sys::storage_put(key.as_ptr(), key.len(), data.as_ptr(), data.len()) })
    }

    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        status_result(unsafe { sys::storage_put_new(key.as_ptr(), key.len(), data.as_ptr(), data.len()) })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let bytes = pending_result(unsafe { sys::storage_list(prefix.as_ptr(), prefix.len()) })?;
        let text = String::from_utf8(bytes)
            .map_err(|_| StorageError::Io("the host listed a key that is not UTF-8".into()))?;
        Ok(text
            .split('\n')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect())
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        status_result(unsafe { sys::storage_delete(key.as_ptr(), key.len()) })
    }

    fn will_read(&self, reads: &[Planned]) {
        let text = wire::encode_planned(reads);
        unsafe { sys::storage_will_read(text.as_ptr(), text.len()) }
    }
}

impl Host for AbiHost {
    fn random(&self, buf: &mut [u8]) {
        unsafe { sys::random_fill(buf.as_mut_ptr(), buf.len()) }
    }

    fn now_ms(&self) -> i64 {
        unsafe { sys::now_ms() }
    }

    fn event(&self, name: &str, payload: &str) {
        unsafe { sys::emit_event(name.as_ptr(), name.len(), payload.as_ptr(), payload.len()) }
    }

    fn process_alive(&self, pid: u32) -> Option<bool> {
        match unsafe { sys::process_alive(pid) } {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn job_threads(&self) -> usize {
        unsafe { sys::job_threads() }.max(1) as usize
    }

    fn submit_jobs(&self, batch: &[u8]) -> Option<Result<u64, String>> {
        let r = unsafe { sys::submit_jobs(batch.as_ptr(), batch.len()) };
        match r {
            wire::NO_JOBS => None,
            r if r >= 0 => Some(Ok(r as u64)),
            _ => Some(Err(pending_message())),
        }
    }

    fn collect_jobs(&self, ticket: u64) -> Result<Vec<u8>, String> {
        match unsafe { sys::collect_jobs(ticket as i64) } {
            r if r >= 0 => Ok(take_pending(r as usize)),
            _ => Err(pending_message()),
        }
    }

    fn sha256(&self, data: &[u8]) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        let r = unsafe { sys::sha256(data.as_ptr(), data.len(), out.as_mut_ptr()) };
        (r == 1).then_some(out)
    }

    fn hmac_sha256(&self, key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        let r = unsafe {
            sys::hmac_sha256(
                key.as_ptr(),
                key.len(),
                data.as_ptr(),
                data.len(),
                out.as_mut_ptr(),
            )
        };
        (r == 1).then_some(out)
    }

    fn aes256gcm_seal(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        let mut out = vec![0u8; plaintext.len() + 16];
        let r = unsafe {
            sys::aes256gcm_seal(
                key.as_ptr(),
                nonce.as_ptr(),
                aad.as_ptr(),
                aad.len(),
                plaintext.as_ptr(),
                plaintext.len(),
                out.as_mut_ptr(),
            )
        };
        (r == 1).then_some(out)
    }

    fn aes256gcm_open(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Option<Option<Vec<u8>>> {
        // A ciphertext shorter than its tag cannot authenticate; no need to ask the host.
        let Some(plain_len) = ciphertext.len().checked_sub(16) else {
            return Some(None);
        };
        let mut out = vec![0u8; plain_len];
        let r = unsafe {
            sys::aes256gcm_open(
                key.as_ptr(),
                nonce.as_ptr(),
                aad.as_ptr(),
                aad.len(),
                ciphertext.as_ptr(),
                ciphertext.len(),
                out.as_mut_ptr(),
            )
        };
        match r {
            1 => Some(Some(out)),
            0 => None,
            _ => Some(None),
        }
    }

    fn zstd_compress(&self, level: u32, data: &[u8], max_len: usize) -> Option<Option<Vec<u8>>> {
        let mut out = Vec::<u8>::with_capacity(max_len);
        let r = unsafe { sys::zstd_compress(level, data.as_ptr(), data.len(), out.as_mut_ptr(), max_len) };
        match r {
            n if n >= 0 && n as usize <= max_len => {
                // SAFETY: the host wrote `n` bytes, at most the capacity, at `out`'s start.
                unsafe { out.set_len(n as usize) };
                Some(Some(out))
            }
            -2 => Some(None),
            _ => None,
        }
    }

    fn argon2id(
        &self,
        passphrase: &[u8],
        salt: &[u8],
        params: &cairn_core::kdf::KdfParams,
    ) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        // SAFETY: the buffers are live for the call; the host writes 32 bytes to `out`.
        let r = unsafe {
            sys::argon2id(
                passphrase.as_ptr(),
                passphrase.len(),
                salt.as_ptr(),
                salt.len(),
                params.memory_ki_b,
                params.iterations,
                params.parallelism,
                out.as_mut_ptr(),
            )
        };
        (r == 1).then_some(out)
    }
}

thread_local! {
    static API: RefCell<Api<AbiHost>> = RefCell::new({
        install_panic_hook();
        Api::new(AbiHost)
    });
}

/// Sends a panic's message to the host as a `panic` event before the module traps.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = serde_json::json!({ "message": info.to_string() }).to_string();
        AbiHost.event(wire::PANIC_EVENT, &payload);
    }));
}

/// Allocates `len` bytes with alignment 1; zero-length buffers are a dangling, non-null pointer.
fn alloc_bytes(len: usize) -> *mut u8 {
    if len == 0 {
        return std::ptr::NonNull::<u8>::dangling().as_ptr();
    }
    let layout = Layout::from_size_align(len, 1).expect("allocation size overflows");
    // SAFETY: `layout` has a non-zero size.
    let ptr = unsafe { alloc(layout) };
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    ptr
}

/// Borrows a host-written input buffer.
///
/// # Safety
/// `ptr..ptr + len` must be a live buffer of this module's memory (from [`cairn_alloc`]).
unsafe fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

/// Packs a reply: status byte then payload, in a buffer the host frees with [`cairn_free`].
fn reply(ok: bool, payload: &[u8]) -> i64 {
    let mut buf = Vec::with_capacity(payload.len() + 1);
    buf.push(if ok { wire::REPLY_OK } else { wire::REPLY_ERR });
    buf.extend_from_slice(payload);
    hand_over(buf)
}

/// Hands a reply buffer (status byte, payload) to the host, which frees it with [`cairn_free`].
fn hand_over(buf: Vec<u8>) -> i64 {
    let buf = buf.into_boxed_slice();
    let len = buf.len();
    let ptr = Box::into_raw(buf) as *mut u8;
    wire::pack_reply(ptr as usize as u32, len as u32)
}

/// Packs the outcome of an engine call.
fn reply_result(r: cairn_core::error::Result<Vec<u8>>) -> i64 {
    match r {
        Ok(payload) => reply(true, &payload),
        Err(e) => reply(false, e.to_json().to_string().as_bytes()),
    }
}

/// Allocates a buffer of `len` bytes for the host to fill.
#[no_mangle]
pub extern "C" fn cairn_alloc(len: usize) -> *mut u8 {
    alloc_bytes(len)
}

/// Frees a buffer from [`cairn_alloc`] or a reply, given its length.
///
/// # Safety
/// `ptr` and `len` must name a buffer this module handed out and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn cairn_free(ptr: *mut u8, len: usize) {
    if len != 0 {
        dealloc(ptr, Layout::from_size_align_unchecked(len, 1));
    }
}

/// Runs one operation: `op` is its UTF-8 name, `args` its JSON arguments.
///
/// # Safety
/// Both pointer/length pairs must name live buffers of this module's memory.
#[no_mangle]
pub unsafe extern "C" fn cairn_call(
    op_ptr: *const u8,
    op_len: usize,
    args_ptr: *const u8,
    args_len: usize,
) -> i64 {
    let op = String::from_utf8_lossy(input(op_ptr, op_len));
    let args = String::from_utf8_lossy(input(args_ptr, args_len));
    API.with(|api| reply_result(api.borrow_mut().call(&op, &args).map(String::into_bytes)))
}

/// Feeds the next bytes of the current item to an ingest session.
///
/// # Safety
/// `data_ptr..data_ptr + data_len` must be a live buffer of this module's memory.
#[no_mangle]
pub unsafe extern "C" fn cairn_write(session: u32, data_ptr: *const u8, data_len: usize) -> i64 {
    let data = input(data_ptr, data_len);
    API.with(|api| reply_result(api.borrow_mut().write(session, data).map(|()| Vec::new())))
}

thread_local! {
    /// The crypto of this instance when it runs jobs for another one: probed once.
    static JOB_CRYPTO: cairn_core::crypto::Crypto = cairn_core::crypto::Crypto::new(&AbiHost).unwrap_or_else(|_| cairn_core::crypto::Crypto::software());
}

/// Runs a framed batch of jobs ([`cairn_core::jobs`]) on this instance: what a host's
/// worker instances do for the instance that runs the engine.
///
/// # Safety
/// `batch_ptr..batch_ptr + batch_len` must be a live buffer of this module's memory.
#[no_mangle]
pub unsafe extern "C" fn cairn_jobs(batch_ptr: *const u8, batch_len: usize) -> i64 {
    let batch = input(batch_ptr, batch_len);
    let result = JOB_CRYPTO
        .with(|crypto| cairn_core::jobs::run_batch_after(&AbiHost, crypto, batch, vec![wire::REPLY_OK]));
    match result {
        // The results were written after the status byte: handed over as they are.
        Ok(out) => hand_over(out),
        Err(e) => reply_result(Err(cairn_core::Error::Internal(format!("a batch of jobs: {e}")))),
    }
}

/// The next block of a restore session; an empty payload means the end. The block is
/// written once, after the status byte, straight from where the engine holds it.
#[no_mangle]
pub extern "C" fn cairn_read(session: u32) -> i64 {
    let mut buf = vec![wire::REPLY_OK];
    API.with(|api| match api.borrow_mut().read_into(session, &mut buf) {
        Ok(()) => hand_over(buf),
        Err(e) => reply_result(Err(e)),
    })
}
