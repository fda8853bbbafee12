//! Global index segments in storage (docs/FORMAT.md §7): loading them into an [`Index`],
//! writing new ones, and replacing the whole index.
//!
//! The index is the union of the packs of every segment no other segment supersedes. A
//! segment is immutable and named by its SHA-256; new packs get a new segment, and
//! maintenance replaces the index by writing segments whose last one supersedes all the
//! old ones, deleting those only afterwards.

use std::collections::HashSet;

use crate::ahead;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::SegmentId;
use crate::index::{self, Index, PackRecord, SegmentBody, SEGMENT_MAGIC};
use crate::layout::{Dir, StorageKey};
use crate::seal::AAD_INDEX;
use crate::store::Store;

/// Packs per index segment: a long ingest writes a segment every this many packs.
pub const SEGMENT_PACKS: usize = 256;

/// Ids of the index segments in storage, sorted.
pub fn ids<H: Host>(store: &Store<H>) -> Result<Vec<SegmentId>> {
    store.list_ids(Dir::Index, |k| match k {
        StorageKey::Segment(id) => Some(id),
        _ => None,
    })
}

/// Reads and checks one segment; a segment deleted meanwhile (superseded by another
/// process) reads as empty.
pub fn read<H: Host>(store: &Store<H>, id: &SegmentId) -> Result<SegmentBody> {
    let key = StorageKey::Segment(*id);
    let corrupt = |detail: String| Error::CorruptIndex {
        file: key.to_string(),
        detail,
    };
    let Some(stored) = store.get_opt(&key)? else {
        return Ok((Vec::new(), Vec::new()));
    };
    if store.sha256(&stored) != *id.as_bytes() {
        return Err(corrupt("its bytes do not match its name (SHA-256)".into()));
    }
    if stored.len() >= 8 && stored[..7] == SEGMENT_MAGIC[..7] && stored[7] != SEGMENT_MAGIC[7] {
        // The magic's last digit is the segment format's version (docs/FORMAT.md §13).
        return Err(Error::UnsupportedVersion {
            what: format!("index segment {key}"),
            found: stored[7].wrapping_sub(b'0') as u64,
            supported: 1,
        });
    }
    if stored.len() < 8 || &stored[..8] != SEGMENT_MAGIC {
        return Err(corrupt("not an index segment (bad magic)".into()));
    }
    let body = store.open_doc(AAD_INDEX, &stored[8..]).map_err(corrupt)?;
    index::decode_segment(&body).map_err(corrupt)
}

/// Writes a segment listing `packs` and superseding `supersedes`; records it in `index`
/// as loaded (the caller has added the packs already) and returns its id.
pub fn write<H: Host>(
    store: &Store<H>,
    index: &mut Index,
    supersedes: &[SegmentId],
    packs: &[PackRecord],
) -> Result<SegmentId> {
    let body = index::encode_segment(supersedes, packs);
    let mut stored = SEGMENT_MAGIC.to_vec();
    stored.extend_from_slice(&store.seal_doc(AAD_INDEX, &body));
    let id = SegmentId::new(store.sha256(&stored));
    store.put(&StorageKey::Segment(id), &stored)?;
    index.mark_segment(id);
    Ok(id)
}

/// Loads the segments written since `index` was last loaded (by this or another process).
/// A new segment that supersedes others makes the whole index reload without them.
pub fn refresh<H: Host>(store: &Store<H>, index: &mut Index) -> Result<()> {
    let mut fresh = Vec::new();
    let new: Vec<SegmentId> = ids(store)?
        .into_iter()
        .filter(|id| !index.has_segment(id))
        .collect();
    for (id, read) in read_each(store, new) {
        fresh.push((id, read?));
    }
    if fresh.iter().any(|(_, (sup, _))| !sup.is_empty()) {
        *index = load(store)?;
        return Ok(());
    }
    for (id, (_, packs)) in fresh {
        packs.iter().for_each(|p| index.add(p));
        index.mark_segment(id);
    }
    Ok(())
}

/// The index of every segment in storage; the first damaged segment is the error.
pub fn load<H: Host>(store: &Store<H>) -> Result<Index> {
    let mut all = Vec::new();
    for (id, read) in read_each(store, ids(store)?) {
        all.push((id, read?));
    }
    Ok(index_of(all))
}

/// The segments `ids`, in order, each read and checked ([`read`]) as it is taken, the
/// reads announced ahead ([`ahead::read_each`]) so that a storage far away fetches several
/// at once.
pub fn read_each<H: Host>(
    store: &Store<H>,
    ids: Vec<SegmentId>,
) -> impl Iterator<Item = (SegmentId, Result<SegmentBody>)> + '_ {
    ahead::read_each(store, ids, StorageKey::Segment, |s, id| read(s, &id))
}

