//! Pack files and their `.idx` sidecars (docs/FORMAT.md, "Packs").
//!
//! A pack concatenates sealed blobs and ends with a table of its entries (sealed like any
//! other object), so that a pack describes itself. The `.idx` sidecar repeats that table
//! behind a plaintext header naming the pack's size and hash: the global index can be
//! rebuilt from sidecars without reading packs, a lost sidecar can be rebuilt from its pack
//! without the key, and a pack can be checked against its sidecar without the key.

use crate::codec::Codec;
use crate::ids::{BlobId, PackId};

/// First 8 bytes of a pack.
pub const PACK_MAGIC: &[u8; 8] = b"CAIRNPK1";
/// Last 8 bytes of a pack.
pub const PACK_END: &[u8; 8] = b"CAIRNPE1";
/// First 8 bytes of a `.idx` sidecar.
pub const IDX_MAGIC: &[u8; 8] = b"CAIRNIX1";
/// Bytes of one encoded [`BlobEntry`].
pub const ENTRY_LEN: usize = 48;
/// The longest plaintext of any blob: the largest chunk a repository may make (`max` of
/// its chunking, at most 16 MiB); chunk-list pieces are shorter (docs/FORMAT.md §14). An
/// entry that declares more is damage, refused before anything is sized by it.
pub const MAX_RAW_LEN: u32 = 16 << 20;
/// Bytes of the `.idx` header: magic, pack size, pack hash, entry count.
pub const IDX_HEADER_LEN: usize = 8 + 8 + 32 + 4;

/// What a blob holds; the byte values are part of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum BlobKind {
    /// A chunk of an item's bytes.
    Data = 0,
    /// A piece of an item's chunk list.
    List = 1,
}

/// One blob of a pack: where it is and how to decode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobEntry {
    /// The blob's id: SHA-256 (plain) or HMAC-SHA-256 (encrypted) of its plaintext.
    pub id: BlobId,
    /// Offset of the stored bytes from the start of the pack.
    pub offset: u32,
    /// Length of the stored bytes.
    pub stored_len: u32,
    /// Length of the plaintext.
    pub raw_len: u32,
    /// What the blob holds.
    pub kind: BlobKind,
    /// How the plaintext was compressed.
    pub codec: Codec,
}

/// Encodes entries as the pack index table (48 bytes each, little-endian).
pub fn encode_entries(entries: &[BlobEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY_LEN);
    for e in entries {
        out.extend_from_slice(e.id.as_bytes());
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.extend_from_slice(&e.stored_len.to_le_bytes());
        out.extend_from_slice(&e.raw_len.to_le_bytes());
        out.push(e.kind as u8);
        out.push(e.codec as u8);
        out.extend_from_slice(&[0, 0]);
    }
    out
}

/// Decodes a pack index table, checking every field it can without the pack.
pub fn decode_entries(bytes: &[u8]) -> Result<Vec<BlobEntry>, String> {
    if !bytes.len().is_multiple_of(ENTRY_LEN) {
        return Err(format!(
            "entry table of {} bytes is not a multiple of {ENTRY_LEN}",
            bytes.len()
        ));
    }
    bytes
        .chunks_exact(ENTRY_LEN)
        .enumerate()
        .map(|(i, e)| {
            let u32_at = |o: usize| u32::from_le_bytes(e[o..o + 4].try_into().expect("4 bytes"));
            let kind = match e[44] {
                0 => BlobKind::Data,
                1 => BlobKind::List,
                k => return Err(format!("entry {i} has unknown kind {k}")),
            };
            let codec =
                Codec::from_byte(e[45]).ok_or_else(|| format!("entry {i} has unknown codec {}", e[45]))?;
            if u32_at(40) > MAX_RAW_LEN {
                return Err(format!(
                    "entry {i} declares {} bytes of plaintext, more than any blob holds ({MAX_RAW_LEN})",
                    u32_at(40)
                ));
            }
            Ok(BlobEntry {
                id: BlobId::new(e[..32].try_into().expect("32 bytes")),
                offset: u32_at(32),
                stored_len: u32_at(36),
                raw_len: u32_at(40),
                kind,
                codec,
            })
        })
        .collect()
}

/// Accumulates sealed blobs into one pack.
#[derive(Default)]
pub struct PackBuilder {
    buf: Vec<u8>,
    entries: Vec<BlobEntry>,
}

