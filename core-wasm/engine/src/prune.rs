//! Prune (API.md `prune`): forget the snapshots a retention policy does not keep, and
//! collect the garbage.
//!
//! Under an exclusive lock, prune plans everything before it changes anything, so that a
//! dry run reports exactly what the real run then does. Packs no kept snapshot needs are
//! deleted; packs where more than [`REWRITE_UNUSED`] of the blob bytes are unused are
//! rewritten (their used blobs copied, still sealed, into new packs). Every parity group
//! that loses a member is re-encoded from its surviving members.
//!
//! The real run follows DESIGN.md §11, so that a prune killed at any instant leaves every
//! kept snapshot restorable and the repository verifying, at worst with garbage left for
//! the next prune:
//! 1. delete the manifests of the forgotten snapshots;
//! 2. write the rewritten packs and their parity group;
//! 3. write the new index (its last segment supersedes the old ones), then delete the old;
//! 4. re-encode the groups that lose members (new group first, then delete the old);
//! 5. delete the unused and rewritten packs, then parity shards no group lists.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::groups::ParityStream;
use crate::host::Host;
use crate::index::PackRecord;
use crate::layout;
use crate::pack::{BlobEntry, PackBuilder};
use crate::repo::Repository;
use crate::retention::{Candidate, RetentionPolicy};
use crate::time;

/// A pack is rewritten when more than this share of its blob bytes is unused.
pub const REWRITE_UNUSED: f64 = 0.25;

/// Arguments of `prune`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PruneOptions {
    /// Which snapshots to keep.
    pub retention: RetentionPolicy,
    /// Only report what would be done.
    #[serde(default)]
    pub dry_run: bool,
}

/// The answer of `prune` (IPruneResult of API.md, plus what a dry run lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    pub removed_snapshot_ids: Vec<String>,
}

/// Everything a prune will do, decided before anything changes.
struct Plan {
    forget: Vec<String>,
    kept: u64,
    /// Packs to delete whole.
    delete: Vec<[u8; 32]>,
    /// Packs to rewrite, with the entries of theirs to keep.
    rewrite: Vec<([u8; 32], Vec<BlobEntry>)>,
    /// Sidecar records of the packs that stay as they are.
    keep: Vec<PackRecord>,
    freed: u64,
}

impl<H: Host + Clone> Repository<H> {
    /// Forgets the snapshots `retention` does not keep and collects the garbage.
    pub fn prune(&mut self, opts: &PruneOptions) -> Result<PruneResult> {
        opts.retention.validate()?;
        let mut lock = self.acquire_lock(true, "prune")?;
        let run = self.plan_prune(&opts.retention).and_then(|plan| {
            let result = PruneResult {
                removed_snapshots: plan.forget.len() as u64,
                removed_packs: plan.delete.len() as u64,
                rewritten_packs: plan.rewrite.len() as u64,
                freed_bytes: plan.freed,
                dry_run: opts.dry_run,
                kept_snapshots: plan.kept,
                removed_snapshot_ids: plan.forget.clone(),
            };
            if !opts.dry_run {
                self.execute_prune(plan, &mut lock)?;
            }
            Ok(result)
        });
        let released = self.release_lock(lock);
        let result = run?;
        released?;
        Ok(result)
    }

