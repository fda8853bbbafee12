//! `cairn snapshots` and `cairn show`.

use cairn_core::manifest::SnapshotFilter;
use cairn_core::ops::{self, SnapshotRef};

use super::{no_events, with_repo, Globals};
use crate::cli::{ShowArgs, SnapshotsArgs};
use crate::error::Result;
use crate::output;

/// Runs `cairn snapshots`: the filtered list, oldest first as the engine orders it.
pub fn list(g: &Globals, a: SnapshotsArgs) -> Result<()> {
    let filter = SnapshotFilter {
        after: a.after,
        before: a.before,
        ..a.filter.filter()
    };
    let list = with_repo(g, &g.locate(a.repo, &mut [])?, no_events(), |repo| {
        repo.call::<ops::ListSnapshots>(&filter)
    })?;
    g.print(&list, |list| match list.is_empty() {
        false => output::snapshots_table(list),
        true => "no snapshots".into(),
    })
}

/// Runs `cairn show`.
pub fn show(g: &Globals, a: ShowArgs) -> Result<()> {
    let mut snapshot = a.snapshot;
    let location = g.locate(a.repo, &mut [&mut snapshot])?;
    let wanted = SnapshotRef {
        id: super::required(snapshot, "SNAPSHOT")?,
        filter: a.filter.filter(),
    };
    let snapshot = with_repo(g, &location, no_events(), |repo| {
        repo.call::<ops::GetSnapshot>(&wanted)
    })?;
    g.print(&snapshot, output::snapshot_detail)
}