impl PackBuilder {
    /// An empty pack.
    pub fn new() -> Self {
        PackBuilder {
            buf: PACK_MAGIC.to_vec(),
            entries: Vec::new(),
        }
    }

    /// Appends one sealed blob.
    pub fn add(&mut self, id: BlobId, kind: BlobKind, codec: Codec, raw_len: u32, stored: &[u8]) {
        if self.buf.is_empty() {
            self.buf.extend_from_slice(PACK_MAGIC);
        }
        let offset = self.buf.len() as u32;
        self.buf.extend_from_slice(stored);
        self.entries.push(BlobEntry {
            id,
            offset,
            stored_len: stored.len() as u32,
            raw_len,
            kind,
            codec,
        });
    }

    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when no blob was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries so far.
    pub fn entries(&self) -> &[BlobEntry] {
        &self.entries
    }

    /// Ends the pack with its sealed entry table; returns the pack bytes and the entries,
    /// and leaves the builder empty.
    pub fn finish(&mut self, sealed_table: &[u8]) -> (Vec<u8>, Vec<BlobEntry>) {
        let mut buf = std::mem::take(&mut self.buf);
        if buf.is_empty() {
            buf.extend_from_slice(PACK_MAGIC);
        }
        buf.extend_from_slice(sealed_table);
        buf.extend_from_slice(&(sealed_table.len() as u32).to_le_bytes());
        buf.extend_from_slice(PACK_END);
        (buf, std::mem::take(&mut self.entries))
    }
}

/// The sealed entry table at the end of a pack.
pub fn pack_table(pack: &[u8]) -> Result<&[u8], String> {
    let n = pack.len();
    if n < 8 + 4 + 8 || &pack[..8] != PACK_MAGIC {
        return Err("not a pack (bad magic or too short)".into());
    }
    if &pack[n - 8..] != PACK_END {
        return Err("pack is truncated (end marker missing)".into());
    }
    let len = u32::from_le_bytes(pack[n - 12..n - 8].try_into().expect("4 bytes")) as usize;
    if len > n - 8 - 12 {
        return Err(format!("pack's entry table length {len} exceeds the pack"));
    }
    Ok(&pack[n - 12 - len..n - 12])
}

/// The plaintext header of a `.idx` sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdxHeader {
    /// Size of the pack in bytes.
    pub pack_size: u64,
    /// SHA-256 of the pack, which is also its name.
    pub pack_id: PackId,
    /// Number of entries in the table.
    pub count: u32,
}

/// Encodes a `.idx` sidecar: the plaintext header, then the pack's sealed entry table.
pub fn encode_idx(header: &IdxHeader, sealed_table: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(IDX_HEADER_LEN + sealed_table.len());
    out.extend_from_slice(IDX_MAGIC);
    out.extend_from_slice(&header.pack_size.to_le_bytes());
    out.extend_from_slice(header.pack_id.as_bytes());
    out.extend_from_slice(&header.count.to_le_bytes());
    out.extend_from_slice(sealed_table);
    out
}

/// Splits a `.idx` sidecar into its header and sealed entry table.
pub fn decode_idx(bytes: &[u8]) -> Result<(IdxHeader, &[u8]), String> {
    if bytes.len() < IDX_HEADER_LEN || &bytes[..8] != IDX_MAGIC {
        return Err("not a pack index (bad magic or too short)".into());
    }
    let header = IdxHeader {
        pack_size: u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")),
        pack_id: PackId::new(bytes[16..48].try_into().expect("32 bytes")),
        count: u32::from_le_bytes(bytes[48..52].try_into().expect("4 bytes")),
    };
    Ok((header, &bytes[IDX_HEADER_LEN..]))
}

/// Checks that a `.idx` sidecar describes `pack`, whose id is `id`: same id, same size, and
/// the same sealed entry table as the pack's trailer. Returns the sidecar's header.
pub fn idx_describes(idx: &[u8], id: &PackId, pack: &[u8]) -> Result<IdxHeader, String> {
    let (header, idx_table) = decode_idx(idx)?;
    if header.pack_id != *id || header.pack_size != pack.len() as u64 || idx_table != pack_table(pack)? {
        return Err("it does not describe the pack it is named after".into());
    }
    Ok(header)
}

