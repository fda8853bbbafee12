//! The contents of a snapshot item, as verify walks them: a stream item is one content
//! (its chunk lists); a tree item is the pieces of its tree plus one content per file
//! (docs/FORMAT.md §9b), walked with [`crate::treewalk`] so a hostile tree costs no more
//! than its first excess over what its item declares.

use std::collections::BTreeSet;

use super::Verifier;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::{PackId, SnapshotId};
use crate::layout::StorageKey;
use crate::manifest::{ItemManifest, ItemTally};
use crate::restore::chunks::{file_tally, ListRef};
use crate::tree::{Content, Node};
use crate::treewalk;

/// One content of an item: its chunk lists, and for a file of a tree, its path and node.
pub(super) struct ContentRef<'a> {
    /// The file's path below the tree's root and its node; `None` for a stream item.
    pub file: Option<(&'a str, &'a Node)>,
    /// Its chunk lists, in order.
    pub lists: Vec<ListRef>,
}

/// What a content is called in messages, and its declared shape checked.
pub(super) fn shape_of(
    item: &ItemManifest,
    c: &ContentRef,
    max_chunk: u32,
) -> (String, std::result::Result<ItemTally, String>) {
    match c.file {
        None => ("the item".to_string(), ItemTally::new(item, max_chunk)),
        Some((path, node)) => {
            let what = format!("file `{path}`");
            let shape = file_tally(&what, node, c.lists.len(), max_chunk);
            (what, shape)
        }
    }
}

impl<H: Host> Verifier<'_, H> {
    /// Calls `each` for every content of `item` in order; the packs holding a tree's
    /// pieces go into `needed`. Answers the damage that stopped a tree's walk, if any
    /// (storage failures are errors).
    pub(super) fn each_content(
        &mut self,
        id: SnapshotId,
        item: &ItemManifest,
        needed: &mut BTreeSet<PackId>,
        mut each: impl FnMut(&mut Self, &mut BTreeSet<PackId>, ContentRef) -> Result<()>,
    ) -> Result<Option<Error>> {
        let Some(root) = item.tree else {
            let lists = item.lists.iter().map(|l| ListRef::Stored(*l)).collect();
            each(self, needed, ContentRef { file: None, lists })?;
            return Ok(None);
        };
        needed.extend(self.index.pack_of(&root));
        let label = format!("{} item `{}`", StorageKey::Snapshot(id), item.item.name);
        let mut walk = match treewalk::walk_item(self.store, self.index, item, label) {
            Ok(w) => w,
            Err(e @ Error::Storage { .. }) => return Err(e),
            Err(e) => return Ok(Some(e)),
        };
        loop {
            let step = match walk.next(self.store, self.index) {
                Ok(Some(step)) => step,
                Ok(None) => return Ok(None),
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => return Ok(Some(e)),
            };
            match &step.node.content {
                Content::Dir(pieces) => needed.extend(pieces.iter().filter_map(|p| self.index.pack_of(p))),
                Content::File { chunks, .. } => {
                    let path = String::from_utf8_lossy(&walk.path()).into_owned();
                    let lists = ListRef::of_file(chunks);
                    each(
                        self,
                        needed,
                        ContentRef {
                            file: Some((&path, &step.node)),
                            lists,
                        },
                    )?;
                }
                Content::None => {}
            }
        }
    }

    /// Checks every content of an item: lists against declared shapes, chunks indexed,
    /// and for a tree, the tree itself.
    pub(super) fn check_item(
        &mut self,
        id: SnapshotId,
        item: &ItemManifest,
        needed: &mut BTreeSet<PackId>,
    ) -> Result<()> {
        let max_chunk = self.store.config().chunking.max;
        let name = item.item.name.clone();
        let damage = self.each_content(id, item, needed, |v, needed, c| {
            let (what, shape) = shape_of(item, &c, max_chunk);
            v.check_content(id, &name, &what, shape, &c.lists, needed)
        })?;
        if let Some(e) = damage {
            let error = format!(
                "its tree cannot be read: {e}; the item cannot be restored (other snapshots are unaffected)"
            );
            self.report(super::snapshots::item_error(id, &name, None, error));
        }
        Ok(())
    }
}
