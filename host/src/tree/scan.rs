//! The file-system half of a walk (docs/DESIGN.md §23): directories listed and sorted,
//! every entry described from `lstat`, and, when the [`Feed`] asks for it, a regular
//! file's content read ahead. It produces [`Item`]s in walk order; `walk` replays them
//! into a `TreeSink`, on this thread or while this runs on another.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_core::tree::{text_of, Entry, EntryKind};
use rustix::fs::{fstat, openat, readlinkat, statat, AtFlags, Dir, FileType, Mode, OFlags};

use super::content::{fetch, read_whole, Fetched, READ_FLAGS};
use super::meta::{self, fingerprint, kind_of, Fingerprint, Owners, XattrPlace};
use crate::error::CliError;

/// The start of a `CACHEDIR.TAG` that marks a cache directory (bford.info/cachedir).
const CACHEDIR_SIGNATURE: &[u8] = b"Signature: 8a477f597d28d172789f06886806bc55";

/// Files up to this size are read ahead when the [`Feed`] asks; larger ones are read
/// when the sink asks for them, a block at a time, so memory stays bounded.
pub(super) const AHEAD_MAX_FILE: u64 = 1 << 20;

/// One step of a walk, in walk order.
pub(super) enum Item {
    /// An entry (the root first): after a directory come its items and then its
    /// [`Item::Leave`], unless the sink excludes it.
    Entry(Box<Scanned>),
    /// A problem with the entry given last, or (`drop` true, no entry given) with a listed
    /// path that could not be described.
    Problem(PathBuf, String, bool),
    /// The directory entered last is complete.
    Leave,
    /// Something counted without an entry.
    Count(Counted),
}

/// What [`Item::Count`] counts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Counted {
    /// A socket, left out.
    Socket,
    /// A directory whose contents were left out for its `CACHEDIR.TAG`.
    Cache,
    /// A directory on another device, not entered.
    MountPoint,
}

/// An entry and what goes with it.
pub(super) struct Scanned {
    /// Its path (the root's as given, the others below it).
    pub path: PathBuf,
    /// Its description.
    pub entry: Entry,
    /// A problem to report once the entry is given (and not excluded): its extended
    /// attributes could not all be read.
    pub note: Option<String>,
    /// A regular file: where to read it.
    pub file: Option<FileAt>,
    /// A regular file's content, read ahead.
    pub content: Option<Fetched>,
    /// A directory whose [`Feed`] waits for the sink's answer before entering it.
    pub awaits_answer: bool,
}

/// A regular file in an open directory, as `lstat` saw it.
pub(super) struct FileAt {
    /// The directory.
    pub dir: Arc<OwnedFd>,
    /// Its name there.
    pub name: OsString,
    /// What `lstat` saw.
    pub seen: Fingerprint,
}

/// Where the scanner's items go.
pub(super) trait Feed {
    /// Takes an item. For an entry with [`Scanned::awaits_answer`], answers whether to
    /// enter the directory; otherwise true.
    fn item(&mut self, item: Item) -> Result<bool, CliError>;
    /// Whether to read files ahead now (files the sink will likely ask for).
    fn read_ahead(&self) -> bool;
    /// Whether to wait for the sink's answer before entering a directory.
    fn awaits_dirs(&self) -> bool;
}

/// How to scan (a part of `WalkOptions`).
#[derive(Debug, Clone, Copy)]
pub(super) struct ScanOptions {
    pub one_file_system: bool,
    pub exclude_caches: bool,
}

/// One directory on the current path: its descriptor and its sorted names, each with
/// whether the listing says it is a regular file.
struct Level {
    fd: Arc<OwnedFd>,
    names: Vec<(OsString, bool)>,
    next: usize,
}

/// Scans the tree whose root directory is open at `fd` (with `lstat` result `st`) into
/// `feed`. Fails only when the feed fails.
pub(super) fn scan(
    root: &Path,
    fd: OwnedFd,
    st: &rustix::fs::Stat,
    options: ScanOptions,
    feed: &mut dyn Feed,
) -> Result<(), CliError> {
    let mut s = Scanner {
        options,
        feed,
        owners: Owners::default(),
        root_dev: fingerprint(st).dev,
        path: root.to_path_buf(),
    };
    let mut entry = s.owners.entry(&root_name(root), EntryKind::Dir, st);
    let note = add_xattrs(&mut entry, XattrPlace::Fd(fd.as_fd()));
    s.feed.item(Item::Entry(Box::new(Scanned {
        path: root.to_path_buf(),
        entry,
        note,
        file: None,
        content: None,
        awaits_answer: false,
    })))?;
    let mut stack = Vec::new();
    s.enter(fd, &mut stack)?;
    s.run(stack)
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

struct Scanner<'a> {
    options: ScanOptions,
    feed: &'a mut dyn Feed,
    owners: Owners,
    root_dev: u64,
    path: PathBuf,
}

