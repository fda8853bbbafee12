//! Prune: forget the snapshots a retention policy does not keep, and collect the garbage.
//!
//! Under an exclusive lock, prune plans everything before it changes anything, so that a
//! dry run reports exactly what the real run then does. Packs no kept snapshot needs are
//! deleted; packs where more than [`REWRITE_UNUSED`] of the blob bytes are unused are
//! rewritten (their used blobs copied, still sealed, into new packs). Every parity group
//! that loses a member is re-encoded from its surviving members, together with the groups
//! that are not full, so that afterwards at most one group is not full.
//!
//! The real run follows docs/FORMAT.md §11, so that a prune killed at any instant leaves every
//! kept snapshot restorable and the repository verifying, at worst with garbage left for
//! the next prune:
//! 1. delete the manifests of the forgotten snapshots;
//! 2. write the rewritten packs and their parity group;
//! 3. write the new index (its last segment supersedes the old ones), then delete the old;
//! 4. re-encode the groups that lose members and the partial ones (new groups first, then
//!    delete the old);
//! 5. delete the unused and rewritten packs, then parity shards no group lists.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::blobs;
use crate::error::{Error, Result};
use crate::groups::{self, ParityStream};
use crate::host::Host;
use crate::ids::{BlobId, GroupId, PackId, SnapshotId};
use crate::index::{Index, PackRecord};
use crate::layout::{Dir, StorageKey};
use crate::locking;
use crate::manifest::{ItemManifest, Manifest, SnapshotFilter};
use crate::pack::BlobEntry;
use crate::packer;
use crate::retention::{Candidate, RetentionPolicy};
use crate::segments;
use crate::snapshots;
use crate::store::Store;
use crate::tree::{Chunks, Content};
use crate::treewalk;
use crate::writer::PackStream;

/// A pack is rewritten when more than this share of its blob bytes is unused.
pub const REWRITE_UNUSED: f64 = 0.25;

/// Arguments of `prune`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PruneOptions {
    /// Which snapshots to keep.
    pub retention: RetentionPolicy,
    /// The policy decides only among the snapshots this filter passes; the others are
    /// kept (`{ tags: { db: "orders" } }` prunes one database's snapshots of a shared
    /// repository).
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
    /// Only report what would be done.
    #[serde(default)]
    pub dry_run: bool,
    /// Accept the loss of snapshots whose manifest vanished without a prune (and of
    /// unreadable snapshot records): record them as removed, then prune. Without it,
    /// prune refuses to run while any is found (docs/FORMAT.md §9a).
    #[serde(default)]
    pub forget_vanished: bool,
}

/// The answer of `prune` (IPruneResult, plus what a dry run lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PruneResult {
    /// Snapshots forgotten.
    pub removed_snapshots: u64,
    /// Packs deleted because nothing kept needs them.
    pub removed_packs: u64,
    /// Packs rewritten because much of them is unused.
    pub rewritten_packs: u64,
    /// Pack bytes freed: deleted packs, plus the unused bytes of rewritten ones.
    pub freed_bytes: u64,
    /// Whether this was a dry run (nothing changed).
    pub dry_run: bool,
    /// Snapshots kept.
    pub kept_snapshots: u64,
    /// Ids of the snapshots forgotten.
    pub removed_snapshot_ids: Vec<SnapshotId>,
    /// Whether the space only the forgotten snapshots used was freed: always by `prune`,
    /// by `forget` only when asked to prune. When false, `removedPacks`, `rewrittenPacks`
    /// and `freedBytes` are 0 and the data stays until a prune frees it.
    pub pruned: bool,
}

/// Everything a prune will do, decided before anything changes.
struct Plan {
    forget: Vec<SnapshotId>,
    kept: u64,
    /// Packs to delete whole.
    delete: Vec<PackId>,
    /// Packs to rewrite, with the entries of theirs to keep.
    rewrite: Vec<(PackId, Vec<BlobEntry>)>,
    /// Sidecar records of the packs that stay as they are.
    keep: Vec<PackRecord>,
    freed: u64,
}

