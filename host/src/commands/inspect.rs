//! `cairn stats` and `cairn cat`: what snapshots cost, and the repository's structures as
//! JSON. Both are the engine's answers (`stats`, `cat`), printed.

use std::ffi::OsString;

use cairn_core::cat::{CatArgs as EngineCat, CatWhat};
use cairn_core::ops;
use cairn_core::stats::{StatsOptions, StatsResult};

use super::{no_events, with_repo, Globals};
use crate::cli::{CatArgs, StatsArgs};
use crate::error::{CliError, Result};
use crate::output::{self, human_bytes};

/// Runs `cairn stats`.
pub fn stats(g: &Globals, a: StatsArgs) -> Result<()> {
    let (location, snapshots) = g.locate_list(a.args)?;
    let args = StatsOptions {
        snapshots,
        filter: a.filter.filter(),
    };
    let result = with_repo(g, &location, no_events(), |r| r.call::<ops::Stats>(&args))?;
    g.print(&result, stats_text)
}

fn stats_text(s: &StatsResult) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    [
        format!("snapshots      {}", s.snapshots),
        format!(
            "logical size   {} (what a restore writes)",
            human_bytes(s.logical_size)
        ),
        format!(
            "unique data    {} in {} ({} references; deduplication {:.2}x)",
            human_bytes(s.unique_size),
            plural(s.chunks, "chunk", "chunks"),
            s.chunk_references,
            s.dedup_ratio
        ),
        format!(
            "stored         {} in {} (compression {:.2}x)",
            human_bytes(s.stored_size),
            plural(s.blobs, "blob", "blobs"),
            s.compression_ratio
        ),
        format!("packs          {} ({})", s.packs, human_bytes(s.pack_size)),
        format!(
            "parity         {}, {}, {} ({:.1} % of the packs)",
            plural(s.parity_groups, "group", "groups"),
            plural(s.parity_shards, "shard", "shards"),
            human_bytes(s.parity_size),
            s.parity_overhead * 100.0
        ),
    ]
    .join("\n")
}

/// Runs `cairn cat`: the engine's JSON, always as JSON.
pub fn cat(g: &Globals, a: CatArgs) -> Result<()> {
    let (repo, what, id) = split_cat(a.args)?;
    let location = g.locate(repo, &mut [])?;
    let args = EngineCat { what, id };
    let value = with_repo(g, &location, no_events(), |r| r.call::<ops::Cat>(&args))?;
    output::print_json(&value)
}

/// REPO (when given), WHAT and ID of `cat`'s arguments: WHAT is the first that names what
/// to show, so the repository may come from -r or $CAIRN_REPOSITORY.
fn split_cat(args: Vec<OsString>) -> Result<(Option<OsString>, CatWhat, Option<String>)> {
    let parse = |a: &OsString| -> Option<CatWhat> {
        serde_json::from_value(serde_json::Value::String(a.to_str()?.to_string())).ok()
    };
    let at = args.iter().position(|a| parse(a).is_some()).ok_or_else(|| {
        CliError::Location("say what to show: config, snapshot ID, index or pack ID".into())
    })?;
    let mut rest = args.into_iter();
    let repo = match at {
        0 => None,
        1 => rest.next(),
        _ => {
            return Err(CliError::Location(
                "give one repository before what to show".into(),
            ))
        }
    };
    let what = parse(&rest.next().expect("found above")).expect("parsed above");
    let id = rest.next().map(|i| super::required(Some(i), "ID")).transpose()?;
    if let Some(extra) = rest.next() {
        return Err(CliError::Location(format!(
            "`{}` is one argument too many",
            extra.to_string_lossy()
        )));
    }
    Ok((repo, what, id))
}
