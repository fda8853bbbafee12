//! The wire contract of the ABI module (`core-wasm/abi`) and its hosts (the `cairn` CLI
//! under wasmtime, and any other wasm runtime): the import list, the export list, the
//! storage status codes and the reply convention, written once and used by both sides.
//!
//! The module imports from **one** import module, [`IMPORT_MODULE`], and nothing else (no
//! WASI, no wasm-bindgen glue): the import list is the sandbox. Pointers and lengths are
//! `i32` offsets into the module's exported `memory`. Changing a name, a signature or a
//! meaning here is a breaking change for every host.
//!
//! # Imports
//!
//! [`cairn_imports!`](crate::cairn_imports) holds the table: the module declares its
//! `extern` block from it, [`IMPORTS`] is its value-type form for hosts, and the host's
//! tests check the built module and the host's linker against [`IMPORTS`].
//!
//! The `i64` storage results are: `>= 0`, the byte length of a result the host now holds
//! pending (the module fetches it with `take_pending`); `< 0`, minus a [`StorageStatus`].
//! The `i32` storage results are `0` for success or minus a status. With any negative
//! status the host holds the error's message (UTF-8) as the pending result. Hosts check
//! every key and prefix against the grammar of [`crate::layout`] before touching storage.
//!
//! # Exports
//!
//! See [`EXPORTS`]. Input buffers belong to the host: it allocates them with
//! `cairn_alloc`, writes them, passes them, and frees them with `cairn_free` when the call
//! has returned (or reuses one across calls). `cairn_call`, `cairn_write` and `cairn_read`
//! return a packed reply ([`pack_reply`]) naming a buffer in module memory that the host
//! copies and then frees with `cairn_free(ptr, len)`. Its byte 0 is [`REPLY_OK`] or
//! [`REPLY_ERR`]; the rest is the payload: the JSON answer (`cairn_call`), the raw bytes
//! (`cairn_read`) or nothing (`cairn_write`); on error the JSON object
//! `{"code": ..., "message": ...}` of [`crate::error::Error::to_json`].
//!
//! # Panics
//!
//! A panic in the module emits the event [`PANIC_EVENT`] with `{"message": ...}` and then
//! traps. The host reports the trap as an internal error with that message. After a trap
//! the instance must not be used again.

use crate::host::{Planned, StorageError};

/// The import module every import of the ABI module comes from.
pub const IMPORT_MODULE: &str = "cairn";

/// The event a panicking module sends just before it traps.
pub const PANIC_EVENT: &str = "panic";

/// Reply status byte: the call succeeded.
pub const REPLY_OK: u8 = 0;
/// Reply status byte: the call failed; the payload is `{code, message}` JSON.
pub const REPLY_ERR: u8 = 1;

/// A wasm value type of the ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    /// 32-bit integer (also every pointer and length).
    I32,
    /// 64-bit integer.
    I64,
}

/// One function of the ABI, by name and wasm signature.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Its name.
    pub name: &'static str,
    /// Its parameter types.
    pub params: &'static [ValType],
    /// Its result types.
    pub results: &'static [ValType],
    /// What it does.
    pub doc: &'static str,
}

