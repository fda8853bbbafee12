//! `cairn verify`, `prune`, `repair`, `reindex` and `unlock`: keeping a repository healthy.

use cairn_core::error::ErrorCode;
use cairn_core::events::VerifyError;
use cairn_core::manifest::SnapshotFilter;
use cairn_core::ops::{self, NoArgs, UnlockArgs};
use cairn_core::prune::{PruneOptions, PruneResult};
use cairn_core::repair::RepairResult;
use cairn_core::retention::{Candidate, RetentionPolicy};
use cairn_core::verify::{VerifyLevel, VerifyOptions, VerifyResult};

use super::{no_events, with_repo, Globals};
use crate::cli::{KeepArgs, PruneArgs, RepairArgs, RepoArg, UnlockArgs as UnlockCommand, VerifyArgs};
use crate::error::{CliError, Result};
use crate::location::Location;
use crate::output::human_bytes;
use crate::progress::Progress;
use crate::{imports, leftovers};

/// Runs `cairn verify`; exit status 1 when the answer is not ok.
pub fn verify(g: &Globals, a: VerifyArgs) -> Result<()> {
    let g = Globals {
        keyless: a.keyless,
        ..g.clone()
    };
    let subset = a.read_data_subset.clone();
    let args = VerifyOptions {
        level: a.level,
        subset: a.read_data_subset,
    };
    let progress = Progress::new(None, "verifying");
    let result = with_repo(&g, &g.locate(a.repo, &mut [])?, progress.sink(), |r| {
        progress.show();
        r.call::<ops::Verify>(&args)
    });
    progress.finish();
    let result = result?;
    g.print(&result, |v| verify_text(v, subset.as_deref()))?;
    match result.ok {
        true => Ok(()),
        false => Err(CliError::ProblemsFound(format!(
            "verify found {} problems: run `cairn repair`, then verify again",
            result.errors.len()
        ))),
    }
}

/// Runs `cairn prune`. A policy that keeps no snapshot is refused without `--allow-empty`
/// (as restic refuses an empty policy), and the refusals name the `--keep-*` flags: they
/// are decided here, before the engine, whose own check names its option fields.
pub fn prune(g: &Globals, a: PruneArgs) -> Result<()> {
    let Some(retention) = policy(&a.keep)? else {
        return Err(CliError::EmptyPolicy(format!(
            "give a retention policy: at least one of {KEEP_FLAGS}"
        )));
    };
    let args = PruneOptions {
        retention,
        filter: a.filter.filter(),
        dry_run: a.dry_run,
        forget_vanished: a.forget_vanished,
    };
    let result = with_repo(g, &g.locate(a.repo, &mut [])?, no_events(), |r| {
        if !a.keep.allow_empty {
            refuse_keeping_none(r, &args.retention, &args.filter)?;
        }
        r.call::<ops::Prune>(&args)
    })?;
    g.report(&result, prune_text)
}

/// The retention policy of the `--keep-*` flags, `None` when none is given; refuses one
/// whose counts are all 0 unless `--allow-empty`.
pub(super) fn policy(a: &KeepArgs) -> Result<Option<RetentionPolicy>> {
    let retention = RetentionPolicy {
        keep_last: a.keep_last,
        keep_hourly: a.keep_hourly,
        keep_days: a.keep_days,
        keep_weeks: a.keep_weeks,
        keep_months: a.keep_months,
        keep_yearly: a.keep_yearly,
        keep_tags: a.keep_tags.clone(),
    };
    let counts = [
        retention.keep_last,
        retention.keep_hourly,
        retention.keep_days,
        retention.keep_weeks,
        retention.keep_months,
        retention.keep_yearly,
    ];
    let no_tags = retention.keep_tags.is_empty();
    if no_tags && counts.iter().all(Option::is_none) {
        return Ok(None);
    }
    if no_tags && counts.iter().flatten().all(|n| *n == 0) && !a.allow_empty {
        return Err(CliError::EmptyPolicy(format!(
            "this policy keeps no snapshot (every --keep-* count is 0): add --allow-empty to remove every snapshot, or keep some with {KEEP_FLAGS}"
        )));
    }
    Ok(Some(retention))
}

