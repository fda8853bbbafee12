//! `cairn find`: entries whose name or path matches a pattern, in the directory trees of
//! every snapshot (or the ones named), as the engine's `find` answers them: directories
//! no pattern can reach are not read, and no file's content is.

use std::ffi::OsString;

use cairn_core::ops;

use super::{no_events, with_repo, Globals};
use crate::cli::FindArgs;
use crate::error::{CliError, Result};
use crate::output;

/// Runs `cairn find`.
pub fn run(g: &Globals, mut a: FindArgs) -> Result<()> {
    // REPO is the first positional only when -r/--repo does not name the repository and
    // more than one is given (or one and no $CAIRN_REPOSITORY); the rest are patterns.
    let positionals: Vec<OsString> = a
        .repo
        .take()
        .into_iter()
        .chain(a.patterns.drain(..).map(OsString::from))
        .collect();
    let n = positionals.len();
    let slots = if g.repo.is_some() {
        n
    } else {
        n.saturating_sub(1).max(1)
    };
    let mut given = positionals.into_iter();
    let mut rest: Vec<Option<OsString>> = (0..slots).map(|_| None).collect();
    let first = given.next();
    for (slot, value) in rest.iter_mut().zip(given) {
        *slot = Some(value);
    }
    let location = g.locate(first, &mut rest.iter_mut().collect::<Vec<_>>())?;
    for p in rest.into_iter().flatten() {
        a.patterns.push(p.into_string().map_err(|p| {
            CliError::Location(format!("pattern `{}` is not valid UTF-8", p.to_string_lossy()))
        })?);
    }
    if a.patterns.is_empty() {
        return Err(CliError::Location(
            "give a PATTERN to find after the repository: a name like `*.conf`, or a path from the tree's root like `/etc/hosts`".into(),
        ));
    }
    let args = ops::FindArgs {
        patterns: a.patterns.clone(),
        snapshots: a.snapshots.clone(),
        item: a.item.clone(),
        tags: a.tags.iter().cloned().collect(),
    };
    let found = with_repo(g, &location, no_events(), |repo| repo.call::<ops::Find>(&args))?;
    g.print(&found, |found| {
        if found.is_empty() {
            return "no entry matched".into();
        }
        let mut lines = Vec::new();
        for f in found {
            lines.push(format!(
                "Found in snapshot {} from {}, item `{}`:",
                output::short_id(&f.snapshot.to_hex()),
                &f.created_at[..19.min(f.created_at.len())].replace('T', " "),
                f.item
            ));
            for m in &f.matches {
                let path = format!("/{}", m.path);
                lines.push(match a.long {
                    true => super::ls::long_line(m, &path),
                    false => path,
                });
            }
            lines.push(String::new());
        }
        lines.pop();
        lines.join("\n")
    })
}
