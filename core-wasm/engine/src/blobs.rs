//! Reading blobs: a chunk or a chunk-list piece, fetched from its pack by the index's
//! location, opened, decompressed and checked against its id (docs/FORMAT.md §12).
//!
//! A blob is read for its bytes, whatever kind the pack records for it: ids do not cover
//! the kind, so a chunk whose bytes equal a chunk-list piece is stored once, under the
//! kind of whichever came first, and both readers get the same, verified bytes.

use crate::error::{Error, Result};
use crate::host::{Host, Planned};
use crate::ids::BlobId;
use crate::index::{Index, Location};
use crate::layout::StorageKey;
use crate::manifest;
use crate::parallel;
pub use crate::parallel::Plaintexts;
use crate::store::Store;

/// Longest span of contiguous blobs fetched with one storage call.
const MAX_SPAN: u64 = 16 << 20;

/// Reads one blob; errors name the pack it lies in.
pub fn read<H: Host>(store: &Store<H>, index: &Index, id: &BlobId) -> Result<Vec<u8>> {
    Ok(read_many(store, index, std::slice::from_ref(id))?
        .pop()
        .expect("one blob asked, one read"))
}

/// Reads several blobs, in order; the first that cannot be read is the error, naming its
/// pack. Blobs that lie back to back in one pack are fetched with one storage call, and
/// they are opened and checked in parallel when the host runs jobs ([`parallel`]).
pub fn read_many<H: Host>(store: &Store<H>, index: &Index, ids: &[BlobId]) -> Result<Vec<Vec<u8>>> {
    let reading = start_reading(store, index, ids)?;
    Ok(finish_reading(store, index, reading)?.into_vecs())
}

/// Blobs lying back to back in one pack, fetched with one storage call.
#[derive(Debug, Clone)]
pub struct Run {
    /// The pack, by its number in the index.
    pub pack: u32,
    /// The first byte in the pack.
    pub start: u64,
    /// How many bytes.
    pub len: u64,
    /// Which of the blobs asked for it holds.
    pub blobs: std::ops::Range<usize>,
}

impl Run {
    /// The storage key of its pack.
    pub fn key(&self, index: &Index) -> StorageKey {
        StorageKey::Pack(index.pack(self.pack).0)
    }

    /// The read that fetches it, as announced to the host ([`Store::will_read`]).
    pub fn planned(&self, index: &Index) -> Planned {
        Planned::Range {
            key: self.key(index).to_string(),
            offset: self.start,
            len: self.len,
        }
    }
}

/// Where the blobs lie, and the runs [`start_reading`] fetches them in: contiguous blobs
/// of one pack, up to 16 MiB each. Computed in this one place, so that reads
/// announced ahead are the reads made.
pub fn runs(index: &Index, ids: &[BlobId]) -> Result<(Vec<Location>, Vec<Run>)> {
    let mut locs = Vec::with_capacity(ids.len());
    for id in ids {
        locs.push(index.get(id).ok_or_else(|| Error::ChunkNotFound(id.to_hex()))?);
    }
    let mut runs = Vec::new();
    let mut i = 0;
    while i < locs.len() {
        let (first, start) = (locs[i], locs[i].offset as u64);
        let mut end = i + 1;
        let mut span_end = start + first.stored_len as u64;
        while end < locs.len()
            && locs[end].pack == first.pack
            && locs[end].offset as u64 == span_end
            && span_end + locs[end].stored_len as u64 - start <= MAX_SPAN
        {
            span_end += locs[end].stored_len as u64;
            end += 1;
        }
        runs.push(Run {
            pack: first.pack,
            start,
            len: span_end - start,
            blobs: i..end,
        });
        i = end;
    }
    Ok((locs, runs))
}

/// Blobs fetched and being opened ([`start_reading`]).
pub struct Reading {
    ids: Vec<BlobId>,
    packs: Vec<u32>,
    opening: parallel::Opening,
}

/// Fetches several blobs and starts opening them (on the host's workers when it runs
/// jobs); [`finish_reading`] gives their plaintext. The caller may work meanwhile.
pub fn start_reading<H: Host>(store: &Store<H>, index: &Index, ids: &[BlobId]) -> Result<Reading> {
    let (locs, runs) = runs(index, ids)?;
    // Each run fetched with one storage call, and where each blob lies in its run.
    let mut spans: Vec<Vec<u8>> = Vec::with_capacity(runs.len());
    let mut at: Vec<(usize, usize)> = Vec::with_capacity(ids.len());
    for run in &runs {
        let span = store
            .get_range(&run.key(index), run.start, run.len)?
            .ok_or_else(|| corrupt(index, run.pack, "the pack file is missing".into()))?;
        for (id, loc) in ids[run.blobs.clone()].iter().zip(&locs[run.blobs.clone()]) {
            let offset = (loc.offset as u64 - run.start) as usize;
            if span.len() < offset + loc.stored_len as usize {
                return Err(corrupt(
                    index,
                    loc.pack,
                    format!("truncated: blob {id} ends past the end of the file"),
                ));
            }
            at.push((spans.len(), offset));
        }
        spans.push(span);
    }
    let sealed: Vec<parallel::Sealed<'_>> = ids
        .iter()
        .zip(&locs)
        .zip(&at)
        .map(|((id, loc), &(span, offset))| {
            let bytes = &spans[span][offset..offset + loc.stored_len as usize];
            (*id, loc.codec, loc.raw_len, bytes)
        })
        .collect();
    Ok(Reading {
        ids: ids.to_vec(),
        packs: locs.iter().map(|l| l.pack).collect(),
        opening: parallel::submit_opens(store, &sealed, true)?,
    })
}

/// The plaintext of the blobs of [`start_reading`], in order, where they were opened; the
/// first that cannot be opened or is not its id is the error, naming its pack.
pub fn finish_reading<H: Host>(
    store: &Store<H>,
    index: &Index,
    reading: Reading,
) -> Result<parallel::Plaintexts> {
    reading
        .opening
        .collect(store)?
        .into_plaintexts()?
        .map_err(|(i, e)| {
            let id = reading.ids[i];
            corrupt(index, reading.packs[i], format!("blob {id}: {e}"))
        })
}

fn corrupt(index: &Index, pack: u32, detail: String) -> Error {
    Error::CorruptPack {
        pack: StorageKey::Pack(index.pack(pack).0).to_string(),
        detail,
    }
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
