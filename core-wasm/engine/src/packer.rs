//! Packs in storage (docs/FORMAT.md §6): writing a finished [`PackBuilder`] as a pack
//! file and its `.idx` sidecar, in that order; listing them; reading a pack's record back
//! from its sidecar.
//!
//! The writer returns what it wrote, bytes included, and does nothing else: its caller
//! gives the pack parity ([`crate::groups::ParityStream`]) and indexes it, so this layer
//! can be used and tested without either.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::PackId;
use crate::index::PackRecord;
use crate::layout::{Dir, StorageKey};
use crate::pack::{self, PackBuilder};
use crate::seal::AAD_PACK_INDEX;
use crate::store::Store;

/// What storage holds of one pack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackFile {
    /// The `.pack` file exists.
    pub pack: bool,
    /// Its `.idx` sidecar exists.
    pub sidecar: bool,
}

/// Every pack id in storage with what exists of it.
pub type PackFiles = BTreeMap<PackId, PackFile>;

/// Lists `packs/data/`: every pack id with whether its `.pack` and `.idx` exist.
pub fn files<H: Host>(store: &Store<H>) -> Result<PackFiles> {
    let mut files = PackFiles::new();
    for key in store.list(Dir::Packs)? {
        match key {
            StorageKey::Pack(id) => files.entry(id).or_default().pack = true,
            StorageKey::PackIndex(id) => files.entry(id).or_default().sidecar = true,
            _ => {}
        }
    }
    Ok(files)
}

/// Ids of the packs whose `.pack` file exists.
pub fn ids<H: Host>(store: &Store<H>) -> Result<BTreeSet<PackId>> {
    Ok(files(store)?
        .into_iter()
        .filter_map(|(id, f)| f.pack.then_some(id))
        .collect())
}

/// The pack's bytes when it exists, has `size` bytes and hashes to its name.
pub fn read_intact<H: Host>(store: &Store<H>, id: &PackId, size: u64) -> Result<Option<Vec<u8>>> {
    Ok(store
        .get_opt(&StorageKey::Pack(*id))?
        .filter(|b| b.len() as u64 == size && store.sha256(b) == *id.as_bytes()))
}

/// A pack's index record, read from its sidecar (which needs the key to open).
pub fn read_record<H: Host>(store: &Store<H>, id: &PackId) -> Result<PackRecord> {
    let idx_key = StorageKey::PackIndex(*id);
    let bad = |detail: String| Error::CorruptIndex {
        file: idx_key.to_string(),
        detail,
    };
    let idx = store
        .get_opt(&idx_key)?
        .ok_or_else(|| bad("the file is missing".into()))?;
    let (header, table) = pack::decode_idx(&idx).map_err(bad)?;
    if header.pack_id != *id {
        return Err(bad("it names another pack".into()));
    }
    let plain = store.open_doc(AAD_PACK_INDEX, table).map_err(bad)?;
    let entries = pack::decode_entries(&plain).map_err(bad)?;
    pack::check_entries(&entries, header.count, header.pack_size, table.len()).map_err(bad)?;
    Ok(PackRecord {
        id: *id,
        size: header.pack_size,
        entries,
    })
}

/// A pack that is now in storage with its sidecar.
pub struct WrittenPack {
    /// Its id, size and entries, as the index records them.
    pub record: PackRecord,
    /// Its bytes (for its parity).
    pub bytes: Vec<u8>,
}

/// Seals the builder's entry table, writes the pack and then its `.idx`; leaves the
/// builder empty.
pub fn write<H: Host>(store: &Store<H>, builder: &mut PackBuilder) -> Result<WrittenPack> {
    let table = store.seal_doc(AAD_PACK_INDEX, &pack::encode_entries(builder.entries()));
    let (bytes, entries) = builder.finish(&table);
    let id = PackId::new(store.sha256(&bytes));
    store.put(&StorageKey::Pack(id), &bytes)?;
    let header = pack::IdxHeader {
        pack_size: bytes.len() as u64,
        pack_id: id,
        count: entries.len() as u32,
    };
    store.put(&StorageKey::PackIndex(id), &pack::encode_idx(&header, &table))?;
    Ok(WrittenPack {
        record: PackRecord {
            id,
            size: bytes.len() as u64,
            entries,
        },
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;
    use crate::ids::BlobId;
    use crate::memory::MemoryHost;
    use crate::pack::BlobKind;
    use crate::store::tests::plain_store;

    #[test]
    fn a_pack_and_its_sidecar_describe_each_other_and_the_builder_is_emptied() {
        let host = MemoryHost::new(1);
        let store = plain_store(&host);
        let mut b = PackBuilder::new();
        b.add(BlobId::new([1; 32]), BlobKind::Data, Codec::None, 3, b"abc");
        b.add(BlobId::new([2; 32]), BlobKind::List, Codec::None, 2, b"de");
        let w = write(&store, &mut b).unwrap();
        assert!(b.is_empty());
        assert_eq!(*w.record.id.as_bytes(), store.sha256(&w.bytes));
        assert_eq!(store.get(&StorageKey::Pack(w.record.id)).unwrap(), w.bytes);
        let idx = store.get(&StorageKey::PackIndex(w.record.id)).unwrap();
        assert_eq!(
            pack::idx_describes(&idx, &w.record.id, &w.bytes).unwrap().count,
            2
        );
        assert_eq!(w.record.entries.len(), 2);
        assert_eq!(w.record.size, w.bytes.len() as u64);
        assert_eq!(host.keys().len(), 2, "a pack and its sidecar, nothing else");
        assert_eq!(read_record(&store, &w.record.id).unwrap(), w.record);
        assert_eq!(
            read_intact(&store, &w.record.id, w.record.size).unwrap(),
            Some(w.bytes.clone())
        );
        assert_eq!(
            read_intact(&store, &w.record.id, w.record.size + 1).unwrap(),
            None
        );
        let f = files(&store).unwrap();
        assert_eq!(
            f[&w.record.id],
            PackFile {
                pack: true,
                sidecar: true
            }
        );
        store.delete(&StorageKey::PackIndex(w.record.id)).unwrap();
        assert!(matches!(
            read_record(&store, &w.record.id),
            Err(Error::CorruptIndex { .. })
        ));
        assert_eq!(
            ids(&store).unwrap().into_iter().collect::<Vec<_>>(),
            vec![w.record.id]
        );
    }
}
