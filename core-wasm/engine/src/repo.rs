//! A repository opened by the engine: its configuration, keys and index, and the helpers
//! every operation uses to reach storage.
//!
//! Operations live in their own modules as `impl Repository` blocks: ingest in `ingest`,
//! restore in `restore`, snapshots in `snapshot`, locks in `lock`, key files in `keys`.

use serde::{Deserialize, Serialize};

use crate::chunker::{Chunker, ChunkingParams};
use crate::codec::{CodecName, Compression};
use crate::config::{Config, EncryptionParams, ParityParams, FORMAT_NAME, FORMAT_VERSION};
use crate::crypto::{Crypto, KdfParams, NONCE_LEN};
use crate::error::{Error, Result};
use crate::groups::ParityStream;
use crate::host::{Host, StorageError};
use crate::index::{self, Index, SEGMENT_MAGIC};
use crate::keys::{KeyFile, Keys};
use crate::layout;
use crate::pack::{self, BlobKind};
use crate::seal::{self, SealParams, AAD_INDEX, AAD_PACK_INDEX};
use crate::time;

pub use crate::lock::Client;

/// Options of `init`; everything absent takes the default of API.md.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitOptions {
    /// `gzip` (default), `zstd` or `none`.
    pub compression: Option<CodecName>,
    /// Codec level (gzip 1..9, default 1).
    pub compression_level: Option<u32>,
    /// Chunk sizes (default 64 KiB / 256 KiB / 1 MiB).
    pub chunking: Option<ChunkingParams>,
    /// Target pack size (default 8 MiB).
    pub pack_size: Option<u32>,
    /// Parity layout (default 20 data + 1 parity).
    pub parity: Option<ParityParams>,
    /// Argon2id cost of the first key (default 64 MiB, 3 passes).
    pub kdf: Option<KdfParams>,
}

/// What `init`, `open` and `info` answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoInfo {
    /// Repository id.
    pub id: String,
    /// Format version.
    pub version: u64,
    /// Whether the repository is encrypted.
    pub encrypted: bool,
    /// Creation time.
    pub created_at: String,
    /// Compression.
    pub compression: Compression,
    /// Chunk sizes.
    pub chunking: ChunkingParams,
    /// Target pack size.
    pub pack_size: u32,
    /// Parity layout.
    pub parity: ParityParams,
    /// Whether the host's crypto intrinsics are in use.
    pub accelerated: bool,
}

/// An open repository.
pub struct Repository<H: Host + Clone> {
    host: H,
    crypto: Crypto,
    pub(crate) config: Config,
    pub(crate) keys: Option<Keys>,
    /// The key file this repository was opened with.
    pub(crate) key_file: Option<String>,
    client: Client,
    pub(crate) index: Index,
}

impl<H: Host + Clone> Repository<H> {
    /// Creates a repository in empty storage and opens it. With a passphrase it is
    /// encrypted: a random master key is wrapped into the first key file.
    pub fn init(host: H, passphrase: Option<&str>, options: &InitOptions, client: Client) -> Result<Self> {
        let crypto = Crypto::new(&host)?;
        let now = time::format_ms(host.now_ms());
        let codec = options.compression.unwrap_or(CodecName::Gzip);
        let mut compression = Compression::with_default_level(codec);
        if let Some(level) = options.compression_level {
            compression.level = level;
        }
        let mut id = [0u8; 32];
        host.random(&mut id);
        let config = Config {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            id: layout::hex_id(&id),
            created_at: now.clone(),
            chunking: options.chunking.unwrap_or_default(),
            compression,
            pack_size: options.pack_size.unwrap_or(8 * 1024 * 1024),
            parity: options.parity.unwrap_or_default(),
            encryption: passphrase.map(|_| EncryptionParams::default()),
        };
        config.validate()?;
        let kdf = options.kdf.unwrap_or_default();
        kdf.validate()?;
        match host.get(layout::CONFIG) {
            Ok(_) => return Err(Error::RepositoryExists),
            Err(StorageError::NotFound) => {}
            Err(e) => return Err(storage_error(layout::CONFIG, e)),
        }
        let mut repo = Repository::unopened(host, crypto, config, client);
        if let Some(pw) = passphrase {
            if pw.is_empty() {
                return Err(Error::InvalidArgument("the passphrase must not be empty".into()));
            }
            let mut master = [0u8; 32];
            repo.host.random(&mut master);
            let key = KeyFile::wrap(
                &repo.host,
                &repo.crypto,
                &master,
                pw,
                kdf,
                now,
                repo.client.hostname.clone(),
            )?;
            let mut kid = [0u8; 32];
            repo.host.random(&mut kid);
            let file = layout::key_file(&kid);
            repo.put_new(&file, &key.to_bytes())?;
            repo.keys = Some(Keys::derive(&repo.host, &repo.crypto, master));
            repo.key_file = Some(file);
        }
        match repo.host.put_new(layout::CONFIG, &repo.config.to_bytes()) {
            Ok(()) => Ok(repo),
            Err(StorageError::AlreadyExists) => Err(Error::RepositoryExists),
            Err(e) => Err(storage_error(layout::CONFIG, e)),
        }
    }

