//! Copy between repositories (docs/DESIGN.md §30): an **export** session on the source
//! turns snapshots into a byte stream (docs/FORMAT.md §9c), and an **import** session on
//! the destination turns that stream into new snapshots with the same creation time,
//! tags, host, user, items and tree entries, chunked and deduplicated by the
//! destination's own chunker and keys. Hosts only move bytes from `read` on one engine to
//! `write` on the other, so any storage pairs with any, and plain, encrypted and
//! differently keyed repositories copy alike (chunk ids are keyed per repository, so
//! blobs cannot move as they are). What the destination has already (`known_originals`)
//! the export leaves out.
//!
//! The stream is `CAIRNSS1` then frames, `kind (u8) || length (u32 LE) || payload`: per
//! snapshot a header, then per item an item frame, its entries (trees) and data, then an
//! end frame; [`Frame`] lists them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::SnapshotId;
use crate::manifest::SnapshotFilter;

mod export;
mod import;
pub use export::ExportSession;
pub use import::ImportSession;

/// The first bytes of a snapshot stream; the digit is its version.
pub const STREAM_MAGIC: &[u8; 8] = b"CAIRNSS1";
/// Bytes of a frame's head: kind and payload length.
pub const FRAME_HEAD: usize = 5;
/// The largest JSON payload a reader accepts (a tree entry with every extended attribute
/// at its largest fits).
pub const MAX_JSON_FRAME: u32 = 160 << 20;
/// The largest data payload a writer writes, and a reader accepts.
pub const MAX_DATA_FRAME: u32 = 16 << 20;

/// The kinds of frames, with their byte values (part of the stream format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
#[repr(u8)]
pub enum Frame {
    /// [`StreamHeader`] as JSON: a snapshot begins.
    Header = 1,
    /// [`StreamItem`] as JSON: a stream item begins; its bytes follow in data frames.
    Item = 2,
    /// [`StreamItem`] as JSON: a tree item begins; its entries follow.
    Tree = 3,
    /// A tree entry as JSON (the [`crate::tree::Entry`] `tree_entry` takes), depth-first
    /// as `tree_entry` takes them; a file's bytes follow in data frames.
    Entry = 4,
    /// No payload: the directory entered last is complete.
    Leave = 5,
    /// Bytes of the current stream item, or of the file given last.
    Data = 6,
    /// [`StreamEnd`] as JSON: the snapshot is complete.
    End = 7,
}

impl Frame {
    /// The frame kind of a byte.
    pub fn of(byte: u8) -> Option<Frame> {
        <Frame as strum::IntoEnumIterator>::iter().find(|f| *f as u8 == byte)
    }
}

/// What a copy keeps of the source snapshot besides its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamHeader {
    /// The source snapshot's id.
    pub source: SnapshotId,
    /// Bytes of content its items hold (its `originalSize`), for progress.
    pub size: u64,
    /// The source's creation time.
    pub created_at: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its host, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its user, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The snapshot the copy descends from: the source's `original`, or the source.
    pub original: SnapshotId,
    /// The source's warnings (entries it could not store as they were).
    #[serde(default)]
    pub warnings: u64,
}

/// An item of the stream: its name, type and where it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamItem {
    /// The item's name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its recorded path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// The last frame of a snapshot: what it held, for the reader to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamEnd {
    /// Items of the snapshot.
    pub items: u64,
    /// Bytes of its data frames: the source's `originalSize`.
    pub bytes: u64,
}

/// Arguments of `export_begin`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct ExportArgs {
    /// The snapshots: full ids, unique prefixes or `latest` (the newest `filter` passes);
    /// left out, every snapshot `filter` passes. They are exported oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub snapshots: Vec<String>,
    /// Which snapshots count.
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
    /// What the destination has (its `known_originals`): a snapshot whose id or
    /// `original` is among them is left out.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub skip: Vec<SnapshotId>,
}

/// The answer of `export_begin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct ExportBegun {
    /// The session `read` drains (an empty block at the end) and `restore_end` ends.
    pub session: u32,
    /// The snapshots the stream holds, in order.
    pub snapshots: Vec<SnapshotId>,
    /// The snapshots left out, which the destination has.
    pub skipped: Vec<SnapshotId>,
    /// Bytes of content in the stream (its frames add a little).
    pub size: u64,
}

/// One snapshot copied: its id in the source and in the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct Copied {
    /// The source snapshot.
    pub from: SnapshotId,
    /// The new snapshot in the destination.
    pub to: SnapshotId,
}

/// What a copy did: the answer of the CLI's `copy --json` and of the JS package's
/// `copy`, which drive `export_begin`, `import_begin` and `import_finish`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct CopyResult {
    /// The snapshots copied, in order.
    pub copied: Vec<Copied>,
    /// The source snapshots left out because the destination has them (or a copy).
    pub skipped: Vec<SnapshotId>,
}

/// One frame as bytes.
pub fn frame(kind: Frame, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEAD + payload.len());
    out.push(kind as u8);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// One frame of JSON.
pub fn json_frame<T: Serialize>(kind: Frame, value: &T) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(value).map_err(|e| Error::Internal(format!("stream frame: {e}")))?;
    Ok(frame(kind, &json))
}

/// A malformed stream: what `import` says of bytes that are not one.
pub fn bad_stream(detail: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("not a Cairn snapshot stream: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_a_head_and_known_kinds() {
        let f = frame(Frame::Data, b"abc");
        assert_eq!(f, [6, 3, 0, 0, 0, b'a', b'b', b'c']);
        for k in <Frame as strum::IntoEnumIterator>::iter() {
            assert_eq!(Frame::of(k as u8), Some(k));
        }
        assert_eq!(Frame::of(0), None);
        assert_eq!(Frame::of(8), None);
    }
}
