//! A tree item restored as one stream: a POSIX.1-2001 (pax) tar archive, for piping a
//! directory tree where a stream is wanted (`cairn restore --item NAME -o tree.tar`, or to
//! `tar -x` on another machine). Built from a walk of the tree ([`TreeSession`]), entry by
//! entry, so memory holds one header and one batch of chunks, plus the first path of each
//! file with several hard links.
//!
//! Each entry is a ustar header, preceded by a pax extended header (`x`) when a field does
//! not fit ustar: a path over 100 bytes or not ASCII, a link target over 100 bytes, sizes,
//! owners or times beyond the octal fields, nanoseconds, owner names over 32 bytes, and
//! extended attributes (`SCHILY.xattr.NAME`) and POSIX ACLs (`SCHILY.acl.access` and
//! `.default`, as text), as GNU tar and bsdtar read them. Names that
//! are not UTF-8 are written as their bytes with `hdrcharset=BINARY`. Paths start with
//! `./`, the tree's root being `./` itself; a second hard link to a file is a link entry
//! (`1`) naming the first; a sparse file's holes are written as zeros.
//!
//! The tar crate was not used: it is built around `std::path::Path` and `std::fs`, and on
//! `wasm32` a `Path` is text, so names that are bytes could not pass through it.

use std::collections::HashMap;

use super::tree::{TreeSession, TreeStep};
use crate::error::{Error, Result};
use crate::host::Host;
use crate::index::Index;
use crate::store::Store;
use crate::tree::{bytes_of, Entry, EntryKind};

/// Bytes of a tar block.
const BLOCK: usize = 512;

/// Where the stream stands.
enum State {
    /// Between entries.
    Next,
    /// Inside a file's content: bytes still due, then padding.
    Content { left: u64, size: u64, path: String },
    /// The end-of-archive blocks are written.
    Done,
}

/// A tree item as a tar archive, block by block.
pub struct TarStream {
    walk: TreeSession,
    /// The first path of each file with more than one link, by device and inode.
    links: HashMap<(u64, u64), Vec<u8>>,
    state: State,
}

fn corrupt(file: &str, detail: String) -> Error {
    Error::CorruptSnapshot {
        file: file.to_string(),
        detail,
    }
}

impl TarStream {
    /// A tar archive of what `walk` takes.
    pub fn new(walk: TreeSession) -> TarStream {
        TarStream {
            walk,
            links: HashMap::new(),
            state: State::Next,
        }
    }

    /// The walk the archive is made from (for its lock).
    pub fn into_walk(self) -> TreeSession {
        self.walk
    }

    /// The next bytes of the archive; empty at its end.
    pub fn read<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Vec<u8>> {
        loop {
            match &mut self.state {
                State::Done => return Ok(Vec::new()),
                State::Content { left, size, path } => {
                    let block = self.walk.read(store, index)?;
                    if block.is_empty() {
                        if *left != 0 {
                            return Err(corrupt(
                                path,
                                format!("the file holds {} of its {size} bytes", *size - *left),
                            ));
                        }
                        let pad = padding(*size);
                        self.state = State::Next;
                        if pad > 0 {
                            return Ok(vec![0; pad]);
                        }
                        continue;
                    }
                    if block.len() as u64 > *left {
                        return Err(corrupt(
                            path,
                            format!("the file holds more than its {size} bytes"),
                        ));
                    }
                    *left -= block.len() as u64;
                    return Ok(block);
                }
                State::Next => {
                    let Some(step) = self.walk.next(store, index)? else {
                        self.state = State::Done;
                        return Ok(vec![0; 2 * BLOCK]);
                    };
                    return self.entry(step);
                }
            }
        }
    }

