//! The global chunk index: which pack holds each blob, and where.
//!
//! On storage it is a set of immutable segments in `index/`, each written once by the
//! operation that wrote the packs it lists (docs/FORMAT.md §7); this module is their
//! encoding and the in-memory index, a hash map from blob id to location. Reading and
//! writing segments is [`crate::segments`].

use std::collections::{HashMap, HashSet};

use crate::codec::Codec;
use crate::ids::{BlobId, PackId, SegmentId};
use crate::pack::{self, BlobEntry, BlobKind};

/// First 8 bytes of an index segment.
pub const SEGMENT_MAGIC: &[u8; 8] = b"CAIRNIS1";

/// Where a blob is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Position of the pack in [`Index::pack`].
    pub pack: u32,
    /// Offset of the stored bytes in the pack.
    pub offset: u32,
    /// Length of the stored bytes.
    pub stored_len: u32,
    /// Length of the plaintext.
    pub raw_len: u32,
    /// What the blob holds.
    pub kind: BlobKind,
    /// How it is compressed.
    pub codec: Codec,
}

/// One pack and its entries, as recorded in a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackRecord {
    /// The pack's id (SHA-256 of its bytes).
    pub id: PackId,
    /// Its size in bytes.
    pub size: u64,
    /// Its blobs.
    pub entries: Vec<BlobEntry>,
}

/// The in-memory index.
#[derive(Default)]
pub struct Index {
    packs: Vec<(PackId, u64)>,
    pack_pos: HashMap<PackId, u32>,
    blobs: HashMap<BlobId, Location>,
    /// Segments whose contents are loaded.
    segments: HashSet<SegmentId>,
}

impl Index {
    /// Records a pack and its blobs; a blob already indexed keeps its first location.
    pub fn add(&mut self, record: &PackRecord) {
        let (id, size) = (record.id, record.size);
        let pos = *self.pack_pos.entry(id).or_insert_with(|| {
            self.packs.push((id, size));
            (self.packs.len() - 1) as u32
        });
        for e in &record.entries {
            self.blobs.entry(e.id).or_insert(Location {
                pack: pos,
                offset: e.offset,
                stored_len: e.stored_len,
                raw_len: e.raw_len,
                kind: e.kind,
                codec: e.codec,
            });
        }
    }

    /// The location of a blob.
    pub fn get(&self, id: &BlobId) -> Option<Location> {
        self.blobs.get(id).copied()
    }

    /// True when the blob is indexed.
    pub fn contains(&self, id: &BlobId) -> bool {
        self.blobs.contains_key(id)
    }

    /// Id and size of the pack at a position.
    pub fn pack(&self, pos: u32) -> (PackId, u64) {
        self.packs[pos as usize]
    }

    /// The pack the index places a blob in.
    pub fn pack_of(&self, id: &BlobId) -> Option<PackId> {
        self.get(id).map(|l| self.pack(l.pack).0)
    }

    /// Every indexed pack with its size, in the order they were added.
    pub fn packs(&self) -> impl Iterator<Item = (PackId, u64)> + '_ {
        self.packs.iter().copied()
    }

    /// True when the pack is indexed.
    pub fn has_pack(&self, id: &PackId) -> bool {
        self.pack_pos.contains_key(id)
    }

    /// True when the segment's contents are loaded.
    pub fn has_segment(&self, id: &SegmentId) -> bool {
        self.segments.contains(id)
    }

    /// Records that a segment's contents are loaded.
    pub fn mark_segment(&mut self, id: SegmentId) {
        self.segments.insert(id);
    }

    /// Number of indexed blobs.
    pub fn blob_count(&self) -> usize {
        self.blobs.len()
    }

    /// Number of indexed packs.
    pub fn pack_count(&self) -> usize {
        self.packs.len()
    }
}

