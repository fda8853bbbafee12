//! Reading a directory tree for a backup: depth first, each directory's entries sorted by
//! their name bytes, every entry described from `lstat` (docs/DESIGN.md §23).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use cairn_core::ops::TreeEntryAnswer;
use cairn_core::tree::{text_of, Entry, EntryKind};
use rustix::fs::{fstat, openat, readlinkat, statat, AtFlags, Dir, Mode, OFlags, CWD};

use super::meta::{self, fingerprint, kind_of, Fingerprint, Owners, XattrPlace};
use super::TreeError;
use crate::error::CliError;

/// Bytes of file content read and handed to [`TreeSink::write`] at a time at most.
pub const BLOCK: usize = 1 << 20;

/// The start of a `CACHEDIR.TAG` that marks a cache directory (bford.info/cachedir).
const CACHEDIR_SIGNATURE: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55";

/// What the walker feeds, entry by entry (the CLI implements it over the engine's tree ops).
pub trait TreeSink {
    /// An entry, in walk order. The first call is the root directory itself. After a
    /// `Dir` entry come its entries, then a matching [`leave`](TreeSink::leave). The
    /// answer is the engine's (`tree_entry`): `content` when it wants a regular file's
    /// bytes (not when the file is unchanged since the parent snapshot), which the walker
    /// then streams with [`write`](TreeSink::write) before the next call; `excluded` when
    /// an exclude pattern leaves the entry out, which the walker then neither reads nor
    /// enters (and so does not leave).
    fn entry(&mut self, path: &Path, entry: &Entry) -> Result<TreeEntryAnswer, CliError>;
    /// The next bytes of the file just given, at most [`BLOCK`] at a time.
    fn write(&mut self, data: &[u8]) -> Result<(), CliError>;
    /// Something went wrong with the entry just given (vanished, changed while read,
    /// unreadable): `drop` true means leave it out of the snapshot. Also called, with
    /// `drop` true, for a listed path that could not be described at all (gone or
    /// unreadable before its `lstat`): no entry was given for it, there is nothing to drop,
    /// and only the report is left.
    fn problem(&mut self, path: &Path, message: &str, drop: bool) -> Result<(), CliError>;
    /// The directory entered last is complete.
    fn leave(&mut self) -> Result<(), CliError>;
}

/// How to walk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Do not descend into directories on another device than the root's (the mount
    /// point itself is still recorded, empty).
    pub one_file_system: bool,
    /// Record only the `CACHEDIR.TAG` of a directory that holds a valid one, not the rest
    /// of its contents.
    pub exclude_caches: bool,
}

/// What a walk saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Regular-file entries given to the sink.
    pub files: u64,
    /// Directory entries given to the sink, the root included.
    pub dirs: u64,
    /// Other entries given to the sink: links, pipes, devices.
    pub others: u64,
    /// File bytes read and handed to [`TreeSink::write`].
    pub bytes_read: u64,
    /// Calls of [`TreeSink::problem`].
    pub problems: u64,
    /// Sockets met and left out (trees hold no sockets; no entry, no problem is given).
    pub sockets: u64,
    /// Entries the sink excluded.
    pub excluded: u64,
    /// Directories whose contents were left out for a `CACHEDIR.TAG`.
    pub caches: u64,
    /// Directories not entered because they are on another device (`one_file_system`).
    pub mount_points: u64,
}

/// One directory on the current path: its descriptor and its sorted names.
struct Level {
    fd: OwnedFd,
    names: Vec<OsString>,
    next: usize,
}

struct Walker<'a> {
    options: WalkOptions,
    sink: &'a mut dyn TreeSink,
    owners: Owners,
    summary: WalkSummary,
    buf: Vec<u8>,
    root_dev: u64,
    path: PathBuf,
}

/// Walks the tree at `root` into `sink` (see [`TreeSink`] for the order of calls).
///
/// `root` itself is followed if it is a symbolic link to a directory (the user named it);
/// nothing below it ever is. It must be a directory. Fails only when the root cannot be
/// read or when the sink fails; every problem with an entry below it goes to
/// [`TreeSink::problem`] and the walk goes on.
pub fn walk(root: &Path, options: &WalkOptions, sink: &mut dyn TreeSink) -> Result<WalkSummary, CliError> {
    let read = |source: rustix::io::Errno| TreeError::Read {
        path: root.to_path_buf(),
        source: source.into(),
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match openat(CWD, root, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOTDIR) => {
            return Err(TreeError::NotADirectory {
                path: root.to_path_buf(),
            }
            .into())
        }
        Err(e) => return Err(read(e).into()),
    };
    let st = fstat(&fd).map_err(read)?;
    let mut walker = Walker {
        options: *options,
        sink,
        owners: Owners::default(),
        summary: WalkSummary::default(),
        buf: Vec::new(),
        root_dev: fingerprint(&st).dev,
        path: root.to_path_buf(),
    };
    let mut entry = walker.owners.entry(&root_name(root), EntryKind::Dir, &st);
    let xattr_problem = walker.add_xattrs(&mut entry, XattrPlace::Fd(fd.as_fd()));
    walker.summary.dirs += 1;
    walker.sink.entry(root, &entry)?;
    if let Some(message) = xattr_problem {
        walker.problem(&message, false)?;
    }
    let mut stack = Vec::new();
    walker.enter(fd, &mut stack)?;
    walker.run(stack)?;
    Ok(walker.summary)
}

