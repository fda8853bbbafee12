//! The parent snapshot's tree as an ingest of a tree item reads it: directory by
//! directory, forward in name order, to find the entries a file system walk meets again
//! (docs/FORMAT.md §9b, "incremental by metadata").

use std::collections::VecDeque;

use crate::blobs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::Index;
use crate::store::Store;
use crate::tree::{decode_piece, Chunks, Content, Entry, EntryKind, Node};

/// The same directory in the parent snapshot, read forward as names come. A parent piece
/// that cannot be decoded only means nothing below it is reused.
pub(super) struct ParentDir {
    pieces: VecDeque<BlobId>,
    nodes: VecDeque<Node>,
}

impl ParentDir {
    pub(super) fn of(node: Option<Node>) -> Option<ParentDir> {
        match node?.content {
            Content::Dir(pieces) => Some(ParentDir {
                pieces: pieces.into(),
                nodes: VecDeque::new(),
            }),
            _ => None,
        }
    }

    pub(super) fn find<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &Index,
        name: &[u8],
    ) -> Result<Option<Node>> {
        loop {
            while let Some(n) = self.nodes.front() {
                match n.entry.name_bytes().map(|b| b.as_slice().cmp(name)) {
                    Ok(std::cmp::Ordering::Greater) => return Ok(None),
                    Ok(std::cmp::Ordering::Equal) => return Ok(self.nodes.pop_front()),
                    _ => drop(self.nodes.pop_front()),
                }
            }
            let Some(id) = self.pieces.pop_front() else {
                return Ok(None);
            };
            match blobs::read(store, index, &id) {
                Ok(plain) => self.nodes = decode_piece(&plain).unwrap_or_default().into(),
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(_) => self.pieces.clear(),
            }
        }
    }
}

/// True when the file at `now` is the parent's `was`, unchanged: same size, times and inode.
pub(super) fn unchanged(was: &Entry, now: &Entry) -> bool {
    was.kind == EntryKind::File
        && (
            was.size,
            was.mtime,
            was.mtime_ns,
            was.ctime,
            was.ctime_ns,
            was.inode,
        ) == (
            now.size,
            now.mtime,
            now.mtime_ns,
            now.ctime,
            now.ctime_ns,
            now.inode,
        )
}

/// True when every blob a file's content names directly is in the index.
pub(super) fn present(index: &Index, content: &Content) -> bool {
    match content {
        Content::File {
            chunks: Chunks::Inline(e),
            ..
        } => e.iter().all(|(id, _)| index.contains(id)),
        Content::File {
            chunks: Chunks::Lists(l),
            ..
        } => l.iter().all(|id| index.contains(id)),
        _ => false,
    }
}
