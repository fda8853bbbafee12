//! Errors of the engine: one typed enum, each variant with a stable code.
//!
//! Rules (after rustic_core's `error.rs`):
//! - every failure a user can meet is its own variant, never a string built at a boundary;
//! - a variant's message is a sentence that says what happened and what to do next;
//! - [`ErrorCode`] is the stable identifier that crosses the wasm boundary and becomes the
//!   JS `Error.code` and the CLI's exit code; renaming one is a breaking change;
//! - the engine never panics on bad input: corrupt or truncated files become `Corrupt*`.

use serde::{Deserialize, Serialize};

/// Stable, machine-readable identifier of an [`Error`]; the same names in Rust, JSON and JS.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr,
)]
pub enum ErrorCode {
    /// An argument or option is malformed or out of range.
    InvalidArgument,
    /// The storage holds no repository (no `config.json`).
    RepositoryNotFound,
    /// `init` was asked to create a repository where one exists.
    RepositoryExists,
    /// The repository's format version is newer than this engine understands.
    UnsupportedVersion,
    /// The repository is encrypted and no passphrase was given.
    PassphraseRequired,
    /// No key file opens with the given passphrase.
    WrongPassphrase,
    /// No snapshot matches the given id, prefix or `latest`.
    SnapshotNotFound,
    /// A prefix matches several snapshots.
    AmbiguousSnapshot,
    /// The snapshot has no item of that name.
    ItemNotFound,
    /// A tree item has no entry at that path.
    PathNotFound,
    /// Another process holds a conflicting lock.
    RepositoryLocked,
    /// A pack file is missing, truncated or fails its checks.
    CorruptPack,
    /// A pack `.idx` or a global index segment cannot be read.
    CorruptIndex,
    /// A snapshot manifest or chunk list cannot be read.
    CorruptSnapshot,
    /// A parity group manifest or parity shard cannot be read.
    CorruptParity,
    /// `config.json` cannot be read.
    CorruptConfig,
    /// A key file in `keys/` cannot be read.
    CorruptKey,
    /// A chunk a snapshot needs is in no index.
    ChunkNotFound,
    /// No key file with that id.
    KeyNotFound,
    /// Removing this key would leave the repository without any.
    LastKey,
    /// The host refused a storage key outside the repository layout.
    InvalidStorageKey,
    /// The host's storage failed (disk full, permission denied, I/O error; later network
    /// storage errors): not a bug, nothing stored was changed; the CLI exits 5.
    StorageError,
    /// A host-supplied crypto intrinsic failed its self-test.
    IntrinsicMismatch,
    /// A session handle does not name an open ingest or restore.
    SessionNotFound,
    /// The repository was opened read-only (a web page, an HTTP server): the operation
    /// would write to it.
    ReadOnly,
    /// The engine cannot start here: a file it is started from (the JS package's worker
    /// scripts or wasm module) is missing, as when a bundler inlined the package's code.
    EngineUnavailable,
    /// A bug: an invariant of the engine does not hold.
    Internal,
}

impl ErrorCode {
    /// The code's name as it appears in JSON and in JS `Error.code` (serde's name too; a
    /// unit test checks that they agree for every code).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every code, in declaration order: what the generated TypeScript lists, and what the
    /// exhaustive matches of the hosts cover.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        <ErrorCode as strum::IntoEnumIterator>::iter()
    }
}

