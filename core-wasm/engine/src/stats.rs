//! Stats: what snapshots hold and what storing them costs, in one answer that covers
//! restic's `stats` modes (restore size, unique data, raw stored data) and adds packs and
//! parity. Every field is defined once, here, and documented on [`StatsResult`].
//!
//! It finds every blob the chosen snapshots need exactly as prune does
//! (`prune::mark_used`), under a shared lock, reading chunk lists and tree
//! pieces but no chunk.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::groups;
use crate::host::Host;
use crate::ids::{BlobId, PackId};
use crate::index::Index;
use crate::locking;
use crate::manifest::SnapshotFilter;
use crate::pack::BlobKind;
use crate::prune;
use crate::segments;
use crate::store::Store;

/// Arguments of `stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StatsOptions {
    /// The snapshots to count: full ids, unique prefixes or `latest`; left out, every
    /// snapshot `filter` passes (the whole repository when it passes all).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub snapshots: Vec<String>,
    /// Which snapshots count (or which `snapshots` may name).
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
}

/// The answer of `stats`: what the counted snapshots hold and what storing them costs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct StatsResult {
    /// Snapshots counted.
    pub snapshots: u64,
    /// Bytes a restore of all of them writes: the sum of their `originalSize` (restic's
    /// `restore-size`).
    pub logical_size: u64,
    /// References to data chunks, every repeat counted: the sum of their `chunkCount`.
    pub chunk_references: u64,
    /// Distinct data chunks they reference.
    pub chunks: u64,
    /// Bytes of those chunks before compression: what deduplication leaves.
    pub unique_size: u64,
    /// Distinct blobs they need: data chunks, chunk lists and tree pieces.
    pub blobs: u64,
    /// Bytes those blobs take in packs, compressed and encrypted (restic's `raw-data`).
    pub stored_size: u64,
    /// `logicalSize / uniqueSize`: how many times deduplication shrinks the data (1 when
    /// nothing is stored).
    pub dedup_ratio: f64,
    /// `uniqueSize` over the stored bytes of the data chunks: how many times compression
    /// shrinks what deduplication leaves (1 when nothing is stored).
    pub compression_ratio: f64,
    /// Packs holding at least one of those blobs.
    pub packs: u64,
    /// Bytes of those packs, blobs no counted snapshot needs included (what prune has
    /// not freed yet, or other snapshots use).
    pub pack_size: u64,
    /// Parity groups with at least one of those packs.
    pub parity_groups: u64,
    /// Parity shards of those groups.
    pub parity_shards: u64,
    /// Bytes of those shards.
    pub parity_size: u64,
    /// `paritySize / packSize`: the storage parity adds for each byte of packs (0
    /// without parity).
    pub parity_overhead: f64,
}

fn ratio(a: u64, b: u64, none: f64) -> f64 {
    match b {
        0 => none,
        _ => a as f64 / b as f64,
    }
}

/// Counts the snapshots `opts` chooses, under a shared lock; `index` is refreshed.
pub fn run<H: Host>(store: &Store<H>, index: &mut Index, opts: &StatsOptions) -> Result<StatsResult> {
    locking::with_lock(store, false, "stats", || {
        let all = prune::manifests(store)?;
        let chosen: BTreeSet<_> = match opts.snapshots.is_empty() {
            true => {
                let judge = crate::snapshots::Judge::new(&opts.filter)?;
                all.iter()
                    .filter(|(_, t, m)| judge.passes(m, *t))
                    .map(|(id, _, _)| *id)
                    .collect()
            }
            false => crate::forget::named(store, &opts.snapshots, &opts.filter)?,
        };
        segments::refresh(store, index)?;
        let mut out = StatsResult::default();
        let mut used: HashSet<BlobId> = HashSet::new();
        for (id, _, m) in all.iter().filter(|(id, _, _)| chosen.contains(id)) {
            out.snapshots += 1;
            out.logical_size += m.original_size;
            out.chunk_references += m.chunk_count;
            for item in &m.items {
                prune::mark_used(store, index, *id, item, &mut used)?;
            }
        }
        let mut packs = BTreeSet::new();
        let mut data_stored = 0u64;
        for blob in &used {
            let at = index
                .get(blob)
                .ok_or_else(|| Error::ChunkNotFound(blob.to_hex()))?;
            out.blobs += 1;
            out.stored_size += at.stored_len as u64;
            if at.kind == BlobKind::Data {
                out.chunks += 1;
                out.unique_size += at.raw_len as u64;
                data_stored += at.stored_len as u64;
            }
            packs.insert(at.pack);
        }
        let pack_ids: HashSet<PackId> = packs
            .iter()
            .map(|pos| {
                let (id, size) = index.pack(*pos);
                out.pack_size += size;
                id
            })
            .collect();
        out.packs = pack_ids.len() as u64;
        for (_, group) in groups::groups(store)? {
            let Ok(g) = group else { continue };
            if g.members.iter().any(|m| pack_ids.contains(&m.id)) {
                out.parity_groups += 1;
                out.parity_shards += g.parity.len() as u64;
                out.parity_size += g.parity.iter().map(|s| s.size).sum::<u64>();
            }
        }
        out.dedup_ratio = ratio(out.logical_size, out.unique_size, 1.0);
        out.compression_ratio = ratio(out.unique_size, data_stored, 1.0);
        out.parity_overhead = ratio(out.parity_size, out.pack_size, 0.0);
        Ok(out)
    })
}