/// The table of the module's imports: calls `$then!` with one line per import.
///
/// Argument types are `ptr` (a buffer the host reads), `out` (a buffer the host writes),
/// `len` (a byte length), `u32`, `i32` and `i64`; every pointer and length is an `i32` on
/// the wire.
#[macro_export]
macro_rules! cairn_imports {
    ($then:path) => {
        $then! {
            /// Reads a whole object: pending length, or minus a status.
            storage_get(key_ptr: ptr, key_len: len) -> i64;
            /// Reads `len` bytes from `offset` (fewer at the end): pending length, or minus a status.
            storage_get_range(key_ptr: ptr, key_len: len, offset: i64, len: i64) -> i64;
            /// Lists the keys under a prefix, joined by `'\n'`: pending length, or minus a status.
            storage_list(prefix_ptr: ptr, prefix_len: len) -> i64;
            /// Creates or replaces an object, atomically and durably: 0 or minus a status.
            storage_put(key_ptr: ptr, key_len: len, data_ptr: ptr, data_len: len) -> i32;
            /// Creates an object; fails with AlreadyExists if the key exists: 0 or minus a status.
            storage_put_new(key_ptr: ptr, key_len: len, data_ptr: ptr, data_len: len) -> i32;
            /// Removes an object; a missing key is not an error: 0 or minus a status.
            storage_delete(key_ptr: ptr, key_len: len) -> i32;
            /// A hint: the reads the engine makes next, one per line (`wire::encode_planned`); a host may fetch them ahead or ignore it.
            storage_will_read(list_ptr: ptr, list_len: len);
            /// The length of the bytes the host holds pending.
            pending_len() -> i64;
            /// Copies the pending bytes out (at most `dst_len`) and clears them.
            take_pending(dst_ptr: out, dst_len: len);
            /// Fills a buffer with cryptographically secure random bytes.
            random_fill(ptr: out, len: len);
            /// Milliseconds since the Unix epoch (UTC).
            now_ms() -> i64;
            /// 1 if process `pid` runs on this host, 0 if not, -1 if the host cannot tell.
            process_alive(pid: u32) -> i32;
            /// An event: UTF-8 name, JSON payload.
            emit_event(name_ptr: ptr, name_len: len, payload_ptr: ptr, payload_len: len);
            /// How many jobs (`cairn_core::jobs`) the host runs at once on other instances; 1: none.
            job_threads() -> i32;
            /// Starts a framed batch of jobs on other instances (their `cairn_jobs`): a ticket (>= 0); -1: the host runs no jobs; other negative: failure, message pending.
            submit_jobs(batch_ptr: ptr, batch_len: len) -> i64;
            /// Waits for a submitted batch: pending length of its framed results; negative: a worker failed, message pending.
            collect_jobs(ticket: i64) -> i64;
            /// SHA-256 into 32 bytes at `out_ptr`: 1 written, 0 not supplied.
            sha256(data_ptr: ptr, data_len: len, out_ptr: out) -> i32;
            /// HMAC-SHA-256 into 32 bytes at `out_ptr`: 1 written, 0 not supplied.
            hmac_sha256(key_ptr: ptr, key_len: len, data_ptr: ptr, data_len: len, out_ptr: out) -> i32;
            /// AES-256-GCM seal (32-byte key, 12-byte nonce); out gets `data_len + 16` bytes: 1 ok, 0 not supplied.
            aes256gcm_seal(key_ptr: ptr, nonce_ptr: ptr, aad_ptr: ptr, aad_len: len, data_ptr: ptr, data_len: len, out_ptr: out) -> i32;
            /// Argon2id (version 0x13) of a passphrase with memory in KiB, iterations and lanes, into 32 bytes at `out_ptr`: 1 written, 0 not supplied or parameters refused.
            argon2id(pass_ptr: ptr, pass_len: len, salt_ptr: ptr, salt_len: len, memory_kib: u32, iterations: u32, parallelism: u32, out_ptr: out) -> i32;
            /// AES-256-GCM open; out gets `data_len - 16` bytes: 1 ok, 0 not supplied, -1 authentication failed.
            aes256gcm_open(key_ptr: ptr, nonce_ptr: ptr, aad_ptr: ptr, aad_len: len, data_ptr: ptr, data_len: len, out_ptr: out) -> i32;
            /// The engine's zstd encoder compiled natively: the frame of the data at `level` written at `out_ptr`, its length; -1 not supplied; -2 longer than `out_cap`.
            zstd_compress(level: u32, data_ptr: ptr, data_len: len, out_ptr: out, out_cap: len) -> i64;
        }
    };
}

/// What `submit_jobs` returns when the host runs no jobs.
pub const NO_JOBS: i64 = -1;

/// The wasm value type of an ABI argument type of [`cairn_imports!`](crate::cairn_imports).
#[macro_export]
#[doc(hidden)]
macro_rules! __cairn_valtype {
    (ptr) => {
        $crate::wire::ValType::I32
    };
    (out) => {
        $crate::wire::ValType::I32
    };
    (len) => {
        $crate::wire::ValType::I32
    };
    (u32) => {
        $crate::wire::ValType::I32
    };
    (i32) => {
        $crate::wire::ValType::I32
    };
    (i64) => {
        $crate::wire::ValType::I64
    };
}