    /// Opens an existing repository; encrypted ones need a passphrase that one key file accepts.
    pub fn open(host: H, passphrase: Option<&str>, client: Client) -> Result<Self> {
        let mut repo = Repository::open_keyless(host, client)?;
        if !repo.keyless() {
            return Ok(repo);
        }
        let key_files = repo.list(layout::KEYS)?;
        let pw = passphrase.ok_or(Error::PassphraseRequired)?;
        let mut first_corrupt = None;
        for file in &key_files {
            let parsed = repo.get(file).and_then(|b| KeyFile::parse(file, &b));
            let key = match parsed {
                Ok(k) => k,
                Err(e) => {
                    first_corrupt.get_or_insert(e);
                    continue;
                }
            };
            if let Some(master) = key.unwrap_master(&repo.host, &repo.crypto, file, pw)? {
                repo.keys = Some(Keys::derive(&repo.host, &repo.crypto, master));
                repo.key_file = Some(file.clone());
                return Ok(repo);
            }
        }
        Err(match (first_corrupt, key_files.is_empty()) {
            (_, true) => Error::CorruptKey {
                file: layout::KEYS.into(),
                detail: "the repository is encrypted but has no key files".into(),
            },
            (Some(e), _) if key_files.len() == 1 => e,
            _ => Error::WrongPassphrase,
        })
    }

    /// Opens a repository without its passphrase. A plain repository opens fully; an
    /// encrypted one opens [`keyless`](Self::keyless), which is enough for the checks that
    /// need no key (packs against their names and sidecars, parity) and for parity repair
    /// (DESIGN.md §10).
    pub fn open_keyless(host: H, client: Client) -> Result<Self> {
        let crypto = Crypto::new(&host)?;
        let bytes = match host.get(layout::CONFIG) {
            Ok(b) => b,
            Err(StorageError::NotFound) => return Err(Error::RepositoryNotFound),
            Err(e) => return Err(storage_error(layout::CONFIG, e)),
        };
        let config = Config::parse(&bytes)?;
        let repo = Repository::unopened(host, crypto, config, client);
        if repo.config.encryption.is_none() && !repo.list(layout::KEYS)?.is_empty() {
            return Err(Error::CorruptConfig(
                "it says the repository is not encrypted, but keys/ holds key files: config.json was altered"
                    .into(),
            ));
        }
        Ok(repo)
    }

    /// True for an encrypted repository opened without its passphrase: nothing that needs
    /// the key (index, snapshots, chunks, locks of others) can be read or written.
    pub fn keyless(&self) -> bool {
        self.config.encryption.is_some() && self.keys.is_none()
    }

    /// A repository with its configuration but no keys and an empty index yet.
    fn unopened(host: H, crypto: Crypto, config: Config, client: Client) -> Self {
        Repository {
            host,
            crypto,
            config,
            keys: None,
            key_file: None,
            client,
            index: Index::default(),
        }
    }

