//! Checking an item's chunk lists against what its manifest entry declares, as they are
//! read (docs/FORMAT.md §9).

use super::{ItemManifest, LIST_MAX_ENTRIES};
use crate::ids::BlobId;

/// Checks an item's chunk lists against its manifest entry while they are read, one list at
/// a time (docs/FORMAT.md §8 and §9): restore and verify stop at the first disagreement
/// instead of trusting the lists beyond what the manifest declares.
#[derive(Debug, Clone)]
pub struct ItemTally {
    lists_left: usize,
    chunks_left: u64,
    bytes_left: u64,
    max_chunk: u32,
}

impl ItemTally {
    /// Checks what the manifest says of the item alone (its list count fits its chunk
    /// count, its size fits chunks of at most `max_chunk` bytes) and starts the tally.
    pub fn new(item: &ItemManifest, max_chunk: u32) -> Result<ItemTally, String> {
        if item.tree.is_some() || item.item.entries.is_some() {
            return Err(format!("item `{}` is a tree, not a stream", item.item.name));
        }
        let what = format!("item `{}`", item.item.name);
        Self::of(
            &what,
            item.item.size,
            item.item.chunk_count,
            item.lists.len(),
            max_chunk,
        )
    }

    /// The same for any content of `size` bytes in `chunks` chunks listed in `lists`
    /// pieces (a stream item, or a file of a tree: docs/FORMAT.md §9b); `what` names it.
    pub fn of(what: &str, size: u64, chunks: u64, lists: usize, max_chunk: u32) -> Result<ItemTally, String> {
        let needed = chunks.div_ceil(LIST_MAX_ENTRIES as u64);
        if lists as u64 != needed {
            return Err(format!(
                "{what} has {lists} chunk lists, its {chunks} chunks need {needed}"
            ));
        }
        let most = chunks.saturating_mul(max_chunk as u64);
        if size < chunks || size > most {
            return Err(format!(
                "{what} declares {size} bytes in {chunks} chunks of 1 to {max_chunk} bytes"
            ));
        }
        Ok(ItemTally {
            lists_left: lists,
            chunks_left: chunks,
            bytes_left: size,
            max_chunk,
        })
    }

    /// Counts one list piece, read in order; fails when it is a list too many, of the
    /// wrong length, names a chunk longer than the repository's chunks, or takes the item
    /// past its declared chunk count or size.
    pub fn add_list(&mut self, entries: &[(BlobId, u32)]) -> Result<(), String> {
        let Some(left) = self.lists_left.checked_sub(1) else {
            return Err("more chunk lists than the manifest declares".into());
        };
        self.lists_left = left;
        let n = entries.len();
        if n == 0 || n > LIST_MAX_ENTRIES || (left > 0 && n != LIST_MAX_ENTRIES) {
            return Err(format!(
                "a chunk list of {n} entries where the format allows {}",
                if left > 0 {
                    "exactly 8192 (not the last list)"
                } else {
                    "1 to 8192"
                }
            ));
        }
        let mut bytes = 0u64;
        for (id, len) in entries {
            if *len == 0 || *len > self.max_chunk {
                return Err(format!(
                    "chunk {id} of {len} bytes, outside 1 to {}",
                    self.max_chunk
                ));
            }
            bytes += *len as u64;
        }
        if n as u64 > self.chunks_left || bytes > self.bytes_left {
            return Err("the chunk lists hold more chunks or bytes than the manifest declares".into());
        }
        self.chunks_left -= n as u64;
        self.bytes_left -= bytes;
        Ok(())
    }

    /// After the last list: fails unless the lists added up to exactly what was declared.
    pub fn finish(&self) -> Result<(), String> {
        if self.lists_left == 0 && self.chunks_left == 0 && self.bytes_left == 0 {
            Ok(())
        } else {
            Err(format!(
                "the chunk lists hold {} fewer chunks and {} fewer bytes than the manifest declares",
                self.chunks_left, self.bytes_left
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tests::item;

    #[test]
    fn the_tally_stops_at_the_first_disagreement_with_the_manifest() {
        let full: Vec<(BlobId, u32)> = vec![(BlobId::new([1; 32]), 100); LIST_MAX_ENTRIES];
        // Two lists, 8192 + 3 chunks of 100 bytes: agrees.
        let mut t = ItemTally::new(&item(819_500, 8195, 2), 4096).unwrap();
        t.add_list(&full).unwrap();
        t.add_list(&full[..3]).unwrap();
        t.finish().unwrap();
        // The same list repeated past the declared count fails on the list too many.
        let mut t = ItemTally::new(&item(819_500, 8195, 2), 4096).unwrap();
        t.add_list(&full).unwrap();
        assert!(t.add_list(&full).unwrap_err().contains("more chunks"));
        // A size no chunks can make, and a list count that does not fit the chunk count.
        assert!(ItemTally::new(&item(u64::MAX, 1, 1), 4096).is_err());
        assert!(ItemTally::new(&item(100, 1, 2), 4096).is_err());
        assert!(ItemTally::new(&item(1, 0, 0), 4096).is_err());
        // A short list that is not the last, a chunk longer than the repository's chunks,
        // and lists that end before the declared size.
        let mut t = ItemTally::new(&item(819_500, 8195, 2), 4096).unwrap();
        assert!(t.add_list(&full[..3]).is_err());
        let mut t = ItemTally::new(&item(4000, 1, 1), 4096).unwrap();
        assert!(t.add_list(&[(BlobId::new([1; 32]), 5000)]).is_err());
        let mut t = ItemTally::new(&item(300, 2, 1), 4096).unwrap();
        t.add_list(&full[..2]).unwrap();
        assert!(t.finish().is_err());
    }
}