impl Scanner<'_> {
    fn problem(&mut self, message: &str, drop: bool) -> Result<(), CliError> {
        self.feed
            .item(Item::Problem(self.path.clone(), message.to_string(), drop))
            .map(|_| ())
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
                    names.push((name.to_os_string(), item.file_type() == FileType::RegularFile));
                }
            }
            Ok(())
        });
        if let Err(e) = listed {
            self.problem(
                &format!("cannot list this directory, recorded as empty: {e}"),
                false,
            )?;
            return self.feed.item(Item::Leave).map(|_| ());
        }
        names.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        if self.options.exclude_caches && is_cache(&fd, &names) {
            names.retain(|n| n.0 == "CACHEDIR.TAG");
            self.feed.item(Item::Count(Counted::Cache))?;
        }
        stack.push(Level {
            fd: Arc::new(fd),
            names,
            next: 0,
        });
        Ok(())
    }

    fn run(&mut self, mut stack: Vec<Level>) -> Result<(), CliError> {
        while let Some(top) = stack.last_mut() {
            let Some((name, regular)) = top.names.get(top.next).cloned() else {
                stack.pop();
                self.feed.item(Item::Leave)?;
                self.path.pop();
                continue;
            };
            top.next += 1;
            let dir = top.fd.clone();
            self.path.push(&name);
            let opened = match regular && self.feed.read_ahead() {
                true => self.visit_open(&dir, &name)?,
                false => false,
            };
            if opened {
                self.path.pop();
            } else if let Some(sub) = self.visit(&dir, name)? {
                self.enter(sub, &mut stack)?;
            } else {
                self.path.pop();
            }
        }
        Ok(())
    }

    /// Describes `name` in `dir` to the feed, with its content when the feed reads ahead;
    /// answers the open directory to enter when it is one (the path then stays pushed
    /// until its `Leave`).
    fn visit(&mut self, dir: &Arc<OwnedFd>, name: OsString) -> Result<Option<OwnedFd>, CliError> {
        let st = match statat(dir.as_fd(), &name, AtFlags::SYMLINK_NOFOLLOW) {
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
            return self.feed.item(Item::Count(Counted::Socket)).map(|_| None);
        };
        let mut entry = self.owners.entry(name.as_bytes(), kind, &st);
        if kind == EntryKind::Symlink {
            match readlinkat(dir.as_fd(), &name, Vec::new()) {
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
        let note = add_xattrs(&mut entry, XattrPlace::At(dir.as_fd(), &name));
        let seen = fingerprint(&st);
        let content = (kind == EntryKind::File && seen.size <= AHEAD_MAX_FILE && self.feed.read_ahead())
            .then(|| fetch(dir.as_fd(), &name, seen));
        let awaits_answer = kind == EntryKind::Dir && self.feed.awaits_dirs();
        let scanned = Scanned {
            path: self.path.clone(),
            entry,
            note,
            file: (kind == EntryKind::File && content.is_none()).then(|| FileAt {
                dir: dir.clone(),
                name: name.clone(),
                seen,
            }),
            content,
            awaits_answer,
        };
        let enter = self.feed.item(Item::Entry(Box::new(scanned)))?;
        match kind {
            EntryKind::Dir if enter => self.open_dir(dir.as_fd(), &name, seen),
            _ => Ok(None),
        }
    }

    /// Reads ahead a file the listing calls regular, opening it first: its entry from
    /// `fstat` of the open file (what `lstat` would give: `O_NOFOLLOW` refuses a link),
    /// its extended attributes through the descriptor, then its content: no `lstat` and no
    /// path through `/proc` per file. False, with nothing done, when it cannot be opened
    /// or is no regular file after all: [`Scanner::visit`] then describes it as any entry.
    fn visit_open(&mut self, dir: &Arc<OwnedFd>, name: &OsStr) -> Result<bool, CliError> {
        let Ok(fd) = openat(dir.as_fd(), name, READ_FLAGS, Mode::empty()) else {
            return Ok(false);
        };
        let Ok(st) = fstat(&fd) else { return Ok(false) };
        if kind_of(&st) != Some(EntryKind::File) {
            return Ok(false);
        }
        let mut entry = self.owners.entry(name.as_bytes(), EntryKind::File, &st);
        let note = add_xattrs(&mut entry, XattrPlace::Fd(fd.as_fd()));
        let seen = fingerprint(&st);
        let mut file = File::from(fd);
        let (content, at) = match seen.size <= AHEAD_MAX_FILE {
            true => (Some(read_whole(&mut file, seen)), None),
            false => {
                let at = FileAt {
                    dir: dir.clone(),
                    name: name.to_os_string(),
                    seen,
                };
                (None, Some(at))
            }
        };
        let scanned = Scanned {
            path: self.path.clone(),
            entry,
            note,
            file: at,
            content,
            awaits_answer: false,
        };
        self.feed.item(Item::Entry(Box::new(scanned)))?;
        Ok(true)
    }

    /// Opens a directory just described, to enter it; or reports why not and leaves it.
    fn open_dir(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        seen: Fingerprint,
    ) -> Result<Option<OwnedFd>, CliError> {
        if self.options.one_file_system && seen.dev != self.root_dev {
            self.feed.item(Item::Count(Counted::MountPoint))?;
            self.feed.item(Item::Leave)?;
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
        self.feed.item(Item::Leave)?;
        Ok(None)
    }
}

/// Adds the entry's extended attributes; answers the problem to report, if any.
fn add_xattrs(entry: &mut Entry, place: XattrPlace<'_>) -> Option<String> {
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

/// True when the directory holds a `CACHEDIR.TAG` file that starts with the signature.
fn is_cache(dir: &OwnedFd, names: &[(OsString, bool)]) -> bool {
    if names
        .binary_search_by(|n| n.0.as_bytes().cmp(b"CACHEDIR.TAG"))
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