macro_rules! import_table {
    ($($(#[doc = $doc:literal])+ $name:ident($($arg:ident: $ty:ident),*) $(-> $ret:ident)?;)+) => {
        /// Every import of the module, in table order.
        pub const IMPORTS: &[Function] = &[$(Function {
            name: stringify!($name),
            params: &[$($crate::__cairn_valtype!($ty)),*],
            results: &[$($crate::__cairn_valtype!($ret))?],
            doc: concat!($($doc),+),
        }),+];
    };
}

cairn_imports!(import_table);

/// Every function the module exports (besides its `memory`).
pub const EXPORTS: &[Function] = &[
    Function {
        name: "cairn_alloc",
        params: &[ValType::I32],
        results: &[ValType::I32],
        doc: "A buffer of `len` bytes for the host to fill.",
    },
    Function {
        name: "cairn_free",
        params: &[ValType::I32, ValType::I32],
        results: &[],
        doc: "Frees a buffer from `cairn_alloc` or a reply: `(ptr, len)`.",
    },
    Function {
        name: "cairn_call",
        params: &[ValType::I32, ValType::I32, ValType::I32, ValType::I32],
        results: &[ValType::I64],
        doc: "`(op_ptr, op_len, args_ptr, args_len)`: one operation of the operation table; args are JSON.",
    },
    Function {
        name: "cairn_write",
        params: &[ValType::I32, ValType::I32, ValType::I32],
        results: &[ValType::I64],
        doc: "`(session, data_ptr, data_len)`: the next bytes of an ingest.",
    },
    Function {
        name: "cairn_jobs",
        params: &[ValType::I32, ValType::I32],
        results: &[ValType::I64],
        doc: "`(batch_ptr, batch_len)`: runs a framed batch of jobs on this instance; the reply holds their framed results.",
    },
    Function {
        name: "cairn_read",
        params: &[ValType::I32],
        results: &[ValType::I64],
        doc: "`(session)`: the next block of a restore; an empty payload means the end.",
    },
];

/// The exported linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// Packs a reply buffer's address and length into the `i64` the exports return.
pub fn pack_reply(ptr: u32, len: u32) -> i64 {
    ((ptr as u64) << 32 | len as u64) as i64
}

/// The address and length of a packed reply.
pub fn unpack_reply(packed: i64) -> (u32, u32) {
    ((packed as u64 >> 32) as u32, packed as u32)
}

/// Why a storage import failed, as a number on the wire (negated) and as a name for the
/// JS host (`error.code` thrown by a storage method, see `core-wasm/bindgen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter, strum::IntoStaticStr)]
pub enum StorageStatus {
    /// No object has that key.
    NotFound = 1,
    /// `put_new` found the key already present.
    AlreadyExists = 2,
    /// The key is outside the repository grammar.
    InvalidKey = 3,
    /// Any other failure (disk full, permissions, I/O), described by its message.
    Io = 4,
    /// The storage cannot be written (a repository served over HTTP).
    ReadOnly = 5,
}

impl StorageStatus {
    /// The status of a storage error.
    pub fn of(e: &StorageError) -> StorageStatus {
        match e {
            StorageError::NotFound => StorageStatus::NotFound,
            StorageError::AlreadyExists => StorageStatus::AlreadyExists,
            StorageError::InvalidKey => StorageStatus::InvalidKey,
            StorageError::Io(_) => StorageStatus::Io,
            StorageError::ReadOnly => StorageStatus::ReadOnly,
        }
    }

    /// The status a negative import result names; an unknown number is an I/O failure.
    pub fn from_code(code: i64) -> StorageStatus {
        match -code {
            1 => StorageStatus::NotFound,
            2 => StorageStatus::AlreadyExists,
            3 => StorageStatus::InvalidKey,
            5 => StorageStatus::ReadOnly,
            _ => StorageStatus::Io,
        }
    }

    /// The negative number an import returns for this status.
    pub fn code(self) -> i32 {
        -(self as i32)
    }

    /// The status's name, as JS storage methods throw it in `error.code`.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The status of a name thrown by a JS storage method; `None` for anything else.
    pub fn from_name(name: &str) -> Option<StorageStatus> {
        <StorageStatus as strum::IntoEnumIterator>::iter().find(|s| s.name() == name)
    }

    /// Every status, in order.
    pub fn all() -> impl Iterator<Item = StorageStatus> {
        <StorageStatus as strum::IntoEnumIterator>::iter()
    }

    /// The storage error this status and `message` (the host's text) stand for.
    pub fn error(self, message: String) -> StorageError {
        match self {
            StorageStatus::NotFound => StorageError::NotFound,
            StorageStatus::AlreadyExists => StorageError::AlreadyExists,
            StorageStatus::InvalidKey => StorageError::InvalidKey,
            StorageStatus::Io => StorageError::Io(message),
            StorageStatus::ReadOnly => StorageError::ReadOnly,
        }
    }
}

/// What a write to read-only storage says, wherever it is reported.
pub const READ_ONLY: &str = "this repository location is read-only (a web server, or files a \
web page was given): write through its path or s3:// location instead";

/// The message a host holds pending for a failed storage call on `key`.
pub fn failure_message(e: &StorageError, key: &str) -> String {
    match e {
        StorageError::NotFound => format!("`{key}` does not exist"),
        StorageError::AlreadyExists => format!("`{key}` already exists"),
        StorageError::InvalidKey => format!("storage key `{key}` is outside the repository layout"),
        StorageError::ReadOnly => format!("cannot write `{key}`: {READ_ONLY}"),
        StorageError::Io(message) => message.clone(),
    }
}

/// The reads of a `storage_will_read` hint as its text: one line each, `get KEY SIZE` or
/// `range KEY OFFSET LEN` (keys come from the grammar of [`crate::layout`], which has no
/// spaces or line breaks).
pub fn encode_planned(reads: &[Planned]) -> String {
    let mut out = String::new();
    for r in reads {
        let line = match r {
            Planned::Get { key, size } => format!("get {key} {size}\n"),
            Planned::Range { key, offset, len } => format!("range {key} {offset} {len}\n"),
        };
        out.push_str(&line);
    }
    out
}

/// The reads of a hint's text ([`encode_planned`]); a line that does not parse is left out
/// (a hint changes no answer, so nothing is lost).
pub fn decode_planned(text: &str) -> Vec<Planned> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            match f[..] {
                ["get", key, size] => Some(Planned::Get {
                    key: key.to_string(),
                    size: size.parse().ok()?,
                }),
                ["range", key, offset, len] => Some(Planned::Range {
                    key: key.to_string(),
                    offset: offset.parse().ok()?,
                    len: len.parse().ok()?,
                }),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_reads_round_trip_and_junk_is_left_out() {
        let reads = vec![
            Planned::Get {
                key: "index/ab".into(),
                size: 0,
            },
            Planned::Range {
                key: "packs/data/ab/cd.pack".into(),
                offset: 7,
                len: u64::MAX,
            },
        ];
        let text = encode_planned(&reads);
        assert_eq!(decode_planned(&text), reads);
        assert_eq!(
            decode_planned(&format!("range a 1\nget b x\n\n{text}put k 1\n")),
            reads
        );
    }

    #[test]
    fn the_import_table_has_wasm_signatures() {
        let get_range = IMPORTS.iter().find(|i| i.name == "storage_get_range").unwrap();
        assert_eq!(
            get_range.params,
            [ValType::I32, ValType::I32, ValType::I64, ValType::I64]
        );
        assert_eq!(get_range.results, [ValType::I64]);
        let take = IMPORTS.iter().find(|i| i.name == "take_pending").unwrap();
        assert!(take.results.is_empty());
        assert_eq!(IMPORTS.len(), 22);
        assert!(IMPORTS.iter().all(|i| !i.doc.is_empty()));
    }

    #[test]
    fn statuses_and_replies_round_trip() {
        for s in StorageStatus::all() {
            assert_eq!(StorageStatus::from_code(s.code() as i64), s);
            assert_eq!(StorageStatus::from_name(s.name()), Some(s));
            assert_eq!(StorageStatus::of(&s.error("m".into())), s);
        }
        assert_eq!(StorageStatus::from_code(-99), StorageStatus::Io);
        assert_eq!(
            StorageStatus::Io.error("disk full".into()),
            StorageError::Io("disk full".into())
        );
        assert_eq!(
            unpack_reply(pack_reply(0x1234_5678, 0x9abc_def0)),
            (0x1234_5678, 0x9abc_def0)
        );
        assert_eq!(
            failure_message(&StorageError::NotFound, "config.json"),
            "`config.json` does not exist"
        );
    }
}
