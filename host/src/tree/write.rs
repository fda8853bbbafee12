//! Metadata and content written by the [`Applier`](super::Applier): one file being
//! restored with its holes, and an entry's extended attributes, owner, mode and times.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use cairn_core::tree::Entry;
use rustix::fs::Timespec;
use rustix::fs::{
    chmodat, chownat, fchmod, fchown, futimens, utimensat, AtFlags, Gid, Mode, Timestamps, Uid,
};

use super::meta::at_path;
use super::TreeError;

/// Zero bytes that make a hole: an aligned all-zero block of this size is not written.
pub(crate) const HOLE: u64 = 4096;

/// A regular file being restored, its content arriving through [`OpenFile::write`] in
/// pieces of any size. Bytes are decided a [`HOLE`]-aligned block at a time, whatever the
/// pieces' boundaries: an all-zero block is skipped (a hole), runs of other blocks are
/// written with one call each, and the bytes after the last whole block wait in `pending`.
pub(crate) struct OpenFile {
    pub file: File,
    pub path: PathBuf,
    pub entry: Entry,
    /// The file offset `pending` starts at; always a multiple of [`HOLE`].
    pub offset: u64,
    /// Bytes of the block being filled.
    pub pending: Vec<u8>,
    /// Bytes written (holes excluded).
    pub written: u64,
    pub sparse: bool,
}

fn all_zero(block: &[u8]) -> bool {
    let (words, rest) = block.as_chunks::<8>();
    words.iter().all(|w| u64::from_ne_bytes(*w) == 0) && rest.iter().all(|b| *b == 0)
}

impl OpenFile {
    /// Takes the next bytes of the file.
    pub(crate) fn write(&mut self, mut data: &[u8]) -> Result<(), TreeError> {
        const BLOCK: usize = HOLE as usize;
        if !self.pending.is_empty() {
            let take = data.len().min(BLOCK - self.pending.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < BLOCK {
                return Ok(());
            }
            let block = std::mem::take(&mut self.pending);
            self.blocks(&block)?;
        }
        let whole = data.len() / BLOCK * BLOCK;
        self.blocks(&data[..whole])?;
        self.pending.extend_from_slice(&data[whole..]);
        Ok(())
    }

    /// Writes whole blocks at `offset`, skipping the all-zero ones.
    fn blocks(&mut self, data: &[u8]) -> Result<(), TreeError> {
        let mut run = 0; // start of the bytes not yet written
        for (i, block) in data.chunks(HOLE as usize).enumerate() {
            let at = i * HOLE as usize;
            if self.sparse && all_zero(block) {
                self.put(&data[run..at], self.offset + run as u64)?;
                run = at + block.len();
            }
        }
        self.put(&data[run..], self.offset + run as u64)?;
        self.offset += data.len() as u64;
        Ok(())
    }

    /// Writes what is pending and answers the file's length.
    pub(crate) fn flush(&mut self) -> Result<u64, TreeError> {
        let tail = std::mem::take(&mut self.pending);
        self.blocks(&tail)?;
        Ok(self.offset)
    }

    fn put(&mut self, bytes: &[u8], at: u64) -> Result<(), TreeError> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.file
            .write_all_at(bytes, at)
            .map_err(|source| TreeError::Write {
                path: self.path.clone(),
                source,
            })?;
        self.written += bytes.len() as u64;
        Ok(())
    }
}

/// What metadata to set and how; `warn` collects what could not be set.
pub(crate) struct Setter<'a> {
    pub owners: bool,
    pub warn: &'a mut dyn FnMut(String),
}

/// Where an entry's metadata is set: on an open descriptor of it, or on `name` in an open
/// directory without following it (links, pipes, devices).
#[derive(Clone, Copy)]
pub(crate) enum Place<'a> {
    /// The entry, open.
    Fd(BorrowedFd<'a>),
    /// The entry `name` of an open directory.
    At(BorrowedFd<'a>, &'a OsStr),
}

fn times(entry: &Entry) -> Timestamps {
    let mtime = Timespec {
        tv_sec: entry.mtime,
        tv_nsec: entry.mtime_ns.into(),
    };
    Timestamps {
        last_access: mtime,
        last_modification: mtime,
    }
}

