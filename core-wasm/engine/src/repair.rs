//! Repair and reindex.
//!
//! Repair, in order: removes stale locks; rebuilds every missing, truncated or corrupt
//! pack (and parity shard) of a group that has at most m of them, from the group's other
//! shards; rebuilds missing or damaged `.idx` sidecars from their packs; rebuilds the
//! global index when a segment is damaged or the index and the sidecars disagree (on the
//! packs or on where a blob lies); and gives
//! parity to packs no group protects. It writes only files whose content their name
//! proves (packs and shards named by their SHA-256, sidecars copied from their pack) or
//! that replace others only once written; it deletes only superseded index segments and
//! replaced group manifests, never data.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::groups::{self, ParityStream};
use crate::host::Host;
use crate::ids::{BlobId, PackId};
use crate::index::Index;
use crate::layout::StorageKey;
use crate::locking;
use crate::pack;
use crate::packer;
use crate::parity::{self, GroupManifest};
use crate::segments;
use crate::snapshots;
use crate::store::Store;

/// Bytes of each shard rebuilt at once: memory for a rebuild is (k + m) stripes.
pub const STRIPE: u64 = 1 << 20;

/// The answer of `repair` (IRepairResult, plus finer counters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RepairResult {
    /// Whether the global index was rebuilt from the `.idx` sidecars.
    pub index_rebuilt: bool,
    /// Data packs rebuilt from parity.
    pub packs_repaired: u64,
    /// Parity shards rebuilt.
    pub parity_repaired: u64,
    /// `.idx` sidecars rebuilt from their packs.
    pub sidecars_rebuilt: u64,
    /// Packs that had no parity and were given some.
    pub packs_protected: u64,
    /// Stale locks removed.
    pub locks_removed: u64,
    /// Snapshots present that no snapshot record named, now recorded.
    pub snapshots_recorded: u64,
    /// What could not be repaired, as sentences.
    pub errors: Vec<String>,
}

/// The answer of `reindex`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ReindexResult {
    /// Packs left out of the rebuilt index because their sidecar cannot be read, and why.
    pub errors: Vec<String>,
}

/// Repairs what can be repaired (see the module docs); what cannot is in `errors`.
/// `index` is left as the repository's index.
pub fn repair<H: Host>(store: &Store<H>, index: &mut Index) -> Result<RepairResult> {
    let mut r = RepairResult::default();
    if store.keyless() {
        // Without the key: only what the key is not needed for, and no lock (it could
        // not be read by others); every write is content-addressed, so this is safe.
        repair_packs(store, &mut r)?;
        r.errors
            .push("the index, locks and parity of unprotected packs need the passphrase".into());
        return Ok(r);
    }
    r.locks_removed = locking::unlock(store, false)?;
    let lock = locking::acquire(store, true, "repair")?;
    let run = repair_keyed(store, index, &mut r);
    locking::release_after(store, lock, run).map(|()| r)
}

fn repair_keyed<H: Host>(store: &Store<H>, index: &mut Index, r: &mut RepairResult) -> Result<()> {
    repair_packs(store, r)?;
    let (loaded, segment_errors) = segments::load_tolerant(store)?;
    *index = loaded;
    let files = packer::ids(store)?;
    let indexed: BTreeSet<PackId> = index.packs().map(|(id, _)| id).collect();
    if !segment_errors.is_empty() || indexed != files || misplaces(store, index, &files)? {
        reindex_packs(store, index, &files, &mut r.errors)?;
        r.index_rebuilt = true;
    }
    let unrecorded = snapshots::census(store)?.unrecorded;
    if !unrecorded.is_empty() {
        snapshots::record(store, &unrecorded, &[])?;
        r.snapshots_recorded = unrecorded.len() as u64;
    }
    protect_unprotected(store, index, &files, r)
}

/// Rebuilds the global index from the `.idx` sidecars, under an exclusive lock.
pub fn reindex<H: Host>(store: &Store<H>, index: &mut Index) -> Result<ReindexResult> {
    let lock = locking::acquire(store, true, "reindex")?;
    let mut errors = Vec::new();
    // Damaged segments are what reindex replaces; one of a newer format stops it.
    let run = segments::load_tolerant(store)
        .and_then(|_| packer::ids(store))
        .and_then(|files| reindex_packs(store, index, &files, &mut errors));
    locking::release_after(store, lock, run).map(|()| ReindexResult { errors })
}

