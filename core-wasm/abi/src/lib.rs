//! Cairn's engine behind a small C ABI, for wasmtime and any other wasm runtime (DESIGN.md §3).
//!
//! This crate is marshalling only: it moves bytes between the runtime and
//! [`cairn_core::api::Api`], which holds every operation. It builds for
//! `wasm32-unknown-unknown`; on other targets it is empty.
//!
//! # The contract
//!
//! This ABI is a contract between the module and its hosts: changing a name, a signature
//! or a meaning below is a breaking change for every host.
//!
//! ## Imports
//!
//! The module imports from **one** import module, `"cairn"`, and nothing else (no WASI, no
//! wasm-bindgen glue): the import list is the sandbox. Pointers and lengths are `i32`
//! offsets into the module's exported `memory`.
//!
//! | import | signature | meaning |
//! |---|---|---|
//! | `storage_get` | `(key_ptr, key_len) -> i64` | read a whole object |
//! | `storage_get_range` | `(key_ptr, key_len, offset: i64, len: i64) -> i64` | read `len` bytes from `offset` (fewer at the end) |
//! | `storage_list` | `(prefix_ptr, prefix_len) -> i64` | keys under a prefix, joined by `'\n'` |
//! | `storage_put` | `(key_ptr, key_len, data_ptr, data_len) -> i32` | create or replace, atomically and durably |
//! | `storage_put_new` | `(key_ptr, key_len, data_ptr, data_len) -> i32` | create; fail if the key exists |
//! | `storage_delete` | `(key_ptr, key_len) -> i32` | remove; a missing key is not an error |
//! | `pending_len` | `() -> i64` | length of the bytes the host holds pending |
//! | `take_pending` | `(dst_ptr, dst_len)` | copy the pending bytes out and clear them |
//! | `random_fill` | `(ptr, len)` | fill with cryptographically secure random bytes |
//! | `now_ms` | `() -> i64` | milliseconds since the Unix epoch (UTC) |
//! | `process_alive` | `(pid: u32) -> i32` | 1 if process `pid` runs on this host, 0 if not, -1 if the host cannot tell |
//! | `emit_event` | `(name_ptr, name_len, payload_ptr, payload_len)` | an event: UTF-8 name, JSON payload |
//! | `sha256` | `(data_ptr, data_len, out_ptr) -> i32` | 1: wrote 32 bytes; 0: not supplied |
//! | `hmac_sha256` | `(key_ptr, key_len, data_ptr, data_len, out_ptr) -> i32` | 1: wrote 32 bytes; 0: not supplied |
//! | `aes256gcm_seal` | `(key_ptr, nonce_ptr, aad_ptr, aad_len, data_ptr, data_len, out_ptr) -> i32` | out gets `data_len + 16` bytes (ciphertext, tag); 1 ok, 0 not supplied |
//! | `aes256gcm_open` | `(key_ptr, nonce_ptr, aad_ptr, aad_len, data_ptr, data_len, out_ptr) -> i32` | out gets `data_len - 16` bytes; 1 ok, 0 not supplied, -1 authentication failed |
//!
//! AES keys are 32 bytes and nonces 12 bytes, read from `key_ptr` and `nonce_ptr`.
//!
//! The `i64` storage results are: `>= 0`, the byte length of a result that the host now
//! holds pending (the module fetches it with `take_pending`); `< 0`, minus a status. The
//! `i32` storage results are `0` for success or minus a status. Statuses:
//! `1` NotFound, `2` AlreadyExists, `3` InvalidKey (outside the grammar of
//! `cairn_core::layout`; hosts check every key and prefix before touching storage), `4` Io.
//! With any negative status the host holds the error message (UTF-8, for Io the
//! operating system's text) as the pending result.
//!
//! ## Exports
//!
//! | export | signature |
//! |---|---|
//! | `memory` | the module's linear memory |
//! | `cairn_alloc` | `(len: i32) -> i32`: a buffer of `len` bytes for the host to fill |
//! | `cairn_free` | `(ptr: i32, len: i32)`: frees a buffer from `cairn_alloc` or a reply |
//! | `cairn_call` | `(op_ptr, op_len, args_ptr, args_len) -> i64`: one operation of the `Api` table; args are JSON |
//! | `cairn_write` | `(session: i32, data_ptr, data_len) -> i64`: the next bytes of an ingest |
//! | `cairn_read` | `(session: i32) -> i64`: the next block of a restore; empty means the end |
//!
//! Input buffers belong to the host: it allocates them with `cairn_alloc`, writes them,
//! passes them, and frees them with `cairn_free` when the call has returned (it may reuse
//! one across calls instead). The module only reads them during the call.
//!
//! `cairn_call`, `cairn_write` and `cairn_read` return a packed reply
//! `(ptr << 32) | len` naming a buffer in module memory that the host copies and then
//! frees with `cairn_free(ptr, len)`. Its byte 0 is `0` (ok) or `1` (error); the rest is
//! the payload: the JSON answer (`cairn_call`), the raw bytes (`cairn_read`) or nothing
//! (`cairn_write`); on error the JSON object `{"code": ..., "message": ...}` of
//! `cairn_core::error::Error::to_json`.
//!
//! ## Panics
//!
//! A panic in the module calls `emit_event("panic", {"message": ...})` and then traps
//! (`unreachable`). The host reports the trap as an internal error with that message. After
//! a trap the instance must not be used again.