/// The flags of a retention policy, as the refusals name them.
pub(super) const KEEP_FLAGS: &str =
    "--keep-last, --keep-hourly, --keep-days, --keep-weeks, --keep-months, --keep-yearly, --keep-tag";

/// Refuses a policy that, by the engine's own rules ([`RetentionPolicy::keep`]), keeps none
/// of the snapshots `filter` passes while there are some. (A snapshot whose time does not
/// parse is left to the engine's prune, which reports it as damaged.)
pub(super) fn refuse_keeping_none(
    repo: &mut super::OpenRepo,
    policy: &RetentionPolicy,
    filter: &SnapshotFilter,
) -> Result<()> {
    let all = repo.call::<ops::ListSnapshots>(filter)?;
    let hex: Vec<String> = all.iter().map(|s| s.id.to_hex()).collect();
    let mut candidates = Vec::with_capacity(all.len());
    for (s, id) in all.iter().zip(&hex) {
        let Ok(time_ms) = cairn_core::time::parse_ms(&s.fields.created_at) else {
            return Ok(());
        };
        candidates.push(Candidate {
            id,
            time_ms,
            tags: &s.fields.tags,
        });
    }
    match policy.keep(&candidates) {
        Ok(kept) if kept.is_empty() && !all.is_empty() => Err(CliError::EmptyPolicy(format!(
            "this policy keeps none of the {} snapshots (no --keep-tag matches, no count above 0): add --allow-empty to remove them all",
            all.len()
        ))),
        _ => Ok(()),
    }
}

/// Runs `cairn repair`; exit status 1 when something could not be repaired.
pub fn repair(g: &Globals, a: RepairArgs) -> Result<()> {
    let g = Globals {
        keyless: a.keyless,
        ..g.clone()
    };
    let location = g.locate(a.repo, &mut [])?;
    let result = with_repo(&g, &location, no_events(), |r| r.call::<ops::Repair>(&NoArgs {}))?;
    g.print(&result, repair_text)?;
    remove_temp_files(&location)?;
    match result.errors.len() {
        0 => Ok(()),
        n => Err(CliError::ProblemsFound(format!(
            "repair left {n} problems it could not fix"
        ))),
    }
}

/// Runs `cairn reindex`.
pub fn reindex(g: &Globals, a: RepoArg) -> Result<()> {
    let result = with_repo(g, &g.locate(a.repo, &mut [])?, no_events(), |r| {
        r.call::<ops::Reindex>(&NoArgs {})
    })?;
    g.report(&result, |v| {
        let mut out = String::from("index rebuilt from the packs' .idx files");
        for e in &v.errors {
            out.push_str(&format!("\n  left out: {e}"));
        }
        out
    })
}

/// Runs `cairn unlock`.
pub fn unlock(g: &Globals, a: UnlockCommand) -> Result<()> {
    let args = UnlockArgs { force: a.force };
    let location = g.locate(a.repo, &mut [])?;
    let result = with_repo(g, &location, no_events(), |r| r.call::<ops::Unlock>(&args))?;
    g.report(&result, |v| format!("removed {} locks", v.locks_removed))?;
    remove_temp_files(&location)
}

/// Removes the temp files killed writes left in a local repository, once their process is
/// gone; says how many on standard error (standard output carries the command's answer).
/// Object stores have no temp files: their writes are atomic.
fn remove_temp_files(location: &Location) -> Result<()> {
    let Some(repo) = location.local_path() else {
        return Ok(());
    };
    let removed =
        leftovers::remove_temp_files(repo, imports::process_alive).map_err(|e| CliError::Engine {
            code: ErrorCode::StorageError,
            message: format!("cannot remove leftover temp files in {}: {e}", repo.display()),
        })?;
    if removed > 0 {
        crate::output::note(&format!(
            "removed {removed} temp files left by processes that are gone"
        ));
    }
    Ok(())
}

