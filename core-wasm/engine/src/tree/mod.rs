//! Directory trees: the entries of a tree item and their encoding in tree pieces
//! (docs/FORMAT.md §9b).
//!
//! A tree item's manifest entry names one **root piece**, a blob holding exactly one
//! entry: the directory that was backed up. Each directory entry names the **pieces** of
//! its own entries, blobs of at most [`PIECE_MAX_ENTRIES`] entries sorted by name bytes;
//! each file entry carries its chunk list (inline when short, as chunk-list blobs
//! otherwise). So listing one directory reads only the pieces on its path, a restore of one
//! file reads no other file's chunks, and a directory nobody changed encodes to the same
//! bytes, hence the same blob, in every snapshot.
//!
//! The [`Entry`] type is also what crosses the API: the host describes each entry of the
//! tree it walks with one, and a listing or restore hands them back. Names and link
//! targets are bytes; in JSON they are text, with a hex copy (`nameHex`, `targetHex`)
//! when the bytes are not UTF-8.

use serde::{Deserialize, Serialize};

use crate::ids::BlobId;

/// Version of the tree-piece encoding (the first byte of every piece).
pub const TREE_VERSION: u8 = 1;
/// Entries per tree piece at most.
pub const PIECE_MAX_ENTRIES: usize = 4096;
/// Plaintext bytes after which a writer starts a new piece.
pub const PIECE_TARGET_BYTES: usize = 1 << 20;
/// Chunks a file entry holds inline at most; longer files use chunk-list blobs.
pub const INLINE_MAX_CHUNKS: usize = 64;
/// Longest entry name, in bytes (Linux's `NAME_MAX`).
pub const MAX_NAME: usize = 255;
/// Longest symbolic-link target, in bytes (Linux's `PATH_MAX`).
pub const MAX_TARGET: usize = 4096;
/// Extended attributes per entry at most.
pub const MAX_XATTRS: usize = 1024;
/// Longest extended-attribute value, in bytes (Linux's `XATTR_SIZE_MAX`).
pub const MAX_XATTR_VALUE: usize = 65536;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file.
    File = 1,
    /// A directory.
    Dir = 2,
    /// A symbolic link.
    Symlink = 3,
    /// A named pipe.
    Fifo = 4,
    /// A character device.
    Char = 5,
    /// A block device.
    Block = 6,
}

impl EntryKind {
    fn from_byte(b: u8) -> Option<EntryKind> {
        <EntryKind as strum::IntoEnumIterator>::iter().find(|k| *k as u8 == b)
    }
}

/// One extended attribute (POSIX ACLs are the `system.posix_acl_*` ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Xattr {
    /// Its name, such as `user.comment`.
    pub name: String,
    /// Its value, as lowercase hex.
    pub value_hex: String,
}

/// One entry of a tree, as the host describes it and as listings show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Its name in its directory (text; invalid UTF-8 replaced, see `nameHex`).
    pub name: String,
    /// The name's bytes as hex, present only when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_hex: Option<String>,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits with set-user-id, set-group-id and sticky (`st_mode & 0o7777`).
    pub mode: u32,
    /// Owner's user id.
    #[serde(default)]
    pub uid: u32,
    /// Owner's group id.
    #[serde(default)]
    pub gid: u32,
    /// Owner's user name, empty when unknown.
    #[serde(default)]
    pub user: String,
    /// Owner's group name, empty when unknown.
    #[serde(default)]
    pub group: String,
    /// Modification time, seconds since the Unix epoch.
    #[serde(default)]
    pub mtime: i64,
    /// Nanoseconds of the modification time.
    #[serde(default)]
    pub mtime_ns: u32,
    /// Status-change time, seconds (change detection only; never restored).
    #[serde(default)]
    pub ctime: i64,
    /// Nanoseconds of the status-change time.
    #[serde(default)]
    pub ctime_ns: u32,
    /// Device of the file system holding it (change detection and hard links).
    #[serde(default)]
    pub dev: u64,
    /// Inode number (change detection and hard links).
    #[serde(default)]
    pub inode: u64,
    /// Hard links to it; entries with more than one and the same `dev` and `inode` are
    /// restored as links to one file.
    #[serde(default)]
    pub links: u32,
    /// A file's bytes (set by the engine from the bytes it stored), a link's target length.
    #[serde(default)]
    pub size: u64,
    /// A symbolic link's target (text; see `targetHex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The target's bytes as hex, present only when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_hex: Option<String>,
    /// A device's number (`st_rdev`).
    #[serde(default)]
    pub rdev: u64,
    /// Extended attributes, sorted by name.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub xattrs: Vec<Xattr>,
}

