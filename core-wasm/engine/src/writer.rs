//! The write path that ingest and prune share: sealed blobs into packs, each pack written
//! with its sidecar ([`crate::packer`]), given parity ([`ParityStream`]) and indexed, in
//! that order (docs/FORMAT.md §11).

use std::collections::HashSet;

use crate::codec::Codec;
use crate::error::Result;
use crate::groups::ParityStream;
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::{Index, PackRecord};
use crate::pack::{BlobKind, PackBuilder};
use crate::packer;
use crate::store::Store;

/// Packs being filled by one operation, and the parity group they go into.
pub struct PackStream {
    builder: PackBuilder,
    parity: ParityStream,
    /// Ids in the open pack: the only stored blobs the index does not know yet.
    pending: HashSet<BlobId>,
    pack_size: usize,
}

impl PackStream {
    /// Packs of `pack_size` bytes (the repository's target), protected by `parity`.
    pub fn new(parity: ParityStream, pack_size: u32) -> Self {
        PackStream {
            builder: PackBuilder::new(),
            parity,
            pending: HashSet::new(),
            pack_size: pack_size as usize,
        }
    }

    /// True when a pack this stream wrote waits for its parity group to be written.
    pub fn awaits_parity(&self, id: &crate::ids::PackId) -> bool {
        self.parity.awaits(id)
    }

    /// True when the blob is in the open pack (stored, but not indexed yet).
    pub fn is_pending(&self, id: &BlobId) -> bool {
        self.pending.contains(id)
    }

    /// Adds one sealed blob; once the open pack reaches its size it is written, given
    /// parity and indexed, and its record is returned.
    #[allow(clippy::too_many_arguments)]
    pub fn add<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        id: BlobId,
        kind: BlobKind,
        codec: Codec,
        raw_len: u32,
        stored: &[u8],
    ) -> Result<Option<PackRecord>> {
        self.builder.add(id, kind, codec, raw_len, stored);
        self.pending.insert(id);
        if self.builder.len() >= self.pack_size {
            return self.flush(store, index);
        }
        Ok(None)
    }

    /// Writes the open pack, if it holds anything: pack and sidecar, parity, index.
    pub fn flush<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<Option<PackRecord>> {
        if self.builder.is_empty() {
            return Ok(None);
        }
        let written = packer::write(store, &mut self.builder)?;
        self.parity.protect(store, written.record.id, &written.bytes)?;
        index.add(&written.record);
        self.pending.clear();
        Ok(Some(written.record))
    }

    /// Writes the open pack and the group not full yet: every pack this stream wrote has
    /// parity when this returns.
    pub fn finish<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<Option<PackRecord>> {
        let last = self.flush(store, index)?;
        self.parity.finish(store)?;
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups;
    use crate::layout::{Dir, StorageKey};
    use crate::memory::MemoryHost;
    use crate::store::tests::plain_store;

    #[test]
    fn full_packs_are_written_protected_and_indexed_in_that_order() {
        let host = MemoryHost::new(1);
        let store = plain_store(&host);
        let mut index = Index::default();
        let mut s = PackStream::new(ParityStream::default(), 4096);
        let mut records = Vec::new();
        for i in 0..11u8 {
            let blob = vec![i; 1000];
            let id = store.blob_id(&blob);
            if let Some(r) = s
                .add(&store, &mut index, id, BlobKind::Data, Codec::None, 1000, &blob)
                .unwrap()
            {
                records.push(r);
            }
            assert!(s.is_pending(&id) || index.contains(&id));
        }
        assert_eq!(records.len(), 2, "two packs of 5 blobs filled");
        records.extend(s.finish(&store, &mut index).unwrap());
        assert_eq!(records.len(), 3);
        assert_eq!(index.blob_count(), 11);
        let packs = store.list(Dir::Packs).unwrap();
        assert_eq!(packs.len(), 6, "three packs, three sidecars");
        for r in &records {
            assert!(packs.contains(&StorageKey::Pack(r.id)) && packs.contains(&StorageKey::PackIndex(r.id)));
        }
        let all = groups::groups(&store).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].1.as_ref().unwrap().members.len(),
            3,
            "every pack has parity"
        );
    }
}
