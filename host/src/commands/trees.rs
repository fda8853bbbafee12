//! Directory trees between the file system and the engine: the walker feeds the engine's
//! tree operations ([`EngineSink`]), and a walk of a stored tree feeds an [`Applier`]
//! ([`restore_into`]). Neither side knows the other (docs/DESIGN.md §23).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use cairn_core::ops::{
    self, SessionHandle, TreeEntryAnswer, TreeEntryArgs, TreeProblemArgs, WalkArgs, WalkBegun,
};
use cairn_core::tree::Entry;
use serde::Serialize;

use super::OpenRepo;
use crate::error::Result;
use crate::tree::{Applier, ApplyOptions, ApplySummary, TreeSink};

/// Feeds a walk into an ingest session's tree item.
pub struct EngineSink<'a> {
    /// The engine.
    pub repo: &'a mut OpenRepo,
    /// The ingest session.
    pub session: u32,
    /// The file given last whose content the engine asked for: the only entry a problem
    /// may leave out.
    waiting: Option<PathBuf>,
}

impl<'a> EngineSink<'a> {
    /// A sink into `session`, whose current item must be a tree.
    pub fn new(repo: &'a mut OpenRepo, session: u32) -> Self {
        EngineSink {
            repo,
            session,
            waiting: None,
        }
    }
}

impl TreeSink for EngineSink<'_> {
    fn entry(&mut self, path: &Path, entry: &Entry) -> Result<TreeEntryAnswer> {
        let args = TreeEntryArgs {
            session: self.session,
            entry: entry.clone(),
        };
        let answer = self.repo.call::<ops::TreeEntry>(&args)?;
        self.waiting = answer.content.then(|| path.to_path_buf());
        Ok(answer)
    }

    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.repo.runtime().write(self.session, data)
    }

    fn problem(&mut self, path: &Path, message: &str, drop: bool) -> Result<()> {
        // A path that vanished before it was described has no entry to leave out.
        let drop = drop && self.waiting.as_deref() == Some(path);
        if drop {
            self.waiting = None;
        }
        eprintln!(
            "warning: {}: {message}{}",
            path.display(),
            if drop { " (left out)" } else { "" }
        );
        let args = TreeProblemArgs {
            session: self.session,
            path: path.display().to_string(),
            message: message.to_string(),
            drop,
        };
        self.repo.call::<ops::TreeProblem>(&args).map(drop_done)
    }

    fn leave(&mut self) -> Result<()> {
        self.waiting = None;
        self.repo
            .call::<ops::TreeLeave>(&SessionHandle {
                session: self.session,
            })
            .map(drop_done)
    }
}

fn drop_done(_: ops::Done) {}

/// What `restore --target` reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredTree {
    /// The full id of the snapshot restored.
    pub snapshot: String,
    /// The tree item restored.
    pub item: String,
    /// The directory written.
    pub target: PathBuf,
    /// Regular files created.
    pub files: u64,
    /// Directories created or reused, the target included.
    pub dirs: u64,
    /// Hard links made.
    pub links: u64,
    /// Links, pipes and devices created.
    pub others: u64,
    /// Bytes of file content written.
    pub bytes: u64,
    /// Entries not restored as recorded (owners of a non-root restore, devices, ...).
    pub warnings: u64,
}

/// A directory entry standing for the target itself, when a restore starts below a tree's
/// root: the target keeps what it has (or gets a plain new directory).
fn target_root(target: &Path) -> Entry {
    let meta = std::fs::metadata(target).ok();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    serde_json::from_value(serde_json::json!({
        "name": "target",
        "kind": "dir",
        "mode": meta.as_ref().map_or(0o755, |m| m.mode() & 0o7777),
        "uid": meta.as_ref().map_or(0, MetadataExt::uid),
        "gid": meta.as_ref().map_or(0, MetadataExt::gid),
        "mtime": meta.as_ref().map_or(now, MetadataExt::mtime),
        "mtimeNs": meta.as_ref().map_or(0, |m| m.mtime_nsec() as u32),
    }))
    .expect("a valid entry")
}

/// Restores the walk `args` asks for into `target`: the tree's root becomes the target,
/// or, from a path, the entry there is created inside the target.
pub fn restore_into(
    repo: &mut OpenRepo,
    args: &WalkArgs,
    target: &Path,
) -> Result<(WalkBegun, ApplySummary)> {
    let begun = repo.call::<ops::WalkBegin>(args)?;
    let session = SessionHandle {
        session: begun.session,
    };
    let mut applier = Applier::new(target, ApplyOptions::default())?;
    let below = !args.path.trim_matches('/').is_empty() || args.path_hex.is_some();
    let first = repo.call::<ops::WalkNext>(&session)?;
    if first.is_none() && !args.include.is_empty() {
        // Includes that match nothing take nothing, not even the tree's root.
        repo.call::<ops::RestoreEnd>(&session)?;
        eprintln!("warning: no entry matches the --include patterns: nothing was restored");
        return Ok((begun, ApplySummary::default()));
    }
    if below {
        applier.entry(0, &target_root(target))?;
    }
    let mut next = first;
    while let Some(step) = next.take() {
        let depth = step.depth as usize + below as usize;
        if applier.entry(depth, &step.entry)? {
            loop {
                let block = repo.runtime().read(session.session)?;
                if block.is_empty() {
                    break;
                }
                applier.write(&block)?;
            }
        }
        for w in applier.take_warnings() {
            eprintln!("warning: {}: {}", w.path.display(), w.message);
        }
        next = repo.call::<ops::WalkNext>(&session)?;
    }
    repo.call::<ops::RestoreEnd>(&session)?;
    let summary = applier.finish()?;
    Ok((begun, summary))
}

/// The report of a finished restore into a directory.
pub fn restored(begun: WalkBegun, target: PathBuf, s: &ApplySummary) -> RestoredTree {
    RestoredTree {
        snapshot: begun.snapshot.to_hex(),
        item: begun.item,
        target,
        files: s.files,
        dirs: s.dirs,
        links: s.links,
        others: s.others,
        bytes: s.bytes,
        warnings: s.warnings,
    }
}