/// Bytes shown as text: the text (invalid UTF-8 replaced) and, when it is not exact, the hex.
pub fn text_of(bytes: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(_) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(hex::encode(bytes)),
        ),
    }
}

/// The bytes a text and its optional hex copy stand for.
pub fn bytes_of(text: &str, hex_copy: Option<&str>) -> Result<Vec<u8>, String> {
    match hex_copy {
        None => Ok(text.as_bytes().to_vec()),
        Some(h) => hex::decode(h).map_err(|_| format!("`{h}` is not hex")),
    }
}

impl Entry {
    /// The name's bytes.
    pub fn name_bytes(&self) -> Result<Vec<u8>, String> {
        bytes_of(&self.name, self.name_hex.as_deref())
    }

    /// A symbolic link's target bytes (empty for other kinds).
    pub fn target_bytes(&self) -> Result<Vec<u8>, String> {
        match &self.target {
            Some(t) => bytes_of(t, self.target_hex.as_deref()),
            None => Ok(Vec::new()),
        }
    }

    /// Checks what the format requires of an entry (docs/FORMAT.md §9b): its name, target,
    /// mode, owner names and extended attributes are within bounds.
    pub fn check(&self) -> Result<(), String> {
        check_name(&self.name_bytes()?)?;
        if self.mode > 0o7777 {
            return Err(format!("mode {:o} has bits beyond 0o7777", self.mode));
        }
        if self.mtime_ns >= 1_000_000_000 || self.ctime_ns >= 1_000_000_000 {
            return Err("nanoseconds of a time are 1000000000 or more".into());
        }
        if self.user.len() > 255 || self.group.len() > 255 {
            return Err("an owner name is longer than 255 bytes".into());
        }
        let target = self.target_bytes()?;
        match self.kind {
            EntryKind::Symlink if target.is_empty() || target.len() > MAX_TARGET || target.contains(&0) => {
                return Err(format!(
                    "a link target must be 1 to {MAX_TARGET} bytes without NUL"
                ))
            }
            EntryKind::Symlink => {}
            _ if self.target.is_some() => return Err("only a symbolic link has a target".into()),
            _ => {}
        }
        if self.xattrs.len() > MAX_XATTRS {
            return Err(format!("more than {MAX_XATTRS} extended attributes"));
        }
        let mut last: Option<&str> = None;
        for x in &self.xattrs {
            if x.name.is_empty() || x.name.len() > 255 || x.name.contains('\0') {
                return Err(format!(
                    "extended attribute name {:?} is not 1 to 255 bytes",
                    x.name
                ));
            }
            if last.is_some_and(|l| l >= x.name.as_str()) {
                return Err("extended attributes are not sorted by name, or repeat one".into());
            }
            last = Some(&x.name);
            if x.value_hex.len() / 2 > MAX_XATTR_VALUE {
                return Err(format!(
                    "extended attribute `{}` is over {MAX_XATTR_VALUE} bytes",
                    x.name
                ));
            }
            hex::decode(&x.value_hex).map_err(|_| format!("extended attribute `{}` is not hex", x.name))?;
        }
        Ok(())
    }
}

/// Checks an entry name: 1 to [`MAX_NAME`] bytes, no `/` or NUL, not `.` or `..`. Restores
/// rely on it: no name a repository holds can lead out of the target directory.
pub fn check_name(name: &[u8]) -> Result<(), String> {
    if name.is_empty()
        || name.len() > MAX_NAME
        || name.contains(&b'/')
        || name.contains(&0)
        || name == b"."
        || name == b".."
    {
        return Err(format!(
            "entry name {:?} is not 1 to {MAX_NAME} bytes without `/` or NUL, other than `.` and `..`",
            String::from_utf8_lossy(name)
        ));
    }
    Ok(())
}

/// Where a file's chunks are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunks {
    /// The chunk entries themselves (at most [`INLINE_MAX_CHUNKS`]).
    Inline(Vec<(BlobId, u32)>),
    /// Chunk-list blobs, as an item's `lists` (docs/FORMAT.md §9).
    Lists(Vec<BlobId>),
}

/// What an entry holds besides its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A regular file: its chunk count and where they are listed.
    File {
        /// The number of chunks.
        chunk_count: u64,
        /// Where they are listed.
        chunks: Chunks,
    },
    /// A directory: the pieces of its entries, in order.
    Dir(Vec<BlobId>),
    /// Nothing (links keep their target in the entry; pipes and devices hold nothing).
    None,
}

/// An entry with its content, as a piece stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The entry.
    pub entry: Entry,
    /// Its content.
    pub content: Content,
}

mod codec;
pub mod pattern;
pub use codec::{decode_piece, encode_node, PieceWriter};

#[cfg(test)]
mod tests;