    /// The headers of one entry; a file's content follows.
    fn entry(&mut self, step: TreeStep) -> Result<Vec<u8>> {
        let e = &step.entry;
        let below = bytes_of(&step.path, step.path_hex.as_deref()).map_err(Error::InvalidArgument)?;
        let mut path = b"./".to_vec();
        path.extend_from_slice(&below);
        if e.kind == EntryKind::Dir && !below.is_empty() {
            path.push(b'/');
        }
        let shown = String::from_utf8_lossy(&path).into_owned();
        let mut link = None;
        if e.kind == EntryKind::File && e.links > 1 {
            match self.links.get(&(e.dev, e.inode)) {
                Some(first) => link = Some(first.clone()),
                None => drop(self.links.insert((e.dev, e.inode), path.clone())),
            }
        }
        let (flag, size, target) = match (e.kind, link) {
            (EntryKind::File, Some(first)) => (b'1', 0, first),
            (EntryKind::File, None) => (b'0', e.size, Vec::new()),
            (EntryKind::Dir, _) => (b'5', 0, Vec::new()),
            (EntryKind::Symlink, _) => (b'2', 0, e.target_bytes().map_err(|d| corrupt(&shown, d))?),
            (EntryKind::Char, _) => (b'3', 0, Vec::new()),
            (EntryKind::Block, _) => (b'4', 0, Vec::new()),
            (EntryKind::Fifo, _) => (b'6', 0, Vec::new()),
        };
        if flag == b'0' {
            self.state = State::Content {
                left: size,
                size,
                path: shown,
            };
        }
        Ok(headers(e, &path, flag, size, &target))
    }
}

/// Zero bytes that fill the last block of `size` bytes of content.
fn padding(size: u64) -> usize {
    (BLOCK - (size % BLOCK as u64) as usize) % BLOCK
}

/// Writes `value` in octal into `field` (NUL-terminated), or answers false when it does
/// not fit.
fn octal(field: &mut [u8], value: u64) -> bool {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    if text.len() > digits {
        return false;
    }
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
    true
}

/// One pax record: `LEN KEY=VALUE\n`, LEN counting the whole record.
fn record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let body = key.len() + value.len() + 3; // " ", "=", "\n"
    let mut len = body + 1;
    while (body + len.to_string().len()) != len {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// A POSIX ACL in Linux's extended-attribute encoding (version 2, then 8-byte entries of
/// tag, permissions and id) as the text `acl_from_text` reads, with numeric ids:
/// `user::rw-,user:1000:r--,group::r--,mask::r--,other::---`. GNU tar and bsdtar restore
/// ACLs from this text (`SCHILY.acl.*`), not from the attribute. `None` when it does not
/// parse, and the attribute is written as it is.
fn acl_text(value: &[u8]) -> Option<String> {
    let (version, entries) = value.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*version) != 2 || entries.len() % 8 != 0 || entries.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for e in entries.chunks_exact(8) {
        let tag = u16::from_le_bytes([e[0], e[1]]);
        let perm = u16::from_le_bytes([e[2], e[3]]);
        let id = u32::from_le_bytes([e[4], e[5], e[6], e[7]]);
        let who = match tag {
            0x01 => "user:".to_string(),
            0x02 => format!("user:{id}"),
            0x04 => "group:".to_string(),
            0x08 => format!("group:{id}"),
            0x10 => "mask:".to_string(),
            0x20 => "other:".to_string(),
            _ => return None,
        };
        let bit = |b: u16, c: char| if perm & b != 0 { c } else { '-' };
        parts.push(format!("{who}:{}{}{}", bit(4, 'r'), bit(2, 'w'), bit(1, 'x')));
    }
    Some(parts.join(","))
}

/// Linux's device number split into major and minor (glibc's `gnu_dev_major/minor`).
fn major_minor(rdev: u64) -> (u64, u64) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major, minor)
}