    /// The repository's parameters.
    pub fn info(&self) -> RepoInfo {
        RepoInfo {
            id: self.config.id.clone(),
            version: self.config.version,
            encrypted: self.keys.is_some(),
            created_at: self.config.created_at.clone(),
            compression: self.config.compression,
            chunking: self.config.chunking,
            pack_size: self.config.pack_size,
            parity: self.config.parity,
            accelerated: self.crypto.accelerated(),
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

    /// Who runs this engine.
    pub fn client(&self) -> &Client {
        &self.client
    }

    // ---- storage, with host errors turned into engine errors -------------------------

    /// The object at `key`, or `None` when it does not exist.
    pub(crate) fn get_opt(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self.host.get(key) {
            Ok(b) => Ok(Some(b)),
            Err(StorageError::NotFound) => Ok(None),
            Err(e) => Err(storage_error(key, e)),
        }
    }

    /// The object at `key`; a missing one is a storage error.
    pub(crate) fn get(&self, key: &str) -> Result<Vec<u8>> {
        self.host.get(key).map_err(|e| storage_error(key, e))
    }

    pub(crate) fn put(&self, key: &str, data: &[u8]) -> Result<()> {
        self.host.put(key, data).map_err(|e| storage_error(key, e))
    }

    pub(crate) fn put_new(&self, key: &str, data: &[u8]) -> Result<()> {
        self.host.put_new(key, data).map_err(|e| storage_error(key, e))
    }

    pub(crate) fn delete(&self, key: &str) -> Result<()> {
        self.host.delete(key).map_err(|e| storage_error(key, e))
    }

    pub(crate) fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = self.host.list(prefix).map_err(|e| storage_error(prefix, e))?;
        keys.sort();
        Ok(keys)
    }

    pub(crate) fn storage_error(&self, key: &str, e: StorageError) -> Error {
        storage_error(key, e)
    }

    // ---- crypto helpers ----------------------------------------------------------------

    pub(crate) fn sha256(&self, data: &[u8]) -> [u8; 32] {
        self.crypto.sha256(&self.host, data)
    }

    /// The id of a blob: SHA-256 of the plaintext, keyed (HMAC) in encrypted repositories.
    pub(crate) fn blob_id(&self, plaintext: &[u8]) -> [u8; 32] {
        match &self.keys {
            None => self.sha256(plaintext),
            Some(k) => self.crypto.hmac_sha256(&self.host, &k.chunk_id, plaintext),
        }
    }

    pub(crate) fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut n = [0u8; NONCE_LEN];
        if self.keys.is_some() {
            self.host.random(&mut n);
        }
        n
    }

    fn data_key(&self) -> Option<&[u8; 32]> {
        self.keys.as_ref().map(|k| &k.data)
    }

    /// Seals a document (index, manifest, lock): encrypted in encrypted repositories.
    pub(crate) fn seal_doc(&self, aad: &[u8], data: &[u8]) -> Vec<u8> {
        seal::seal_bytes(
            &self.host,
            &self.crypto,
            self.data_key(),
            &self.nonce(),
            aad,
            data,
        )
    }

    /// Opens a document sealed by [`Repository::seal_doc`].
    pub(crate) fn open_doc(&self, aad: &[u8], stored: &[u8]) -> std::result::Result<Vec<u8>, String> {
        seal::open_bytes(&self.host, &self.crypto, self.data_key(), aad, stored)
    }

    /// Compresses and encrypts a blob.
    pub(crate) fn seal_blob(&self, plaintext: &[u8]) -> (crate::codec::Codec, Vec<u8>) {
        let params = SealParams {
            compression: self.config.compression,
            key: self.data_key(),
        };
        seal::seal_blob(&self.host, &self.crypto, &params, &self.nonce(), plaintext)
    }

    /// A chunker for one stream of this repository (keyed in encrypted ones).
    pub(crate) fn chunker(&self) -> Chunker {
        Chunker::new(
            self.config.chunking,
            self.keys.as_ref().map_or(0, |k| k.gear_seed),
        )
    }