impl Setter<'_> {
    /// Sets, in this order: extended attributes, owner (only when `owners`), mode (not
    /// for links, which have none), and the modification time (also as access time).
    /// Each failure becomes a warning; the next is still tried.
    pub(crate) fn apply(&mut self, place: Place<'_>, entry: &Entry, is_link: bool) {
        self.xattrs(place, entry);
        let (uid, gid) = (Some(Uid::from_raw(entry.uid)), Some(Gid::from_raw(entry.gid)));
        let mode = Mode::from_raw_mode(entry.mode as _);
        let (owned, moded, timed) = match place {
            Place::Fd(fd) => (
                self.owners.then(|| fchown(fd, uid, gid)),
                fchmod(fd, mode),
                futimens(fd, &times(entry)),
            ),
            Place::At(dir, name) => (
                self.owners
                    .then(|| chownat(dir, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)),
                if is_link {
                    Ok(())
                } else {
                    chmodat(dir, name, mode, AtFlags::empty())
                },
                utimensat(dir, name, &times(entry), AtFlags::SYMLINK_NOFOLLOW),
            ),
        };
        for (what, result) in [
            ("owner", owned.unwrap_or(Ok(()))),
            ("mode", moded),
            ("time", timed),
        ] {
            if let Err(e) = result {
                (self.warn)(format!("its {what} was not restored: {e}"));
            }
        }
    }

    fn xattrs(&mut self, place: Place<'_>, entry: &Entry) {
        use xattr::FileExt;
        for x in &entry.xattrs {
            let Ok(value) = hex::decode(&x.value_hex) else {
                (self.warn)(format!(
                    "extended attribute `{}` is not hex, not restored",
                    x.name
                ));
                continue;
            };
            let set = match place {
                Place::Fd(fd) => fd
                    .try_clone_to_owned()
                    .and_then(|fd| File::from(fd).set_xattr(&x.name, &value)),
                Place::At(dir, name) => xattr::set(at_path(dir.as_fd(), name), &x.name, &value),
            };
            if let Err(e) = set {
                (self.warn)(format!("extended attribute `{}` was not restored: {e}", x.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn file_entry() -> Entry {
        let json = r#"{"name": "f", "kind": "file", "mode": 420}"#;
        serde_json::from_str(json).unwrap()
    }

    fn restore(content: &[u8], piece: usize, sparse: bool) -> (Vec<u8>, u64, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut file = OpenFile {
            file: File::create(&path).unwrap(),
            path: path.clone(),
            entry: file_entry(),
            offset: 0,
            pending: Vec::new(),
            written: 0,
            sparse,
        };
        for p in content.chunks(piece) {
            file.write(p).unwrap();
        }
        let len = file.flush().unwrap();
        file.file.set_len(len).unwrap();
        let blocks = std::fs::metadata(&path).unwrap().blocks();
        (std::fs::read(&path).unwrap(), file.written, blocks)
    }

    #[test]
    fn zero_blocks_become_holes_wherever_the_pieces_end() {
        // 10 KiB of data, 1 MiB of zeros, 5 bytes of data, 64 KiB of zeros at the end.
        let mut content = vec![9u8; 10 << 10];
        content.extend(vec![0u8; 1 << 20]);
        content.extend(b"tail!");
        content.extend(vec![0u8; 64 << 10]);
        let (_, _, dense_blocks) = restore(&content, 1 << 20, false);
        for piece in [1, 4095, 4096, 7001, 1 << 20, content.len()] {
            let (back, written, blocks) = restore(&content, piece, true);
            assert!(back == content, "piece {piece}: the same bytes");
            // Only the blocks holding data are written: 12 KiB and one block, at most.
            assert!(
                written <= (12 << 10) + HOLE,
                "piece {piece}: {written} bytes written"
            );
            assert!(
                blocks * 512 <= 64 << 10 && blocks < dense_blocks,
                "piece {piece}: {blocks} blocks"
            );
        }
        let (back, written, _) = restore(&content, 7001, false);
        assert!(back == content);
        assert_eq!(
            written,
            content.len() as u64,
            "without sparse every byte is written"
        );
    }

    #[test]
    fn zeros_within_a_block_are_written() {
        let mut content = vec![0u8; HOLE as usize - 1];
        content.push(1);
        content.extend(vec![0u8; 100]);
        let (back, written, _) = restore(&content, 333, true);
        assert_eq!(back, content);
        assert_eq!(
            written, HOLE,
            "the block with a 1 is written, the short zero tail is not"
        );
    }
}
