//! The one narrow interface between the engine and the outside world (docs/DESIGN.md §1).
//!
//! A host gives the engine storage with object-store semantics, randomness, a clock, an
//! event sink, and optionally accelerated crypto. The native CLI implements it with wasm
//! imports served by wasmtime, the JS package with a host object, and unit tests with
//! [`crate::memory::MemoryHost`].

/// Why a storage operation failed, as the host reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// No object has that key.
    NotFound,
    /// `put_new` found the key already present.
    AlreadyExists,
    /// The host refused the key: it is outside the repository grammar ([`crate::layout`]).
    InvalidKey,
    /// The storage cannot be written at all (a repository served over HTTP): every write
    /// fails with this, and operations that only read then take no lock (docs/FORMAT.md §10).
    ReadOnly,
    /// Any other failure (disk full, permissions, I/O), described by the host.
    Io(String),
}

/// A read the engine announces before it makes it ([`Storage::will_read`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Planned {
    /// `get(key)`; `size` is what the engine expects the object to hold (0: unknown), a
    /// guide for the host's memory budget, never a promise.
    Get {
        /// The object's key.
        key: String,
        /// Its expected size in bytes, or 0.
        size: u64,
    },
    /// `get_range(key, offset, len)`.
    Range {
        /// The object's key.
        key: String,
        /// The first byte.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

impl Planned {
    /// The key the read is of.
    pub fn key(&self) -> &str {
        match self {
            Planned::Get { key, .. } | Planned::Range { key, .. } => key,
        }
    }

    /// The bytes the read is expected to bring (0 when unknown).
    pub fn size(&self) -> u64 {
        match self {
            Planned::Get { size, .. } => *size,
            Planned::Range { len, .. } => *len,
        }
    }
}

/// Storage with object-store semantics, keyed by repository-relative paths ([`crate::layout`]).
///
/// Every write is atomic and durable: a reader sees the whole object or none of it.
pub trait Storage {
    /// The whole object.
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError>;
    /// `len` bytes from `offset`; fewer only if the object ends first.
    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError>;
    /// Creates or replaces the object.
    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError>;
    /// Creates the object; fails with [`StorageError::AlreadyExists`] if it exists. Locks rely on it.
    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError>;
    /// Every key that starts with `prefix` (a directory prefix such as `index/`), in any order.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError>;
    /// Removes the object; removing a missing object is not an error.
    fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// A hint, not a call: the engine will make these reads next, in this order, and no
    /// longer needs the reads it announced before and left out here (docs/DESIGN.md §28).
    /// A storage far away (S3, HTTP) may fetch them ahead, several at once, and answer
    /// the calls that follow from what it fetched; nothing else changes, since a read
    /// not fetched ahead is made when it is asked for. The default ignores it.
    fn will_read(&self, _reads: &[Planned]) {}
}

/// Storage shared between threads (the CLI's writer thread and its engine instance) is
/// storage: every call goes to the one behind the [`Arc`](std::sync::Arc).
impl<S: Storage + ?Sized> Storage for std::sync::Arc<S> {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        (**self).get(key)
    }
    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        (**self).get_range(key, offset, len)
    }
    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        (**self).put(key, data)
    }
    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        (**self).put_new(key, data)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        (**self).list(prefix)
    }
    fn delete(&self, key: &str) -> Result<(), StorageError> {
        (**self).delete(key)
    }
    fn will_read(&self, reads: &[Planned]) {
        (**self).will_read(reads)
    }
}

/// Everything the engine needs from its host.
///
/// The crypto intrinsics are optional: a host that returns `None` gets the engine's
/// pure-Rust implementations. A host that supplies them is checked against known test
/// vectors when a repository is opened ([`crate::crypto::Crypto::new`]).
pub trait Host: Storage {
    /// Fills `buf` with cryptographically secure random bytes.
    fn random(&self, buf: &mut [u8]);
    /// Milliseconds since the Unix epoch (UTC).
    fn now_ms(&self) -> i64;
    /// Receives an event: `name` such as `ingest:progress`, `payload` a JSON object.
    fn event(&self, name: &str, payload: &str);
    /// Whether process `pid` runs on this host: `None` when the host cannot tell (a browser,
    /// another operating system). Lets maintenance remove the locks of dead processes.
    fn process_alive(&self, _pid: u32) -> Option<bool> {
        None
    }
    /// How many jobs ([`crate::jobs`]) the host can run at once: more than 1 when it runs
    /// batches on other instances of the module, in threads or workers. The engine then
    /// gathers independent work into batches for [`Host::submit_jobs`].
    fn job_threads(&self) -> usize {
        1
    }
    /// Starts a framed batch of jobs (`crate::jobs`) on other instances and answers a
    /// ticket for [`Host::collect_jobs`]; `None` when the host runs no jobs (the engine then
    /// runs them itself). The engine goes on working while the batch runs.
    fn submit_jobs(&self, _batch: &[u8]) -> Option<Result<u64, String>> {
        None
    }
    /// The framed results of a submitted batch, in order, once it has run; an error when a
    /// worker failed.
    fn collect_jobs(&self, _ticket: u64) -> Result<Vec<u8>, String> {
        Err("no jobs were submitted".into())
    }
    /// Accelerated SHA-256, if the host has one.
    fn sha256(&self, _data: &[u8]) -> Option<[u8; 32]> {
        None
    }
    /// Accelerated HMAC-SHA-256, if the host has one.
    fn hmac_sha256(&self, _key: &[u8], _data: &[u8]) -> Option<[u8; 32]> {
        None
    }
    /// Accelerated AES-256-GCM encryption: ciphertext followed by the 16-byte tag.
    fn aes256gcm_seal(
        &self,
        _key: &[u8; 32],
        _nonce: &[u8; 12],
        _aad: &[u8],
        _plaintext: &[u8],
    ) -> Option<Vec<u8>> {
        None
    }
    /// Accelerated AES-256-GCM decryption: `Some(None)` when the tag does not verify.
    fn aes256gcm_open(
        &self,
        _key: &[u8; 32],
        _nonce: &[u8; 12],
        _aad: &[u8],
        _ciphertext: &[u8],
    ) -> Option<Option<Vec<u8>>> {
        None
    }
    /// The engine's own zstd encoder ([`crate::codec::zstd_frame`]) compiled natively, if
    /// the host has it: the frame of `data` at `level` when it is at most `max_len` bytes
    /// long, `Some(None)` when it is longer. Its bytes must be exactly the engine's
    /// (checked when a repository is opened), so what is stored never depends on the host;
    /// it is only faster than the module's own (docs/DESIGN.md §4).
    fn zstd_compress(&self, _level: u32, _data: &[u8], _max_len: usize) -> Option<Option<Vec<u8>>> {
        None
    }
    /// Native Argon2id (version 0x13) of a passphrase into a 32-byte key, if the host has
    /// one: the same function as [`crate::kdf::argon2id`], faster, and with its memory
    /// outside the module's, which never shrinks (docs/DESIGN.md §4). `None` when not
    /// supplied or when the host refuses the parameters.
    fn argon2id(
        &self,
        _passphrase: &[u8],
        _salt: &[u8],
        _params: &crate::kdf::KdfParams,
    ) -> Option<[u8; 32]> {
        None
    }
}
