//! Reading a tree item back entry by entry (docs/FORMAT.md §9b): for `ls`, and for a
//! restore into a directory, where the host creates each entry it is handed and pulls a
//! file's bytes with `read` before asking for the next entry. Memory holds one piece per
//! directory on the current path and one batch of chunks; the session holds a shared lock.

use std::collections::VecDeque;

use super::chunks::{file_tally, After, ChunkStream, ContentPlan, ListRef};
use super::select::{Selector, Take};
use crate::ahead::Window;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::index::Index;
use crate::layout::StorageKey;
use crate::locking::{self, HeldLock};
use crate::manifest::{ItemManifest, SnapshotFilter};
use crate::segments;
use crate::snapshots;
use crate::store::Store;
use crate::tree::pattern::Patterns;
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

/// The entries found in one tree item of one snapshot (the answer of `find`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Found {
    /// The snapshot's full id.
    pub snapshot: SnapshotId,
    /// When it was taken, RFC 3339 UTC.
    pub created_at: String,
    /// The tree item.
    pub item: String,
    /// The entries matched, in walk order, with paths from the item's root.
    pub matches: Vec<TreeStep>,
}

/// How far a walk goes and which entries it takes ([`super::select`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkScope {
    /// Where the walk starts: a path below the item's root (the root when empty).
    pub start: Vec<u8>,
    /// Everything below the start; false: only the start and its direct entries.
    pub recursive: bool,
    /// Take only entries these patterns match, their contents and the way to them.
    pub include: Vec<String>,
    /// Leave out entries these patterns match.
    pub exclude: Vec<String>,
    /// Take only the entries an include pattern matches.
    pub matches_only: bool,
}

/// An entry ready to hand out, with the content of a file.
type Ready = (TreeStep, Option<ChunkStream>);

/// Entries taken ahead of the one handed out, at most: the files among them have their
/// reads announced with the current file's ([`crate::ahead`]), so that a storage far away
/// fetches the packs of many small files at once rather than a round trip per file. Twice
/// the steps a plan holds, since a small file is one step.
pub const ENTRIES_AHEAD: usize = 2 * crate::ahead::AHEAD_STEPS;

/// Directory pieces the walk reads next, announced at most with a file's reads: the walk
/// reads one when it enters a directory, at most one per file between two announcements
/// (half a plan's steps), so these keep it from waiting a round trip per directory.
pub const PIECES_AHEAD: usize = crate::ahead::AHEAD_STEPS / 2;

/// Who holds the shared lock a walk reads under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkLock {
    /// The walk takes one at its start and releases it at its end.
    Own,
    /// The caller holds one for as long as the walk runs: an operation made of several
    /// walks (`find`, a copy's export) locks once, not once per walk.
    Caller,
}