/// A ustar header block for `name`, with the fields that fit.
fn ustar(e: &Entry, name: &[u8], flag: u8, size: u64, target: &[u8]) -> ([u8; BLOCK], Vec<&'static str>) {
    let mut h = [0u8; BLOCK];
    let mut missing = Vec::new();
    let fits_text = |b: &[u8], n: usize| b.len() <= n && b.is_ascii();
    if fits_text(name, 100) {
        h[..name.len()].copy_from_slice(name);
    } else {
        let cut: Vec<u8> = name
            .iter()
            .take(100)
            .map(|b| if b.is_ascii() { *b } else { b'_' })
            .collect();
        h[..cut.len()].copy_from_slice(&cut);
        missing.push("path");
    }
    octal(&mut h[100..108], u64::from(e.mode));
    if !octal(&mut h[108..116], u64::from(e.uid)) {
        missing.push("uid");
    }
    if !octal(&mut h[116..124], u64::from(e.gid)) {
        missing.push("gid");
    }
    if !octal(&mut h[124..136], size) {
        missing.push("size");
    }
    let mtime_fits = e.mtime >= 0 && octal(&mut h[136..148], e.mtime as u64);
    if !mtime_fits || e.mtime_ns != 0 {
        if !mtime_fits {
            octal(&mut h[136..148], 0);
        }
        missing.push("mtime");
    }
    h[156] = flag;
    if fits_text(target, 100) {
        h[157..157 + target.len()].copy_from_slice(target);
    } else {
        missing.push("linkpath");
    }
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    for (field, text, key) in [(265..297, &e.user, "uname"), (297..329, &e.group, "gname")] {
        if fits_text(text.as_bytes(), 31) {
            h[field.start..field.start + text.len()].copy_from_slice(text.as_bytes());
        } else {
            missing.push(key);
        }
    }
    if matches!(flag, b'3' | b'4') {
        let (major, minor) = major_minor(e.rdev);
        octal(&mut h[329..337], major);
        octal(&mut h[337..345], minor);
    }
    checksum(&mut h);
    (h, missing)
}

/// Fills in a header's checksum: the sum of its bytes with the field itself as spaces.
fn checksum(h: &mut [u8; BLOCK]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
}

/// The header blocks of one entry: a pax header for what ustar cannot hold, then ustar.
fn headers(e: &Entry, name: &[u8], flag: u8, size: u64, target: &[u8]) -> Vec<u8> {
    let (header, missing) = ustar(e, name, flag, size, target);
    let mut pax = Vec::new();
    if std::str::from_utf8(name).is_err() || std::str::from_utf8(target).is_err() {
        record(&mut pax, "hdrcharset", b"BINARY");
    }
    for key in missing {
        let value = match key {
            "path" => name.to_vec(),
            "linkpath" => target.to_vec(),
            "uid" => e.uid.to_string().into_bytes(),
            "gid" => e.gid.to_string().into_bytes(),
            "size" => size.to_string().into_bytes(),
            "mtime" => format!("{}.{:09}", e.mtime, e.mtime_ns).into_bytes(),
            "uname" => e.user.clone().into_bytes(),
            _ => e.group.clone().into_bytes(),
        };
        record(&mut pax, key, &value);
    }
    for x in &e.xattrs {
        let value = hex::decode(&x.value_hex).unwrap_or_default();
        let acl = match x.name.as_str() {
            "system.posix_acl_access" => Some("SCHILY.acl.access"),
            "system.posix_acl_default" => Some("SCHILY.acl.default"),
            _ => None,
        };
        match acl.zip(acl_text(&value)) {
            Some((key, text)) => record(&mut pax, key, text.as_bytes()),
            None => record(&mut pax, &format!("SCHILY.xattr.{}", x.name), &value),
        }
    }
    let mut out = Vec::with_capacity(3 * BLOCK + pax.len());
    if !pax.is_empty() {
        let leaf = name
            .rsplit(|b| *b == b'/')
            .find(|c| !c.is_empty())
            .unwrap_or(b".");
        let leaf: Vec<u8> = leaf
            .iter()
            .take(80)
            .map(|b| if b.is_ascii() { *b } else { b'_' })
            .collect();
        let mut pax_name = b"./PaxHeaders/".to_vec();
        pax_name.extend_from_slice(&leaf);
        let (mut xh, _) = ustar(e, &pax_name, b'x', pax.len() as u64, b"");
        // The pax header itself is owned by root.
        octal(&mut xh[108..116], 0);
        octal(&mut xh[116..124], 0);
        checksum(&mut xh);
        out.extend_from_slice(&xh);
        let padded = pax.len() + padding(pax.len() as u64);
        out.extend_from_slice(&pax);
        out.resize(BLOCK + padded, 0);
    }
    out.extend_from_slice(&header);
    out
}

#[cfg(test)]
#[path = "tar_tests.rs"]
mod tests;