/// Forgets the snapshots `retention` does not keep and collects the garbage, under an
/// exclusive lock; `index` is reloaded first and left as the new index.
pub fn run<H: Host>(store: &Store<H>, index: &mut Index, opts: &PruneOptions) -> Result<PruneResult> {
    opts.retention.validate()?;
    locking::with_lock(store, true, "prune", || {
        let leftovers = vanished(store, opts.forget_vanished, opts.dry_run)?;
        let all = manifests(store)?;
        let mut forget = by_policy(&all, &opts.retention, &opts.filter)?;
        forget.extend(leftovers);
        collect(store, index, all, forget, opts.dry_run)
    })
}

/// A snapshot present: its id, creation time in ms and manifest.
pub type Present = (SnapshotId, i64, Manifest);

/// Every snapshot present, with its creation time.
pub fn manifests<H: Host>(store: &Store<H>) -> Result<Vec<Present>> {
    let mut all = Vec::new();
    for (id, m) in snapshots::load_all(store)? {
        let m = m?;
        let t = snapshots::created_ms(id, &m)?;
        all.push((id, t, m));
    }
    Ok(all)
}

/// The snapshots `retention` does not keep among those `filter` passes.
pub fn by_policy(
    all: &[Present],
    retention: &RetentionPolicy,
    filter: &SnapshotFilter,
) -> Result<BTreeSet<SnapshotId>> {
    let judge = snapshots::Judge::new(filter)?;
    let judged: Vec<&Present> = all.iter().filter(|(_, t, m)| judge.passes(m, *t)).collect();
    let hex: Vec<String> = judged.iter().map(|(id, _, _)| id.to_hex()).collect();
    let candidates: Vec<Candidate> = judged
        .iter()
        .zip(&hex)
        .map(|((_, t, m), id)| Candidate {
            id,
            time_ms: *t,
            tags: &m.tags,
        })
        .collect();
    let keep = retention.keep(&candidates)?;
    Ok(judged
        .iter()
        .zip(&hex)
        .filter(|(_, h)| !keep.contains_key(*h))
        .map(|((id, _, _), _)| *id)
        .collect())
}

/// Forgets the snapshots `forget` of `all` and frees the space only they used (or, with
/// `dry_run`, says what that would do).
pub fn collect<H: Host>(
    store: &Store<H>,
    index: &mut Index,
    all: Vec<Present>,
    forget: BTreeSet<SnapshotId>,
    dry_run: bool,
) -> Result<PruneResult> {
    let plan = plan(store, index, all, forget)?;
    let result = PruneResult {
        removed_snapshots: plan.forget.len() as u64,
        removed_packs: plan.delete.len() as u64,
        rewritten_packs: plan.rewrite.len() as u64,
        freed_bytes: plan.freed,
        dry_run,
        kept_snapshots: plan.kept,
        removed_snapshot_ids: plan.forget.clone(),
        pruned: true,
    };
    if !dry_run {
        execute(store, index, plan)?;
    }
    Ok(result)
}

/// Adds every blob an item needs to `used`: its chunk lists and chunks, and for a tree
/// item every piece of its tree and every file's lists and chunks (docs/FORMAT.md §9b).
/// A tree that cannot be walked stops prune: nothing below it can be proven unused.
pub(crate) fn mark_used<H: Host>(
    store: &Store<H>,
    index: &Index,
    id: SnapshotId,
    item: &ItemManifest,
    used: &mut HashSet<BlobId>,
) -> Result<()> {
    let use_lists = |lists: &[BlobId], used: &mut HashSet<BlobId>| -> Result<()> {
        for list in lists {
            used.insert(*list);
            used.extend(blobs::read_list(store, index, list)?.into_iter().map(|(c, _)| c));
        }
        Ok(())
    };
    use_lists(&item.lists, used)?;
    let Some(root) = item.tree else {
        return Ok(());
    };
    used.insert(root);
    let label = format!("{} item `{}`", StorageKey::Snapshot(id), item.item.name);
    let mut walk = treewalk::walk_item(store, index, item, label)?;
    while let Some(step) = walk.next(store, index)? {
        match step.node.content {
            Content::Dir(pieces) => used.extend(pieces),
            Content::File {
                chunks: Chunks::Inline(e),
                ..
            } => used.extend(e.into_iter().map(|(c, _)| c)),
            Content::File {
                chunks: Chunks::Lists(l),
                ..
            } => use_lists(&l, used)?,
            Content::None => {}
        }
    }
    Ok(())
}

