//! A repository opened by the engine: the facade over the layers below.
//!
//! [`Repository`] owns the parts an open repository has (its [`Store`], its in-memory
//! [`Index`] and the key file it was opened with) and hands them to the module of each
//! operation: ingest in [`crate::ingest`], restore in [`crate::restore`], snapshots in
//! [`crate::snapshots`], verify in [`crate::verify`], prune in [`crate::prune`], repair in
//! [`crate::repair`], keys in [`crate::keys`], locks in [`crate::locking`]. Nothing here
//! does an operation's work.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chunker::ChunkingParams;
use crate::codec::Compression;
use crate::config::{Config, InitOptions, ParityParams};
use crate::copy::{ExportSession, ImportSession};
use crate::crypto::Crypto;
use crate::error::{Error, Result};
use crate::forget::{self, ForgetOptions};
use crate::host::Host;
use crate::ids::KeyId;
use crate::index::Index;
use crate::ingest::{IngestSession, Origin};
use crate::keyfile::{KeyFile, Keys};
use crate::keys::{self, KeyListing};
use crate::layout::StorageKey;
use crate::locking;
use crate::manifest::{Snapshot, SnapshotFilter, SnapshotItem};
use crate::prune::{self, PruneOptions, PruneResult};
use crate::repair::{self, ReindexResult, RepairResult};
use crate::restore::RestoreSession;
use crate::snapshots;
use crate::store::Store;
use crate::tag::{self, TagOptions, TagResult};
use crate::time;
use crate::verify::{self, VerifyOptions, VerifyResult};

pub use crate::lockfile::Client;

mod trees;
pub use trees::Parent;

/// What `init`, `open` and `info` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RepoInfo {
    /// Repository id (64 hex digits).
    pub id: String,
    /// Format version.
    pub version: u64,
    /// Whether the repository is encrypted and its key is open.
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
pub struct Repository<H: Host> {
    store: Store<H>,
    index: Index,
    /// The key file this repository was opened with.
    key_file: Option<KeyId>,
}

impl<H: Host> Repository<H> {
    /// Creates a repository in empty storage and opens it. With a passphrase it is
    /// encrypted: a random master key is wrapped into the first key file.
    pub fn init(host: H, passphrase: Option<&str>, options: &InitOptions, client: Client) -> Result<Self> {
        let crypto = Crypto::new(&host)?;
        let now = time::format_ms(host.now_ms());
        let mut id = [0u8; 32];
        host.random(&mut id);
        let config = Config::new(hex::encode(id), now.clone(), options, passphrase.is_some())?;
        let kdf = options.kdf.unwrap_or_default();
        kdf.validate()?;
        if passphrase.is_some_and(str::is_empty) {
            return Err(Error::InvalidArgument("the passphrase must not be empty".into()));
        }
        let mut store = Store::new(host, crypto, config, None, client);
        if store.get_opt(&StorageKey::Config)?.is_some() {
            return Err(Error::RepositoryExists);
        }
        let mut key_file = None;
        if let Some(pw) = passphrase {
            let mut master = [0u8; 32];
            store.host().random(&mut master);
            let hostname = store.client().hostname.clone();
            let key = KeyFile::wrap(store.host(), store.crypto(), &master, pw, kdf, now, hostname)?;
            let mut kid = [0u8; 32];
            store.host().random(&mut kid);
            let kid = KeyId::new(kid);
            if !store.put_new(&StorageKey::Key(kid), &key.to_bytes())? {
                return Err(Error::Internal("random key file name collided".into()));
            }
            let keys = Keys::derive(store.host(), store.crypto(), master);
            store = store.unlocked(keys);
            key_file = Some(kid);
        }
        if !store.put_new(&StorageKey::Config, &store.config().to_bytes())? {
            return Err(Error::RepositoryExists);
        }
        Ok(Repository {
            store,
            index: Index::default(),
            key_file,
        })
    }

