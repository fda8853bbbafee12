//! The storage layer: the host's storage addressed by typed keys, with host errors turned
//! into engine errors, and the repository's sealing (hashing, encryption, compression).
//!
//! Every layer above reaches storage only through a [`Store`]. It also keeps the locks
//! this engine holds alive: before each storage call it rewrites the heartbeat of any held
//! lock that is due ([`HEARTBEAT_EVERY_MS`]), so a restore, verify or repair that runs for
//! hours keeps its lock without calling anything (docs/FORMAT.md §10).

use std::cell::RefCell;

use crate::chunker::Chunker;
use crate::codec::Codec;
use crate::config::Config;
use crate::crypto::Crypto;
use crate::error::{Error, Result};
use crate::host::{Host, Planned, StorageError};
use crate::ids::{BlobId, LockId};
use crate::keyfile::Keys;
use crate::layout::{Dir, StorageKey};
use crate::lockfile::{Client, LockInfo, HEARTBEAT_EVERY_MS};
use crate::seal::{self, Cipher, SealKey, SealParams, AAD_LOCK};
use crate::time;

/// A lock this engine holds, and when its heartbeat was last written.
struct Held {
    id: LockId,
    info: LockInfo,
    last_beat_ms: i64,
}

/// The repository's storage and sealing, as every operation sees them.
pub struct Store<H: Host> {
    host: H,
    crypto: Crypto,
    config: Config,
    keys: Option<Keys>,
    client: Client,
    held: RefCell<Vec<Held>>,
}

/// Turns a host storage failure into an engine error about `key`.
pub fn storage_error(key: &StorageKey, e: StorageError) -> Error {
    let key = key.to_string();
    match e {
        StorageError::InvalidKey => Error::InvalidStorageKey(key),
        StorageError::NotFound => Error::Storage {
            key,
            message: "not found".into(),
        },
        StorageError::AlreadyExists => Error::Storage {
            key,
            message: "already exists".into(),
        },
        StorageError::ReadOnly => Error::ReadOnly(format!("writing `{key}` was refused")),
        StorageError::Io(message) => Error::Storage { key, message },
    }
}

impl<H: Host> Store<H> {
    /// The storage of a repository with this configuration; `keys` when it is unlocked.
    pub fn new(host: H, crypto: Crypto, config: Config, keys: Option<Keys>, client: Client) -> Self {
        Store {
            host,
            crypto,
            config,
            keys,
            client,
            held: RefCell::new(Vec::new()),
        }
    }

    /// The same storage, unlocked with the working keys of an encrypted repository.
    pub fn unlocked(self, keys: Keys) -> Self {
        Store {
            keys: Some(keys),
            ..self
        }
    }

    /// The host.
    pub fn host(&self) -> &H {
        &self.host
    }

    /// The crypto primitives in use (pure Rust or the host's).
    pub fn crypto(&self) -> &Crypto {
        &self.crypto
    }

    /// The repository's parameters.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The working keys of an unlocked encrypted repository.
    pub fn keys(&self) -> Option<&Keys> {
        self.keys.as_ref()
    }

    /// Who runs this engine.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// True for an encrypted repository opened without its key: nothing sealed can be read.
    pub fn keyless(&self) -> bool {
        self.config.encryption.is_some() && self.keys.is_none()
    }

    /// The host's clock.
    pub fn now_ms(&self) -> i64 {
        self.host.now_ms()
    }

    // ---- storage --------------------------------------------------------------------

    /// The object at `key`, or `None` when it does not exist.
    pub fn get_opt(&self, key: &StorageKey) -> Result<Option<Vec<u8>>> {
        self.beat()?;
        match self.host.get(&key.to_string()) {
            Ok(b) => Ok(Some(b)),
            Err(StorageError::NotFound) => Ok(None),
            Err(e) => Err(storage_error(key, e)),
        }
    }

    /// The object at `key`; a missing one is a storage error.
    pub fn get(&self, key: &StorageKey) -> Result<Vec<u8>> {
        self.beat()?;
        self.host.get(&key.to_string()).map_err(|e| storage_error(key, e))
    }