    /// Reads one blob: fetches its bytes from its pack, opens and decompresses them, and
    /// checks them against the id. Errors name the pack.
    pub(crate) fn read_blob(&self, id: &[u8; 32], kind: BlobKind) -> Result<Vec<u8>> {
        let loc = self
            .index
            .get(id)
            .ok_or_else(|| Error::ChunkNotFound(layout::hex_id(id)))?;
        let (pack_id, _) = self.index.pack(loc.pack);
        let key = layout::pack_file(&pack_id);
        let corrupt = |detail: String| Error::CorruptPack {
            pack: key.clone(),
            detail,
        };
        if loc.kind != kind {
            return Err(Error::CorruptIndex {
                file: layout::INDEX.into(),
                detail: format!(
                    "blob {} is indexed as {:?}, expected {kind:?}",
                    layout::hex_id(id),
                    loc.kind
                ),
            });
        }
        let stored = match self
            .host
            .get_range(&key, loc.offset as u64, loc.stored_len as u64)
        {
            Ok(b) => b,
            Err(StorageError::NotFound) => return Err(corrupt("the pack file is missing".into())),
            Err(e) => return Err(storage_error(&key, e)),
        };
        if stored.len() != loc.stored_len as usize {
            return Err(corrupt(format!(
                "truncated: blob {} ends past the end of the file",
                layout::hex_id(id)
            )));
        }
        let plain = seal::open_blob(
            &self.host,
            &self.crypto,
            self.data_key(),
            loc.codec,
            loc.raw_len as usize,
            &stored,
        )
        .map_err(|e| corrupt(format!("blob {}: {e}", layout::hex_id(id))))?;
        if self.blob_id(&plain) != *id {
            return Err(corrupt(format!(
                "blob {} does not hash to its id",
                layout::hex_id(id)
            )));
        }
        Ok(plain)
    }

    // ---- packs and index ---------------------------------------------------------------

    /// Writes a finished pack and its `.idx` sidecar (in that order), indexes it, and adds
    /// it to the parity stream of the operation that wrote it.
    pub(crate) fn write_pack(
        &mut self,
        builder: &mut pack::PackBuilder,
        parity: &mut ParityStream,
    ) -> Result<index::PackRecord> {
        let table = self.seal_doc(AAD_PACK_INDEX, &pack::encode_entries(builder.entries()));
        let (bytes, entries) = builder.finish(&table);
        let id = self.sha256(&bytes);
        self.put(&layout::pack_file(&id), &bytes)?;
        let header = pack::IdxHeader {
            pack_size: bytes.len() as u64,
            pack_id: id,
            count: entries.len() as u32,
        };
        self.put(&layout::pack_index_file(&id), &pack::encode_idx(&header, &table))?;
        self.protect_pack(parity, id, &bytes)?;
        self.index.add_pack(id, bytes.len() as u64, &entries);
        Ok(index::PackRecord {
            id,
            size: bytes.len() as u64,
            entries,
        })
    }

    /// Writes a global index segment listing `packs` and superseding the segments
    /// `supersedes`; returns its id.
    pub(crate) fn write_segment(
        &mut self,
        supersedes: &[[u8; 32]],
        packs: &[index::PackRecord],
    ) -> Result<[u8; 32]> {
        let body = index::encode_segment(supersedes, packs);
        let mut stored = SEGMENT_MAGIC.to_vec();
        stored.extend_from_slice(&self.seal_doc(AAD_INDEX, &body));
        let id = self.sha256(&stored);
        self.put(&layout::index_file(&id), &stored)?;
        self.index.segments.insert(id);
        Ok(id)
    }

