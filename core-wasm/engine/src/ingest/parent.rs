//! The parent snapshot's tree as an ingest of a tree item reads it: directory by
//! directory, forward in name order, to find the entries a file system walk meets again
//! (docs/FORMAT.md §9b, "incremental by metadata").

use crate::error::{Error, Result};
use crate::host::Host;
use crate::index::Index;
use crate::store::Store;
use crate::tree::{Chunks, Content, Entry, EntryKind, Node};
use crate::treewalk::DirCursor;

/// The same directory in the parent snapshot, read forward as names come. A parent piece
/// that cannot be read only means nothing more of this directory is reused.
pub(super) struct ParentDir(Option<DirCursor>);

impl ParentDir {
    pub(super) fn of(node: Option<Node>) -> Option<ParentDir> {
        match node?.content {
            Content::Dir(pieces) => Some(ParentDir(Some(DirCursor::new(
                &pieces,
                "the parent snapshot".into(),
            )))),
            _ => None,
        }
    }

    /// The parent's entry named `name`, if any; names must be asked in increasing order.
    pub(super) fn find<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &Index,
        name: &[u8],
    ) -> Result<Option<Node>> {
        let Some(cursor) = self.0.as_mut() else {
            return Ok(None);
        };
        match cursor.seek(store, index, name) {
            Ok(found) => Ok(found),
            Err(e @ Error::Storage { .. }) => Err(e),
            Err(_) => {
                self.0 = None;
                Ok(None)
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