/// The root entry's name: the last component of the path, or of the path made absolute
/// (for `.` and the like), or `root` for `/`.
fn root_name(root: &Path) -> Vec<u8> {
    let canonical = std::fs::canonicalize(root).ok();
    let name = root
        .file_name()
        .filter(|n| cairn_core::tree::check_name(n.as_bytes()).is_ok())
        .or_else(|| canonical.as_deref().and_then(Path::file_name));
    name.map_or_else(|| b"root".to_vec(), |n| n.as_bytes().to_vec())
}

impl Walker<'_> {
    fn problem(&mut self, message: &str, drop: bool) -> Result<(), CliError> {
        self.summary.problems += 1;
        self.sink.problem(&self.path, message, drop)
    }

    /// Lists the directory open at `fd` and pushes it; a directory that cannot be listed
    /// is reported and left at once, as empty.
    fn enter(&mut self, fd: OwnedFd, stack: &mut Vec<Level>) -> Result<(), CliError> {
        let mut names = Vec::new();
        let listed = Dir::read_from(&fd).and_then(|dir| {
            for item in dir {
                let item = item?;
                let name = OsStr::from_bytes(item.file_name().to_bytes());
                if name != "." && name != ".." {
                    names.push(name.to_os_string());
                }
            }
            Ok(())
        });
        if let Err(e) = listed {
            self.problem(
                &format!("cannot list this directory, recorded as empty: {e}"),
                false,
            )?;
            return self.sink.leave();
        }
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        if self.options.exclude_caches && is_cache(&fd, &names) {
            names.retain(|n| n == "CACHEDIR.TAG");
            self.summary.caches += 1;
        }
        stack.push(Level { fd, names, next: 0 });
        Ok(())
    }

    fn run(&mut self, mut stack: Vec<Level>) -> Result<(), CliError> {
        while let Some(top) = stack.last_mut() {
            let Some(name) = top.names.get(top.next).cloned() else {
                stack.pop();
                self.sink.leave()?;
                self.path.pop();
                continue;
            };
            top.next += 1;
            self.path.push(&name);
            if let Some(sub) = self.visit(top.fd.as_fd(), &name)? {
                self.enter(sub, &mut stack)?;
            } else {
                self.path.pop();
            }
        }
        Ok(())
    }

    /// Describes `name` in `dir` to the sink and streams its content; answers the open
    /// directory to enter when it is one (the path then stays pushed until its `leave`).
    fn visit(&mut self, dir: BorrowedFd<'_>, name: &OsStr) -> Result<Option<OwnedFd>, CliError> {
        let st = match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(rustix::io::Errno::NOENT) => {
                return self
                    .problem("vanished before it was read, left out", true)
                    .map(|()| None);
            }
            Err(e) => {
                return self
                    .problem(&format!("cannot be read, left out: {e}"), true)
                    .map(|()| None)
            }
        };
        let Some(kind) = kind_of(&st) else {
            self.summary.sockets += 1;
            return Ok(None);
        };
        let mut entry = self.owners.entry(name.as_bytes(), kind, &st);
        let mut problem = None;
        if kind == EntryKind::Symlink {
            match readlinkat(dir, name, Vec::new()) {
                Ok(target) => {
                    let (text, hex) = text_of(target.as_bytes());
                    entry.size = target.as_bytes().len() as u64;
                    (entry.target, entry.target_hex) = (Some(text), hex);
                }
                Err(e) => {
                    let message = format!("cannot read the link, left out: {e}");
                    return self.problem(&message, true).map(|()| None);
                }
            }
        }
        if let Some(message) = self.add_xattrs(&mut entry, XattrPlace::At(dir, name)) {
            problem = Some(message);
        }
        match kind {
            EntryKind::File => self.summary.files += 1,
            EntryKind::Dir => self.summary.dirs += 1,
            _ => self.summary.others += 1,
        }
        let answer = self.sink.entry(&self.path, &entry)?;
        if answer.excluded {
            match kind {
                EntryKind::File => self.summary.files -= 1,
                EntryKind::Dir => self.summary.dirs -= 1,
                _ => self.summary.others -= 1,
            }
            self.summary.excluded += 1;
            return Ok(None);
        }
        if let Some(message) = problem {
            self.problem(&message, false)?;
        }
        match kind {
            EntryKind::File if answer.content => {
                self.read_file(dir, name, fingerprint(&st))?;
                Ok(None)
            }
            EntryKind::Dir => self.open_dir(dir, name, fingerprint(&st)),
            _ => Ok(None),
        }
    }

    /// Adds the entry's extended attributes; answers the problem to report, if any.
    fn add_xattrs(&mut self, entry: &mut Entry, place: XattrPlace<'_>) -> Option<String> {
        match meta::read_xattrs(place) {
            Ok((xattrs, skipped)) => {
                entry.xattrs = xattrs;
                (!skipped.is_empty()).then(|| {
                    format!(
                        "extended attributes with names that are not UTF-8 left out: {}",
                        skipped.join(", ")
                    )
                })
            }
            Err(e) => Some(format!(
                "cannot read its extended attributes, recorded without them: {e}"
            )),
        }
    }

    /// Opens a directory just described, to enter it; or reports why not and leaves it.
    fn open_dir(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        seen: Fingerprint,
    ) -> Result<Option<OwnedFd>, CliError> {
        if self.options.one_file_system && seen.dev != self.root_dev {
            self.summary.mount_points += 1;
            self.sink.leave()?;
            return Ok(None);
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let opened = openat(dir, name, flags, Mode::empty()).and_then(|fd| fstat(&fd).map(|st| (fd, st)));
        let message = match opened {
            Ok((fd, st)) if (fingerprint(&st).dev, fingerprint(&st).inode) == (seen.dev, seen.inode) => {
                return Ok(Some(fd));
            }
            Ok(_) => "was replaced while it was read, recorded as empty".to_string(),
            Err(e) => format!("cannot open this directory, recorded as empty: {e}"),
        };
        self.problem(&message, false)?;
        self.sink.leave()?;
        Ok(None)
    }

    /// Streams a regular file's content to the sink and checks it did not change meanwhile.
    fn read_file(&mut self, dir: BorrowedFd<'_>, name: &OsStr, seen: Fingerprint) -> Result<(), CliError> {
        // NONBLOCK: if a pipe took the file's place since `lstat`, opening must not hang.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let opened = openat(dir, name, flags, Mode::empty()).and_then(|fd| fstat(&fd).map(|st| (fd, st)));
        let fd = match opened {
            Ok((fd, st)) if kind_of(&st) == Some(EntryKind::File) && fingerprint(&st).inode == seen.inode => {
                fd
            }
            Ok(_) => return self.problem("was replaced while it was read, left out", true),
            Err(rustix::io::Errno::NOENT) => {
                return self.problem("vanished before it was read, left out", true)
            }
            Err(e) => return self.problem(&format!("cannot be read, left out: {e}"), true),
        };
        let mut file = File::from(fd);
        if self.buf.len() != BLOCK {
            self.buf = vec![0; BLOCK];
        }
        let mut total = 0u64;
        loop {
            let n = match file.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return self.problem(&format!("reading failed, left out: {e}"), true),
            };
            total += n as u64;
            self.summary.bytes_read += n as u64;
            self.sink.write(&self.buf[..n])?;
            if total == seen.size {
                // All `lstat` promised: skip the read that would find the end (a read per
                // file saved). A file that grew meanwhile has a new size or mtime, which
                // the `fstat` below reports as changed.
                break;
            }
        }
        let after = fstat(&file).map(|st| fingerprint(&st));
        if after.ok() != Some(seen) || total != seen.size {
            self.problem("changed while it was read", false)?;
        }
        Ok(())
    }
}

/// True when the directory holds a `CACHEDIR.TAG` file that starts with the signature.
fn is_cache(dir: &OwnedFd, names: &[OsString]) -> bool {
    if names
        .binary_search_by(|n| n.as_bytes().cmp(b"CACHEDIR.TAG"))
        .is_err()
    {
        return false;
    }
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let Ok(fd) = openat(dir, "CACHEDIR.TAG", flags, Mode::empty()) else {
        return false;
    };
    if fstat(&fd).ok().and_then(|st| kind_of(&st)) != Some(EntryKind::File) {
        return false;
    }
    let mut start = [0u8; CACHEDIR_SIGNATURE.len()];
    File::from(fd).read_exact(&mut start).is_ok() && start == CACHEDIR_SIGNATURE
}
