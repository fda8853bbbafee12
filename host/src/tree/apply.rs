//! Restoring a directory tree under a target directory, entry by entry, never writing
//! outside it (docs/DESIGN.md §23).

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use cairn_core::tree::{Entry, EntryKind};
use rustix::fs::{
    fstat, linkat, mkdirat, mknodat, openat, statat, symlinkat, unlinkat, AtFlags, FileType, Mode, OFlags,
    CWD,
};
use rustix::io::Errno;

use super::meta::kind_of;
use super::write::{OpenFile, Place, Setter};
use super::TreeError;

/// Warnings an [`ApplySummary`] keeps the messages of at most (all are counted).
pub const MAX_WARNINGS: usize = 1000;

/// How to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Set owners (uid and gid) as recorded. Only root can; the default is true exactly
    /// when running as root. Otherwise entries keep the restoring user as owner.
    pub owners: bool,
    /// Restore all-zero blocks as holes.
    pub sparse: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            owners: rustix::process::geteuid().is_root(),
            sparse: true,
        }
    }
}

/// Something not restored as recorded, which did not stop the restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyWarning {
    /// The path in the target.
    pub path: PathBuf,
    /// What was not restored, and why.
    pub message: String,
}

/// What a restore wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplySummary {
    /// Regular files created (hard links to them not included).
    pub files: u64,
    /// Directories created or reused, the target included.
    pub dirs: u64,
    /// Hard links made to an entry restored before.
    pub links: u64,
    /// Symbolic links, pipes and devices created.
    pub others: u64,
    /// File bytes written (holes not included).
    pub bytes: u64,
    /// Entries whose recorded owner was not set because owners are not restored.
    pub owners_kept: u64,
    /// Warnings, all counted.
    pub warnings: u64,
    /// The first [`MAX_WARNINGS`] warnings not yet taken by [`Applier::take_warnings`].
    pub messages: Vec<ApplyWarning>,
}

/// A directory on the current path, its metadata applied when it is left.
struct Level {
    fd: OwnedFd,
    /// Its path relative to the target (empty for the target).
    rel: PathBuf,
    entry: Option<Entry>,
}

/// Writes entries (a tree walked depth first, as [`walk`](super::walk) gives it) under a
/// target directory. Names are checked again, nothing found in the target is followed,
/// and directories get their metadata after their contents.
pub struct Applier {
    target: PathBuf,
    options: ApplyOptions,
    stack: Vec<Level>,
    started: bool,
    file: Option<OpenFile>,
    /// Hard-linked entries restored, by (dev, inode): their path relative to the target.
    links: HashMap<(u64, u64), PathBuf>,
    ids: (u32, u32),
    summary: ApplySummary,
}

impl Applier {
    /// Starts a restore into `target`, creating it (and its parents) if missing. The target
    /// itself may be a link to a directory; anything else that is not a directory is refused.
    pub fn new(target: &Path, options: ApplyOptions) -> Result<Self, TreeError> {
        let write = |source: std::io::Error| TreeError::Write {
            path: target.to_path_buf(),
            source,
        };
        if !target.exists() {
            std::fs::create_dir_all(target).map_err(write)?;
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match openat(CWD, target, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOTDIR) => {
                return Err(TreeError::NotADirectory {
                    path: target.to_path_buf(),
                })
            }
            Err(e) => return Err(write(e.into())),
        };
        Ok(Applier {
            target: target.to_path_buf(),
            options,
            stack: vec![Level {
                fd,
                rel: PathBuf::new(),
                entry: None,
            }],
            started: false,
            file: None,
            links: HashMap::new(),
            ids: (
                rustix::process::geteuid().as_raw(),
                rustix::process::getegid().as_raw(),
            ),
            summary: ApplySummary {
                dirs: 1,
                ..ApplySummary::default()
            },
        })
    }