fn plan<H: Host>(
    store: &Store<H>,
    index: &mut Index,
    all: Vec<Present>,
    forget: BTreeSet<SnapshotId>,
) -> Result<Plan> {
    *index = segments::load(store)?; // a damaged index stops prune: nothing can be proven unused
    let mut used: HashSet<BlobId> = HashSet::new();
    for (id, _, m) in all.iter().filter(|(id, _, _)| !forget.contains(id)) {
        for item in &m.items {
            mark_used(store, index, *id, item, &mut used)?;
        }
    }
    let kept = all.iter().filter(|(id, _, _)| !forget.contains(id)).count();
    let forget: Vec<SnapshotId> = forget.into_iter().collect();
    if let Some(missing) = used.iter().find(|b| !index.contains(b)) {
        return Err(Error::ChunkNotFound(missing.to_hex()));
    }
    let mut plan = Plan {
        forget,
        kept: kept as u64,
        delete: Vec::new(),
        rewrite: Vec::new(),
        keep: Vec::new(),
        freed: 0,
    };
    let files = packer::ids(store)?;
    for id in &used {
        let pack = index.pack_of(id).expect("checked above");
        if !files.contains(&pack) {
            return Err(Error::CorruptPack {
                pack: StorageKey::Pack(pack).to_string(),
                detail: "the pack is missing, and kept snapshots need it; prune changes nothing until `repair` rebuilds it".into(),
            });
        }
    }
    for id in files {
        if !index.has_pack(&id) {
            // Left by a crashed writer: no index entry, so no snapshot can need it.
            plan.freed += store
                .get_opt(&StorageKey::Pack(id))?
                .map_or(0, |b| b.len() as u64);
            plan.delete.push(id);
            continue;
        }
        let record = packer::read_record(store, &id)?;
        // A blob counts where the index finds it, so a duplicate elsewhere is garbage.
        let (live, dead): (Vec<BlobEntry>, Vec<BlobEntry>) = record
            .entries
            .iter()
            .partition(|e| used.contains(&e.id) && index.pack_of(&e.id) == Some(id));
        let bytes = |es: &[BlobEntry]| es.iter().map(|e| e.stored_len as u64).sum::<u64>();
        let (live_bytes, dead_bytes) = (bytes(&live), bytes(&dead));
        if live.is_empty() {
            plan.freed += record.size;
            plan.delete.push(id);
        } else if dead_bytes as f64 > REWRITE_UNUSED * (live_bytes + dead_bytes) as f64 {
            plan.freed += record.size - live_bytes;
            plan.rewrite.push((id, live));
        } else {
            plan.keep.push(record);
        }
    }
    Ok(plan)
}

/// Refuses while a snapshot vanished or a record cannot be read, unless told to accept
/// the loss (`forget_vanished`): then one record of the snapshots present replaces every
/// record (written first, so that a crash leaves the old records in force). Answers the
/// snapshots recorded as removed whose manifest is still present (an interrupted prune,
/// forget or tag), which the caller removes.
pub fn vanished<H: Host>(store: &Store<H>, forget_vanished: bool, dry_run: bool) -> Result<Vec<SnapshotId>> {
    let snapshots::Census {
        gone,
        damaged,
        leftover,
        ..
    } = snapshots::census(store)?;
    if !forget_vanished {
        if let Some(id) = gone.first() {
            return Err(snapshots::vanished_error(*id));
        }
        return damaged.into_iter().next().map_or(Ok(leftover), Err);
    }
    if dry_run || (gone.is_empty() && damaged.is_empty()) {
        return Ok(leftover);
    }
    let present = snapshots::ids(store)?;
    let new = StorageKey::Record(snapshots::record(store, &present, &[])?);
    for key in store.list(Dir::Records)?.into_iter().filter(|k| *k != new) {
        store.delete(&key)?;
    }
    Ok(leftover)
}

