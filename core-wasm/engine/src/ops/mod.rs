//! The table of the engine's operations: the one place each operation is defined, with
//! its name, its typed arguments, its typed answer, the events it emits and the error
//! codes it may fail with.
//!
//! Everything else follows from this table:
//! - [`Request::parse`] turns a name and JSON arguments into a typed request, and
//!   [`dispatch`] runs it on the [`Handlers`] of [`crate::api::Api`], which must have one
//!   method per row with exactly the row's types (a new row does not compile without one);
//! - the `abi` and `bindgen` faces pass names and JSON through unchanged;
//! - the CLI calls operations by their [`Operation`] marker types, serialising the row's
//!   argument type and deserialising its answer type;
//! - the TypeScript types of the JS package (`js/src/generated/api.ts`) are generated
//!   from [`OPERATIONS`] and the types it names ([`crate::typescript`], behind the
//!   `typescript` feature), and a test fails when the checked-in file is stale.
//!
//! Bulk data moves outside JSON: `write(session, bytes)` feeds an ingest session and
//! `read(session)` returns the next block of a restore session ([`crate::api::Api`]).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cat::CatArgs;
use crate::copy::{Copied, ExportArgs, ExportBegun};
use crate::error::{Error, ErrorCode, Result};
use crate::forget::ForgetOptions;
use crate::ids::SnapshotId;
use crate::keys::KeyListing;
use crate::manifest::{Snapshot, SnapshotFilter};
use crate::prune::{PruneOptions, PruneResult};
use crate::repair::{ReindexResult, RepairResult};
use crate::repo::RepoInfo;
use crate::restore::tree::{Found, TreeStep};
use crate::stats::{StatsOptions, StatsResult};
use crate::tag::{TagOptions, TagResult};
use crate::treediff::TreeChange;
use crate::verify::{VerifyOptions, VerifyResult};

mod args;
pub use args::*;

/// One operation of the table, as a type: what callers in Rust name to call it.
pub trait Operation {
    /// The operation's name on the wire.
    const NAME: &'static str;
    /// Its arguments (a JSON object on the wire).
    type Args: Serialize + DeserializeOwned;
    /// Its answer (JSON on the wire).
    type Answer: Serialize + DeserializeOwned;
}

/// One row of the table, for dispatch checks, documentation and the generated TypeScript.
pub struct OpInfo {
    /// The operation's name.
    pub name: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// Whether it runs on an encrypted repository opened without its key.
    pub keyless: bool,
    /// The events it may emit.
    pub events: &'static [&'static str],
    /// The error codes it may fail with, besides [`ANY_OP_ERRORS`].
    pub errors: &'static [ErrorCode],
    /// The TypeScript reference to its argument type.
    #[cfg(feature = "typescript")]
    pub args: fn(&mut specta::TypeCollection) -> specta::DataType,
    /// The TypeScript reference to its answer type.
    #[cfg(feature = "typescript")]
    pub answer: fn(&mut specta::TypeCollection) -> specta::DataType,
}

impl OpInfo {
    /// True when the operation is declared to fail with `code` (or any operation may).
    pub fn may_fail_with(&self, code: ErrorCode) -> bool {
        ANY_OP_ERRORS.contains(&code)
            || self.errors.contains(&code)
            || (!self.keyless && code == ErrorCode::PassphraseRequired)
    }
}

/// Codes any operation may fail with: a malformed request, a storage failure, a bug.
pub const ANY_OP_ERRORS: &[ErrorCode] = &[
    ErrorCode::InvalidArgument,
    ErrorCode::InvalidStorageKey,
    ErrorCode::StorageError,
    ErrorCode::Internal,
];

/// The row of the operation called `name`.
pub fn info(name: &str) -> Option<&'static OpInfo> {
    OPERATIONS.iter().find(|o| o.name == name)
}

fn parse_args<T: DeserializeOwned>(op: &str, args: &str) -> Result<T> {
    let args = if args.trim().is_empty() { "{}" } else { args };
    serde_json::from_str(args).map_err(|e| Error::InvalidArgument(format!("{op}: {e}")))
}

fn answer<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("serialising an answer: {e}")))
}

#[cfg(feature = "typescript")]
fn reference<T: specta::Type>(types: &mut specta::TypeCollection) -> specta::DataType {
    T::reference(types, &[]).inner
}

macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident => $marker:ident($args:ty) -> $answer:ty {
            keyless: $keyless:literal,
            events: [$($event:ident),*],
            errors: [$($code:ident),*] $(,)?
        }
    )+) => {
        $(
            $(#[doc = $doc])+
            pub struct $marker;

            impl Operation for $marker {
                const NAME: &'static str = stringify!($name);
                type Args = $args;
                type Answer = $answer;
            }
        )+

        /// A request: one operation of the table with its typed arguments.
        pub enum Request {
            $($(#[doc = $doc])+ $marker($args),)+
        }

        impl Request {
            /// Parses a request from an operation name and its JSON arguments (an empty
            /// string means `{}`).
            pub fn parse(op: &str, args: &str) -> Result<Request> {
                match op {
                    $(stringify!($name) => Ok(Request::$marker(parse_args(op, args)?)),)+
                    other => Err(Error::InvalidArgument(format!("unknown operation `{other}`"))),
                }
            }

            /// The operation's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Request::$marker(_) => stringify!($name),)+
                }
            }
        }

        /// What runs the operations: one method per row of the table, with its types.
        pub trait Handlers {
            $($(#[doc = $doc])+ fn $name(&mut self, args: $args) -> Result<$answer>;)+
        }

        /// Runs a request on `handlers`; answers its JSON.
        pub fn dispatch<T: Handlers>(handlers: &mut T, request: Request) -> Result<String> {
            match request {
                $(Request::$marker(a) => answer(&handlers.$name(a)?),)+
            }
        }

        /// Every operation, in table order.
        pub const OPERATIONS: &[OpInfo] = &[$(OpInfo {
            name: stringify!($name),
            doc: concat!($($doc, "\n"),+),
            keyless: $keyless,
            events: &[$(crate::events::$event.name()),*],
            errors: &[$(ErrorCode::$code),*],
            #[cfg(feature = "typescript")]
            args: reference::<$args>,
            #[cfg(feature = "typescript")]
            answer: reference::<$answer>,
        },)+];
    };
}

operations! {
    /// Creates a repository in empty storage and opens it (encrypted when a passphrase is given).
    init => Init(InitArgs) -> RepoInfo {
        keyless: true, events: [], errors: [RepositoryExists, IntrinsicMismatch, CorruptConfig],
    }
    /// Opens an existing repository; `keyless` opens an encrypted one without its
    /// passphrase, for the pack and parity checks of `verify` and for `repair`.
    open => Open(OpenArgs) -> RepoInfo {
        keyless: true,
        events: [],
        errors: [RepositoryNotFound, UnsupportedVersion, CorruptConfig, CorruptKey, PassphraseRequired,
                 WrongPassphrase, IntrinsicMismatch],
    }
    /// The open repository's parameters.
    info => Info(NoArgs) -> RepoInfo { keyless: true, events: [], errors: [] }
    /// Starts an ingest under a shared lock; answers the session that `write` feeds.
    ingest_begin => IngestBegin(IngestBeginArgs) -> SessionHandle {
        keyless: false, events: [], errors: [RepositoryLocked, CorruptIndex, UnsupportedVersion],
    }
    /// Ends the session's current item and starts a new one; later writes go to it.
    ingest_item => IngestItem(IngestItemArgs) -> Done {
        keyless: false, events: [INGEST_PROGRESS], errors: [SessionNotFound, CorruptParity, CorruptIndex, UnsupportedVersion],
    }
    /// Stores what remains and writes the snapshot; answers it.
    ingest_finish => IngestFinish(SessionArgs) -> Snapshot {
        keyless: false,
        events: [INGEST_PROGRESS, INGEST_COMPLETE],
        errors: [SessionNotFound, CorruptParity, CorruptIndex, UnsupportedVersion],
    }
    /// Ends the session's current item and starts a tree item: its entries follow with
    /// `tree_entry` and `tree_leave`, depth-first, each directory's entries in increasing
    /// byte order of their names, the root directory first.
    ingest_tree => IngestTree(IngestTreeArgs) -> Done {
        keyless: false,
        events: [INGEST_PROGRESS],
        errors: [SessionNotFound, SnapshotNotFound, AmbiguousSnapshot, CorruptSnapshot, CorruptParity, CorruptIndex,
                 UnsupportedVersion],
    }
    /// The next entry of the current tree item; for a new or changed regular file, the
    /// answer asks for its bytes, which `write` then feeds.
    tree_entry => TreeEntry(TreeEntryArgs) -> TreeEntryAnswer {
        keyless: false, events: [INGEST_PROGRESS], errors: [SessionNotFound, CorruptParity, CorruptIndex],
    }
    /// Closes the directory of the current tree item entered last.
    tree_leave => TreeLeave(SessionArgs) -> Done {
        keyless: false, events: [INGEST_PROGRESS], errors: [SessionNotFound, CorruptParity, CorruptIndex],
    }
    /// Reports a problem with the entry given last (vanished, changed while read,
    /// unreadable), counted in the snapshot's `warnings`; `drop` leaves that file out.
    tree_problem => TreeProblem(TreeProblemArgs) -> Done {
        keyless: false, events: [INGEST_WARNING], errors: [SessionNotFound, CorruptParity, CorruptIndex],
    }
    /// Abandons an ingest or an import; packs already written stay until prune.
    ingest_abort => IngestAbort(SessionArgs) -> Done { keyless: false, events: [], errors: [SessionNotFound] }
    /// Starts restoring a snapshot (full id, unique prefix or `latest`), or one item of it;
    /// answers the session that `read` drains.
    restore_begin => RestoreBegin(RestoreArgs) -> RestoreBegun {
        keyless: false,
        events: [],
        errors: [SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion,
                 CorruptIndex, RepositoryLocked],
    }
    /// Starts a walk of a snapshot's tree item (from a path, recursive or one level);
    /// answers the session that `walk_next` steps and `read` drains file by file.
    walk_begin => WalkBegin(WalkArgs) -> WalkBegun {
        keyless: false,
        events: [],
        errors: [SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, PathNotFound, CorruptSnapshot, UnsupportedVersion,
                 CorruptIndex, RepositoryLocked],
    }
    /// The walk's next entry, `null` at its end; the bytes of a file entry come from
    /// `read` until an empty block (unread bytes are skipped).
    walk_next => WalkNext(SessionArgs) -> Option<TreeStep> {
        keyless: false, events: [], errors: [SessionNotFound, CorruptSnapshot, CorruptIndex],
    }
    /// The entries of snapshots' tree items that patterns match (by name at any depth, or
    /// by path from the item's root), per snapshot and item, oldest snapshot first.
    find => Find(FindArgs) -> Vec<Found> {
        keyless: false,
        events: [],
        errors: [SnapshotNotFound, AmbiguousSnapshot, CorruptSnapshot, UnsupportedVersion, CorruptIndex, RepositoryLocked],
    }
    /// What changed in a tree item from one snapshot to another: entries added, removed,
    /// modified or changed in metadata only, sorted by path.
    tree_diff => TreeDiff(DiffArgs) -> Vec<TreeChange> {
        keyless: false,
        events: [],
        errors: [SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion, CorruptIndex],
    }
    /// The id and `original` of every snapshot: what a copy into this repository skips
    /// (`skip` of `export_begin` on the source).
    known_originals => KnownOriginals(NoArgs) -> Vec<SnapshotId> {
        keyless: false, events: [], errors: [CorruptSnapshot, UnsupportedVersion],
    }
    /// Starts exporting snapshots as a snapshot stream for `import_begin` on another
    /// repository (copy); answers the session that `read` drains and `restore_end` ends.
    export_begin => ExportBegin(ExportArgs) -> ExportBegun {
        keyless: false,
        events: [],
        errors: [SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion, CorruptIndex,
                 RepositoryLocked],
    }
    /// Starts importing a snapshot stream from `export_begin` (copy): answers the session
    /// `write` feeds; each snapshot is written, under a shared lock, when its last frame
    /// arrives.
    import_begin => ImportBegin(NoArgs) -> SessionHandle {
        keyless: false,
        events: [INGEST_PROGRESS, INGEST_COMPLETE],
        errors: [RepositoryLocked, CorruptParity, CorruptIndex, UnsupportedVersion],
    }
    /// Ends an import whose stream arrived whole; answers the snapshots it wrote.
    import_finish => ImportFinish(SessionArgs) -> Vec<Copied> {
        keyless: false, events: [], errors: [SessionNotFound],
    }
    /// Ends a restore, a walk or an export early (or after its end) and releases its lock.
    restore_end => RestoreEnd(SessionArgs) -> Done { keyless: false, events: [], errors: [SessionNotFound] }
    /// The snapshots that pass the filter, oldest first.
    list_snapshots => ListSnapshots(SnapshotFilter) -> Vec<Snapshot> {
        keyless: false, events: [], errors: [CorruptSnapshot, UnsupportedVersion],
    }
    /// One snapshot, by full id, unique id prefix or `latest`, among those a filter passes.
    get_snapshot => GetSnapshot(SnapshotRef) -> Snapshot {
        keyless: false,
        events: [],
        errors: [SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion],
    }
    /// Adds a passphrase: a new key file wrapping the master key.
    key_add => KeyAdd(PassphraseArgs) -> KeyAdded { keyless: false, events: [], errors: [CorruptKey] }
    /// Every key file, oldest first.
    key_list => KeyList(NoArgs) -> Vec<KeyListing> { keyless: false, events: [], errors: [CorruptKey] }
    /// Removes a key file by id or unique prefix; never the last one, nor the one in use.
    key_remove => KeyRemove(KeyRef) -> Done { keyless: false, events: [], errors: [KeyNotFound, LastKey, CorruptKey] }
    /// Checks the repository at quick, standard or full level; problems are in the answer.
    verify => Verify(VerifyOptions) -> VerifyResult {
        keyless: true,
        events: [VERIFY_PROGRESS, VERIFY_ERROR],
        errors: [RepositoryLocked, PassphraseRequired, UnsupportedVersion],
    }
    /// Forgets the snapshots a retention policy does not keep and frees the space only they used.
    prune => Prune(PruneOptions) -> PruneResult {
        keyless: false,
        events: [],
        errors: [RepositoryLocked, CorruptIndex, CorruptSnapshot, CorruptPack, CorruptParity, ChunkNotFound,
                 UnsupportedVersion],
    }
    /// Forgets snapshots by id (or those a retention policy does not keep), leaving their
    /// data for `prune` to free; with `prune`, frees it too.
    forget => Forget(ForgetOptions) -> PruneResult {
        keyless: false,
        events: [],
        errors: [RepositoryLocked, SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptIndex, CorruptSnapshot,
                 CorruptPack, CorruptParity, ChunkNotFound, UnsupportedVersion],
    }
    /// Changes the tags of snapshots: each changed one gets a new manifest (a new id) and
    /// the old one is removed.
    tag => Tag(TagOptions) -> TagResult {
        keyless: false,
        events: [],
        errors: [RepositoryLocked, SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, UnsupportedVersion],
    }
    /// What snapshots hold and what storing them costs: sizes, deduplication and
    /// compression, chunks, packs and parity.
    stats => Stats(StatsOptions) -> StatsResult {
        keyless: false,
        events: [],
        errors: [RepositoryLocked, SnapshotNotFound, AmbiguousSnapshot, ItemNotFound, CorruptSnapshot, CorruptIndex,
                 ChunkNotFound, UnsupportedVersion],
    }
    /// The repository's configuration, a snapshot's manifest, the index or a pack's entry
    /// table, as JSON (opened where a key is needed).
    cat => Cat(CatArgs) -> serde_json::Value {
        keyless: false,
        events: [],
        errors: [SnapshotNotFound, AmbiguousSnapshot, CorruptSnapshot, CorruptIndex, UnsupportedVersion],
    }
    /// Rebuilds damaged packs and parity from parity, sidecars from packs, the index from
    /// sidecars; gives parity to unprotected packs; removes stale locks.
    repair => Repair(NoArgs) -> RepairResult {
        keyless: true, events: [], errors: [RepositoryLocked, UnsupportedVersion],
    }
    /// Rebuilds the global index from the packs' `.idx` sidecars.
    reindex => Reindex(NoArgs) -> ReindexResult {
        keyless: false, events: [], errors: [RepositoryLocked, UnsupportedVersion],
    }
    /// Removes stale locks, or with `force` every lock.
    unlock => Unlock(UnlockArgs) -> UnlockResult { keyless: false, events: [], errors: [] }
    /// Aborts open sessions, releases locks and closes the repository.
    close => Close(NoArgs) -> Done { keyless: true, events: [], errors: [] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_by_name_with_their_own_types() {
        let r = Request::parse("verify", r#"{"level": "full"}"#).unwrap();
        assert!(matches!(&r, Request::Verify(o) if o.level == crate::verify::VerifyLevel::Full));
        assert_eq!(r.name(), Verify::NAME);
        assert!(matches!(Request::parse("info", "").unwrap(), Request::Info(_)));
        let e = Request::parse("verify", r#"{"level": "deep"}"#).err().unwrap();
        assert!(e.to_string().contains("verify: unknown variant `deep`"), "{e}");
        let e = Request::parse("frobnicate", "{}").err().unwrap();
        assert!(e.to_string().contains("unknown operation `frobnicate`"), "{e}");
    }

    #[test]
    fn the_table_is_consistent() {
        let mut names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "names are unique");
        for op in OPERATIONS {
            assert!(!op.doc.trim().is_empty(), "{} is documented", op.name);
            assert!(info(op.name).is_some());
            assert!(op.may_fail_with(ErrorCode::StorageError));
            for e in op.events {
                assert!(crate::events::EVENTS.iter().any(|ev| ev.name == *e), "{e}");
            }
        }
        assert!(!info("info").unwrap().may_fail_with(ErrorCode::WrongPassphrase));
        assert!(info("get_snapshot")
            .unwrap()
            .may_fail_with(ErrorCode::PassphraseRequired));
    }
}