    /// Replaces the whole global index by one listing exactly `records`, written in segments
    /// of [`crate::ingest::SEGMENT_PACKS`] packs. The last segment supersedes every older one,
    /// and those are deleted only after it exists: until then the old index stays in force,
    /// so a crash leaves at worst duplicate entries.
    pub(crate) fn replace_index(&mut self, records: &[index::PackRecord]) -> Result<()> {
        let old = self.segment_ids()?;
        let batches: Vec<&[index::PackRecord]> = records.chunks(crate::ingest::SEGMENT_PACKS).collect();
        let mut written = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            let supersedes: &[[u8; 32]] = if i + 1 == batches.len() { &old } else { &[] };
            written.push(self.write_segment(supersedes, batch)?);
        }
        if batches.is_empty() && !old.is_empty() {
            written.push(self.write_segment(&old, &[])?);
        }
        for id in old.iter().filter(|id| !written.contains(id)) {
            self.delete(&layout::index_file(id))?;
        }
        self.index = Index::default();
        self.refresh_index()
    }

    /// Loads index segments written since the last load (by this or another process). A
    /// segment that supersedes others makes the whole index reload without them.
    pub(crate) fn refresh_index(&mut self) -> Result<()> {
        let mut fresh = Vec::new();
        for id in self.segment_ids()? {
            if !self.index.segments.contains(&id) {
                fresh.push((id, self.read_segment(&id)?));
            }
        }
        if fresh.iter().any(|(_, (sup, _))| !sup.is_empty()) {
            return self.reload_index();
        }
        for (id, (_, packs)) in fresh {
            for p in &packs {
                self.index.add_pack(p.id, p.size, &p.entries);
            }
            self.index.segments.insert(id);
        }
        Ok(())
    }

    fn reload_index(&mut self) -> Result<()> {
        let mut all = Vec::new();
        for (id, segment) in self.segments()? {
            all.push((id, segment?));
        }
        self.index = index_of(all);
        Ok(())
    }

    /// Reloads the index from every segment that reads back intact, and returns the errors
    /// of those that do not (verify reports them instead of stopping at the first).
    pub(crate) fn reload_index_tolerant(&mut self) -> Result<Vec<Error>> {
        let mut all = Vec::new();
        let mut errors = Vec::new();
        for (id, segment) in self.segments()? {
            match segment {
                Ok(s) => all.push((id, s)),
                Err(e) => errors.push(e),
            }
        }
        self.index = index_of(all);
        Ok(errors)
    }

    /// Every index segment in storage, each read or with the error that names it.
    #[allow(clippy::type_complexity)]
    fn segments(&self) -> Result<Vec<([u8; 32], Result<(Vec<[u8; 32]>, Vec<index::PackRecord>)>)>> {
        Ok(self
            .segment_ids()?
            .into_iter()
            .map(|id| (id, self.read_segment(&id)))
            .collect())
    }

    /// Ids of the index segments in storage.
    fn segment_ids(&self) -> Result<Vec<[u8; 32]>> {
        Ok(self
            .list(layout::INDEX)?
            .iter()
            .filter_map(|k| match layout::parse_key(k) {
                Some(layout::KeyKind::Index(id)) => Some(id),
                _ => None,
            })
            .collect())
    }

    fn read_segment(&self, id: &[u8; 32]) -> Result<(Vec<[u8; 32]>, Vec<index::PackRecord>)> {
        let key = layout::index_file(id);
        let corrupt = |detail: String| Error::CorruptIndex {
            file: key.clone(),
            detail,
        };
        let Some(stored) = self.get_opt(&key)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        if self.sha256(&stored) != *id {
            return Err(corrupt("its bytes do not match its name (SHA-256)".into()));
        }
        if stored.len() < 8 || &stored[..8] != SEGMENT_MAGIC {
            return Err(corrupt("not an index segment (bad magic)".into()));
        }
        let body = self.open_doc(AAD_INDEX, &stored[8..]).map_err(corrupt)?;
        index::decode_segment(&body).map_err(corrupt)
    }
}

/// The index of a set of segments: every pack of every segment no other segment supersedes.
#[allow(clippy::type_complexity)]
fn index_of(all: Vec<([u8; 32], (Vec<[u8; 32]>, Vec<index::PackRecord>))>) -> Index {
    let superseded: std::collections::HashSet<[u8; 32]> =
        all.iter().flat_map(|(_, (sup, _))| sup.iter().copied()).collect();
    let mut index = Index::default();
    for (id, (_, packs)) in all {
        if !superseded.contains(&id) {
            for p in &packs {
                index.add_pack(p.id, p.size, &p.entries);
            }
        }
        index.segments.insert(id);
    }
    index
}

