//! Forget: remove snapshots by id (or by a retention policy) without collecting their
//! data, as restic's `forget`; with `prune`, also free the space only they used.
//!
//! Everything is [`crate::prune`]'s: the manifests are removed exactly as prune removes
//! them (a snapshot record first, docs/FORMAT.md §9a), and `prune: true` runs prune's own
//! collection with the snapshots chosen here. Under an exclusive lock, as prune.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::index::Index;
use crate::locking;
use crate::manifest::SnapshotFilter;
use crate::prune::{self, PruneResult};
use crate::retention::RetentionPolicy;
use crate::snapshots;
use crate::store::Store;

/// Arguments of `forget`: the snapshots named, or those a policy does not keep.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ForgetOptions {
    /// The snapshots to forget: full ids, unique prefixes, or `latest` (the newest that
    /// `filter` passes).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub snapshots: Vec<String>,
    /// Instead of naming snapshots: forget those this policy does not keep, among the
    /// snapshots `filter` passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionPolicy>,
    /// Which snapshots `snapshots` may name, or the policy decides among.
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
    /// Only report what would be done.
    #[serde(default)]
    pub dry_run: bool,
    /// Then free the space only the forgotten snapshots used, as `prune` does (and, as
    /// prune, refuse while a snapshot vanished). Alone, without snapshots or a policy:
    /// forget nothing and free the space no snapshot needs.
    #[serde(default)]
    pub prune: bool,
}

/// Forgets the snapshots `opts` names (and snapshots a record already removes whose
/// manifest an interrupted removal left); with `opts.prune`, collects the garbage too.
pub fn run<H: Host>(store: &Store<H>, index: &mut Index, opts: &ForgetOptions) -> Result<PruneResult> {
    match (&opts.retention, opts.snapshots.is_empty()) {
        (Some(policy), true) => policy.validate()?,
        (None, false) => {}
        // Nothing to forget, but garbage to collect: restic's `forget --prune` alone.
        (None, true) if opts.prune => {}
        _ => {
            return Err(Error::InvalidArgument(
                "forget takes snapshots or a retention policy (not both; neither only with `prune`)".into(),
            ))
        }
    }
    locking::with_lock(store, true, "forget", || {
        let leftovers = match opts.prune {
            true => prune::vanished(store, false, opts.dry_run)?,
            false => snapshots::census(store)?.leftover,
        };
        let all = prune::manifests(store)?;
        let mut forget = match &opts.retention {
            Some(policy) => prune::by_policy(&all, policy, &opts.filter)?,
            None => named(store, &opts.snapshots, &opts.filter)?,
        };
        forget.extend(leftovers);
        if opts.prune {
            return prune::collect(store, index, all, forget, opts.dry_run);
        }
        let removed: Vec<SnapshotId> = forget.into_iter().collect();
        if !opts.dry_run {
            snapshots::remove(store, &removed)?;
        }
        Ok(PruneResult {
            removed_snapshots: removed.len() as u64,
            removed_packs: 0,
            rewritten_packs: 0,
            freed_bytes: 0,
            dry_run: opts.dry_run,
            kept_snapshots: (all.len() - removed.len()) as u64,
            removed_snapshot_ids: removed,
            pruned: false,
        })
    })
}

/// The snapshots `wanted` names, each resolved among those `filter` passes.
pub fn named<H: Host>(
    store: &Store<H>,
    wanted: &[String],
    filter: &SnapshotFilter,
) -> Result<BTreeSet<SnapshotId>> {
    wanted
        .iter()
        .map(|w| snapshots::resolve_in(store, w, filter))
        .collect()
}