    /// `len` bytes from `offset` (fewer at the end), or `None` when the object is missing.
    pub fn get_range(&self, key: &StorageKey, offset: u64, len: u64) -> Result<Option<Vec<u8>>> {
        self.beat()?;
        match self.host.get_range(&key.to_string(), offset, len) {
            Ok(b) => Ok(Some(b)),
            Err(StorageError::NotFound) => Ok(None),
            Err(e) => Err(storage_error(key, e)),
        }
    }

    /// Tells the host which reads come next ([`crate::host::Storage::will_read`]): a hint
    /// that changes no answer, so it is given without a heartbeat and cannot fail.
    pub fn will_read(&self, reads: &[Planned]) {
        if !reads.is_empty() {
            self.host.will_read(reads);
        }
    }

    /// Creates or replaces the object.
    pub fn put(&self, key: &StorageKey, data: &[u8]) -> Result<()> {
        self.beat()?;
        self.host
            .put(&key.to_string(), data)
            .map_err(|e| storage_error(key, e))
    }

    /// Creates the object; `false` (and nothing written) when it exists already.
    pub fn put_new(&self, key: &StorageKey, data: &[u8]) -> Result<bool> {
        self.put_new_unless_read_only(key, data)?
            .ok_or_else(|| storage_error(key, StorageError::ReadOnly))
    }

    /// [`Store::put_new`], telling read-only storage apart: `None` when the storage
    /// refuses every write ([`StorageError::ReadOnly`]).
    pub fn put_new_unless_read_only(&self, key: &StorageKey, data: &[u8]) -> Result<Option<bool>> {
        self.beat()?;
        match self.host.put_new(&key.to_string(), data) {
            Ok(()) => Ok(Some(true)),
            Err(StorageError::AlreadyExists) => Ok(Some(false)),
            Err(StorageError::ReadOnly) => Ok(None),
            Err(e) => Err(storage_error(key, e)),
        }
    }

    /// Removes the object; a missing one is not an error.
    pub fn delete(&self, key: &StorageKey) -> Result<()> {
        self.beat()?;
        self.host
            .delete(&key.to_string())
            .map_err(|e| storage_error(key, e))
    }

    /// Every object in `dir`, sorted; names outside the grammar (a host's temporary
    /// files) are not part of the repository and are left out.
    pub fn list(&self, dir: Dir) -> Result<Vec<StorageKey>> {
        self.beat()?;
        let prefix = dir.prefix();
        let names = self.host.list(prefix).map_err(|e| match e {
            StorageError::InvalidKey => Error::InvalidStorageKey(prefix.to_string()),
            other => storage_error_at(prefix, other),
        })?;
        let mut keys: Vec<StorageKey> = names.iter().filter_map(|k| StorageKey::parse(k)).collect();
        keys.sort();
        Ok(keys)
    }

    /// The ids `pick` finds among the objects of `dir`, sorted.
    pub fn list_ids<T: Ord>(&self, dir: Dir, pick: impl Fn(StorageKey) -> Option<T>) -> Result<Vec<T>> {
        let mut ids: Vec<T> = self.list(dir)?.into_iter().filter_map(pick).collect();
        ids.sort();
        Ok(ids)
    }

    // ---- sealing ----------------------------------------------------------------------

    /// SHA-256 of `data`.
    pub fn sha256(&self, data: &[u8]) -> [u8; 32] {
        self.crypto.sha256(&self.host, data)
    }

    /// The id of a blob: SHA-256 of the plaintext, keyed (HMAC) in encrypted repositories.
    pub fn blob_id(&self, plaintext: &[u8]) -> BlobId {
        BlobId::new(match &self.keys {
            None => self.sha256(plaintext),
            Some(k) => self.crypto.hmac_sha256(&self.host, &k.chunk_id, plaintext),
        })
    }

    /// The repository's cipher (`None` in a plain repository).
    pub fn cipher(&self) -> Option<Cipher> {
        self.config.encryption.as_ref().and_then(|e| e.cipher())
    }

