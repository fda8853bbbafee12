//! Reading blobs: a chunk or a chunk-list piece, fetched from its pack by the index's
//! location, opened, decompressed and checked against its id (docs/FORMAT.md §12).
//!
//! A blob is read for its bytes, whatever kind the pack records for it: ids do not cover
//! the kind, so a chunk whose bytes equal a chunk-list piece is stored once, under the
//! kind of whichever came first, and both readers get the same, verified bytes.

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::Index;
use crate::layout::StorageKey;
use crate::manifest;
use crate::store::Store;

/// Reads one blob; errors name the pack it lies in.
pub fn read<H: Host>(store: &Store<H>, index: &Index, id: &BlobId) -> Result<Vec<u8>> {
    let loc = index.get(id).ok_or_else(|| Error::ChunkNotFound(id.to_hex()))?;
    let (pack, _) = index.pack(loc.pack);
    let key = StorageKey::Pack(pack);
    let corrupt = |detail: String| Error::CorruptPack {
        pack: key.to_string(),
        detail,
    };
    let stored = store
        .get_range(&key, loc.offset as u64, loc.stored_len as u64)?
        .ok_or_else(|| corrupt("the pack file is missing".into()))?;
    if stored.len() != loc.stored_len as usize {
        return Err(corrupt(format!(
            "truncated: blob {id} ends past the end of the file"
        )));
    }
    let plain = store
        .open_blob(loc.codec, loc.raw_len as usize, &stored)
        .map_err(|e| corrupt(format!("blob {id}: {e}")))?;
    if store.blob_id(&plain) != *id {
        return Err(corrupt(format!("blob {id} does not hash to its id")));
    }
    Ok(plain)
}

/// Reads one chunk-list blob: the `(chunk id, length)` pairs it names, in order.
pub fn read_list<H: Host>(store: &Store<H>, index: &Index, list: &BlobId) -> Result<Vec<(BlobId, u32)>> {
    let bytes = read(store, index, list)?;
    manifest::decode_list(&bytes).map_err(|detail| Error::CorruptSnapshot {
        file: format!("chunk list {list}"),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::ParityStream;
    use crate::memory::MemoryHost;
    use crate::store::tests::plain_store;
    use crate::writer::PackStream;

    #[test]
    fn blobs_read_back_verified_and_damage_names_the_pack() {
        let host = MemoryHost::new(1);
        let store = plain_store(&host);
        let mut index = Index::default();
        let data = b"some chunk bytes, some chunk bytes, some chunk bytes".repeat(50);
        let id = store.blob_id(&data);
        let (codec, stored) = store.seal_blob(&data);
        let mut packs = PackStream::new(ParityStream::without_resume(), 1 << 20);
        packs
            .add(
                &store,
                &mut index,
                id,
                crate::pack::BlobKind::Data,
                codec,
                data.len() as u32,
                &stored,
            )
            .unwrap();
        let record = packs.finish(&store, &mut index).unwrap().unwrap();
        assert_eq!(read(&store, &index, &id).unwrap(), data);
        assert!(matches!(
            read(&store, &index, &BlobId::new([7; 32])),
            Err(Error::ChunkNotFound(_))
        ));
        let key = StorageKey::Pack(record.id).to_string();
        let mut bytes = host.object(&key).unwrap();
        bytes[8 + stored.len() / 2] ^= 0xff; // inside the deflate stream
        host.set_object(&key, bytes);
        let Err(e) = read(&store, &index, &id) else {
            panic!("the damage is not found")
        };
        assert!(
            matches!(&e, Error::CorruptPack { pack, .. } if *pack == key),
            "{e}"
        );
        store.delete(&StorageKey::Pack(record.id)).unwrap();
        let Err(e) = read(&store, &index, &id) else {
            panic!("the missing pack is not found")
        };
        assert!(e.to_string().contains("missing"), "{e}");
    }
}
