//! `cairn forget` and `cairn tag`: removing snapshots by id or policy, and changing their
//! tags. The engine does both (`forget`, `tag`); this only names the snapshots and prints.

use cairn_core::forget::ForgetOptions;
use cairn_core::ops;
use cairn_core::tag::{TagOptions, TagResult};

use super::maintenance::{policy, prune_text, refuse_keeping_none, KEEP_FLAGS};
use super::{no_events, with_repo, Globals};
use crate::cli::{ForgetArgs, TagArgs};
use crate::error::{CliError, Result};
use crate::output::short_id;

/// Runs `cairn forget`.
pub fn forget(g: &Globals, a: ForgetArgs) -> Result<()> {
    let (location, snapshots) = g.locate_list(a.args)?;
    let retention = policy(&a.keep)?;
    let neither = retention.is_none() && snapshots.is_empty() && !a.prune;
    if neither || (retention.is_some() && !snapshots.is_empty()) {
        return Err(CliError::EmptyPolicy(format!(
            "name the snapshots to forget (ids, prefixes or `latest`) or give a policy with {KEEP_FLAGS}, not both; `--prune` alone frees what no snapshot needs"
        )));
    }
    let args = ForgetOptions {
        snapshots,
        retention,
        filter: a.filter.filter(),
        dry_run: a.dry_run,
        prune: a.prune,
    };
    let result = with_repo(g, &location, no_events(), |r| {
        if let (Some(policy), false) = (&args.retention, a.keep.allow_empty) {
            refuse_keeping_none(r, policy, &args.filter)?;
        }
        r.call::<ops::Forget>(&args)
    })?;
    g.report(&result, prune_text)
}

/// Runs `cairn tag`.
pub fn tag(g: &Globals, a: TagArgs) -> Result<()> {
    let (location, snapshots) = g.locate_list(a.args)?;
    let args = TagOptions {
        snapshots,
        filter: a.filter.filter(),
        set: (!a.set.is_empty()).then(|| a.set.into_iter().collect()),
        remove: a.remove,
        add: a.add.into_iter().collect(),
    };
    let result = with_repo(g, &location, no_events(), |r| r.call::<ops::Tag>(&args))?;
    g.report(&result, tag_text)
}

fn tag_text(r: &TagResult) -> String {
    let mut lines: Vec<String> = r
        .changed
        .iter()
        .map(|c| format!("snapshot {} is now {}", short_id(&c.from.to_hex()), c.to))
        .collect();
    lines.extend(
        r.unchanged
            .iter()
            .map(|id| format!("snapshot {} already has these tags", short_id(&id.to_hex()))),
    );
    lines.join("\n")
}