    /// A fresh random nonce of the cipher's length (none in a plain repository).
    pub(crate) fn nonce(&self) -> Vec<u8> {
        let mut n = vec![0u8; self.data_key().map_or(0, |k| k.cipher.nonce_len())];
        self.host.random(&mut n);
        n
    }

    /// The data key and cipher of an unlocked encrypted repository.
    pub(crate) fn data_key(&self) -> Option<SealKey<'_>> {
        let cipher = self.cipher()?;
        self.keys.as_ref().map(|k| SealKey { key: &k.data, cipher })
    }

    /// Seals a document (index, manifest, lock, pack table): encrypted when there is a key.
    pub fn seal_doc(&self, aad: &[u8], data: &[u8]) -> Vec<u8> {
        seal::seal_bytes(
            &self.host,
            &self.crypto,
            self.data_key(),
            &self.nonce(),
            aad,
            data,
        )
    }

    /// Opens a document sealed by [`Store::seal_doc`]; the error says why it cannot be.
    pub fn open_doc(&self, aad: &[u8], stored: &[u8]) -> std::result::Result<Vec<u8>, String> {
        seal::open_bytes(&self.host, &self.crypto, self.data_key(), aad, stored)
    }

    /// Compresses and encrypts a blob; returns the codec used and the stored bytes.
    pub fn seal_blob(&self, plaintext: &[u8]) -> (Codec, Vec<u8>) {
        let params = SealParams {
            compression: self.config.compression,
            key: self.data_key(),
        };
        seal::seal_blob(&self.host, &self.crypto, &params, &self.nonce(), plaintext)
    }

    /// Decrypts and decompresses a stored blob that must expand to `raw_len` bytes.
    pub fn open_blob(
        &self,
        codec: Codec,
        raw_len: usize,
        stored: &[u8],
    ) -> std::result::Result<Vec<u8>, String> {
        seal::open_blob(&self.host, &self.crypto, self.data_key(), codec, raw_len, stored)
    }

    /// A chunker for one stream of this repository (keyed in encrypted ones).
    pub fn chunker(&self) -> Chunker {
        Chunker::new(
            self.config.chunking,
            self.keys.as_ref().map_or(0, |k| k.gear_seed),
        )
    }

    // ---- held locks -------------------------------------------------------------------

    /// Starts keeping a lock this engine has just written alive.
    pub(crate) fn hold(&self, id: LockId, info: LockInfo) {
        let last_beat_ms = time::parse_ms(&info.heartbeat_at).unwrap_or_else(|_| self.now_ms());
        self.held.borrow_mut().push(Held {
            id,
            info,
            last_beat_ms,
        });
    }

    /// Stops keeping a lock alive (before it is deleted).
    pub(crate) fn unhold(&self, id: LockId) {
        self.held.borrow_mut().retain(|h| h.id != id);
    }

    /// Rewrites the heartbeat of every held lock whose last one is [`HEARTBEAT_EVERY_MS`] old:
    /// the one place heartbeats are written. Every storage call runs it first, and so does
    /// every step of a session ([`crate::repo::Repo`]), which may not touch storage for a
    /// while (a restore handing out chunks read ahead to a slow reader).
    pub(crate) fn beat(&self) -> Result<()> {
        let now = self.host.now_ms();
        let mut held = self.held.borrow_mut();
        for h in held
            .iter_mut()
            .filter(|h| now - h.last_beat_ms >= HEARTBEAT_EVERY_MS)
        {
            h.info.heartbeat_at = time::format_ms(now);
            let key = StorageKey::Lock(h.id);
            let stored = self.seal_doc(AAD_LOCK, &h.info.to_bytes()?);
            self.host
                .put(&key.to_string(), &stored)
                .map_err(|e| storage_error(&key, e))?;
            h.last_beat_ms = now;
        }
        Ok(())
    }
}

