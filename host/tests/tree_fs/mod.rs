//! The CLI's directory-tree walker and applier on a real file system (in temporary
//! directories): walk order and entries, problems while reading, and round trips
//! compared field by field and with `rsync -aHAXn --checksum`.

mod ahead;
mod cli;
mod compare;
mod restore;
mod select;
mod walk;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use cairn::error::CliError;
use cairn::tree::{walk, Applier, ApplyOptions, ApplySummary, TreeSink, WalkOptions, WalkSummary};
use cairn_core::ops::TreeEntryAnswer;
use cairn_core::tree::{Entry, EntryKind};

/// A hook that runs with a path.
pub type PathHook = Box<dyn FnMut(&Path)>;

/// One call the walker made.
#[allow(clippy::large_enum_variant)] // a test's record, few and short-lived
#[derive(Debug, Clone)]
pub enum Event {
    /// An entry, with the content streamed after it (when asked for).
    Entry(PathBuf, Entry, Vec<u8>),
    /// A problem.
    Problem(PathBuf, String, bool),
    /// A leave.
    Leave,
}

/// A sink that keeps every call, asks for every file's content, and can run a hook on the
/// first `write` or on each entry (to change the tree while it is walked).
#[derive(Default)]
pub struct Recorder {
    pub events: Vec<Event>,
    pub on_first_write: Option<Box<dyn FnMut()>>,
    pub on_entry: Option<PathHook>,
    pub exclude_name: Option<Vec<u8>>,
    /// Ask for no file's content (as for files unchanged since a parent snapshot).
    pub no_content: bool,
}

impl TreeSink for Recorder {
    fn entry(&mut self, path: &Path, entry: &Entry) -> Result<TreeEntryAnswer, CliError> {
        if let Some(hook) = &mut self.on_entry {
            hook(path);
        }
        if self.exclude_name.as_deref() == path.file_name().map(|n| n.as_bytes()) {
            return Ok(TreeEntryAnswer {
                content: false,
                excluded: true,
            });
        }
        self.events
            .push(Event::Entry(path.to_path_buf(), entry.clone(), Vec::new()));
        Ok(TreeEntryAnswer {
            content: entry.kind == EntryKind::File && !self.no_content,
            excluded: false,
        })
    }

    fn write(&mut self, data: &[u8]) -> Result<(), CliError> {
        if let Some(mut hook) = self.on_first_write.take() {
            hook();
        }
        match self.events.last_mut() {
            Some(Event::Entry(_, _, content)) => content.extend_from_slice(data),
            other => panic!("write after {other:?}"),
        }
        Ok(())
    }

    fn problem(&mut self, path: &Path, message: &str, drop: bool) -> Result<(), CliError> {
        self.events
            .push(Event::Problem(path.to_path_buf(), message.into(), drop));
        Ok(())
    }

    fn leave(&mut self) -> Result<(), CliError> {
        self.events.push(Event::Leave);
        Ok(())
    }
}

/// Walks `root` into a fresh recorder.
pub fn record(root: &Path, options: WalkOptions) -> (Vec<Event>, WalkSummary) {
    let mut sink = Recorder::default();
    let summary = walk(root, &options, &mut sink).expect("walk");
    (sink.events, summary)
}

/// The entries of a recording with their depths (0 = the root), problems and leaves
/// folded in; an entry dropped by a problem is left out.
pub fn with_depths(events: &[Event]) -> Vec<(usize, Entry, Vec<u8>)> {
    let mut out: Vec<(usize, Entry, Vec<u8>)> = Vec::new();
    let mut last: Option<&Path> = None;
    let mut depth = 0;
    for event in events {
        match event {
            Event::Entry(path, entry, content) => {
                out.push((depth, entry.clone(), content.clone()));
                last = Some(path);
                if entry.kind == EntryKind::Dir {
                    depth += 1;
                }
            }
            // A drop names the entry just given, or a path never given.
            Event::Problem(path, _, true) if last == Some(path.as_path()) => {
                out.pop();
                last = None;
            }
            Event::Problem(..) => {}
            Event::Leave => depth -= 1,
        }
    }
    assert_eq!(depth, 0, "every directory is left");
    out
}

/// Replays entries into an applier at `target`, streaming content in pieces of `piece`.
pub fn replay(entries: &[(usize, Entry, Vec<u8>)], target: &Path, piece: usize) -> ApplySummary {
    let mut applier = Applier::new(target, ApplyOptions::default()).expect("applier");
    for (depth, entry, content) in entries {
        if applier.entry(*depth, entry).expect("entry") {
            for block in content.chunks(piece.max(1)) {
                applier.write(block).expect("write");
            }
        }
    }
    applier.finish().expect("finish")
}

/// True when this process may do what only root can (chown, mknod, mount).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}