/// Turns a host storage failure into an engine error about `key`.
pub(crate) fn storage_error(key: &str, e: StorageError) -> Error {
    match e {
        StorageError::InvalidKey => Error::InvalidStorageKey(key.to_string()),
        StorageError::NotFound => Error::Storage {
            key: key.to_string(),
            message: "not found".into(),
        },
        StorageError::AlreadyExists => Error::Storage {
            key: key.to_string(),
            message: "already exists".into(),
        },
        StorageError::Io(message) => Error::Storage {
            key: key.to_string(),
            message,
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::memory::MemoryHost;

    /// Cheap Argon2 settings for tests.
    pub const FAST_KDF: KdfParams = KdfParams {
        memory_ki_b: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// Small chunks and packs so tests exercise many of each.
    pub fn small_options() -> InitOptions {
        InitOptions {
            chunking: Some(ChunkingParams {
                min: 256,
                avg: 1024,
                max: 4096,
            }),
            pack_size: Some(16 * 1024),
            kdf: Some(FAST_KDF),
            ..InitOptions::default()
        }
    }

    pub fn client() -> Client {
        Client {
            hostname: "testhost".into(),
            pid: 42,
            user: "tester".into(),
        }
    }

    pub fn plain_repo(host: &MemoryHost) -> Repository<MemoryHost> {
        Repository::init(host.clone(), None, &small_options(), client()).unwrap()
    }

    pub fn open_plain(host: &MemoryHost) -> Repository<MemoryHost> {
        Repository::open(host.clone(), None, client()).unwrap()
    }

    #[test]
    fn init_refuses_an_existing_repository_and_open_needs_one() {
        let host = MemoryHost::new(1);
        assert_eq!(
            Repository::open(host.clone(), None, client()).err(),
            Some(Error::RepositoryNotFound)
        );
        plain_repo(&host);
        assert_eq!(
            Repository::init(host.clone(), None, &small_options(), client()).err(),
            Some(Error::RepositoryExists)
        );
        let cfg = Config::parse(&host.object(layout::CONFIG).unwrap()).unwrap();
        assert_eq!(cfg.pack_size, 16 * 1024);
        assert!(cfg.encryption.is_none());
    }

    #[test]
    fn encrypted_repositories_need_the_right_passphrase() {
        let host = MemoryHost::new(2);
        Repository::init(host.clone(), Some("s3cret"), &small_options(), client()).unwrap();
        assert_eq!(
            Repository::open(host.clone(), None, client()).err(),
            Some(Error::PassphraseRequired)
        );
        assert_eq!(
            Repository::open(host.clone(), Some("nope"), client()).err(),
            Some(Error::WrongPassphrase)
        );
        let r = Repository::open(host.clone(), Some("s3cret"), client()).unwrap();
        assert!(r.info().encrypted);
        assert_eq!(
            Repository::init(MemoryHost::new(3), Some(""), &small_options(), client())
                .err()
                .unwrap()
                .code(),
            crate::ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn a_config_stripped_of_encryption_is_refused() {
        let host = MemoryHost::new(4);
        Repository::init(host.clone(), Some("pw"), &small_options(), client()).unwrap();
        let mut cfg = Config::parse(&host.object(layout::CONFIG).unwrap()).unwrap();
        cfg.encryption = None;
        host.set_object(layout::CONFIG, cfg.to_bytes());
        assert!(matches!(
            Repository::open(host, None, client()),
            Err(Error::CorruptConfig(_))
        ));
    }

    #[test]
    fn bad_init_options_are_refused_before_anything_is_written() {
        let host = MemoryHost::new(5);
        for opts in [
            InitOptions {
                pack_size: Some(10),
                ..small_options()
            },
            InitOptions {
                compression: Some(CodecName::Zstd),
                compression_level: Some(5),
                ..small_options()
            },
            InitOptions {
                parity: Some(ParityParams {
                    data_packs: 0,
                    parity_packs: 1,
                }),
                ..small_options()
            },
            InitOptions {
                chunking: Some(ChunkingParams {
                    min: 1,
                    avg: 2,
                    max: 3,
                }),
                ..small_options()
            },
        ] {
            assert_eq!(
                Repository::init(host.clone(), None, &opts, client())
                    .err()
                    .unwrap()
                    .code(),
                crate::ErrorCode::InvalidArgument
            );
        }
        assert!(host.keys().is_empty());
    }
}