/// One finding as a line: what it concerns, then what is wrong.
fn finding(kind: &str, e: &VerifyError) -> String {
    let mut about = Vec::new();
    if let Some(s) = &e.snapshot {
        about.push(format!("snapshot {s}"));
    }
    if let Some(i) = &e.item {
        about.push(format!("item {i}"));
    }
    if let Some(p) = &e.pack {
        about.push(format!("pack {p}"));
    }
    if let Some(c) = &e.chunk {
        about.push(format!("chunk {c}"));
    }
    if let Some(g) = &e.group {
        about.push(format!("group {g}"));
    }
    format!("{kind}: {}: {}\n", about.join(", "), e.error)
}

fn verify_text(v: &VerifyResult, subset: Option<&str>) -> String {
    let s = &v.stats;
    let mut out = String::new();
    for e in &v.errors {
        out.push_str(&finding("error", e));
    }
    for w in &v.warnings {
        out.push_str(&finding("warning", w));
    }
    let scope = if v.keyed {
        ""
    } else {
        " (without the key: packs and parity only)"
    };
    let level = serde_json::to_value(v.level).unwrap_or_default();
    let verdict = match (v.errors.len(), v.warnings.len()) {
        (0, 0) => "no errors".to_string(),
        (0, w) => format!("no errors, {w} warnings"),
        (e, _) => format!("{e} errors"),
    };
    let decoded = match s.blobs_decoded {
        0 => String::new(),
        n => format!(" ({n} blobs decoded)"),
    };
    let part = match subset {
        Some(part) if v.level != VerifyLevel::Quick => {
            if s.packs_checked == 0 {
                // Parts are whole parity groups: a small repository may have none in this one.
                out.push_str(&format!(
                    "warning: the subset {part} holds no pack of this repository, so no pack was read: give another part or a larger share\n"
                ));
            }
            format!(" (subset {part})")
        }
        _ => String::new(),
    };
    out.push_str(&format!(
        "{} verification{scope}: {} packs{part}{decoded}, {} chunk references, {} snapshots, {} parity groups checked, {} read: {verdict}",
        level.as_str().unwrap_or(""),
        s.packs_checked,
        s.chunks_checked,
        s.snapshots_checked,
        s.groups_checked,
        human_bytes(s.bytes_read),
    ));
    out
}

pub(super) fn prune_text(v: &PruneResult) -> String {
    let (verb, rewrite) = match v.dry_run {
        true => ("would remove", "would rewrite"),
        false => ("removed", "rewrote"),
    };
    let mut out = String::new();
    for id in &v.removed_snapshot_ids {
        out.push_str(&format!("{verb} snapshot {id}\n"));
    }
    if !v.pruned {
        // forget without --prune: as restic says, the data stays until a prune.
        out.push_str(&format!(
            "{verb} {} snapshots ({} kept); their data stays until `cairn forget REPO --prune` (or a `cairn prune`) frees what no snapshot needs",
            v.removed_snapshots, v.kept_snapshots
        ));
        return out;
    }
    out.push_str(&format!(
        "{verb} {} snapshots ({} kept) and {} packs, {rewrite} {} packs: {} freed",
        v.removed_snapshots,
        v.kept_snapshots,
        v.removed_packs,
        v.rewritten_packs,
        human_bytes(v.freed_bytes)
    ));
    out
}

fn repair_text(v: &RepairResult) -> String {
    let mut out = format!(
        "{} packs and {} parity shards rebuilt from parity, {} .idx files rebuilt, {} packs given parity, {} stale locks removed{}{}",
        v.packs_repaired,
        v.parity_repaired,
        v.sidecars_rebuilt,
        v.packs_protected,
        v.locks_removed,
        if v.index_rebuilt { ", index rebuilt" } else { "" },
        match v.snapshots_recorded {
            0 => String::new(),
            n => format!(", {n} snapshots recorded"),
        }
    );
    for e in &v.errors {
        out.push_str(&format!("\nnot repaired: {e}"));
    }
    out
}