    /// An entry at `depth` (0 = the root, whose metadata is applied to the target itself
    /// at the end; depth d+1 entries are inside the last depth-d directory). Answers
    /// whether it wants the file's content through [`write`](Applier::write).
    pub fn entry(&mut self, depth: usize, entry: &Entry) -> Result<bool, TreeError> {
        self.close_file()?;
        let bad = |path: PathBuf, reason: String| Err(TreeError::BadEntry { path, reason });
        if depth == 0 || !self.started {
            if self.started || depth != 0 {
                return bad(
                    self.target.clone(),
                    "the tree does not start with its root, alone at depth 0".into(),
                );
            }
            if entry.kind != EntryKind::Dir {
                return bad(
                    self.target.clone(),
                    "the root of a tree is not a directory".into(),
                );
            }
            self.started = true;
            self.stack[0].entry = Some(entry.clone());
            return Ok(false);
        }
        if depth > self.stack.len() {
            return bad(
                self.target.join(&self.stack.last().expect("the target").rel),
                format!(
                    "an entry at depth {depth} follows one at depth {}",
                    self.stack.len() - 1
                ),
            );
        }
        while self.stack.len() > depth {
            self.leave()?;
        }
        let parent = self.stack.last().expect("the target stays");
        let name = entry.name_bytes().map(OsString::from_vec);
        let name = match name {
            Ok(name) if entry.check().is_ok() => name,
            _ => {
                let reason = entry.check().err().or(name.err()).unwrap_or_default();
                return bad(self.target.join(&parent.rel).join(&entry.name), reason);
            }
        };
        let rel = parent.rel.join(&name);
        let path = self.target.join(&rel);
        if entry.kind != EntryKind::Dir && entry.links > 1 {
            if let Some(first) = self.links.get(&(entry.dev, entry.inode)).cloned() {
                if !self.clear(&name, &path)? {
                    return Ok(false);
                }
                {
                    let parent = self.stack.last().expect("the target stays");
                    match linkat(&self.stack[0].fd, &first, &parent.fd, &name, AtFlags::empty()) {
                        Ok(()) => {
                            self.summary.links += 1;
                            return Ok(false);
                        }
                        Err(e) => self.warn(
                            &path,
                            format!("not restored as a hard link, restored as a copy: {e}"),
                        ),
                    }
                }
            }
        }
        let wants = self.create(entry, &name, &rel, &path)?;
        let parent = &self.stack.last().expect("the target stays").fd;
        // Later links go to the first one actually created (not to a device left out).
        if entry.kind != EntryKind::Dir
            && entry.links > 1
            && statat(parent, &name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
        {
            self.links.entry((entry.dev, entry.inode)).or_insert(rel);
        }
        Ok(wants)
    }

    /// The next bytes of the file entry given last.
    pub fn write(&mut self, data: &[u8]) -> Result<(), TreeError> {
        match &mut self.file {
            Some(file) => file.write(data),
            None => Err(TreeError::BadEntry {
                path: self.target.clone(),
                reason: "content came for an entry that asked for none".into(),
            }),
        }
    }

    /// The warnings so far (taking them out of the summary), for a caller that reports
    /// them as they happen.
    pub fn take_warnings(&mut self) -> Vec<ApplyWarning> {
        std::mem::take(&mut self.summary.messages)
    }

    /// Completes the restore: the last file, then the metadata of every directory still
    /// open, the target's (from the root entry) last.
    pub fn finish(mut self) -> Result<ApplySummary, TreeError> {
        self.close_file()?;
        if !self.started {
            return Err(TreeError::BadEntry {
                path: self.target.clone(),
                reason: "the tree has no root entry".into(),
            });
        }
        while !self.stack.is_empty() {
            self.leave()?;
        }
        if self.summary.owners_kept > 0 {
            let message = format!(
                "{} entries keep the restoring user as owner: owners are restored only when running as root",
                self.summary.owners_kept
            );
            self.warn(&self.target.clone(), message);
        }
        Ok(self.summary)
    }

    fn warn(&mut self, path: &Path, message: String) {
        self.summary.warnings += 1;
        if self.summary.messages.len() < MAX_WARNINGS {
            self.summary.messages.push(ApplyWarning {
                path: path.to_path_buf(),
                message,
            });
        }
    }

    /// Sets an entry's metadata, with warnings for what could not be set.
    fn set_meta(&mut self, place: Place<'_>, entry: &Entry, path: &Path) {
        if !self.options.owners && (entry.uid, entry.gid) != self.ids {
            self.summary.owners_kept += 1;
        }
        let mut warnings = Vec::new();
        let mut setter = Setter {
            owners: self.options.owners,
            warn: &mut |m| warnings.push(m),
        };
        setter.apply(place, entry, entry.kind == EntryKind::Symlink);
        for message in warnings {
            self.warn(path, message);
        }
    }

    /// Pops the innermost directory and applies its metadata.
    fn leave(&mut self) -> Result<(), TreeError> {
        let level = self.stack.pop().expect("leave is called with a directory open");
        if let Some(entry) = &level.entry {
            let path = self.target.join(&level.rel);
            self.set_meta(Place::Fd(level.fd.as_fd()), entry, &path);
        }
        Ok(())
    }

    /// Completes the file being written: its length, then its metadata.
    fn close_file(&mut self) -> Result<(), TreeError> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        let len = file.flush()?;
        file.file.set_len(len).map_err(|source| TreeError::Write {
            path: file.path.clone(),
            source,
        })?;
        if len != file.entry.size {
            let message = format!("{len} bytes were restored, {} recorded", file.entry.size);
            self.warn(&file.path, message);
        }
        self.summary.files += 1;
        self.summary.bytes += file.written;
        self.set_meta(Place::Fd(file.file.as_fd()), &file.entry, &file.path);
        Ok(())
    }

