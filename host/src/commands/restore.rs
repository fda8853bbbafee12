//! `cairn restore`: writes a snapshot, or one item of it, to standard output or a file.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use std::os::unix::ffi::OsStrExt;

use cairn_core::manifest::{Snapshot, SnapshotFilter};
use cairn_core::ops::{self, SessionHandle, SnapshotRef, WalkArgs};
use serde::Serialize;

pub(super) use super::atomic_file::AtomicFile;
use super::{no_events, with_repo, Globals, OpenRepo};
use crate::cli::RestoreArgs;
use crate::error::{CliError, Result};
use crate::output;
use crate::progress::Progress;

/// Runs `cairn restore`.
pub fn run(g: &Globals, mut a: RestoreArgs) -> Result<()> {
    let location = g.locate(a.repo.take(), &mut [&mut a.snapshot])?;
    let snapshot = super::required(a.snapshot.take(), "SNAPSHOT")?;
    if let Some(target) = a.target.take() {
        let args = WalkArgs {
            include: std::mem::take(&mut a.include),
            exclude: std::mem::take(&mut a.exclude),
            filter: a.narrow.filter(),
            ..super::ls::walk_args(snapshot, a.item.clone(), a.path.as_ref(), true)
        };
        let (begun, summary) = with_repo(g, &location, no_events(), |repo| {
            super::trees::restore_into(repo, &args, &target)
        })?;
        let done = super::trees::restored(begun, target, &summary);
        return g.report(&done, |d| {
            format!(
                "restored {} files, {} directories and {} other entries ({}) from snapshot {} into {}{}",
                d.files,
                d.dirs,
                d.others + d.links,
                output::human_bytes(d.bytes),
                output::short_id(&d.snapshot),
                d.target.display(),
                match d.warnings {
                    0 => String::new(),
                    n => format!("\n  {n} entries not restored exactly as recorded (see the warnings above)"),
                }
            )
        });
    }
    if let Some(dir) = a.output.as_deref().filter(|p| p.is_dir()) {
        let wanted = snapshot_ref(snapshot, &a);
        return super::restore_all::run(g, &location, wanted, a.item, dir);
    }
    if let Some(path) = a
        .output
        .as_deref()
        .filter(|p| p.as_os_str().as_bytes().ends_with(b"/"))
    {
        return Err(CliError::NotADirectory {
            path: path.to_path_buf(),
            hint: "`-o DIR/` restores each item into a directory that exists: create it first",
        });
    }
    if a.output.is_none() {
        if g.json {
            return Err(CliError::JsonNeedsOutput);
        }
        if std::io::stdout().is_terminal() {
            return Err(CliError::OutputIsTerminal);
        }
    }
    let wanted = snapshot_ref(snapshot, &a);
    let begun = with_repo(g, &location, no_events(), |repo| {
        let snap = repo.call::<ops::GetSnapshot>(&wanted)?;
        one_stream(&snap, a.item.as_deref())?;
        let args = ops::RestoreArgs {
            // The full id: `latest` must not move between the two calls.
            snapshot: snap.id.to_hex(),
            item: a.item.clone(),
            filter: Default::default(),
        };
        let begun = repo.call::<ops::RestoreBegin>(&args)?;
        let (session, size) = (begun.session, begun.size);
        let written = match &a.output {
            Some(path) => {
                let mut out = AtomicFile::create(path)?;
                let written = copy(repo, session, size, &mut out, path)?;
                out.commit()?;
                written
            }
            None => copy(repo, session, size, &mut std::io::stdout().lock(), Path::new("-"))?,
        };
        repo.call::<ops::RestoreEnd>(&SessionHandle { session })?;
        Ok((begun, written))
    })?;
    let Some(path) = a.output else {
        return Ok(());
    };
    let (begun, written) = begun;
    let done = Restored {
        snapshot: begun.snapshot.to_hex(),
        item: a.item,
        size: written,
        tar: begun.tar,
        output: path,
    };
    g.report(&done, |d| {
        format!(
            "restored {}{} from snapshot {} to {}",
            output::human_bytes(d.size),
            if d.tar { " (a tar archive of the tree)" } else { "" },
            output::short_id(&d.snapshot),
            d.output.display()
        )
    })
}

/// The snapshot to restore: `latest` narrowed by `--host`, `--tag` and `--item`, as the
/// engine's `restore_begin` narrows it.
fn snapshot_ref(id: String, a: &RestoreArgs) -> SnapshotRef {
    SnapshotRef {
        id,
        filter: SnapshotFilter {
            item: a.item.clone(),
            ..a.narrow.filter()
        },
    }
}

/// Refuses to write a snapshot with several items to one stream (standard output,
/// `-o FILE`) without `--item`: they would be concatenated, a dump and a tarball fed to
/// one reader. An `--item` the snapshot lacks is left to the engine, which says so.
fn one_stream(snap: &Snapshot, item: Option<&str>) -> Result<()> {
    let items = &snap.fields.items;
    match (item, items.len()) {
        (None, 2..) => Err(CliError::SeveralItems {
            snapshot: output::short_id(&snap.id.to_hex()).to_string(),
            items: items.iter().map(|i| i.name.clone()).collect(),
        }),
        _ => Ok(()),
    }
}

/// What `restore -o FILE` reports: the CLI's own answer, since the engine only streams.
#[derive(Serialize)]
struct Restored {
    /// The full id of the snapshot restored.
    snapshot: String,
    /// The item restored, if one was asked for.
    item: Option<String>,
    /// Bytes written.
    size: u64,
    /// The item was a directory tree, written as a tar archive.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    tar: bool,
    /// The file written.
    output: PathBuf,
}

/// Reads the session to its end into `out`, with a progress bar against `size`; answers
/// the bytes written (more than `size` for a tar archive of a tree).
pub(super) fn copy(
    repo: &mut OpenRepo,
    session: u32,
    size: u64,
    out: &mut dyn Write,
    path: &Path,
) -> Result<u64> {
    let progress = Progress::new(Some(size), "restoring");
    progress.show();
    let write_error = |source| CliError::WriteOutput {
        path: path.to_path_buf(),
        source,
    };
    let mut done = 0u64;
    let result = loop {
        // Each block is written from the engine's memory, where it lies, with no copy.
        let written = repo
            .runtime()
            .read_with(session, |block| out.write_all(block).map(|()| block.len()));
        match written {
            Err(e) => break Err(e),
            Ok(Ok(0)) => break out.flush().map_err(write_error).map(|()| done),
            Ok(Ok(n)) => done += n as u64,
            // The reader of standard output has gone (`cairn restore ... | head`): it took
            // what it wanted, so stop quietly, as other command-line tools do.
            Ok(Err(e)) if path == Path::new("-") && e.kind() == std::io::ErrorKind::BrokenPipe => {
                break Ok(done)
            }
            Ok(Err(e)) => break Err(write_error(e)),
        }
        progress.set_position(done);
    };
    progress.finish();
    result
}
