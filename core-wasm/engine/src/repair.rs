//! Repair and reindex (API.md `repair`, `reindex`).
//!
//! Repair, in order: removes stale locks; rebuilds every missing, truncated or corrupt
//! pack (and parity shard) of a group that has at most m of them, from the group's other
//! shards; rebuilds missing or damaged `.idx` sidecars from their packs; rebuilds the
//! global index when a segment is damaged or the index and the packs disagree; and gives
//! parity to packs no group protects. It writes only files whose content their name
//! proves (packs and shards named by their SHA-256, sidecars copied from their pack) or
//! that replace others only once written; it deletes only superseded index segments and
//! replaced group manifests, never data.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::groups::ParityStream;
use crate::host::Host;
use crate::index::PackRecord;
use crate::layout;
use crate::pack;
use crate::parity::{self, GroupManifest};
use crate::repo::Repository;
use crate::seal::{self, AAD_PACK_INDEX};

/// Bytes of each shard rebuilt at once: memory for a rebuild is (k + m) stripes.
pub const STRIPE: u64 = 1 << 20;

/// The answer of `repair` (IRepairResult of API.md, plus finer counters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
    /// What could not be repaired, as sentences.
    pub errors: Vec<String>,
}

impl<H: Host + Clone> Repository<H> {
    /// Repairs what can be repaired (see the module docs); what cannot is in `errors`.
    pub fn repair(&mut self) -> Result<RepairResult> {
        let mut r = RepairResult::default();
        if self.keyless() {
            // Without the key: only what the key is not needed for, and no lock (it could
            // not be read by others); every write is content-addressed, so this is safe.
            self.repair_packs(&mut r)?;
            r.errors
                .push("the index, locks and parity of unprotected packs need the passphrase".into());
            return Ok(r);
        }
        r.locks_removed = self.unlock(false)?;
        let lock = self.acquire_lock(true, "repair")?;
        let run = self.repair_inner(&mut r);
        let released = self.release_lock(lock);
        run?;
        released?;
        Ok(r)
    }

    fn repair_inner(&mut self, r: &mut RepairResult) -> Result<()> {
        self.repair_packs(r)?;
        let segment_errors = self.reload_index_tolerant()?;
        let files = self.pack_ids()?;
        let indexed: BTreeSet<[u8; 32]> = (0..self.index.pack_count() as u32)
            .map(|p| self.index.pack(p).0)
            .collect();
        if !segment_errors.is_empty() || indexed != files {
            self.reindex_packs(&files, &mut r.errors)?;
            r.index_rebuilt = true;
        }
        self.protect_unprotected(&files, r)
    }

    /// Rebuilds the global index from the `.idx` sidecars (API.md `reindex`).
    pub fn reindex(&mut self) -> Result<Vec<String>> {
        let lock = self.acquire_lock(true, "reindex")?;
        let mut errors = Vec::new();
        let run = self
            .pack_ids()
            .and_then(|files| self.reindex_packs(&files, &mut errors));
        let released = self.release_lock(lock);
        run?;
        released?;
        Ok(errors)
    }

    /// Ids of the data packs in storage.
    pub(crate) fn pack_ids(&self) -> Result<BTreeSet<[u8; 32]>> {
        Ok(self
            .pack_files()?
            .into_iter()
            .filter_map(|(id, (pack, _))| pack.then_some(id))
            .collect())
    }