/// The index of every segment that reads back intact, and the errors of those that do
/// not (verify and repair report them instead of stopping at the first).
pub fn load_tolerant<H: Host>(store: &Store<H>) -> Result<(Index, Vec<Error>)> {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for (id, read) in read_each(store, ids(store)?) {
        match read {
            Ok(s) => all.push((id, s)),
            // A newer format must not be taken for damage (and superseded by a reindex).
            Err(e @ (Error::Storage { .. } | Error::UnsupportedVersion { .. })) => return Err(e),
            Err(e) => errors.push(e),
        }
    }
    Ok((index_of(all), errors))
}

/// Replaces the whole global index by one listing exactly `records`, in segments of
/// [`SEGMENT_PACKS`] packs. The last segment supersedes every older one, and those are
/// deleted only after it exists: until then the old index stays in force, so a crash
/// leaves at worst duplicate entries. `index` becomes the new index.
pub fn replace<H: Host>(store: &Store<H>, index: &mut Index, records: &[PackRecord]) -> Result<()> {
    let old = ids(store)?;
    let batches: Vec<&[PackRecord]> = records.chunks(SEGMENT_PACKS).collect();
    let mut fresh = Index::default();
    let mut written = Vec::new();
    for (i, batch) in batches.iter().enumerate() {
        let supersedes: &[SegmentId] = if i + 1 == batches.len() { &old } else { &[] };
        batch.iter().for_each(|p| fresh.add(p));
        written.push(write(store, &mut fresh, supersedes, batch)?);
    }
    if batches.is_empty() && !old.is_empty() {
        written.push(write(store, &mut fresh, &old, &[])?);
    }
    for id in old.iter().filter(|id| !written.contains(id)) {
        store.delete(&StorageKey::Segment(*id))?;
    }
    *index = fresh;
    Ok(())
}

/// The index of a set of segments: every pack of every segment no other segment supersedes.
fn index_of(all: Vec<(SegmentId, SegmentBody)>) -> Index {
    let superseded: HashSet<SegmentId> = all.iter().flat_map(|(_, (sup, _))| sup.iter().copied()).collect();
    let mut index = Index::default();
    for (id, (_, packs)) in all {
        if !superseded.contains(&id) {
            packs.iter().for_each(|p| index.add(p));
        }
        index.mark_segment(id);
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PackId;
    use crate::memory::MemoryHost;
    use crate::store::tests::plain_store;

    fn record(b: u8) -> PackRecord {
        PackRecord {
            id: PackId::new([b; 32]),
            size: 100,
            entries: Vec::new(),
        }
    }

    #[test]
    fn segments_accumulate_and_a_replacement_supersedes_them_all() {
        let host = MemoryHost::new(1);
        let store = plain_store(&host);
        let mut index = Index::default();
        for b in 1..=3 {
            index.add(&record(b));
            write(&store, &mut index, &[], &[record(b)]).unwrap();
        }
        let mut other = Index::default();
        refresh(&store, &mut other).unwrap();
        assert_eq!(other.pack_count(), 3, "another engine sees every segment");
        replace(&store, &mut index, &[record(2), record(9)]).unwrap();
        assert_eq!(ids(&store).unwrap().len(), 1, "the old segments are gone");
        refresh(&store, &mut other).unwrap();
        let packs: Vec<PackId> = other.packs().map(|(id, _)| id).collect();
        assert_eq!(
            packs,
            vec![PackId::new([2; 32]), PackId::new([9; 32])],
            "a superseding segment reloads"
        );
        assert_eq!(load(&store).unwrap().pack_count(), 2);
    }

    #[test]
    fn a_damaged_segment_is_named_and_the_others_still_load_tolerantly() {
        let host = MemoryHost::new(2);
        let store = plain_store(&host);
        let mut index = Index::default();
        let good = write(&store, &mut index, &[], &[record(1)]).unwrap();
        let bad = write(&store, &mut index, &[], &[record(2)]).unwrap();
        let key = StorageKey::Segment(bad).to_string();
        let mut bytes = host.object(&key).unwrap();
        bytes[10] ^= 1;
        host.set_object(&key, bytes);
        let e = load(&store).err().unwrap();
        assert!(
            matches!(&e, Error::CorruptIndex { file, .. } if *file == key),
            "{e}"
        );
        let (index, errors) = load_tolerant(&store).unwrap();
        assert_eq!((index.pack_count(), errors.len()), (1, 1));
        assert!(index.has_segment(&good));
    }
}