/// Encodes a segment's plaintext body: the segments it supersedes, then its packs.
pub fn encode_segment(supersedes: &[SegmentId], packs: &[PackRecord]) -> Vec<u8> {
    let entries: usize = packs.iter().map(|p| p.entries.len()).sum();
    let mut out =
        Vec::with_capacity(8 + supersedes.len() * 32 + packs.len() * 44 + entries * pack::ENTRY_LEN);
    out.extend_from_slice(&(supersedes.len() as u32).to_le_bytes());
    for s in supersedes {
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(&(packs.len() as u32).to_le_bytes());
    for p in packs {
        out.extend_from_slice(p.id.as_bytes());
        out.extend_from_slice(&p.size.to_le_bytes());
        out.extend_from_slice(&(p.entries.len() as u32).to_le_bytes());
        out.extend_from_slice(&pack::encode_entries(&p.entries));
    }
    out
}

/// A decoded segment body: the segments it supersedes, and its packs.
pub type SegmentBody = (Vec<SegmentId>, Vec<PackRecord>);

/// Decodes a segment body; every length is checked before it is trusted.
pub fn decode_segment(body: &[u8]) -> Result<SegmentBody, String> {
    let mut r = Reader { buf: body, pos: 0 };
    let n = r.u32()? as usize;
    if n > body.len() / 32 {
        return Err("segment is truncated".into());
    }
    let supersedes = (0..n)
        .map(|_| r.id().map(SegmentId::new))
        .collect::<Result<Vec<_>, _>>()?;
    let packs_n = r.u32()? as usize;
    let mut packs = Vec::with_capacity(packs_n.min(body.len() / 44));
    for _ in 0..packs_n {
        let id = PackId::new(r.id()?);
        let size = r.u64()?;
        let count = r.u32()? as usize;
        let table = r.take(
            count
                .checked_mul(pack::ENTRY_LEN)
                .ok_or("entry count overflows")?,
        )?;
        let entries = pack::decode_entries(table)?;
        if let Some(e) = entries
            .iter()
            .find(|e| e.offset as u64 + e.stored_len as u64 > size)
        {
            return Err(format!("blob {} lies beyond the end of pack {id}", e.id));
        }
        packs.push(PackRecord { id, size, entries });
    }
    if r.pos != body.len() {
        return Err(format!("{} bytes of trailing garbage", body.len() - r.pos));
    }
    Ok((supersedes, packs))
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or("segment is truncated")?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }
    fn id(&mut self) -> Result<[u8; 32], String> {
        Ok(self.take(32)?.try_into().expect("32 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(b: u8, n: usize) -> PackRecord {
        let entries = (0..n)
            .map(|i| BlobEntry {
                id: BlobId::new([b.wrapping_add(i as u8); 32]),
                offset: 8 + i as u32 * 10,
                stored_len: 10,
                raw_len: 20,
                kind: BlobKind::Data,
                codec: Codec::Gzip,
            })
            .collect();
        PackRecord {
            id: PackId::new([b; 32]),
            size: 1000,
            entries,
        }
    }

    #[test]
    fn segments_round_trip_and_truncation_is_caught() {
        let packs = vec![rec(1, 3), rec(100, 0), rec(200, 2)];
        let body = encode_segment(&[SegmentId::new([9; 32])], &packs);
        assert_eq!(
            decode_segment(&body).unwrap(),
            (vec![SegmentId::new([9; 32])], packs)
        );
        for cut in [0, 3, 40, body.len() - 1] {
            assert!(decode_segment(&body[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = body.clone();
        long.push(0);
        assert!(decode_segment(&long).is_err());
        let mut huge = body;
        huge[36..40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_segment(&huge).is_err());
    }

    #[test]
    fn the_first_location_of_a_blob_wins() {
        let mut idx = Index::default();
        idx.add(&rec(1, 2));
        let dup = PackRecord {
            id: PackId::new([2; 32]),
            ..rec(1, 1)
        };
        idx.add(&dup);
        assert_eq!(idx.pack_count(), 2);
        assert_eq!(idx.blob_count(), 2);
        assert_eq!(idx.pack_of(&BlobId::new([1; 32])), Some(PackId::new([1; 32])));
    }
}