    /// Rebuilds the damaged shards of every group that can be rebuilt, then every damaged
    /// sidecar of an intact pack.
    fn repair_packs(&mut self, r: &mut RepairResult) -> Result<()> {
        let mut intact: HashSet<[u8; 32]> = HashSet::new();
        for (gid, g) in self.groups()? {
            let Ok(g) = g else { continue };
            let mut lost = Vec::new();
            for (i, m) in g.members.iter().enumerate() {
                if !intact.contains(&m.id.0) {
                    match self.intact_pack(&m.id.0, m.size)? {
                        Some(_) => drop(intact.insert(m.id.0)),
                        None => lost.push(i),
                    }
                }
            }
            let k = g.data_packs as usize;
            for i in 0..g.parity.len() {
                match self.read_parity_shard(&g, i) {
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
                    layout::group_file(&gid),
                    lost.len(),
                    g.parity.len()
                ));
                continue;
            }
            for (i, bytes) in self.rebuild(&g, &lost)? {
                let (key, id, counter) = match i < k {
                    true => (
                        layout::pack_file(&g.members[i].id.0),
                        g.members[i].id.0,
                        &mut r.packs_repaired,
                    ),
                    false => (
                        layout::parity_file(&g.parity[i - k].id.0),
                        g.parity[i - k].id.0,
                        &mut r.parity_repaired,
                    ),
                };
                if self.sha256(&bytes) != id {
                    r.errors.push(format!("rebuilding {key} from parity did not reproduce it: the group's other files are damaged too"));
                    continue;
                }
                self.put(&key, &bytes)?;
                *counter += 1;
                if i < k {
                    intact.insert(id);
                }
            }
        }
        for id in self.pack_ids()? {
            self.repair_sidecar(&id, r)?;
        }
        Ok(())
    }

    /// The pack's bytes when it exists, has `size` bytes and hashes to its name.
    fn intact_pack(&self, id: &[u8; 32], size: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .get_opt(&layout::pack_file(id))?
            .filter(|b| b.len() as u64 == size && self.sha256(b) == *id))
    }

    /// The shards at positions `lost` of a group, rebuilt stripe by stripe from the others.
    fn rebuild(&self, g: &GroupManifest, lost: &[usize]) -> Result<Vec<(usize, Vec<u8>)>> {
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
                    i if i < g.members.len() => layout::pack_file(&g.members[i].id.0),
                    i if i < k => {
                        shards.push(Some(vec![0; len as usize])); // not a member yet: zeros
                        continue;
                    }
                    i => layout::parity_file(&g.parity[i - k].id.0),
                };
                let mut stripe = self
                    .host()
                    .get_range(&key, offset, len)
                    .map_err(|e| self.storage_error(&key, e))?;
                stripe.resize(len as usize, 0);
                shards.push(Some(stripe));
            }
            parity::reconstruct(g, &mut shards)
                .map_err(|e| Error::Internal(format!("parity rebuild: {e}")))?;
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
    fn repair_sidecar(&self, id: &[u8; 32], r: &mut RepairResult) -> Result<()> {
        let idx_key = layout::pack_index_file(id);
        let Some(bytes) = self.get_opt(&layout::pack_file(id))? else {
            return Ok(());
        };
        let Ok(table) = pack::pack_table(&bytes) else {
            return Ok(()); // a damaged pack; reported by verify, rebuilt from parity if possible
        };
        let sound = self
            .get_opt(&idx_key)?
            .is_some_and(|idx| pack::idx_describes(&idx, id, &bytes).is_ok());
        if sound || self.sha256(&bytes) != *id {
            return Ok(());
        }
        // The table is sealed whole, so its length gives the entry count without the key.
        let overhead = if self.config.encryption.is_some() {
            seal::OVERHEAD
        } else {
            0
        };
        let count = (table.len().saturating_sub(overhead) / pack::ENTRY_LEN) as u32;
        let header = pack::IdxHeader {
            pack_size: bytes.len() as u64,
            pack_id: *id,
            count,
        };
        self.put(&idx_key, &pack::encode_idx(&header, table))?;
        r.sidecars_rebuilt += 1;
        Ok(())
    }

    /// Writes a new global index from the sidecars of `packs` (see [`Repository::replace_index`]);
    /// packs whose sidecar cannot be read are left out and named in `errors`.
    fn reindex_packs(&mut self, packs: &BTreeSet<[u8; 32]>, errors: &mut Vec<String>) -> Result<()> {
        let mut records = Vec::new();
        for id in packs {
            match self.pack_record(id) {
                Ok(rec) => records.push(rec),
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => errors.push(format!("{} is left out of the index: {e}", layout::pack_file(id))),
            }
        }
        self.replace_index(&records)
    }

    /// A pack's index record, read from its sidecar (or, failing that, from the pack).
    pub(crate) fn pack_record(&self, id: &[u8; 32]) -> Result<PackRecord> {
        let idx_key = layout::pack_index_file(id);
        let bad = |detail: String| Error::CorruptIndex {
            file: idx_key.clone(),
            detail,
        };
        let idx = self
            .get_opt(&idx_key)?
            .ok_or_else(|| bad("the file is missing".into()))?;
        let (header, table) = pack::decode_idx(&idx).map_err(bad)?;
        if header.pack_id != *id {
            return Err(bad("it names another pack".into()));
        }
        let plain = self.open_doc(AAD_PACK_INDEX, table).map_err(bad)?;
        let entries = pack::decode_entries(&plain).map_err(bad)?;
        pack::check_entries(&entries, header.count, header.pack_size, table.len()).map_err(bad)?;
        Ok(PackRecord {
            id: *id,
            size: header.pack_size,
            entries,
        })
    }

    /// Gives parity to the indexed packs that no readable group protects, and deletes the
    /// unreadable group manifests once their members are protected again.
    fn protect_unprotected(&mut self, files: &BTreeSet<[u8; 32]>, r: &mut RepairResult) -> Result<()> {
        if self.config.parity.parity_packs == 0 {
            return Ok(());
        }
        let mut protected = HashSet::new();
        let mut unreadable = Vec::new();
        for (gid, g) in self.groups()? {
            match g {
                Ok(g) => protected.extend(g.members.iter().map(|m| m.id.0)),
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(_) => unreadable.push(gid),
            }
        }
        let sizes: BTreeMap<[u8; 32], u64> = (0..self.index.pack_count() as u32)
            .map(|p| self.index.pack(p))
            .collect();
        let mut stream = ParityStream::default();
        for (id, size) in sizes
            .iter()
            .filter(|(id, _)| files.contains(*id) && !protected.contains(*id))
        {
            match self.intact_pack(id, *size)? {
                Some(bytes) => {
                    self.protect_pack(&mut stream, *id, &bytes)?;
                    r.packs_protected += 1;
                }
                _ => r.errors.push(format!(
                    "{} is damaged and no parity group holds it: it cannot be rebuilt",
                    layout::pack_file(id)
                )),
            }
        }
        self.finish_parity(&mut stream)?;
        for gid in unreadable {
            self.delete(&layout::group_file(&gid))?;
        }
        Ok(())
    }
}
