//! Reading a tree item back entry by entry (docs/FORMAT.md §9b): for `ls`, and for a
//! restore into a directory, where the host creates each entry it is handed and pulls a
//! file's bytes with `read` before asking for the next entry. Memory holds one piece per
//! directory on the current path and one batch of chunks; the session holds a shared lock.

use super::chunks::{file_tally, ChunkStream, ContentPlan, ListRef};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::index::Index;
use crate::layout::StorageKey;
use crate::locking::{self, HeldLock};
use crate::manifest::ItemManifest;
use crate::segments;
use crate::snapshots;
use crate::store::Store;
use crate::tree::{text_of, Content, Entry, EntryKind, Node};
use crate::treewalk::{self, TreeWalk};

/// One entry handed to the host.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TreeStep {
    /// 0 for the directory the walk started at, 1 for its entries, and so on.
    pub depth: u32,
    /// The path below that directory, `/`-separated (`""` for it); text, see `pathHex`.
    pub path: String,
    /// The path's bytes as hex, present only when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
    /// The entry.
    pub entry: Entry,
}

/// A walk of a tree item in progress.
pub struct TreeSession {
    snapshot_id: SnapshotId,
    item: String,
    lock: Option<HeldLock>,
    walk: TreeWalk,
    recursive: bool,
    /// The content of the file handed out last, until read or skipped.
    content: Option<ChunkStream>,
    label: String,
}

/// The tree item asked for: by name, or the snapshot's only tree item.
pub fn pick<'m>(id: SnapshotId, items: &'m [ItemManifest], name: Option<&str>) -> Result<&'m ItemManifest> {
    let trees: Vec<&ItemManifest> = items.iter().filter(|i| i.tree.is_some()).collect();
    let found = match name {
        Some(n) => trees.iter().find(|i| i.item.name == n).copied(),
        None if trees.len() == 1 => Some(trees[0]),
        None => None,
    };
    found.ok_or_else(|| Error::ItemNotFound {
        snapshot: id.to_hex(),
        item: name.unwrap_or("(a single directory tree)").to_string(),
        available: trees
            .iter()
            .map(|i| i.item.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The path's names; empty names (doubled or outer slashes) are ignored.
fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

impl TreeSession {
    /// Starts a walk of snapshot `wanted`'s tree item `item` (or its only one), from `path`
    /// (its root when empty); without `recursive`, only the start and its direct entries.
    pub fn begin<H: Host>(
        store: &Store<H>,
        index: &mut Index,
        wanted: &str,
        item: Option<&str>,
        path: &[u8],
        recursive: bool,
    ) -> Result<TreeSession> {
        let id = snapshots::resolve(store, wanted)?;
        let manifest = snapshots::load(store, id)?;
        let label = StorageKey::Snapshot(id).to_string();
        manifest.check_counts().map_err(|detail| Error::CorruptSnapshot {
            file: label.clone(),
            detail,
        })?;
        let chosen = pick(id, &manifest.items, item)?;
        let label = format!("{label} item `{}`", chosen.item.name);
        segments::refresh(store, index)?;
        let root = treewalk::root(store, index, chosen, &label)?;
        let names = components(path);
        let walk = if names.is_empty() {
            TreeWalk::new(root, Some(treewalk::declared(chosen)), label.clone())
        } else {
            let top =
                treewalk::find(store, index, root, &names, &label)?.ok_or_else(|| Error::PathNotFound {
                    item: format!("snapshot {} item `{}`", id.to_hex(), chosen.item.name),
                    path: String::from_utf8_lossy(path).into_owned(),
                })?;
            TreeWalk::new(top, None, label.clone())
        };
        let lock = locking::acquire_for_reading(store, "restore")?;
        Ok(TreeSession {
            snapshot_id: id,
            item: chosen.item.name.clone(),
            lock: Some(lock),
            walk,
            recursive,
            content: None,
            label,
        })
    }

    /// The snapshot being walked.
    pub fn snapshot_id(&self) -> SnapshotId {
        self.snapshot_id
    }

    /// The tree item being walked.
    pub fn item(&self) -> &str {
        &self.item
    }

    /// The next entry (the content of the one before, if unread, is skipped); `None` at
    /// the end, when the lock is released.
    pub fn next<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Option<TreeStep>> {
        self.content = None;
        let Some(step) = self.walk.next(store, index)? else {
            if let Some(lock) = self.lock.take() {
                locking::release(store, lock)?;
            }
            return Ok(None);
        };
        if !self.recursive && step.depth >= 1 {
            self.walk.skip_children();
        }
        let (path, path_hex) = text_of(&self.walk.path());
        if step.node.entry.kind == EntryKind::File {
            self.content = Some(ChunkStream::new([self.plan(
                &step.node,
                &path,
                store.config().chunking.max,
            )?]));
        }
        Ok(Some(TreeStep {
            depth: step.depth as u32,
            path,
            path_hex,
            entry: step.node.entry,
        }))
    }

    fn plan(&self, node: &Node, path: &str, max_chunk: u32) -> Result<ContentPlan> {
        let file = format!("{} file `{path}`", self.label);
        let lists = match &node.content {
            Content::File { chunks, .. } => ListRef::of_file(chunks),
            _ => Vec::new(),
        };
        let tally =
            file_tally(&file, node, lists.len(), max_chunk).map_err(|detail| Error::CorruptSnapshot {
                file: file.clone(),
                detail,
            })?;
        Ok(ContentPlan {
            tally,
            lists: lists.into(),
            file,
        })
    }

    /// The next block of the file handed out last; empty at its end (and for anything
    /// that is not a file).
    pub fn read<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Vec<u8>> {
        match self.content.as_mut() {
            Some(c) => c.read(store, index),
            None => Ok(Vec::new()),
        }
    }

    /// Ends the walk early (or after its end): releases its lock.
    pub fn end<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        match self.lock.take() {
            Some(lock) => locking::release(store, lock),
            None => Ok(()),
        }
    }
}