/// A walk of a tree item in progress.
pub struct TreeSession {
    snapshot_id: SnapshotId,
    item: String,
    lock: Option<HeldLock>,
    walk: TreeWalk,
    recursive: bool,
    select: Selector<Ready>,
    /// Entries taken, waiting to be handed out (held directories, then what was taken), up
    /// to [`ENTRIES_AHEAD`].
    ready: VecDeque<Ready>,
    /// The walk's end was reached (what is in `ready` is all that is left).
    walked: bool,
    /// The walk's error met while taking entries ahead: reported once the entries taken
    /// before it have been handed out, as without taking ahead.
    failed: Option<Error>,
    /// The content of the file handed out last, until read or skipped.
    content: Option<ChunkStream>,
    /// Where announcing reads stands, carried from one file's content to the next.
    window: Window,
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
    /// Starts a walk of snapshot `wanted`'s tree item `item` (or its only one), from where,
    /// as far and taking what `scope` says, under the lock `lock` says.
    pub fn begin<H: Host>(
        store: &Store<H>,
        index: &mut Index,
        wanted: &str,
        item: Option<&str>,
        filter: &SnapshotFilter,
        scope: &WalkScope,
        lock: WalkLock,
    ) -> Result<TreeSession> {
        let patterns = |p: &[String]| Patterns::parse(p).map_err(Error::InvalidArgument);
        let (include, exclude) = (patterns(&scope.include)?, patterns(&scope.exclude)?);
        let id = snapshots::resolve_in(store, wanted, &snapshots::having_item(filter, item))?;
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
        let names = components(&scope.start);
        let prefix = String::from_utf8_lossy(&names.join(&b'/')).into_owned();
        let walk = if names.is_empty() {
            TreeWalk::new(root, Some(treewalk::declared(chosen)), label.clone())
        } else {
            let top =
                treewalk::find(store, index, root, &names, &label)?.ok_or_else(|| Error::PathNotFound {
                    item: format!("snapshot {} item `{}`", id.to_hex(), chosen.item.name),
                    path: String::from_utf8_lossy(&scope.start).into_owned(),
                })?;
            TreeWalk::new(top, None, label.clone())
        };
        let lock = match lock {
            WalkLock::Own => Some(locking::acquire_for_reading(store, "restore")?),
            WalkLock::Caller => None,
        };
        Ok(TreeSession {
            snapshot_id: id,
            item: chosen.item.name.clone(),
            lock,
            walk,
            recursive: scope.recursive,
            select: Selector::new(include, exclude, scope.matches_only, prefix),
            ready: VecDeque::new(),
            walked: false,
            failed: None,
            content: None,
            window: Window::default(),
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

    /// The next entry taken (the content of the one before, if unread, is skipped);
    /// `None` at the end, when the lock is released.
    pub fn next<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Option<TreeStep>> {
        if let Some(done) = self.content.take() {
            self.window = done.window();
        }
        self.take_ahead(store, index)?;
        let Some((step, content)) = self.ready.pop_front() else {
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
            if let Some(lock) = self.lock.take() {
                locking::release(store, lock)?;
            }
            return Ok(None);
        };
        self.content = content.map(|c| c.with_window(self.window));
        Ok(Some(step))
    }

    /// Walks on until [`ENTRIES_AHEAD`] entries are ready or the walk ends; an error with
    /// entries ready is kept for when they are handed out.
    fn take_ahead<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<()> {
        while self.ready.len() < ENTRIES_AHEAD && !self.walked && self.failed.is_none() {
            let step = match self.walk.next(store, index) {
                Ok(Some(step)) => step,
                Ok(None) => {
                    self.walked = true;
                    break;
                }
                Err(e) if self.ready.is_empty() => return Err(e),
                Err(e) => {
                    self.failed = Some(e);
                    break;
                }
            };
            let is_dir = step.node.entry.kind == EntryKind::Dir;
            let path = self.walk.path();
            let (text, path_hex) = text_of(&path);
            let (take, enter) = self.select.judge(step.depth, &text, is_dir);
            if is_dir && (!enter || (!self.recursive && step.depth >= 1)) {
                self.walk.skip_children();
            }
            if take == Take::Skip {
                continue;
            }
            let content = match step.node.entry.kind {
                EntryKind::File => match self.plan(&step.node, &text, store.config().chunking.max) {
                    Ok(plan) => Some(ChunkStream::new([plan])),
                    Err(e) if self.ready.is_empty() => return Err(e),
                    Err(e) => {
                        self.failed = Some(e);
                        break;
                    }
                },
                _ => None,
            };
            let ready = (
                TreeStep {
                    depth: step.depth as u32,
                    path: text,
                    path_hex,
                    entry: step.node.entry,
                },
                content,
            );
            if take == Take::Hold {
                self.select.hold(step.depth, ready);
            } else {
                self.ready.extend(self.select.release());
                self.ready.push_back(ready);
            }
        }
        Ok(())
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
        let mut block = Vec::new();
        self.read_into(store, index, &mut block)?;
        Ok(block)
    }

    /// [`TreeSession::read`], appending the block to `out` (nothing at the end).
    pub fn read_into<H: Host>(&mut self, store: &Store<H>, index: &Index, out: &mut Vec<u8>) -> Result<()> {
        let Some(c) = self.content.as_mut() else {
            return Ok(());
        };
        let walk = &self.walk;
        let after = After {
            streams: self.ready.iter().filter_map(|(_, c)| c.as_ref()).collect(),
            blobs: &|| walk.pieces_ahead(PIECES_AHEAD),
        };
        c.read_into_before(store, index, out, &after)
    }

    /// Ends the walk early (or after its end): releases its lock.
    pub fn end<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        match self.lock.take() {
            Some(lock) => locking::release(store, lock),
            None => Ok(()),
        }
    }
}