/// Rebuilds the damaged shards of every group that can be rebuilt, then every damaged
/// sidecar of an intact pack.
fn repair_packs<H: Host>(store: &Store<H>, r: &mut RepairResult) -> Result<()> {
    let mut intact: HashSet<PackId> = HashSet::new();
    for (gid, g) in groups::groups(store)? {
        let Ok(g) = g else { continue };
        let mut lost = Vec::new();
        for (i, m) in g.members.iter().enumerate() {
            if !intact.contains(&m.id) {
                match packer::read_intact(store, &m.id, m.size)? {
                    Some(_) => drop(intact.insert(m.id)),
                    None => lost.push(i),
                }
            }
        }
        let k = g.data_packs as usize;
        for i in 0..g.parity.len() {
            match groups::read_shard(store, &g, i) {
                Ok(_) => {}
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(_) => lost.push(k + i),
            }
        }
        if lost.is_empty() {
            continue;
        }
        if lost.len() > g.parity.len() {
            r.errors.push(format!(
                "group {} has {} damaged files but only {} parity shards: its damaged packs cannot be rebuilt",
                StorageKey::Group(gid),
                lost.len(),
                g.parity.len()
            ));
            continue;
        }
        for (i, bytes) in rebuild(store, &g, &lost)? {
            let (key, id, counter) = match i < k {
                true => (
                    StorageKey::Pack(g.members[i].id),
                    *g.members[i].id.as_bytes(),
                    &mut r.packs_repaired,
                ),
                false => {
                    let shard = g.parity[i - k].id;
                    (
                        StorageKey::Shard(shard),
                        *shard.as_bytes(),
                        &mut r.parity_repaired,
                    )
                }
            };
            if store.sha256(&bytes) != id {
                r.errors.push(format!(
                    "rebuilding {key} from parity did not reproduce it: the group's other files are damaged too"
                ));
                continue;
            }
            store.put(&key, &bytes)?;
            *counter += 1;
            if i < k {
                intact.insert(g.members[i].id);
            }
        }
    }
    for id in packer::ids(store)? {
        repair_sidecar(store, &id, r)?;
    }
    Ok(())
}

/// The shards at positions `lost` of a group, rebuilt stripe by stripe from the others.
fn rebuild<H: Host>(store: &Store<H>, g: &GroupManifest, lost: &[usize]) -> Result<Vec<(usize, Vec<u8>)>> {
    let k = g.data_packs as usize;
    let total = k + g.parity.len();
    let mut out: Vec<(usize, Vec<u8>)> = lost.iter().map(|&i| (i, Vec::new())).collect();
    let mut offset = 0;
    while offset < g.shard_size {
        let len = STRIPE.min(g.shard_size - offset);
        let mut shards: Vec<Option<Vec<u8>>> = Vec::with_capacity(total);
        for i in 0..total {
            if lost.contains(&i) {
                shards.push(None);
                continue;
            }
            let key = match i {
                i if i < g.members.len() => StorageKey::Pack(g.members[i].id),
                i if i < k => {
                    shards.push(Some(vec![0; len as usize])); // not a member yet: zeros
                    continue;
                }
                i => StorageKey::Shard(g.parity[i - k].id),
            };
            let mut stripe = store.get_range(&key, offset, len)?.unwrap_or_default();
            stripe.resize(len as usize, 0);
            shards.push(Some(stripe));
        }
        parity::reconstruct(g, &mut shards).map_err(|e| Error::Internal(format!("parity rebuild: {e}")))?;
        for (i, buf) in &mut out {
            buf.extend_from_slice(shards[*i].as_ref().expect("rebuilt"));
        }
        offset += len;
    }
    for (i, buf) in &mut out {
        let size = if *i < k { g.members[*i].size } else { g.shard_size };
        buf.truncate(size as usize);
    }
    Ok(out)
}

