//! Verification of snapshots: every manifest and chunk list reads, every chunk is indexed,
//! item names are unique, the counts add up and the lists agree with each item's declared
//! size and chunk count ([`ItemTally`]); and, once damage is known, which items it breaks.

use std::collections::{BTreeSet, HashSet};

use super::{Verifier, VerifyError};
use crate::blobs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::{BlobId, PackId, SnapshotId};
use crate::layout::StorageKey;
use crate::manifest::ItemTally;
use crate::restore::chunks::ListRef;
use crate::snapshots;

/// Errors per snapshot item about chunks, before the rest are summed up in one line.
const ITEM_ERRORS: usize = 5;

pub(super) fn item_error(
    snapshot: SnapshotId,
    item: &str,
    chunk: Option<BlobId>,
    error: String,
) -> VerifyError {
    VerifyError {
        snapshot: Some(snapshot),
        item: Some(item.to_string()),
        chunk,
        error,
        ..Default::default()
    }
}

impl<H: Host> Verifier<'_, H> {
    /// Reads every snapshot and its chunk lists; returns the packs the snapshots need.
    pub(super) fn check_snapshots(&mut self) -> Result<BTreeSet<PackId>> {
        let mut needed = BTreeSet::new();
        for (id, m) in snapshots::load_all(self.store)? {
            let m = match m {
                Ok(m) => m,
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => {
                    self.report(VerifyError {
                        snapshot: Some(id),
                        error: e.to_string(),
                        ..Default::default()
                    });
                    continue;
                }
            };
            self.f.stats.snapshots_checked += 1;
            if let Err(e) = m.check_counts() {
                let file = StorageKey::Snapshot(id).to_string();
                self.report(VerifyError {
                    snapshot: Some(id),
                    error: Error::CorruptSnapshot { file, detail: e }.to_string(),
                    ..Default::default()
                });
            }
            for item in &m.items {
                self.check_item(id, item, &mut needed)?;
            }
        }
        let snapshots::Census {
            gone,
            damaged,
            unrecorded,
            leftover,
        } = snapshots::census(self.store)?;
        let unrecorded = unrecorded
            .into_iter()
            .map(|id| (id, snapshots::unrecorded_warning(id)));
        let leftover = leftover
            .into_iter()
            .map(|id| (id, snapshots::leftover_warning(id)));
        for (id, error) in unrecorded.chain(leftover) {
            self.f.warnings.push(VerifyError {
                snapshot: Some(id),
                error,
                ..Default::default()
            });
        }
        for e in damaged {
            self.report(VerifyError {
                error: e.to_string(),
                ..Default::default()
            });
        }
        for id in gone {
            self.report(VerifyError {
                snapshot: Some(id),
                error: snapshots::vanished_error(id).to_string(),
                ..Default::default()
            });
        }
        Ok(needed)
    }

    /// Checks one content (a stream item, or a file of a tree item, `what`): its lists
    /// agree with its declared shape and every chunk is indexed. The packs it needs go into
    /// `needed`.
    pub(super) fn check_content(
        &mut self,
        id: SnapshotId,
        item: &str,
        what: &str,
        shape: std::result::Result<ItemTally, String>,
        lists: &[ListRef],
        needed: &mut BTreeSet<PackId>,
    ) -> Result<()> {
        let mut missing = 0usize;
        // Lists are read only while they agree with the manifest, so a hostile manifest
        // (one list repeated a million times) costs no more than its first disagreement.
        let walkable = shape.is_ok();
        let mut shape = shape;
        let unreadable = self.walk_lists(walkable, lists, needed, |v, needed, entries| {
            let Ok(tally) = &mut shape else { return false };
            if let Err(e) = tally.add_list(entries) {
                shape = Err(e);
                return false;
            }
            for &(chunk, _) in entries {
                v.f.stats.chunks_checked += 1;
                match v.index.pack_of(&chunk) {
                    Some(pack) => drop(needed.insert(pack)),
                    None => {
                        missing += 1;
                        if missing <= ITEM_ERRORS {
                            let error = format!("a chunk of {what} is in no index: run `repair` (it rebuilds the index from the packs)");
                            v.report(item_error(id, item, Some(chunk), error));
                        }
                    }
                }
            }
            true
        })?;
        for (list, e) in &unreadable {
            let error = format!("a chunk list {list} of {what} cannot be read: {e}");
            self.report(item_error(id, item, None, error));
        }
        if missing > ITEM_ERRORS {
            let error = format!("{} more chunks of {what} are in no index", missing - ITEM_ERRORS);
            self.report(item_error(id, item, None, error));
        }
        if let Err(e) = shape.and_then(|t| if unreadable.is_empty() { t.finish() } else { Ok(()) }) {
            let error = format!("the manifest and the chunk lists of {what} disagree: {e}; it cannot be restored (other snapshots are unaffected)");
            self.report(item_error(id, item, None, error));
        }
        Ok(())
    }

    /// Calls `each` for every chunk list of a content, in order, with its entries, until it
    /// answers false (nothing is walked when `walkable` is false: the content's declared
    /// shape does not hold together); returns the lists that cannot be read, with why. The
    /// packs holding the lists go into `needed`.
    pub(super) fn walk_lists(
        &mut self,
        walkable: bool,
        lists: &[ListRef],
        needed: &mut BTreeSet<PackId>,
        mut each: impl FnMut(&mut Self, &mut BTreeSet<PackId>, &[(BlobId, u32)]) -> bool,
    ) -> Result<Vec<(BlobId, Error)>> {
        let mut unreadable = Vec::new();
        if !walkable {
            return Ok(unreadable);
        }
        for list in lists {
            let entries = match list {
                ListRef::Inline(entries) => entries.clone(),
                ListRef::Stored(list) => {
                    needed.extend(self.index.pack_of(list));
                    match blobs::read_list(self.store, self.index, list) {
                        Ok(entries) => entries,
                        Err(e @ Error::Storage { .. }) => return Err(e),
                        Err(e) => {
                            unreadable.push((*list, e));
                            continue;
                        }
                    }
                }
            };
            if !each(self, needed, &entries) {
                break;
            }
        }
        Ok(unreadable)
    }

    /// Reports, on every snapshot item, the damaged packs and chunks it needs.
    pub(super) fn report_affected(&mut self) -> Result<()> {
        let mut found = Vec::new();
        let bad_packs: HashSet<PackId> = self.f.bad_packs.iter().copied().collect();
        let bad_chunks = std::mem::take(&mut self.f.bad_chunks);
        for (id, m) in snapshots::load_all(self.store)? {
            let Ok(m) = m else {
                continue;
            };
            for item in &m.items {
                let mut hits: Vec<(Option<BlobId>, Option<PackId>)> = Vec::new();
                let mut needed = BTreeSet::new();
                // Lists and trees that cannot be read were reported by `check_snapshots` already.
                let max_chunk = self.store.config().chunking.max;
                self.each_content(id, item, &mut needed, |v, needed, c| {
                    let walkable = super::contents::shape_of(item, &c, max_chunk).1.is_ok();
                    v.walk_lists(walkable, &c.lists, needed, |v, _, entries| {
                        for &(chunk, _) in entries {
                            let pack = v.index.pack_of(&chunk);
                            if bad_chunks.contains(&chunk) || pack.is_some_and(|p| bad_packs.contains(&p)) {
                                hits.push((Some(chunk), pack));
                            }
                        }
                        true
                    })
                    .map(drop)
                })?;
                for list_pack in needed.iter().filter(|p| bad_packs.contains(*p)) {
                    hits.push((None, Some(*list_pack)));
                }
                if let Some((chunk, pack)) = hits.first() {
                    let error = format!(
                        "this item cannot be restored until repaired: {} of its chunks are in damaged packs or damaged themselves",
                        hits.len()
                    );
                    found.push(VerifyError {
                        snapshot: Some(id),
                        item: Some(item.item.name.clone()),
                        chunk: *chunk,
                        pack: pack.map(StorageKey::Pack),
                        error,
                        group: None,
                    });
                }
            }
        }
        self.f.bad_chunks = bad_chunks;
        for e in found {
            self.report(e);
        }
        Ok(())
    }
}