    fn plan_prune(&mut self, retention: &RetentionPolicy) -> Result<Plan> {
        self.index = Default::default();
        self.refresh_index()?; // a damaged index stops prune: nothing can be proven unused
        let mut manifests = Vec::new();
        for id in self.snapshot_ids()? {
            let m = self.load_manifest(&id)?;
            let t = time::parse_ms(&m.created_at).map_err(|_| Error::CorruptSnapshot {
                file: layout::snapshot_file(&layout::parse_id(&id).unwrap_or_default()),
                detail: format!("createdAt `{}` is not a time", m.created_at),
            })?;
            manifests.push((id, t, m));
        }
        let candidates: Vec<Candidate> = manifests
            .iter()
            .map(|(id, t, m)| Candidate {
                id,
                time_ms: *t,
                tags: &m.tags,
            })
            .collect();
        let keep = retention.keep(&candidates)?;
        let mut used: HashSet<[u8; 32]> = HashSet::new();
        let mut forget = Vec::new();
        for (id, _, m) in &manifests {
            if !keep.contains_key(id) {
                forget.push(id.clone());
                continue;
            }
            for item in &m.items {
                for list in self.list_ids(id, item)? {
                    used.insert(list);
                    used.extend(self.read_chunk_list(&list)?.into_iter().map(|(c, _)| c));
                }
            }
        }
        if let Some(missing) = used.iter().find(|b| !self.index.contains(b)) {
            return Err(Error::ChunkNotFound(layout::hex_id(missing)));
        }
        let mut plan = Plan {
            forget,
            kept: keep.len() as u64,
            delete: Vec::new(),
            rewrite: Vec::new(),
            keep: Vec::new(),
            freed: 0,
        };
        let files = self.pack_ids()?;
        for id in &used {
            let (pack, _) = self.index.pack(self.index.get(id).expect("checked above").pack);
            if !files.contains(&pack) {
                return Err(Error::CorruptPack {
                    pack: layout::pack_file(&pack),
                    detail: "the pack is missing, and kept snapshots need it; prune changes nothing until `repair` rebuilds it".into(),
                });
            }
        }
        let indexed: HashSet<[u8; 32]> = (0..self.index.pack_count() as u32)
            .map(|p| self.index.pack(p).0)
            .collect();
        for id in files {
            if !indexed.contains(&id) {
                // Left by a crashed writer: no index entry, so no snapshot can need it.
                plan.freed += self
                    .get_opt(&layout::pack_file(&id))?
                    .map_or(0, |b| b.len() as u64);
                plan.delete.push(id);
                continue;
            }
            let record = self.pack_record(&id)?;
            // A blob counts where the index finds it, so a duplicate elsewhere is garbage.
            let (live, dead): (Vec<BlobEntry>, Vec<BlobEntry>) = record.entries.iter().partition(|e| {
                used.contains(&e.id)
                    && self
                        .index
                        .get(&e.id)
                        .is_some_and(|l| self.index.pack(l.pack).0 == id)
            });
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

    fn execute_prune(&mut self, plan: Plan, lock: &mut crate::lock::HeldLock) -> Result<()> {
        for id in &plan.forget {
            self.delete(&layout::snapshot_file(&layout::parse_id(id).unwrap_or_default()))?;
        }
        // Rewritten blobs go into new packs, which get parity before the index names them.
        let mut records = plan.keep;
        let mut parity = ParityStream::without_resume();
        let mut builder = PackBuilder::new();
        for (id, live) in &plan.rewrite {
            let key = layout::pack_file(id);
            let bytes = self.get(&key)?;
            if self.sha256(&bytes) != *id {
                return Err(Error::CorruptPack {
                    pack: key,
                    detail:
                        "its bytes do not match its name; prune copies nothing from it: run `repair` first"
                            .into(),
                });
            }
            for e in live {
                let stored = &bytes[e.offset as usize..(e.offset + e.stored_len) as usize];
                builder.add(e.id, e.kind, e.codec, e.raw_len, stored);
                if builder.len() >= self.config.pack_size as usize {
                    records.push(self.write_pack(&mut builder, &mut parity)?);
                    self.refresh_lock(lock)?;
                }
            }
        }
        if !builder.is_empty() {
            records.push(self.write_pack(&mut builder, &mut parity)?);
        }
        self.finish_parity(&mut parity)?;
        self.replace_index(&records)?;
        // Never delete a pack the new index lists: a rewrite can produce a pack identical to
        // garbage a crashed prune left (plain repositories seal deterministically).
        let indexed: HashSet<[u8; 32]> = records.iter().map(|r| r.id).collect();
        let gone: BTreeSet<[u8; 32]> = plan
            .delete
            .iter()
            .copied()
            .chain(plan.rewrite.iter().map(|(id, _)| *id))
            .filter(|id| !indexed.contains(id))
            .collect();
        self.regroup(&gone, lock)?;
        for id in &gone {
            self.delete(&layout::pack_file(id))?;
            self.delete(&layout::pack_index_file(id))?;
        }
        self.delete_orphan_parity()
    }

    /// Re-encodes every group with a member in `gone` from its other members, then deletes
    /// the old group.
    fn regroup(&mut self, gone: &BTreeSet<[u8; 32]>, lock: &mut crate::lock::HeldLock) -> Result<()> {
        let touched: Vec<([u8; 32], Vec<[u8; 32]>)> = self
            .groups()?
            .into_iter()
            .filter_map(|(gid, g)| Some((gid, g.ok()?)))
            .filter(|(_, g)| g.members.iter().any(|m| gone.contains(&m.id.0)))
            .map(|(gid, g)| {
                (
                    gid,
                    g.members
                        .iter()
                        .map(|m| m.id.0)
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
                    let bytes = self.get(&layout::pack_file(id))?;
                    self.protect_pack(&mut parity, *id, &bytes)?;
                    self.refresh_lock(lock)?;
                }
            }
        }
        self.finish_parity(&mut parity)?;
        for (gid, _) in &touched {
            self.delete_group(gid)?;
        }
        Ok(())
    }

    /// Deletes parity shards that no readable group lists (left by a crash).
    fn delete_orphan_parity(&self) -> Result<()> {
        let groups = self.groups()?;
        if groups.iter().any(|(_, g)| g.is_err()) {
            return Ok(()); // an unreadable group might list them: leave them to repair
        }
        let listed: HashSet<[u8; 32]> = groups
            .iter()
            .filter_map(|(_, g)| g.as_ref().ok())
            .flat_map(|g| g.parity.iter().map(|s| s.id.0))
            .collect();
        for key in self.list(layout::PARITY)? {
            if matches!(layout::parse_key(&key), Some(layout::KeyKind::Parity(id)) if !listed.contains(&id)) {
                self.delete(&key)?;
            }
        }
        Ok(())
    }
}