/// Rewrites a pack's `.idx` from the pack's own trailer when it is missing or does not
/// describe the pack.
fn repair_sidecar<H: Host>(store: &Store<H>, id: &PackId, r: &mut RepairResult) -> Result<()> {
    let idx_key = StorageKey::PackIndex(*id);
    let Some(bytes) = store.get_opt(&StorageKey::Pack(*id))? else {
        return Ok(());
    };
    let Ok(table) = pack::pack_table(&bytes) else {
        return Ok(()); // a damaged pack; reported by verify, rebuilt from parity if possible
    };
    let sound = store
        .get_opt(&idx_key)?
        .is_some_and(|idx| pack::idx_describes(&idx, id, &bytes).is_ok());
    if sound || store.sha256(&bytes) != *id.as_bytes() {
        return Ok(());
    }
    // The table is sealed whole, so its length gives the entry count without the key.
    let overhead = store.cipher().map_or(0, |c| c.overhead());
    let count = (table.len().saturating_sub(overhead) / pack::ENTRY_LEN) as u32;
    let header = pack::IdxHeader {
        pack_size: bytes.len() as u64,
        pack_id: *id,
        count,
    };
    store.put(&idx_key, &pack::encode_idx(&header, table))?;
    r.sidecars_rebuilt += 1;
    Ok(())
}

/// Whether the index places a blob in one of `packs` where that pack's sidecar has no
/// entry for it (a segment that is intact but wrong); unreadable sidecars are
/// `repair_packs`' concern and count as agreeing here.
fn misplaces<H: Host>(store: &Store<H>, index: &Index, packs: &BTreeSet<PackId>) -> Result<bool> {
    for id in packs {
        let rec = match packer::read_record(store, id) {
            Ok(rec) => rec,
            Err(e @ Error::Storage { .. }) => return Err(e),
            Err(_) => continue,
        };
        let here: HashSet<(BlobId, u32, u32)> = rec
            .entries
            .iter()
            .map(|e| (e.id, e.offset, e.stored_len))
            .collect();
        for e in &rec.entries {
            let wrong = index.get(&e.id).is_some_and(|loc| {
                index.pack(loc.pack).0 == *id && !here.contains(&(e.id, loc.offset, loc.stored_len))
            });
            if wrong {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Writes a new global index from the sidecars of `packs` ([`segments::replace`]); packs
/// whose sidecar cannot be read are left out and named in `errors`.
fn reindex_packs<H: Host>(
    store: &Store<H>,
    index: &mut Index,
    packs: &BTreeSet<PackId>,
    errors: &mut Vec<String>,
) -> Result<()> {
    let mut records = Vec::new();
    for id in packs {
        match packer::read_record(store, id) {
            Ok(rec) => records.push(rec),
            Err(e @ Error::Storage { .. }) => return Err(e),
            Err(e) => errors.push(format!("{} is left out of the index: {e}", StorageKey::Pack(*id))),
        }
    }
    segments::replace(store, index, &records)
}

/// Gives parity to the indexed packs that no readable group protects, and deletes the
/// unreadable group manifests once their members are protected again.
fn protect_unprotected<H: Host>(
    store: &Store<H>,
    index: &Index,
    files: &BTreeSet<PackId>,
    r: &mut RepairResult,
) -> Result<()> {
    if store.config().parity.parity_packs == 0 {
        return Ok(());
    }
    let mut protected = HashSet::new();
    let mut unreadable = Vec::new();
    for (gid, g) in groups::groups(store)? {
        match g {
            Ok(g) => protected.extend(g.members.iter().map(|m| m.id)),
            Err(_) => unreadable.push(gid),
        }
    }
    let sizes: BTreeMap<PackId, u64> = index.packs().collect();
    let mut stream = ParityStream::default();
    for (id, size) in sizes
        .iter()
        .filter(|(id, _)| files.contains(*id) && !protected.contains(*id))
    {
        match packer::read_intact(store, id, *size)? {
            Some(bytes) => {
                stream.protect(store, *id, &bytes)?;
                r.packs_protected += 1;
            }
            _ => r.errors.push(format!(
                "{} is damaged and no parity group holds it: it cannot be rebuilt",
                StorageKey::Pack(*id)
            )),
        }
    }
    stream.finish(store)?;
    // A regrouping can rewrite the very manifest that was damaged (the same members give
    // the same bytes, hence the same name): that one is now sound and stays.
    for gid in unreadable.iter().filter(|g| !stream.written().contains(g)) {
        store.delete(&StorageKey::Group(*gid))?;
    }
    Ok(())
}