/// Checks decoded entries against the pack they describe: count, bounds, no overlap.
pub fn check_entries(
    entries: &[BlobEntry],
    count: u32,
    pack_size: u64,
    table_len: usize,
) -> Result<(), String> {
    if entries.len() != count as usize {
        return Err(format!(
            "header says {count} entries, table has {}",
            entries.len()
        ));
    }
    let data_end = pack_size
        .checked_sub((table_len + 12) as u64)
        .ok_or("pack smaller than its table")?;
    let mut prev_end = 8u64;
    for (i, e) in entries.iter().enumerate() {
        let start = e.offset as u64;
        let end = start + e.stored_len as u64;
        if start < prev_end || end > data_end {
            return Err(format!(
                "entry {i} ({start}..{end}) lies outside the pack's data or overlaps"
            ));
        }
        prev_end = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(b: u8, offset: u32, len: u32) -> BlobEntry {
        BlobEntry {
            id: BlobId::new([b; 32]),
            offset,
            stored_len: len,
            raw_len: len * 2,
            kind: BlobKind::Data,
            codec: Codec::Gzip,
        }
    }

    #[test]
    fn entries_round_trip() {
        let e = vec![
            entry(1, 8, 10),
            BlobEntry {
                kind: BlobKind::List,
                codec: Codec::Zstd,
                ..entry(2, 18, 5)
            },
        ];
        let enc = encode_entries(&e);
        assert_eq!(enc.len(), 2 * ENTRY_LEN);
        assert_eq!(decode_entries(&enc).unwrap(), e);
        assert!(decode_entries(&enc[..47]).is_err());
        let mut bad = enc.clone();
        bad[44] = 9;
        assert!(decode_entries(&bad).is_err());
        // A plaintext length no blob can have (the fuzzer's case 550960 of seed 1: an index
        // segment declaring 256 MiB made restore reserve that much before decoding).
        let mut bad = enc.clone();
        bad[40..44].copy_from_slice(&(MAX_RAW_LEN + 1).to_le_bytes());
        let e = decode_entries(&bad).unwrap_err();
        assert!(e.contains("more than any blob holds"), "{e}");
        bad[40..44].copy_from_slice(&MAX_RAW_LEN.to_le_bytes());
        assert!(decode_entries(&bad).is_ok());
    }

    #[test]
    fn a_pack_describes_itself() {
        let mut b = PackBuilder::new();
        b.add(BlobId::new([1; 32]), BlobKind::Data, Codec::None, 3, b"abc");
        b.add(BlobId::new([2; 32]), BlobKind::Data, Codec::None, 2, b"de");
        let table = encode_entries(b.entries());
        let (pack, entries) = b.finish(&table);
        assert_eq!(&pack[..8], PACK_MAGIC);
        assert_eq!(&pack[8..13], b"abcde");
        assert_eq!(pack_table(&pack).unwrap(), &table[..]);
        assert_eq!(entries[1].offset, 11);
        check_entries(&entries, 2, pack.len() as u64, table.len()).unwrap();
        assert!(pack_table(&pack[..pack.len() - 1]).is_err(), "truncated");
        let idx = encode_idx(
            &IdxHeader {
                pack_size: pack.len() as u64,
                pack_id: PackId::new([9; 32]),
                count: 2,
            },
            &table,
        );
        let (h, t) = decode_idx(&idx).unwrap();
        assert_eq!((h.count, h.pack_id, t), (2, PackId::new([9; 32]), &table[..]));
        assert!(check_entries(&entries, 3, pack.len() as u64, table.len()).is_err());
        let own = encode_idx(
            &IdxHeader {
                pack_size: pack.len() as u64,
                pack_id: PackId::new([7; 32]),
                count: 2,
            },
            &table,
        );
        assert_eq!(
            idx_describes(&own, &PackId::new([7; 32]), &pack).unwrap().count,
            2
        );
        assert!(
            idx_describes(&own, &PackId::new([8; 32]), &pack).is_err(),
            "another pack's id"
        );
        assert!(
            idx_describes(&own, &PackId::new([7; 32]), &pack[..pack.len() - 1]).is_err(),
            "another size"
        );
        assert!(check_entries(&entries, 2, 20, table.len()).is_err());
    }
}
