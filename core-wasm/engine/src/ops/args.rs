//! The argument and answer types of the operation table ([`super`]) that belong to no
//! other module: session handles, references by id, and the small answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::InitOptions;
use crate::ids::{KeyId, SnapshotId};
use crate::lockfile::Client;
use crate::manifest::SnapshotFilter;
use crate::restore::tree::WalkScope;
use crate::tree::Entry;

/// Arguments of an operation that takes none.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct NoArgs {}

/// The answer of an operation that answers nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct Done {}

/// Arguments of `init`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct InitArgs {
    /// The passphrase of the first key; absent: a plain repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
    /// Who runs the engine (recorded in locks).
    #[serde(default)]
    pub client: Client,
    /// The repository's parameters.
    #[serde(flatten)]
    pub options: InitOptions,
}

/// Arguments of `open`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct OpenArgs {
    /// The passphrase of an encrypted repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<String>,
    /// Without a passphrase, open an encrypted repository for the checks that need no key.
    #[serde(default)]
    pub keyless: bool,
    /// Who runs the engine (recorded in locks).
    #[serde(default)]
    pub client: Client,
}

/// Arguments of `ingest_begin`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct IngestBeginArgs {
    /// Tags of the new snapshot.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Bytes the ingest will receive, when known (for progress percentages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_bytes: Option<u64>,
    /// The host the snapshot is taken on, recorded in it (the CLI: the machine's name);
    /// left out when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The user taking it, recorded in it; left out when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// An open ingest or restore session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct SessionHandle {
    /// The session's handle, for `write`, `read` and the session operations.
    pub session: u32,
}

/// Arguments that name a session.
pub type SessionArgs = SessionHandle;

/// Arguments of `ingest_item`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct IngestItemArgs {
    /// The ingest session.
    pub session: u32,
    /// The item's name, unique in the snapshot.
    pub name: String,
    /// Its free-form type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Where its bytes come from, recorded in the snapshot: an absolute path, or `-` for
    /// standard input or a stream without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Arguments of `restore_begin`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct RestoreArgs {
    /// A full snapshot id, a unique prefix of one, or `latest`.
    pub snapshot: String,
    /// Restore only this item; `latest` is then the newest snapshot that has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Narrows `latest` to the newest snapshot that passes it; an id or prefix must name
    /// a snapshot that passes it.
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
}

/// The answer of `restore_begin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct RestoreBegun {
    /// The restore session, for `read`.
    pub session: u32,
    /// The snapshot being restored (the full id of what was asked for).
    pub snapshot: SnapshotId,
    /// Bytes of content the restore will produce: for a tree item, which comes as a tar
    /// archive, the bytes of its files (the archive adds headers).
    pub size: u64,
    /// The item is a directory tree and comes as a POSIX (pax) tar archive.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub tar: bool,
}

/// Names a snapshot: a full id, a unique prefix of one, or `latest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct SnapshotRef {
    /// The id, prefix or `latest`.
    pub id: String,
    /// Narrows `latest` to the newest snapshot that passes it; an id or prefix must name
    /// a snapshot that passes it.
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
}

/// Arguments of `key_add`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct PassphraseArgs {
    /// The new passphrase.
    pub passphrase: String,
}

/// The answer of `key_add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct KeyAdded {
    /// The new key file's id.
    pub id: KeyId,
}

/// Names a key file: its id or a unique prefix of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct KeyRef {
    /// The id or prefix.
    pub id: String,
}

/// Arguments of `unlock`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct UnlockArgs {
    /// Remove every lock, also those of operations that may still be running.
    #[serde(default)]
    pub force: bool,
}

/// The answer of `unlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct UnlockResult {
    /// Locks removed.
    pub locks_removed: u64,
}