/// Every way an engine operation can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// See [`ErrorCode::InvalidArgument`].
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// See [`ErrorCode::RepositoryNotFound`].
    #[error("there is no Cairn repository here (config.json is missing): check the path, or create one with `init`")]
    RepositoryNotFound,
    /// See [`ErrorCode::RepositoryExists`].
    #[error("a repository already exists here: open it instead of initialising it again")]
    RepositoryExists,
    /// See [`ErrorCode::UnsupportedVersion`].
    #[error(
        "{what} has format version {found}, but this Cairn reads only version {supported}: use a newer Cairn"
    )]
    UnsupportedVersion {
        /// The file whose version is unknown.
        what: String,
        /// The version found.
        found: u64,
        /// The newest version this engine reads.
        supported: u64,
    },
    /// See [`ErrorCode::PassphraseRequired`].
    #[error("this repository is encrypted: give its passphrase (CAIRN_PASSPHRASE, --passphrase-file, or the prompt)")]
    PassphraseRequired,
    /// See [`ErrorCode::WrongPassphrase`].
    #[error("wrong passphrase: none of the repository's keys opens with it")]
    WrongPassphrase,
    /// See [`ErrorCode::SnapshotNotFound`].
    #[error("no snapshot matches `{0}`: list the snapshots to find its id")]
    SnapshotNotFound(String),
    /// See [`ErrorCode::AmbiguousSnapshot`].
    #[error("`{prefix}` matches {count} snapshots: give more characters of the id")]
    AmbiguousSnapshot {
        /// The prefix given.
        prefix: String,
        /// How many snapshot ids start with it.
        count: usize,
    },
    /// See [`ErrorCode::ItemNotFound`].
    #[error("snapshot {snapshot} has no item `{item}`; its items are: {available}")]
    ItemNotFound {
        /// The snapshot id.
        snapshot: String,
        /// The item asked for.
        item: String,
        /// The snapshot's item names, comma-separated.
        available: String,
    },
    /// See [`ErrorCode::PathNotFound`].
    #[error("{item} has no entry `{path}`: list its entries with `ls`")]
    PathNotFound {
        /// The snapshot and item.
        item: String,
        /// The path asked for.
        path: String,
    },
    /// See [`ErrorCode::RepositoryLocked`].
    #[error("the repository is locked by {holder}: wait for that operation to finish, or remove the lock with `unlock` if its process is gone")]
    RepositoryLocked {
        /// Who holds the conflicting lock (operation, host, pid).
        holder: String,
    },
    /// See [`ErrorCode::CorruptPack`].
    #[error(
        "pack {pack} is damaged ({detail}): run `verify` to see what is affected and `repair` to rebuild it"
    )]
    CorruptPack {
        /// The pack's storage key.
        pack: String,
        /// What is wrong with it.
        detail: String,
    },
    /// See [`ErrorCode::CorruptIndex`].
    #[error("index file {file} is damaged ({detail}): run `repair` (it rewrites `.idx` sidecars from their packs and rebuilds the index from the sidecars)")]
    CorruptIndex {
        /// The storage key of the index file.
        file: String,
        /// What is wrong with it.
        detail: String,
    },
    /// See [`ErrorCode::CorruptSnapshot`].
    #[error("snapshot data {file} is damaged ({detail}): other snapshots are unaffected; run `verify` for details")]
    CorruptSnapshot {
        /// The storage key or chunk id that failed.
        file: String,
        /// What is wrong with it.
        detail: String,
    },
    /// See [`ErrorCode::CorruptParity`].
    #[error("parity file {file} is damaged ({detail}): run `repair` to rewrite the parity of that group")]
    CorruptParity {
        /// The storage key of the group manifest or parity shard.
        file: String,
        /// What is wrong with it.
        detail: String,
    },
    /// See [`ErrorCode::CorruptConfig`].
    #[error("config.json is damaged ({0}): restore it from a copy; the packs are not affected")]
    CorruptConfig(String),
    /// See [`ErrorCode::CorruptKey`].
    #[error(
        "key file {file} is damaged ({detail}): use another passphrase, or restore the file from a copy"
    )]
    CorruptKey {
        /// The key file's storage key.
        file: String,
        /// What is wrong with it.
        detail: String,
    },
    /// See [`ErrorCode::ChunkNotFound`].
    #[error("chunk {0} is in no index: run `reindex`, then `verify`")]
    ChunkNotFound(String),
    /// See [`ErrorCode::KeyNotFound`].
    #[error("no key has id `{0}`: list them with `key list`")]
    KeyNotFound(String),
    /// See [`ErrorCode::LastKey`].
    #[error("this is the repository's last key; removing it would make the repository unreadable: add another key first")]
    LastKey,
    /// See [`ErrorCode::InvalidStorageKey`].
    #[error("storage key `{0}` is outside the repository layout")]
    InvalidStorageKey(String),
    /// See [`ErrorCode::StorageError`].
    #[error("storage failed on `{key}`: {message}; nothing already stored was changed, so fix the cause and run the command again")]
    Storage {
        /// The storage key of the failed operation.
        key: String,
        /// The host's description (for example "No space left on device").
        message: String,
    },
    /// See [`ErrorCode::IntrinsicMismatch`].
    #[error(
        "the host's accelerated {0} gave a wrong answer on a known test vector; refusing to run with it"
    )]
    IntrinsicMismatch(String),
    /// See [`ErrorCode::SessionNotFound`].
    #[error("no open ingest or restore has handle {0}")]
    SessionNotFound(u32),
    /// See [`ErrorCode::ReadOnly`].
    #[error("this repository is read-only here ({0}): open it from a writable location (a directory or an S3 bucket) with the CLI, Node or Deno to change it")]
    ReadOnly(String),
    /// See [`ErrorCode::EngineUnavailable`].
    #[error("the engine cannot start: {0}")]
    EngineUnavailable(String),
    /// See [`ErrorCode::Internal`].
    #[error("internal error (a bug in Cairn, please report it): {0}")]
    Internal(String),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Error::RepositoryNotFound => ErrorCode::RepositoryNotFound,
            Error::RepositoryExists => ErrorCode::RepositoryExists,
            Error::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
            Error::PassphraseRequired => ErrorCode::PassphraseRequired,
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::SnapshotNotFound(_) => ErrorCode::SnapshotNotFound,
            Error::AmbiguousSnapshot { .. } => ErrorCode::AmbiguousSnapshot,
            Error::ItemNotFound { .. } => ErrorCode::ItemNotFound,
            Error::PathNotFound { .. } => ErrorCode::PathNotFound,
            Error::RepositoryLocked { .. } => ErrorCode::RepositoryLocked,
            Error::CorruptPack { .. } => ErrorCode::CorruptPack,
            Error::CorruptIndex { .. } => ErrorCode::CorruptIndex,
            Error::CorruptSnapshot { .. } => ErrorCode::CorruptSnapshot,
            Error::CorruptParity { .. } => ErrorCode::CorruptParity,
            Error::CorruptConfig(_) => ErrorCode::CorruptConfig,
            Error::CorruptKey { .. } => ErrorCode::CorruptKey,
            Error::ChunkNotFound(_) => ErrorCode::ChunkNotFound,
            Error::KeyNotFound(_) => ErrorCode::KeyNotFound,
            Error::LastKey => ErrorCode::LastKey,
            Error::InvalidStorageKey(_) => ErrorCode::InvalidStorageKey,
            Error::Storage { .. } => ErrorCode::StorageError,
            Error::IntrinsicMismatch(_) => ErrorCode::IntrinsicMismatch,
            Error::SessionNotFound(_) => ErrorCode::SessionNotFound,
            Error::ReadOnly(_) => ErrorCode::ReadOnly,
            Error::EngineUnavailable(_) => ErrorCode::EngineUnavailable,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// An error of `code` with placeholder details: what the hosts' tests use to check that
    /// every code reaches their users under its own name. The match is exhaustive, so every
    /// code has a variant.
    pub fn example(code: ErrorCode) -> Error {
        let s = |t: &str| t.to_string();
        match code {
            ErrorCode::InvalidArgument => Error::InvalidArgument(s("example")),
            ErrorCode::RepositoryNotFound => Error::RepositoryNotFound,
            ErrorCode::RepositoryExists => Error::RepositoryExists,
            ErrorCode::UnsupportedVersion => Error::UnsupportedVersion {
                what: s("example"),
                found: 2,
                supported: 1,
            },
            ErrorCode::PassphraseRequired => Error::PassphraseRequired,
            ErrorCode::WrongPassphrase => Error::WrongPassphrase,
            ErrorCode::SnapshotNotFound => Error::SnapshotNotFound(s("example")),
            ErrorCode::AmbiguousSnapshot => Error::AmbiguousSnapshot {
                prefix: s("ab"),
                count: 2,
            },
            ErrorCode::ItemNotFound => Error::ItemNotFound {
                snapshot: s("example"),
                item: s("x"),
                available: s("y"),
            },
            ErrorCode::PathNotFound => Error::PathNotFound {
                item: s("example"),
                path: s("a/b"),
            },
            ErrorCode::RepositoryLocked => Error::RepositoryLocked { holder: s("example") },
            ErrorCode::CorruptPack => Error::CorruptPack {
                pack: s("example"),
                detail: s("example"),
            },
            ErrorCode::CorruptIndex => Error::CorruptIndex {
                file: s("example"),
                detail: s("example"),
            },
            ErrorCode::CorruptSnapshot => Error::CorruptSnapshot {
                file: s("example"),
                detail: s("example"),
            },
            ErrorCode::CorruptParity => Error::CorruptParity {
                file: s("example"),
                detail: s("example"),
            },
            ErrorCode::CorruptConfig => Error::CorruptConfig(s("example")),
            ErrorCode::CorruptKey => Error::CorruptKey {
                file: s("example"),
                detail: s("example"),
            },
            ErrorCode::ChunkNotFound => Error::ChunkNotFound(s("example")),
            ErrorCode::KeyNotFound => Error::KeyNotFound(s("example")),
            ErrorCode::LastKey => Error::LastKey,
            ErrorCode::InvalidStorageKey => Error::InvalidStorageKey(s("example")),
            ErrorCode::StorageError => Error::Storage {
                key: s("example"),
                message: s("example"),
            },
            ErrorCode::IntrinsicMismatch => Error::IntrinsicMismatch(s("example")),
            ErrorCode::SessionNotFound => Error::SessionNotFound(0),
            ErrorCode::ReadOnly => Error::ReadOnly(s("writing locks/example was refused")),
            ErrorCode::EngineUnavailable => Error::EngineUnavailable(s("example")),
            ErrorCode::Internal => Error::Internal(s("example")),
        }
    }

    /// The error as the JSON object that crosses the wasm boundary: `{"code": ..., "message": ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code().as_str(), "message": self.to_string() })
    }
}

/// Result type of the engine.
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_match_serde_names() {
        assert_eq!(ErrorCode::all().count(), 27);
        for code in ErrorCode::all() {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json.as_str().unwrap(), code.as_str());
            assert_eq!(serde_json::from_value::<ErrorCode>(json).unwrap(), code);
        }
    }

    #[test]
    fn every_code_has_an_error_with_a_sentence() {
        for code in ErrorCode::all() {
            let e = Error::example(code);
            assert_eq!(e.code(), code);
            assert!(e.to_string().len() > 10, "{code:?}");
        }
    }

    #[test]
    fn json_form_carries_code_and_sentence() {
        let e = Error::WrongPassphrase;
        let j = e.to_json();
        assert_eq!(j["code"], "WrongPassphrase");
        assert!(j["message"].as_str().unwrap().contains("passphrase"));
    }
}
