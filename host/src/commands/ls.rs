//! `cairn ls` and `cairn diff`: the entries of a directory tree in a snapshot, walked by
//! the engine (`walk_begin`/`walk_next`), and what changed between two (`tree_diff`),
//! without reading any file's content.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use cairn_core::ops::{self, SessionHandle, WalkArgs};
use cairn_core::restore::tree::TreeStep;
use cairn_core::tree::{Entry, EntryKind};
use cairn_core::treediff::Change;

use super::{no_events, with_repo, Globals};
use crate::cli::{DiffArgs, LsArgs};
use crate::error::Result;

/// Runs `cairn ls`.
pub fn run(g: &Globals, mut a: LsArgs) -> Result<()> {
    let location = g.locate(a.repo.take(), &mut [&mut a.snapshot, &mut a.path])?;
    let snapshot = super::required(a.snapshot.take(), "SNAPSHOT")?;
    let path = a.path.take();
    let args = WalkArgs {
        filter: a.narrow.filter(),
        ..walk_args(
            snapshot,
            a.item.clone(),
            path.as_ref(),
            a.recursive || path.is_none(),
        )
    };
    let steps = with_repo(g, &location, no_events(), |repo| {
        let begun = repo.call::<ops::WalkBegin>(&args)?;
        let session = SessionHandle {
            session: begun.session,
        };
        let mut steps = Vec::new();
        while let Some(step) = repo.call::<ops::WalkNext>(&session)? {
            steps.push(step);
        }
        repo.call::<ops::RestoreEnd>(&session)?;
        Ok(steps)
    })?;
    // `--json` gives the engine's steps as they are (paths below PATH, as the JS
    // package's `listTree` gives them); text shows paths from the tree's root.
    g.print(&steps, |steps| {
        let lines: Vec<String> = steps
            .iter()
            .map(|s| {
                let path = shown(&args.path, &s.path);
                if a.long {
                    long_line(s, &path)
                } else {
                    path
                }
            })
            .collect();
        lines.join("\n")
    })
}

/// Runs `cairn diff`.
pub fn diff(g: &Globals, mut a: DiffArgs) -> Result<()> {
    let location = g.locate(a.repo.take(), &mut [&mut a.from, &mut a.to])?;
    let args = ops::DiffArgs {
        from: super::required(a.from.take(), "FROM")?,
        to: super::required(a.to.take(), "TO")?,
        item: a.item.take(),
        filter: a.narrow.filter(),
    };
    let changes = with_repo(g, &location, no_events(), |repo| {
        repo.call::<ops::TreeDiff>(&args)
    })?;
    g.print(&changes, |changes| {
        let mut counts = [0usize; 4];
        let mut lines: Vec<String> = changes
            .iter()
            .map(|c| {
                let (mark, i) = match c.change {
                    Change::Added => ('+', 0),
                    Change::Removed => ('-', 1),
                    Change::Modified => ('M', 2),
                    Change::Metadata => ('U', 3),
                };
                counts[i] += 1;
                format!("{mark}    /{}", c.path)
            })
            .collect();
        lines.push(format!(
            "{} added, {} removed, {} modified, {} changed in metadata only",
            counts[0], counts[1], counts[2], counts[3]
        ));
        lines.join("\n")
    })
}

/// The walk `ls` and `restore --target` ask for: from `path` (bytes, so names that are not
/// UTF-8 can be given), recursive or one level.
pub fn walk_args(
    snapshot: String,
    item: Option<String>,
    path: Option<&OsString>,
    recursive: bool,
) -> WalkArgs {
    let bytes = path.map(|p| p.as_bytes().to_vec()).unwrap_or_default();
    let (text, hex) = cairn_core::tree::text_of(&bytes);
    WalkArgs {
        snapshot,
        item,
        filter: Default::default(),
        path: text,
        path_hex: hex,
        recursive,
        include: Vec::new(),
        exclude: Vec::new(),
        matches_only: false,
    }
}

/// An entry's path as `ls` shows it: from the tree's root, starting with `/`.
fn shown(start: &str, below: &str) -> String {
    let start = start.trim_matches('/');
    match (start.is_empty(), below.is_empty()) {
        (true, _) => format!("/{below}"),
        (false, true) => format!("/{start}"),
        (false, false) => format!("/{start}/{below}"),
    }
}

/// `ls -l`: kind and mode, owner, size, modification time (UTC), path, and a link's target.
pub fn long_line(s: &TreeStep, path: &str) -> String {
    let e = &s.entry;
    let owner = |name: &str, id: u32| {
        if name.is_empty() {
            id.to_string()
        } else {
            name.to_string()
        }
    };
    let time = cairn_core::time::format_ms(e.mtime.saturating_mul(1000));
    let mut line = format!(
        "{} {:>8}/{:<8} {:>12} {} {}",
        mode_text(e),
        owner(&e.user, e.uid),
        owner(&e.group, e.gid),
        e.size,
        &time[..19].replace('T', " "),
        path
    );
    if let Some(target) = &e.target {
        line.push_str(" -> ");
        line.push_str(target);
    }
    line
}

/// `drwxr-xr-x`-style text of an entry's kind and mode.
pub fn mode_text(e: &Entry) -> String {
    let kind = match e.kind {
        EntryKind::File => '-',
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Fifo => 'p',
        EntryKind::Char => 'c',
        EntryKind::Block => 'b',
    };
    let mut out = String::from(kind);
    for (shift, special, on, off) in [
        (6, 0o4000, 's', 'S'),
        (3, 0o2000, 's', 'S'),
        (0, 0o1000, 't', 'T'),
    ] {
        let bits = (e.mode >> shift) & 7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        out.push(match (e.mode & special != 0, bits & 1 != 0) {
            (true, true) => on,
            (true, false) => off,
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_paths_read_like_ls() {
        let mut e: Entry =
            serde_json::from_value(serde_json::json!({"name": "x", "kind": "dir", "mode": 0o1755})).unwrap();
        assert_eq!(mode_text(&e), "drwxr-xr-t");
        e.kind = EntryKind::File;
        e.mode = 0o4640;
        assert_eq!(mode_text(&e), "-rwSr-----");
        assert_eq!(shown("", ""), "/");
        assert_eq!(shown("/etc/", ""), "/etc");
        assert_eq!(shown("etc", "passwd"), "/etc/passwd");
    }
}