    /// Makes room for `name` in the innermost directory: removes a non-directory there (a
    /// link is removed, never followed) or an empty directory. Answers false, with a
    /// warning, when a directory that is not empty is in the way.
    fn clear(&mut self, name: &OsStr, path: &Path) -> Result<bool, TreeError> {
        let dir = &self.stack.last().expect("the target stays").fd;
        let write = |e: Errno| TreeError::Write {
            path: path.to_path_buf(),
            source: e.into(),
        };
        match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => Ok(true),
            Err(e) => Err(write(e)),
            Ok(st) if kind_of(&st) == Some(EntryKind::Dir) => match unlinkat(dir, name, AtFlags::REMOVEDIR) {
                Ok(()) => Ok(true),
                Err(Errno::NOTEMPTY | Errno::EXIST) => {
                    self.warn(
                        path,
                        "not restored: a directory that is not empty is in its place".into(),
                    );
                    Ok(false)
                }
                Err(e) => Err(write(e)),
            },
            Ok(_) => unlinkat(dir, name, AtFlags::empty())
                .map(|()| true)
                .map_err(write),
        }
    }

    /// Creates the entry in the innermost directory; answers whether it wants content.
    fn create(&mut self, entry: &Entry, name: &OsStr, rel: &Path, path: &Path) -> Result<bool, TreeError> {
        let write = |e: Errno| TreeError::Write {
            path: path.to_path_buf(),
            source: e.into(),
        };
        if entry.kind == EntryKind::Dir {
            return self.make_dir(entry, name, rel, path);
        }
        if matches!(entry.kind, EntryKind::Char | EntryKind::Block) && !rustix::process::geteuid().is_root() {
            self.warn(path, "device not restored: only root can create devices".into());
            return Ok(false);
        }
        if !self.clear(name, path)? {
            return Ok(false);
        }
        let dir = &self.stack.last().expect("the target stays").fd;
        let dir = dir.try_clone().map_err(|e| TreeError::Write {
            path: path.to_path_buf(),
            source: e,
        })?;
        match entry.kind {
            EntryKind::File => {
                let flags =
                    OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                let fd = openat(&dir, name, flags, Mode::from_raw_mode(0o600)).map_err(write)?;
                self.file = Some(OpenFile {
                    file: File::from(fd),
                    path: path.to_path_buf(),
                    entry: entry.clone(),
                    offset: 0,
                    pending: Vec::new(),
                    written: 0,
                    sparse: self.options.sparse,
                });
                return Ok(true);
            }
            EntryKind::Symlink => {
                let target = entry.target_bytes().map_err(|reason| TreeError::BadEntry {
                    path: path.to_path_buf(),
                    reason,
                })?;
                symlinkat(OsStr::from_bytes(&target), &dir, name).map_err(write)?;
            }
            EntryKind::Fifo => {
                mknodat(&dir, name, FileType::Fifo, Mode::from_raw_mode(0o600), 0).map_err(write)?
            }
            EntryKind::Char | EntryKind::Block => {
                let kind = match entry.kind {
                    EntryKind::Char => FileType::CharacterDevice,
                    _ => FileType::BlockDevice,
                };
                mknodat(&dir, name, kind, Mode::from_raw_mode(0o600), entry.rdev).map_err(write)?
            }
            EntryKind::Dir => unreachable!("handled above"),
        }
        self.summary.others += 1;
        self.set_meta(Place::At(dir.as_fd(), name), entry, path);
        Ok(false)
    }

    /// Creates (or reuses) a directory and enters it; it stays writable for its contents
    /// until it is left.
    fn make_dir(&mut self, entry: &Entry, name: &OsStr, rel: &Path, path: &Path) -> Result<bool, TreeError> {
        let write = |e: Errno| TreeError::Write {
            path: path.to_path_buf(),
            source: e.into(),
        };
        let dir = &self.stack.last().expect("the target stays").fd;
        match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if kind_of(&st) == Some(EntryKind::Dir) => {}
            Err(Errno::NOENT) => mkdirat(dir, name, Mode::from_raw_mode(0o700)).map_err(write)?,
            Ok(_) => {
                unlinkat(dir, name, AtFlags::empty()).map_err(write)?;
                mkdirat(dir, name, Mode::from_raw_mode(0o700)).map_err(write)?;
            }
            Err(e) => return Err(write(e)),
        }
        // NOFOLLOW with DIRECTORY: whatever is there now must be a real directory.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = openat(dir, name, flags, Mode::empty()).map_err(write)?;
        let st = fstat(&fd).map_err(write)?;
        if kind_of(&st) != Some(EntryKind::Dir) {
            return Err(write(Errno::NOTDIR));
        }
        #[allow(clippy::unnecessary_cast)] // st_mode's type differs between targets
        let mode = st.st_mode as u32 & 0o7777;
        if mode & 0o700 != 0o700 {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode((mode | 0o700) as _)).map_err(write)?;
        }
        self.summary.dirs += 1;
        self.stack.push(Level {
            fd,
            rel: rel.to_path_buf(),
            entry: Some(entry.clone()),
        });
        Ok(false)
    }
}