/// A storage failure on a listing prefix (which is not a [`StorageKey`]).
fn storage_error_at(prefix: &str, e: StorageError) -> Error {
    let message = match e {
        StorageError::Io(m) => m,
        StorageError::NotFound => "not found".into(),
        StorageError::AlreadyExists => "already exists".into(),
        StorageError::InvalidKey => "outside the repository layout".into(),
        StorageError::ReadOnly => return Error::ReadOnly(format!("writing under `{prefix}` was refused")),
    };
    Error::Storage {
        key: prefix.to_string(),
        message,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::memory::MemoryHost;
    use crate::seal::AAD_SNAPSHOT;

    /// A plain store on `host` with the default configuration.
    pub fn plain_store(host: &MemoryHost) -> Store<MemoryHost> {
        let config = Config::new(
            "0".repeat(64),
            "2026-01-01T00:00:00.000Z".into(),
            &Default::default(),
            false,
        )
        .unwrap();
        Store::new(host.clone(), Crypto::software(), config, None, Client::default())
    }

    #[test]
    fn typed_keys_reach_the_host_as_grammar_keys_and_errors_name_them() {
        let host = MemoryHost::new(1);
        let s = plain_store(&host);
        let key = StorageKey::Snapshot([7; 32].into());
        assert_eq!(s.get_opt(&key).unwrap(), None);
        assert_eq!(s.get_range(&key, 0, 4).unwrap(), None);
        let e = s.get(&key).unwrap_err();
        assert!(
            matches!(&e, Error::Storage { key: k, .. } if *k == key.to_string()),
            "{e}"
        );
        s.put(&key, b"abc").unwrap();
        assert_eq!(host.object(&key.to_string()).unwrap(), b"abc");
        assert!(!s.put_new(&key, b"x").unwrap(), "exists");
        assert!(s.put_new(&StorageKey::Lock([1; 32].into()), b"x").unwrap());
        host.set_object("snapshots/not-an-id", b"junk".to_vec());
        assert_eq!(
            s.list(Dir::Snapshots).unwrap(),
            vec![key],
            "names outside the grammar are left out"
        );
        s.delete(&key).unwrap();
        s.delete(&key).unwrap();
        assert!(s.list(Dir::Snapshots).unwrap().is_empty());
    }

    #[test]
    fn plain_sealing_is_the_identity_and_blob_ids_are_sha256() {
        let host = MemoryHost::new(2);
        let s = plain_store(&host);
        assert_eq!(s.seal_doc(AAD_SNAPSHOT, b"{}"), b"{}");
        assert_eq!(s.open_doc(AAD_SNAPSHOT, b"{}").unwrap(), b"{}");
        assert_eq!(*s.blob_id(b"abc").as_bytes(), crate::crypto::soft_sha256(b"abc"));
        let (codec, stored) = s.seal_blob(&[b'a'; 4096]);
        assert_eq!(s.open_blob(codec, 4096, &stored).unwrap(), vec![b'a'; 4096]);
    }

    #[test]
    fn held_locks_beat_on_any_storage_call_once_due() {
        let host = MemoryHost::new(3);
        let s = plain_store(&host);
        let id = LockId::new([9; 32]);
        let info = LockInfo::new(false, "restore", Client::default(), host.now_ms());
        s.put(&StorageKey::Lock(id), &info.to_bytes().unwrap()).unwrap();
        s.hold(id, info);
        let heartbeat = |h: &MemoryHost| {
            LockInfo::parse(&h.object(&StorageKey::Lock(id).to_string()).unwrap())
                .unwrap()
                .heartbeat_at
        };
        let first = heartbeat(&host);
        host.set_now_ms(host.now_ms() + HEARTBEAT_EVERY_MS - 1);
        s.get_opt(&StorageKey::Config).unwrap();
        assert_eq!(heartbeat(&host), first, "not due yet");
        host.set_now_ms(host.now_ms() + 1);
        s.get_opt(&StorageKey::Config).unwrap();
        assert_ne!(heartbeat(&host), first, "due: rewritten");
        s.unhold(id);
        host.set_now_ms(host.now_ms() + 10 * HEARTBEAT_EVERY_MS);
        let before = heartbeat(&host);
        s.get_opt(&StorageKey::Config).unwrap();
        assert_eq!(heartbeat(&host), before, "released locks are left alone");
    }
}
