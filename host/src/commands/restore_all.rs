//! `cairn restore -o DIR` with DIR an existing directory: every item of the snapshot (or
//! the one `--item` names) into DIR under its own name, a stream as a file and a tree as
//! a directory with its metadata (as `--target` restores it). Nothing already in DIR is
//! replaced: every destination is checked before anything is written.

use std::path::{Component, Path, PathBuf};

use cairn_core::manifest::SnapshotItem;
use cairn_core::ops::{self, SessionHandle, SnapshotRef};
use serde::Serialize;

use super::restore::{copy, AtomicFile};
use super::trees::RestoredTree;
use super::{no_events, with_repo, Globals};
use crate::error::{CliError, Result};
use crate::location::Location;
use crate::output;

/// One item written into the directory.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredItem {
    /// The item's name.
    pub item: String,
    /// Where it was written: `DIR/NAME`.
    pub path: PathBuf,
    /// Bytes written (a tree's file contents).
    pub size: u64,
    /// For a tree item, what its restore made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<RestoredTree>,
}

/// What `restore -o DIR` reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredItems {
    /// The full id of the snapshot restored.
    pub snapshot: String,
    /// The directory written into.
    pub output: PathBuf,
    /// The items, in the snapshot's order.
    pub items: Vec<RestoredItem>,
}

/// Restores the items of `snapshot` (all, or `item`) into the directory `dir`.
pub fn run(
    g: &Globals,
    location: &Location,
    wanted: SnapshotRef,
    item: Option<String>,
    dir: &Path,
) -> Result<()> {
    let done = with_repo(g, location, no_events(), |repo| {
        let snap = repo.call::<ops::GetSnapshot>(&wanted)?;
        let full_id = snap.id.to_hex();
        let chosen: Vec<&SnapshotItem> = snap
            .fields
            .items
            .iter()
            .filter(|i| item.as_ref().is_none_or(|n| *n == i.name))
            .collect();
        if let (Some(name), true) = (&item, chosen.is_empty()) {
            // The engine's own answer for an item the snapshot lacks.
            repo.call::<ops::RestoreBegin>(&ops::RestoreArgs {
                snapshot: full_id.clone(),
                item: Some(name.clone()),
                filter: Default::default(),
            })?;
        }
        let mut planned = Vec::with_capacity(chosen.len());
        for i in &chosen {
            let path = destination(dir, &i.name)?;
            if std::fs::symlink_metadata(&path).is_ok() {
                return Err(CliError::OutputExists { path });
            }
            planned.push((*i, path));
        }
        let mut items = Vec::with_capacity(planned.len());
        for (i, path) in planned {
            let restored = match i.entries {
                Some(_) => restore_tree(repo, &full_id, &i.name, path)?,
                None => restore_stream(repo, &full_id, &i.name, path)?,
            };
            output::detail(&format!("restored {} to {}", i.name, restored.path.display()));
            items.push(restored);
        }
        Ok(RestoredItems {
            snapshot: full_id,
            output: dir.to_path_buf(),
            items,
        })
    })?;
    g.report(&done, |d| {
        let bytes: u64 = d.items.iter().map(|i| i.size).sum();
        let warnings: u64 = d
            .items
            .iter()
            .filter_map(|i| i.tree.as_ref())
            .map(|t| t.warnings)
            .sum();
        format!(
            "restored {} item{} ({}) from snapshot {} into {}{}",
            d.items.len(),
            if d.items.len() == 1 { "" } else { "s" },
            output::human_bytes(bytes),
            output::short_id(&d.snapshot),
            d.output.display(),
            match warnings {
                0 => String::new(),
                n => format!("\n  {n} entries not restored exactly as recorded (see the warnings above)"),
            }
        )
    })
}

/// `DIR/NAME`, for a name that is one plain file name (not `a/b`, `..`, `.` or empty).
fn destination(dir: &Path, name: &str) -> Result<PathBuf> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(n)), None) if n == name => Ok(dir.join(n)),
        _ => Err(CliError::NotAFileName { item: name.into() }),
    }
}

/// A stream item into the file `path`, written whole or not at all.
fn restore_stream(
    repo: &mut super::OpenRepo,
    snapshot: &str,
    name: &str,
    path: PathBuf,
) -> Result<RestoredItem> {
    let begun = repo.call::<ops::RestoreBegin>(&ops::RestoreArgs {
        snapshot: snapshot.to_string(),
        item: Some(name.to_string()),
        filter: Default::default(),
    })?;
    let mut out = AtomicFile::create(&path)?;
    copy(repo, begun.session, begun.size, &mut out, &path)?;
    out.commit()?;
    repo.call::<ops::RestoreEnd>(&SessionHandle {
        session: begun.session,
    })?;
    Ok(RestoredItem {
        item: name.to_string(),
        path,
        size: begun.size,
        tree: None,
    })
}

/// A tree item into the new directory `path`, as `restore --target` restores it.
fn restore_tree(
    repo: &mut super::OpenRepo,
    snapshot: &str,
    name: &str,
    path: PathBuf,
) -> Result<RestoredItem> {
    let args = super::ls::walk_args(snapshot.to_string(), Some(name.to_string()), None, true);
    let (begun, summary) = super::trees::restore_into(repo, &args, &path)?;
    let tree = super::trees::restored(begun, path.clone(), &summary);
    Ok(RestoredItem {
        item: name.to_string(),
        path,
        size: tree.bytes,
        tree: Some(tree),
    })
}
