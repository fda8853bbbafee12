//! `cairn snapshots` and `cairn show`.

use serde_json::{json, Value};

use super::{no_events, with_repo, Globals};
use crate::cli::{ShowArgs, SnapshotsArgs};
use crate::error::Result;
use crate::output;

/// Runs `cairn snapshots`: the filtered list, oldest first as the engine orders it.
pub fn list(g: &Globals, a: SnapshotsArgs) -> Result<()> {
    let tags: serde_json::Map<String, Value> = a.tags.into_iter().map(|(k, v)| (k, json!(v))).collect();
    let args = json!({ "tags": tags, "after": a.after, "before": a.before });
    let list = with_repo(g, &a.repo, no_events(), |repo| repo.call("list_snapshots", args))?;
    g.print(&list, |list| match list.as_array() {
        Some(l) if !l.is_empty() => output::snapshots_table(l),
        _ => "no snapshots".into(),
    })
}

/// Runs `cairn show`.
pub fn show(g: &Globals, a: ShowArgs) -> Result<()> {
    let snapshot = with_repo(g, &a.repo, no_events(), |repo| {
        repo.call("get_snapshot", json!({ "id": a.snapshot }))
    })?;
    g.print(&snapshot, output::snapshot_detail)
}