fn execute<H: Host>(store: &Store<H>, index: &mut Index, plan: Plan) -> Result<()> {
    snapshots::remove(store, &plan.forget)?;
    // Rewritten blobs go into new packs, which get parity before the index names them.
    let mut records = plan.keep;
    let mut packs = PackStream::new(ParityStream::without_resume(), store.config().pack_size);
    for (id, live) in &plan.rewrite {
        let key = StorageKey::Pack(*id);
        let bytes = store.get(&key)?;
        if store.sha256(&bytes) != *id.as_bytes() {
            return Err(Error::CorruptPack {
                pack: key.to_string(),
                detail: "its bytes do not match its name; prune copies nothing from it: run `repair` first"
                    .into(),
            });
        }
        for e in live {
            let stored = &bytes[e.offset as usize..(e.offset + e.stored_len) as usize];
            records.extend(packs.add(store, index, e.id, e.kind, e.codec, e.raw_len, stored)?);
        }
    }
    records.extend(packs.finish(store, index)?);
    segments::replace(store, index, &records)?;
    // Never delete a pack the new index lists: a rewrite can produce a pack identical to
    // garbage a crashed prune left (plain repositories seal deterministically).
    let indexed: HashSet<PackId> = records.iter().map(|r| r.id).collect();
    let gone: BTreeSet<PackId> = plan
        .delete
        .iter()
        .copied()
        .chain(plan.rewrite.iter().map(|(id, _)| *id))
        .filter(|id| !indexed.contains(id))
        .collect();
    regroup(store, &gone)?;
    for id in &gone {
        store.delete(&StorageKey::Pack(*id))?;
        store.delete(&StorageKey::PackIndex(*id))?;
    }
    delete_orphan_parity(store)
}

/// Re-encodes every group with a member in `gone` from its other members, together with
/// every group that is not full (when that merges anything), then deletes the old groups.
/// Afterwards at most one group is not full.
fn regroup<H: Host>(store: &Store<H>, gone: &BTreeSet<PackId>) -> Result<()> {
    let readable: Vec<(GroupId, _)> = groups::groups(store)?
        .into_iter()
        .filter_map(|(gid, g)| Some((gid, g.ok()?)))
        .collect();
    let loses = |g: &crate::parity::GroupManifest| g.members.iter().any(|m| gone.contains(&m.id));
    let losing = readable.iter().filter(|(_, g)| loses(g)).count();
    let partial = readable.iter().filter(|(_, g)| !loses(g) && !g.is_full()).count();
    let merge_partial = losing > 0 || partial > 1;
    let touched: Vec<(GroupId, Vec<PackId>)> = readable
        .iter()
        .filter(|(_, g)| loses(g) || (merge_partial && !g.is_full()))
        .map(|(gid, g)| {
            (
                *gid,
                g.members
                    .iter()
                    .map(|m| m.id)
                    .filter(|m| !gone.contains(m))
                    .collect(),
            )
        })
        .collect();
    let mut parity = ParityStream::without_resume();
    let mut regrouped = HashSet::new();
    for (_, survivors) in &touched {
        for id in survivors {
            if regrouped.insert(*id) {
                let bytes = store.get(&StorageKey::Pack(*id))?;
                parity.protect(store, *id, &bytes)?;
            }
        }
    }
    parity.finish(store)?;
    // A group re-encoded with the same members is the same file: it stays.
    let old: Vec<GroupId> = touched
        .iter()
        .map(|(gid, _)| *gid)
        .filter(|gid| !parity.written().contains(gid))
        .collect();
    groups::delete_groups(store, &old)
}

/// Deletes parity shards that no readable group lists (left by a crash).
fn delete_orphan_parity<H: Host>(store: &Store<H>) -> Result<()> {
    let all = groups::groups(store)?;
    if all.iter().any(|(_, g)| g.is_err()) {
        return Ok(()); // an unreadable group might list them: leave them to repair
    }
    let listed: HashSet<_> = all
        .iter()
        .filter_map(|(_, g)| g.as_ref().ok())
        .flat_map(|g| g.parity.iter().map(|s| s.id))
        .collect();
    for key in store.list(Dir::Shards)? {
        if matches!(key, StorageKey::Shard(id) if !listed.contains(&id)) {
            store.delete(&key)?;
        }
    }
    Ok(())
}