#![cfg(target_arch = "wasm32")]
#![warn(missing_docs)]

use std::alloc::{alloc, dealloc, Layout};
use std::cell::RefCell;

use cairn_core::api::Api;
use cairn_core::host::{Host, Storage, StorageError};

mod sys {
    #[link(wasm_import_module = "cairn")]
    extern "C" {
        pub fn storage_get(key_ptr: *const u8, key_len: usize) -> i64;
        pub fn storage_get_range(key_ptr: *const u8, key_len: usize, offset: i64, len: i64) -> i64;
        pub fn storage_list(prefix_ptr: *const u8, prefix_len: usize) -> i64;
        pub fn storage_put(key_ptr: *const u8, key_len: usize, data_ptr: *const u8, data_len: usize) -> i32;
        pub fn storage_put_new(
            key_ptr: *const u8,
            key_len: usize,
            data_ptr: *const u8,
            data_len: usize,
        ) -> i32;
        pub fn storage_delete(key_ptr: *const u8, key_len: usize) -> i32;
        pub fn pending_len() -> i64;
        pub fn take_pending(dst_ptr: *mut u8, dst_len: usize);
        pub fn random_fill(ptr: *mut u8, len: usize);
        pub fn now_ms() -> i64;
        pub fn process_alive(pid: u32) -> i32;
        pub fn emit_event(name_ptr: *const u8, name_len: usize, payload_ptr: *const u8, payload_len: usize);
        pub fn sha256(data_ptr: *const u8, data_len: usize, out_ptr: *mut u8) -> i32;
        pub fn hmac_sha256(
            key_ptr: *const u8,
            key_len: usize,
            data_ptr: *const u8,
            data_len: usize,
            out_ptr: *mut u8,
        ) -> i32;
        pub fn aes256gcm_seal(
            key_ptr: *const u8,
            nonce_ptr: *const u8,
            aad_ptr: *const u8,
            aad_len: usize,
            data_ptr: *const u8,
            data_len: usize,
            out_ptr: *mut u8,
        ) -> i32;
        pub fn aes256gcm_open(
            key_ptr: *const u8,
            nonce_ptr: *const u8,
            aad_ptr: *const u8,
            aad_len: usize,
            data_ptr: *const u8,
            data_len: usize,
            out_ptr: *mut u8,
        ) -> i32;
    }
}

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

/// Turns a negative status into a [`StorageError`], collecting the pending message.
fn status_error(status: i64) -> StorageError {
    // SAFETY: a call without arguments.
    let len = unsafe { sys::pending_len() }.max(0) as usize;
    let message = String::from_utf8_lossy(&take_pending(len)).into_owned();
    match -status {
        1 => StorageError::NotFound,
        2 => StorageError::AlreadyExists,
        3 => StorageError::InvalidKey,
        _ => StorageError::Io(message),
    }
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
        AbiHost.event("panic", &payload);
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
    buf.push(if ok { 0 } else { 1 });
    buf.extend_from_slice(payload);
    let buf = buf.into_boxed_slice();
    let len = buf.len();
    let ptr = Box::into_raw(buf) as *mut u8;
    ((ptr as usize as i64) << 32) | len as i64
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

/// The next block of a restore session; an empty payload means the end.
#[no_mangle]
pub extern "C" fn cairn_read(session: u32) -> i64 {
    API.with(|api| reply_result(api.borrow_mut().read(session)))
}
