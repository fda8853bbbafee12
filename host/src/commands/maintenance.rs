//! `cairn verify`, `prune`, `repair`, `reindex` and `unlock`: the maintenance half of API.md.

use serde_json::{json, Value};

use super::{no_events, with_repo, Globals};
use crate::cli::{Level, PruneArgs, RepairArgs, RepoArg, UnlockArgs, VerifyArgs};
use crate::error::{CliError, Result};
use crate::output::human_bytes;
use crate::progress::Progress;

/// Runs `cairn verify`; exit status 1 when the answer is not ok.
pub fn verify(g: &Globals, a: VerifyArgs) -> Result<()> {
    let level = match a.level {
        Level::Quick => "quick",
        Level::Standard => "standard",
        Level::Full => "full",
    };
    let g = Globals {
        keyless: a.keyless,
        ..g.clone()
    };
    let args = json!({ "level": level, "subset": a.read_data_subset });
    let progress = Progress::new(None, "verifying");
    let result = with_repo(&g, &a.repo, progress.sink(), |r| {
        progress.show();
        r.call("verify", args)
    });
    progress.finish();
    let result = result?;
    g.print(&result, verify_text)?;
    match result["ok"].as_bool() {
        Some(true) => Ok(()),
        _ => Err(CliError::ProblemsFound(format!(
            "verify found {} problems: run `cairn repair`, then verify again",
            result["errors"].as_array().map_or(0, Vec::len)
        ))),
    }
}

/// Runs `cairn prune`.
pub fn prune(g: &Globals, a: PruneArgs) -> Result<()> {
    let retention = json!({
        "keepLast": a.keep_last, "keepHourly": a.keep_hourly, "keepDays": a.keep_days,
        "keepWeeks": a.keep_weeks, "keepMonths": a.keep_months, "keepYearly": a.keep_yearly,
        "keepTags": a.keep_tags,
    });
    let args = json!({ "retention": retention, "dryRun": a.dry_run });
    let result = with_repo(g, &a.repo, no_events(), |r| r.call("prune", args))?;
    g.print(&result, |v| {
        let n = |f: &str| v[f].as_u64().unwrap_or(0);
        let (verb, rewrite) = match v["dryRun"] == true {
            true => ("would remove", "would rewrite"),
            false => ("removed", "rewrote"),
        };
        let mut out = String::new();
        for id in v["removedSnapshotIds"].as_array().into_iter().flatten() {
            out.push_str(&format!("{verb} snapshot {}\n", id.as_str().unwrap_or("")));
        }
        out.push_str(&format!(
            "{verb} {} snapshots ({} kept) and {} packs, {rewrite} {} packs: {} freed",
            n("removedSnapshots"),
            n("keptSnapshots"),
            n("removedPacks"),
            n("rewrittenPacks"),
            human_bytes(n("freedBytes"))
        ));
        out
    })
}

/// Runs `cairn repair`; exit status 1 when something could not be repaired.
pub fn repair(g: &Globals, a: RepairArgs) -> Result<()> {
    let g = Globals {
        keyless: a.keyless,
        ..g.clone()
    };
    let result = with_repo(&g, &a.repo, no_events(), |r| r.call("repair", json!({})))?;
    g.print(&result, repair_text)?;
    match result["errors"].as_array().map_or(0, Vec::len) {
        0 => Ok(()),
        n => Err(CliError::ProblemsFound(format!(
            "repair left {n} problems it could not fix"
        ))),
    }
}

/// Runs `cairn reindex`.
pub fn reindex(g: &Globals, a: RepoArg) -> Result<()> {
    let result = with_repo(g, &a.repo, no_events(), |r| r.call("reindex", json!({})))?;
    g.print(&result, |v| {
        let mut out = String::from("index rebuilt from the packs' .idx files");
        for e in v["errors"].as_array().into_iter().flatten() {
            out.push_str(&format!("\n  left out: {}", e.as_str().unwrap_or("")));
        }
        out
    })
}

/// Runs `cairn unlock`.
pub fn unlock(g: &Globals, a: UnlockArgs) -> Result<()> {
    let result = with_repo(g, &a.repo, no_events(), |r| {
        r.call("unlock", json!({ "force": a.force }))
    })?;
    g.print(&result, |v| {
        format!("removed {} locks", v["locksRemoved"].as_u64().unwrap_or(0))
    })
}

fn verify_text(v: &Value) -> String {
    let s = &v["stats"];
    let n = |f: &str| s[f].as_u64().unwrap_or(0);
    let mut out = String::new();
    for e in v["errors"].as_array().into_iter().flatten() {
        let about: Vec<String> = ["snapshot", "item", "pack", "chunk", "group"]
            .iter()
            .filter_map(|f| e[*f].as_str().map(|x| format!("{f} {x}")))
            .collect();
        out.push_str(&format!(
            "error: {}: {}\n",
            about.join(", "),
            e["error"].as_str().unwrap_or("")
        ));
    }
    let scope = if v["keyed"] == false {
        " (without the key: packs and parity only)"
    } else {
        ""
    };
    out.push_str(&format!(
        "{} verification{scope}: {} packs, {} chunks, {} snapshots, {} parity groups checked, {} read: {}",
        v["level"].as_str().unwrap_or(""),
        n("packsChecked"),
        n("chunksChecked"),
        n("snapshotsChecked"),
        n("groupsChecked"),
        human_bytes(n("bytesRead")),
        match v["ok"].as_bool() {
            Some(true) => "no errors".to_string(),
            _ => format!("{} errors", v["errors"].as_array().map_or(0, Vec::len)),
        }
    ));
    out
}

fn repair_text(v: &Value) -> String {
    let n = |f: &str| v[f].as_u64().unwrap_or(0);
    let mut out = format!(
        "{} packs and {} parity shards rebuilt from parity, {} .idx files rebuilt, {} packs given parity, {} stale locks removed{}",
        n("packsRepaired"),
        n("parityRepaired"),
        n("sidecarsRebuilt"),
        n("packsProtected"),
        n("locksRemoved"),
        if v["indexRebuilt"] == true { ", index rebuilt" } else { "" }
    );
    for e in v["errors"].as_array().into_iter().flatten() {
        out.push_str(&format!("\nnot repaired: {}", e.as_str().unwrap_or("")));
    }
    out
}
