//! The CLI's file-system side of directory trees (docs/DESIGN.md §23): [`walk`] reads a
//! tree entry by entry into a [`TreeSink`], and an [`Applier`] writes entries and their
//! content back under a target directory. The engine's tree operations sit between the two; neither piece knows them.
//!
//! Both work relative to open directory descriptors and never follow a symbolic link
//! found inside the tree, so a path being swapped for a link while they run cannot lead
//! them elsewhere.

use std::io;
use std::path::PathBuf;

use cairn_core::error::ErrorCode;

mod apply;
mod content;
mod meta;
mod scan;
mod walk;
mod write;

pub use apply::{Applier, ApplyOptions, ApplySummary, ApplyWarning, MAX_WARNINGS};
pub use walk::{walk, TreeSink, WalkOptions, WalkSummary, BLOCK};

/// Raises this process's soft limit of open files to its hard limit (as Go programs such
/// as restic do at start): a walk and a restore hold one descriptor per directory level,
/// and storage and job threads hold more, so a deep tree under the common soft limit of
/// 1024 (or less) would otherwise be recorded incompletely or fail half-way. Best effort:
/// where the limit cannot be read or raised, it stays as it is.
pub fn raise_open_file_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    if let (Some(current), Some(max)) = (limit.current, limit.maximum) {
        if current < max {
            let _ = setrlimit(
                Resource::Nofile,
                rustix::process::Rlimit {
                    current: Some(max),
                    maximum: Some(max),
                },
            );
        }
    }
}

/// How walking or restoring a tree can fail as a whole (problems with one entry of a walk
/// go to [`TreeSink::problem`] instead, and an [`Applier`]'s into its warnings).
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The directory named for a backup cannot be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A path that must be a directory is something else.
    #[error("{} is not a directory: name a directory", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The restore target could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The entries given to an [`Applier`] break its rules (a name that could leave the
    /// target, a depth that jumps, content nobody asked for): the snapshot is damaged or
    /// hostile, and nothing more is restored.
    #[error("refusing to restore {}: {reason}", path.display())]
    BadEntry {
        /// Where in the target it would have gone.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl TreeError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            TreeError::Read { .. } | TreeError::NotADirectory { .. } => ErrorCode::InvalidArgument,
            TreeError::Write { .. } => ErrorCode::StorageError,
            TreeError::BadEntry { .. } => ErrorCode::CorruptSnapshot,
        }
    }
}