/// Arguments of `ingest_tree`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct IngestTreeArgs {
    /// The ingest session.
    pub session: u32,
    /// The item's name, unique in the snapshot.
    pub name: String,
    /// Its free-form type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// A snapshot (id, prefix or `latest`) whose item of the same name is this tree's
    /// parent: its unchanged files are not read again. Left out, the parent is the newest
    /// snapshot with a tree item of this name, as restic chooses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Read every file, reusing no parent's.
    #[serde(default)]
    pub no_parent: bool,
    /// Entries to leave out, as gitignore patterns (`*.o`, `/build`, `cache/`, `!keep`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub exclude: Vec<String>,
    /// The directory's path, recorded in the snapshot (absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Arguments of `tree_entry`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct TreeEntryArgs {
    /// The ingest session.
    pub session: u32,
    /// The entry, as the host's file system describes it.
    pub entry: Entry,
}

/// The answer of `tree_entry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct TreeEntryAnswer {
    /// True when the host must now `write` the file's bytes; false when the file is
    /// unchanged since the parent snapshot, or the entry is not a file.
    pub content: bool,
    /// True when an exclude pattern leaves the entry out: nothing of it is stored, and the
    /// host does not enter it (no `tree_leave` for an excluded directory).
    #[serde(default)]
    pub excluded: bool,
}

/// Arguments of `tree_problem`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct TreeProblemArgs {
    /// The ingest session.
    pub session: u32,
    /// The entry's path, as the host names it.
    pub path: String,
    /// What went wrong.
    pub message: String,
    /// Leave the file given last out of the snapshot (it could not be read).
    #[serde(default)]
    pub drop: bool,
}

/// Arguments of `walk_begin`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct WalkArgs {
    /// A full snapshot id, a unique prefix of one, or `latest`.
    pub snapshot: String,
    /// The tree item (`latest` is then the newest snapshot that has it); left out, the
    /// snapshot's only tree item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Narrows `latest` to the newest snapshot that passes it; an id or prefix must name
    /// a snapshot that passes it.
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
    /// Where to start, `/`-separated below the item's root (the root when empty).
    #[serde(default)]
    pub path: String,
    /// The same as hex bytes, for a path that is not UTF-8 (then `path` is ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
    /// Walk everything below the start; false: only the start and its direct entries.
    #[serde(default = "yes")]
    pub recursive: bool,
    /// Take only the entries these patterns match (gitignore's syntax, matched against
    /// paths below the item's root), everything below them, and the directories on the way.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub include: Vec<String>,
    /// Leave out the entries these patterns match, and all below an excluded directory.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub exclude: Vec<String>,
    /// Take only the entries an `include` pattern matches, not their contents nor the
    /// directories on the way (what `find` lists); without `include`, no effect.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub matches_only: bool,
}

fn yes() -> bool {
    true
}

impl WalkArgs {
    /// Where the walk starts, how far it goes and what it takes; an error says why the
    /// path is not one.
    pub fn scope(&self) -> Result<WalkScope, String> {
        Ok(WalkScope {
            start: crate::tree::bytes_of(&self.path, self.path_hex.as_deref())?,
            recursive: self.recursive,
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            matches_only: self.matches_only,
        })
    }
}

/// The answer of `walk_begin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct WalkBegun {
    /// The session `walk_next` and `read` take.
    pub session: u32,
    /// The snapshot's full id.
    pub snapshot: SnapshotId,
    /// The tree item walked.
    pub item: String,
}

/// Arguments of `find`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct FindArgs {
    /// What to look for, in gitignore's syntax: a name (`*.conf`) at any depth, or a path
    /// from the tree's root (`/etc/*.conf`); an entry any one matches is found.
    pub patterns: Vec<String>,
    /// Look only in these snapshots (full ids, unique prefixes or `latest`); left out,
    /// in every snapshot.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub snapshots: Vec<String>,
    /// Look only in the tree item of this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Look only in snapshots with all these tags.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub tags: BTreeMap<String, String>,
}

/// Arguments of `tree_diff`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct DiffArgs {
    /// The older snapshot: a full id, a unique prefix of one, or `latest`.
    pub from: String,
    /// The newer snapshot.
    pub to: String,
    /// The tree item (in both); left out, the newer snapshot's only tree item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Narrows `latest` (in either) to the newest snapshot that passes it; an id or
    /// prefix must name a snapshot that passes it.
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
}
