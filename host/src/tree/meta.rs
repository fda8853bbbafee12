//! Entries from `lstat` results, owner names, and extended attributes, shared by the
//! walker and the applier.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use cairn_core::tree::{text_of, Entry, EntryKind, Xattr, MAX_XATTRS};
use rustix::fs::{FileType, Stat};

/// The kind of entry a file type is stored as; `None` for sockets and anything unknown,
/// which trees do not hold.
pub(crate) fn kind_of(stat: &Stat) -> Option<EntryKind> {
    #[allow(clippy::unnecessary_cast)] // st_mode's type differs between targets
    match FileType::from_raw_mode(stat.st_mode as _) {
        FileType::RegularFile => Some(EntryKind::File),
        FileType::Directory => Some(EntryKind::Dir),
        FileType::Symlink => Some(EntryKind::Symlink),
        FileType::Fifo => Some(EntryKind::Fifo),
        FileType::CharacterDevice => Some(EntryKind::Char),
        FileType::BlockDevice => Some(EntryKind::Block),
        _ => None,
    }
}

/// The fields of an `lstat` result that tell whether a file changed while it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub dev: u64,
    pub inode: u64,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

/// Reads a [`Fingerprint`] off a `stat` result.
#[allow(clippy::unnecessary_cast)] // the field types of `struct stat` differ between targets
pub(crate) fn fingerprint(st: &Stat) -> Fingerprint {
    Fingerprint {
        dev: st.st_dev as u64,
        inode: st.st_ino as u64,
        size: st.st_size.max(0) as u64,
        mtime: (st.st_mtime as i64, st.st_mtime_nsec as u32),
        ctime: (st.st_ctime as i64, st.st_ctime_nsec as u32),
    }
}

/// User and group names by id, each looked up once per walk: a tree of a million files
/// has a handful of owners, and `getpwuid_r` may ask NSS (LDAP, sssd) every time.
#[derive(Default)]
pub(crate) struct Owners {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

/// A name as the format holds it: empty when unknown or over 255 bytes.
fn bounded(name: String) -> String {
    if name.len() > 255 {
        String::new()
    } else {
        name
    }
}

impl Owners {
    fn user(&mut self, uid: u32) -> String {
        let found = self.users.entry(uid).or_insert_with(|| {
            let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid));
            bounded(user.ok().flatten().map(|u| u.name).unwrap_or_default())
        });
        found.clone()
    }

    fn group(&mut self, gid: u32) -> String {
        let found = self.groups.entry(gid).or_insert_with(|| {
            let group = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid));
            bounded(group.ok().flatten().map(|g| g.name).unwrap_or_default())
        });
        found.clone()
    }

    /// The entry for `name` with the metadata of `st` (no target, no xattrs yet).
    #[allow(clippy::unnecessary_cast)] // the field types of `struct stat` differ between targets
    pub(crate) fn entry(&mut self, name: &[u8], kind: EntryKind, st: &Stat) -> Entry {
        let (name, name_hex) = text_of(name);
        let print = fingerprint(st);
        Entry {
            name,
            name_hex,
            kind,
            mode: st.st_mode as u32 & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            user: self.user(st.st_uid),
            group: self.group(st.st_gid),
            mtime: print.mtime.0,
            mtime_ns: print.mtime.1,
            ctime: print.ctime.0,
            ctime_ns: print.ctime.1,
            dev: print.dev,
            inode: print.inode,
            links: u32::try_from(st.st_nlink).unwrap_or(u32::MAX),
            size: match kind {
                EntryKind::File | EntryKind::Symlink => print.size,
                _ => 0,
            },
            target: None,
            target_hex: None,
            rdev: match kind {
                EntryKind::Char | EntryKind::Block => st.st_rdev as u64,
                _ => 0,
            },
            xattrs: Vec::new(),
        }
    }
}

/// Where extended attributes of an entry are read or written: an open descriptor of it,
/// or the entry `name` in an open directory.
pub(crate) enum XattrPlace<'a> {
    /// The entry itself, open.
    Fd(BorrowedFd<'a>),
    /// An entry of an open directory (never followed if it is a link).
    At(BorrowedFd<'a>, &'a OsStr),
}

/// A path for the `l*xattr` calls that names `name` in the directory `dir` without
/// resolving the directory's path again: `/proc/self/fd/N/name` (the last component is
/// not followed). Also short, so paths longer than `PATH_MAX` keep their attributes.
pub(crate) fn at_path(dir: BorrowedFd<'_>, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    path.push(name);
    path
}

/// True for the errors that mean "this file system keeps no extended attributes".
pub(crate) fn unsupported(e: &io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::NOTSUP.raw_os_error())
}

/// The names of the extended attributes of an open file, straight through its descriptor
/// (one `flistxattr` when it has none, the common case).
fn fd_names(fd: BorrowedFd<'_>) -> io::Result<Vec<std::ffi::OsString>> {
    let mut buf = vec![0u8; 1024];
    let len = loop {
        match rustix::fs::flistxattr(fd, &mut buf[..]) {
            Ok(n) => break n,
            Err(rustix::io::Errno::RANGE) => {
                buf.resize(rustix::fs::flistxattr_query(fd)?.max(buf.len() * 2), 0)
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok(buf[..len]
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|n| OsStr::from_bytes(n).to_os_string())
        .collect())
}

/// The value of one extended attribute of an open file; `None` when it is gone.
fn fd_value(fd: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<Vec<u8>>> {
    loop {
        let size = match rustix::fs::fgetxattr_query(fd, name) {
            Ok(n) => n,
            Err(rustix::io::Errno::NODATA) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut value = vec![0u8; size];
        match rustix::fs::fgetxattr(fd, name, &mut value[..]) {
            Ok(n) => {
                value.truncate(n);
                return Ok(Some(value));
            }
            // Grown between the two calls: ask its size again.
            Err(rustix::io::Errno::RANGE) => continue,
            Err(rustix::io::Errno::NODATA) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reads the extended attributes of an entry, sorted by name. Names that are not UTF-8
/// are left out and named in the second result (the format keeps text names).
pub(crate) fn read_xattrs(place: XattrPlace<'_>) -> io::Result<(Vec<Xattr>, Vec<String>)> {
    let (names, fd, path) = match place {
        XattrPlace::Fd(fd) => {
            let names = match fd_names(fd) {
                Ok(n) => n,
                Err(e) if unsupported(&e) => Vec::new(),
                Err(e) => return Err(e),
            };
            (names, Some(fd), None)
        }
        XattrPlace::At(dir, name) => {
            let path = at_path(dir, name);
            let names = match xattr::list(&path) {
                Ok(n) => n.collect::<Vec<_>>(),
                Err(e) if unsupported(&e) => Vec::new(),
                Err(e) => return Err(e),
            };
            (names, None, Some(path))
        }
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for name in names {
        let Some(text) = name.to_str() else {
            skipped.push(String::from_utf8_lossy(name.as_bytes()).into_owned());
            continue;
        };
        let value = match (fd, &path) {
            (Some(fd), _) => fd_value(fd, &name),
            (_, Some(p)) => xattr::get(p, &name),
            _ => unreachable!("one of the two is set"),
        };
        // Gone between listing and reading: it is simply not there.
        let Some(value) = value? else { continue };
        out.push(Xattr {
            name: text.to_string(),
            value_hex: hex::encode(&value),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.truncate(MAX_XATTRS);
    Ok((out, skipped))
}
