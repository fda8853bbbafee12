//! The repository's operations on tree items (docs/FORMAT.md §9b): ingesting a tree entry
//! by entry, and walking a stored one.

use super::Repository;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ingest::{IngestSession, Placed};
use std::collections::BTreeMap;

use crate::locking;
use crate::manifest::{Snapshot, SnapshotFilter, SnapshotItem};
use crate::restore::tree::{Found, TreeSession, TreeStep, WalkLock, WalkScope};
use crate::snapshots;
use crate::tree::pattern::Excludes;
use crate::tree::{Entry, Node};
use crate::treediff::{self, TreeChange};
use crate::treewalk;

/// Which snapshot lends a new tree item its unchanged files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent {
    /// None: every file is read.
    None,
    /// The newest snapshot with a tree item of the same name.
    Newest,
    /// This snapshot (id, prefix or `latest`).
    Snapshot(String),
}

impl<H: Host> Repository<H> {
    /// Ends the session's current item and starts a tree item; the item of the same name
    /// in the `parent` snapshot, if it is a tree, lends this one its unchanged files;
    /// entries the `exclude` patterns match are left out ([`Excludes`]).
    pub fn ingest_tree(
        &mut self,
        s: &mut IngestSession,
        item: SnapshotItem,
        parent: Parent,
        exclude: &[String],
    ) -> Result<()> {
        let name = item.name.as_str();
        let wanted = match parent {
            Parent::None => None,
            Parent::Snapshot(p) => Some(p),
            Parent::Newest => snapshots::list(&self.store, &Default::default())?
                .into_iter()
                .rev()
                .find(|snap| {
                    snap.fields
                        .items
                        .iter()
                        .any(|i| i.name == *name && i.entries.is_some())
                })
                .map(|snap| snap.id.to_hex()),
        };
        let parent_root = match wanted {
            Some(p) => self.parent_root(&p, name)?,
            None => None,
        };
        let excludes = Excludes::parse(exclude).map_err(Error::InvalidArgument)?;
        s.tree(&self.store, &mut self.index, item, parent_root, excludes)
    }

    fn parent_root(&mut self, wanted: &str, name: &str) -> Result<Option<Node>> {
        let id = snapshots::resolve(&self.store, wanted)?;
        let manifest = snapshots::load(&self.store, id)?;
        let Some(item) = manifest
            .items
            .iter()
            .find(|i| i.item.name == name && i.tree.is_some())
        else {
            return Ok(None);
        };
        crate::segments::refresh(&self.store, &mut self.index)?;
        let label = format!("{} item `{name}`", crate::layout::StorageKey::Snapshot(id));
        treewalk::root(&self.store, &self.index, item, &label).map(Some)
    }

    /// The next entry of the session's tree item; true when its bytes must follow.
    pub fn tree_entry(&mut self, s: &mut IngestSession, entry: Entry) -> Result<Placed> {
        self.store.beat()?;
        s.tree_entry(&self.store, &mut self.index, entry)
    }

    /// Closes the tree item's directory entered last.
    pub fn tree_leave(&mut self, s: &mut IngestSession) -> Result<()> {
        s.tree_leave(&self.store, &mut self.index)
    }

    /// Reports a problem with the tree entry given last; `drop` leaves that file out.
    pub fn tree_problem(
        &mut self,
        s: &mut IngestSession,
        path: String,
        message: String,
        drop: bool,
    ) -> Result<()> {
        s.tree_problem(&self.store, &mut self.index, path, message, drop)
    }

    /// Starts a walk of a snapshot's tree item.
    pub fn walk_begin(
        &mut self,
        wanted: &str,
        item: Option<&str>,
        filter: &SnapshotFilter,
        scope: &WalkScope,
    ) -> Result<TreeSession> {
        TreeSession::begin(
            &self.store,
            &mut self.index,
            wanted,
            item,
            filter,
            scope,
            WalkLock::Own,
        )
    }

    /// The walk's next entry; `None` at its end.
    pub fn walk_next(&mut self, s: &mut TreeSession) -> Result<Option<TreeStep>> {
        self.store.beat()?;
        s.next(&self.store, &self.index)
    }

    /// Appends the next block of the file the walk handed out last to `out`; nothing at
    /// its end.
    pub fn walk_read_into(&mut self, s: &mut TreeSession, out: &mut Vec<u8>) -> Result<()> {
        self.store.beat()?;
        s.read_into(&self.store, &self.index, out)
    }