    /// Opens an existing repository; encrypted ones need a passphrase that one key file accepts.
    pub fn open(host: H, passphrase: Option<&str>, client: Client) -> Result<Self> {
        let repo = Repository::open_keyless(host, client)?;
        if !repo.keyless() {
            return Ok(repo);
        }
        let Repository { store, index, .. } = repo;
        let key_ids = keys::ids(&store)?;
        let pw = passphrase.ok_or(Error::PassphraseRequired)?;
        let mut first_corrupt = None;
        for id in &key_ids {
            let key = match keys::read(&store, *id) {
                Ok(k) => k,
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => {
                    first_corrupt.get_or_insert(e);
                    continue;
                }
            };
            let file = StorageKey::Key(*id).to_string();
            if let Some(master) = key.unwrap_master(store.host(), store.crypto(), &file, pw)? {
                let keys = Keys::derive(store.host(), store.crypto(), master);
                return Ok(Repository {
                    store: store.unlocked(keys),
                    index,
                    key_file: Some(*id),
                });
            }
        }
        Err(match (first_corrupt, key_ids.len()) {
            (_, 0) => Error::CorruptKey {
                file: crate::layout::KEYS.into(),
                detail: "the repository is encrypted but has no key files".into(),
            },
            (Some(e), 1) => e,
            _ => Error::WrongPassphrase,
        })
    }

    /// Opens a repository without its passphrase. A plain repository opens fully; an
    /// encrypted one opens [`keyless`](Self::keyless), which is enough for the checks that
    /// need no key (packs against their names and sidecars, parity) and for parity repair.
    pub fn open_keyless(host: H, client: Client) -> Result<Self> {
        let crypto = Crypto::new(&host)?;
        let bytes = match host.get(crate::layout::CONFIG) {
            Ok(b) => b,
            Err(crate::host::StorageError::NotFound) => return Err(Error::RepositoryNotFound),
            Err(e) => return Err(crate::store::storage_error(&StorageKey::Config, e)),
        };
        let config = Config::parse(&bytes)?;
        let store = Store::new(host, crypto, config, None, client);
        if store.config().encryption.is_none() && !keys::ids(&store)?.is_empty() {
            return Err(Error::CorruptConfig(
                "it says the repository is not encrypted, but keys/ holds key files: config.json was altered"
                    .into(),
            ));
        }
        Ok(Repository {
            store,
            index: Index::default(),
            key_file: None,
        })
    }

    /// True for an encrypted repository opened without its passphrase: nothing that needs
    /// the key (index, snapshots, chunks, locks of others) can be read or written.
    pub fn keyless(&self) -> bool {
        self.store.keyless()
    }

    /// The repository's parameters.
    pub fn info(&self) -> RepoInfo {
        let c = self.store.config();
        RepoInfo {
            id: c.id.clone(),
            version: c.version,
            encrypted: self.store.keys().is_some(),
            created_at: c.created_at.clone(),
            compression: c.compression,
            chunking: c.chunking,
            pack_size: c.pack_size,
            parity: c.parity,
            accelerated: self.store.crypto().accelerated(),
        }
    }

    /// The storage layer, for the operations of this crate and for tests.
    pub fn store(&self) -> &Store<H> {
        &self.store
    }

    /// Starts an ingest under a shared lock.
    pub fn ingest_begin(
        &mut self,
        tags: BTreeMap<String, String>,
        total_bytes: Option<u64>,
        origin: Origin,
    ) -> Result<IngestSession> {
        IngestSession::begin(&self.store, &mut self.index, tags, total_bytes, origin)
    }

    /// Ends the session's current item and starts the next one.
    pub fn ingest_item(&mut self, s: &mut IngestSession, item: SnapshotItem) -> Result<()> {
        s.item(&self.store, &mut self.index, item.name, item.kind, item.path)
    }

    /// Feeds bytes to the session's current item.
    pub fn ingest_write(&mut self, s: &mut IngestSession, data: &[u8]) -> Result<()> {
        self.store.beat()?;
        s.write(&self.store, &mut self.index, data)
    }

    /// Stores what remains of the session and writes its snapshot.
    pub fn ingest_finish(&mut self, s: IngestSession) -> Result<Snapshot> {
        s.finish(&self.store, &mut self.index)
    }

    /// Abandons an ingest.
    pub fn ingest_abort(&mut self, s: IngestSession) -> Result<()> {
        s.abort(&self.store)
    }

    /// Starts restoring a snapshot, or one item of it.
    pub fn restore_begin(
        &mut self,
        wanted: &str,
        item: Option<&str>,
        filter: &SnapshotFilter,
    ) -> Result<RestoreSession> {
        RestoreSession::begin(&self.store, &mut self.index, wanted, item, filter)
    }

