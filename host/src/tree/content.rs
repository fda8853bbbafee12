//! A regular file's content, read for a walk (docs/DESIGN.md §23) and checked against what
//! `lstat` saw of it: opened without following links or blocking, read to the size
//! `lstat` gave, and reported when it vanished, was replaced or changed meanwhile.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::fd::BorrowedFd;

use cairn_core::tree::EntryKind;
use rustix::fs::{fstat, openat, Mode, OFlags};

use super::meta::{fingerprint, kind_of, Fingerprint};
use crate::error::CliError;

/// How regular files are opened for reading. NONBLOCK: if a pipe took a file's place
/// since it was described, opening must not hang.
pub(super) const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NOCTTY)
    .union(OFlags::NONBLOCK)
    .union(OFlags::CLOEXEC);

/// A file's content as it was read: every byte, then what went wrong, if anything.
#[derive(Default)]
pub(super) struct Fetched {
    /// The bytes read.
    pub bytes: Vec<u8>,
    /// The problem to report after them, and whether it leaves the file out.
    pub problem: Option<(String, bool)>,
}

/// Opens a regular file of `dir` that `lstat` saw as `seen` for reading; or the problem
/// that leaves it out.
fn open_seen(dir: BorrowedFd<'_>, name: &OsStr, seen: Fingerprint) -> Result<File, String> {
    let opened = openat(dir, name, READ_FLAGS, Mode::empty()).and_then(|fd| fstat(&fd).map(|st| (fd, st)));
    match opened {
        Ok((fd, st)) if kind_of(&st) == Some(EntryKind::File) && fingerprint(&st).inode == seen.inode => {
            Ok(File::from(fd))
        }
        Ok(_) => Err("was replaced while it was read, left out".into()),
        Err(rustix::io::Errno::NOENT) => Err("vanished before it was read, left out".into()),
        Err(e) => Err(format!("cannot be read, left out: {e}")),
    }
}

/// The problem of a file read to its end: "changed while it was read" when `fstat` now
/// differs from `seen` or the bytes read from its size.
fn changed(file: &File, seen: Fingerprint, total: u64) -> Option<(String, bool)> {
    let after = fstat(file).map(|st| fingerprint(&st));
    (after.ok() != Some(seen) || total != seen.size).then(|| ("changed while it was read".into(), false))
}

/// Reads a whole regular file of `dir` that `lstat` saw as `seen` (a file read ahead),
/// checking it did not change meanwhile; the answer carries the problem to report after
/// its bytes, if any.
pub(super) fn fetch(dir: BorrowedFd<'_>, name: &OsStr, seen: Fingerprint) -> Fetched {
    match open_seen(dir, name, seen) {
        Ok(mut file) => read_whole(&mut file, seen),
        Err(message) => Fetched {
            bytes: Vec::new(),
            problem: Some((message, true)),
        },
    }
}

/// Reads an open regular file whole, checking it did not change since it looked like
/// `seen`.
pub(super) fn read_whole(file: &mut File, seen: Fingerprint) -> Fetched {
    // Exactly the size `lstat` gave: one read, none to find the end (a file that grew
    // meanwhile has a new size or mtime, which `changed` reports).
    let mut bytes = Vec::with_capacity(seen.size as usize);
    let read = (&mut *file).take(seen.size).read_to_end(&mut bytes);
    let problem = match read {
        Ok(total) => changed(file, seen, total as u64),
        Err(e) => Some((format!("reading failed, left out: {e}"), true)),
    };
    Fetched { bytes, problem }
}

/// Streams a regular file of `dir` that `lstat` saw as `seen` to `out`, a block at a
/// time through `buf` (reused between files), checking it did not change meanwhile;
/// answers the problem to report after the bytes, if any. Fails only when `out` fails.
pub(super) fn stream(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    seen: Fingerprint,
    buf: &mut Vec<u8>,
    out: &mut dyn FnMut(&[u8]) -> Result<(), CliError>,
) -> Result<Option<(String, bool)>, CliError> {
    let mut file = match open_seen(dir, name, seen) {
        Ok(f) => f,
        Err(message) => return Ok(Some((message, true))),
    };
    if buf.len() != super::BLOCK {
        *buf = vec![0; super::BLOCK];
    }
    let mut total = 0u64;
    loop {
        let n = match file.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Ok(Some((format!("reading failed, left out: {e}"), true))),
        };
        total += n as u64;
        out(&buf[..n])?;
        if total == seen.size {
            // All `lstat` promised: skip the read that would find the end (a read per
            // file saved). A file that grew meanwhile has a new size or mtime, which
            // `changed` reports.
            break;
        }
    }
    Ok(changed(&file, seen, total))
}