    /// Ends a walk.
    pub fn walk_end(&mut self, s: TreeSession) -> Result<()> {
        s.end(&self.store)
    }

    /// The entries any of `patterns` matches in the tree items (or the one named `item`)
    /// of `wanted` snapshots, or of every snapshot with all of `tags` when none is named;
    /// snapshots oldest first, and only tree items with a match.
    pub fn find(
        &mut self,
        patterns: &[String],
        wanted: &[String],
        item: Option<&str>,
        tags: &BTreeMap<String, String>,
    ) -> Result<Vec<Found>> {
        if patterns.is_empty() {
            return Err(Error::InvalidArgument(
                "give a pattern to find: a name such as `*.conf`, or a path from the tree's root such as `/etc/hosts`"
                    .into(),
            ));
        }
        let mut chosen = match wanted {
            [] => self.list_snapshots(&SnapshotFilter {
                tags: tags.clone(),
                ..SnapshotFilter::default()
            })?,
            _ => {
                let mut list = Vec::new();
                for w in wanted {
                    list.push(self.get_snapshot(w, &SnapshotFilter::default())?);
                }
                list.retain(|s| tags.iter().all(|(k, v)| s.fields.tags.get(k) == Some(v)));
                list
            }
        };
        chosen.sort_by(|a, b| {
            a.fields
                .created_at
                .cmp(&b.fields.created_at)
                .then(a.id.cmp(&b.id))
        });
        chosen.dedup_by_key(|s| s.id);
        let scope = WalkScope {
            recursive: true,
            include: patterns.to_vec(),
            exclude: Vec::new(),
            matches_only: true,
            ..WalkScope::default()
        };
        // One shared lock for the whole search, not one per tree item walked.
        let lock = locking::acquire_for_reading(&self.store, "find")?;
        let found = self.find_in(&chosen, item, &scope);
        locking::release_after(&self.store, lock, found)
    }

    /// [`Self::find`]'s walks of the tree items of `chosen`, under the caller's lock.
    fn find_in(&mut self, chosen: &[Snapshot], item: Option<&str>, scope: &WalkScope) -> Result<Vec<Found>> {
        let mut found = Vec::new();
        for snapshot in chosen {
            let trees = snapshot.fields.items.iter().filter(|i| i.entries.is_some());
            for tree in trees.filter(|i| item.is_none_or(|name| name == i.name)) {
                let id = snapshot.id.to_hex();
                let no_filter = SnapshotFilter::default();
                let mut walk = TreeSession::begin(
                    &self.store,
                    &mut self.index,
                    &id,
                    Some(&tree.name),
                    &no_filter,
                    scope,
                    WalkLock::Caller,
                )?;
                let mut matches = Vec::new();
                while let Some(step) = self.walk_next(&mut walk)? {
                    matches.push(step);
                }
                self.walk_end(walk)?;
                if !matches.is_empty() {
                    found.push(Found {
                        snapshot: snapshot.id,
                        created_at: snapshot.fields.created_at.clone(),
                        item: tree.name.clone(),
                        matches,
                    });
                }
            }
        }
        Ok(found)
    }

    /// What changed in tree item `item` (or the only tree of `to`) from snapshot `from` to
    /// snapshot `to`.
    pub fn tree_diff(
        &mut self,
        from: &str,
        to: &str,
        item: Option<&str>,
        filter: &SnapshotFilter,
    ) -> Result<Vec<TreeChange>> {
        let filter = snapshots::having_item(filter, item);
        let (old_id, new_id) = (
            snapshots::resolve_in(&self.store, from, &filter)?,
            snapshots::resolve_in(&self.store, to, &filter)?,
        );
        let (old, new) = (
            snapshots::load(&self.store, old_id)?,
            snapshots::load(&self.store, new_id)?,
        );
        let chosen = crate::restore::tree::pick(new_id, &new.items, item)?;
        let name = chosen.item.name.as_str();
        let before = crate::restore::tree::pick(old_id, &old.items, Some(name))?;
        crate::segments::refresh(&self.store, &mut self.index)?;
        let label = format!("snapshots {old_id} and {new_id} item `{name}`");
        treediff::diff(&self.store, &self.index, before, chosen, label)
    }
}