    /// Appends the next block of a restore to `out`; nothing at the end.
    pub fn restore_read_into(&mut self, s: &mut RestoreSession, out: &mut Vec<u8>) -> Result<()> {
        self.store.beat()?;
        s.read_into(&self.store, &self.index, out)
    }

    /// Ends a restore.
    pub fn restore_end(&mut self, s: RestoreSession) -> Result<()> {
        s.end(&self.store)
    }

    /// Snapshots that match `filter`, oldest first.
    pub fn list_snapshots(&self, filter: &SnapshotFilter) -> Result<Vec<Snapshot>> {
        snapshots::list(&self.store, filter)
    }

    /// The snapshot named by a full id, a unique prefix or `latest`, among those `filter`
    /// passes.
    pub fn get_snapshot(&self, wanted: &str, filter: &SnapshotFilter) -> Result<Snapshot> {
        snapshots::get(&self.store, wanted, filter)
    }

    /// Verifies the repository.
    pub fn verify(&mut self, opts: &VerifyOptions) -> Result<VerifyResult> {
        verify::run(&self.store, &mut self.index, opts)
    }

    /// Forgets snapshots outside a retention policy and collects the garbage.
    pub fn prune(&mut self, opts: &PruneOptions) -> Result<PruneResult> {
        prune::run(&self.store, &mut self.index, opts)
    }

    /// Forgets snapshots by id or policy (and with `prune`, collects the garbage).
    pub fn forget(&mut self, opts: &ForgetOptions) -> Result<PruneResult> {
        forget::run(&self.store, &mut self.index, opts)
    }

    /// Changes the tags of snapshots.
    pub fn tag(&mut self, opts: &TagOptions) -> Result<TagResult> {
        tag::run(&self.store, opts)
    }

    /// Starts exporting snapshots (copy).
    pub fn export_begin(&mut self, args: &crate::copy::ExportArgs) -> Result<ExportSession> {
        crate::segments::refresh(&self.store, &mut self.index)?;
        ExportSession::begin(&self.store, args)
    }

    /// The next block of an export's stream; empty at its end.
    pub fn export_read(&mut self, s: &mut ExportSession) -> Result<Vec<u8>> {
        self.store.beat()?;
        s.read(&self.store, &mut self.index)
    }

    /// The id and `original` of every snapshot ([`snapshots::originals`]).
    pub fn known_originals(&self) -> Result<Vec<crate::ids::SnapshotId>> {
        snapshots::originals(&self.store)
    }

    /// Feeds the next bytes of an import's stream.
    pub fn import_write(&mut self, s: &mut ImportSession, data: &[u8]) -> Result<()> {
        self.store.beat()?;
        s.write(&self.store, &mut self.index, data)
    }

    /// Ends an import whose stream arrived whole; answers the snapshots written.
    pub fn import_finish(&mut self, s: ImportSession) -> Result<Vec<crate::copy::Copied>> {
        s.finish(&self.store)
    }

    /// What snapshots hold and what storing them costs.
    pub fn stats(&mut self, opts: &crate::stats::StatsOptions) -> Result<crate::stats::StatsResult> {
        crate::stats::run(&self.store, &mut self.index, opts)
    }

    /// Repairs what can be repaired.
    pub fn repair(&mut self) -> Result<RepairResult> {
        repair::repair(&self.store, &mut self.index)
    }

    /// Rebuilds the index from the packs' sidecars.
    pub fn reindex(&mut self) -> Result<ReindexResult> {
        repair::reindex(&self.store, &mut self.index)
    }

    /// Removes stale locks (all with `force`); returns how many.
    pub fn unlock(&self, force: bool) -> Result<u64> {
        locking::unlock(&self.store, force)
    }

    /// Adds a passphrase; returns the new key file's id.
    pub fn key_add(&self, passphrase: &str) -> Result<KeyId> {
        keys::add(&self.store, self.key_file, passphrase)
    }

    /// Every key file, oldest first.
    pub fn key_list(&self) -> Result<Vec<KeyListing>> {
        keys::list(&self.store, self.key_file)
    }

    /// Removes a key file by id or unique prefix.
    pub fn key_remove(&self, wanted: &str) -> Result<()> {
        keys::remove(&self.store, self.key_file, wanted)
    }
}

#[cfg(test)]
pub(crate) mod tests;
