//! Snapshot manifests and chunk lists: the format (docs/FORMAT.md §9) and the API's view
//! of a snapshot.
//!
//! A manifest is small JSON (the fields of a snapshot plus, per item, the ids of its chunk
//! list blobs), so listing many snapshots never reads chunk lists (docs/DESIGN.md,
//! "bounded memory"). Chunk lists are blobs stored in packs like data, at most
//! [`LIST_MAX_ENTRIES`] entries each, so ingest and restore hold one list piece at a time
//! whatever the stream's length. Reading and writing manifests is [`crate::snapshots`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{BlobId, SnapshotId};

/// Manifest format version.
pub const MANIFEST_VERSION: u64 = 1;
/// Entries per chunk-list blob (36 bytes each: 288 KiB, about 2 GiB of data at the default chunk size).
pub const LIST_MAX_ENTRIES: usize = 8192;
/// Bytes per chunk-list entry.
pub const LIST_ENTRY_LEN: usize = 36;

/// One item as the API shows it (ISnapshotItem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SnapshotItem {
    /// The item's name, unique within the snapshot.
    pub name: String,
    /// Free-form type (for example `postgres-dump`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Bytes in the item.
    pub size: u64,
    /// Chunks in the item.
    pub chunk_count: u64,
}

/// One item of a stored manifest: what the API shows, plus where its chunk list is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemManifest {
    /// The item as the API shows it.
    #[serde(flatten)]
    pub item: SnapshotItem,
    /// Ids of the item's chunk-list blobs, in order.
    pub lists: Vec<BlobId>,
}

/// The fields a stored manifest and the API's view of it share; `I` is the item type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SnapshotFields<I> {
    /// [`MANIFEST_VERSION`].
    pub version: u64,
    /// Creation time, RFC 3339 UTC with milliseconds.
    pub created_at: String,
    /// User tags.
    pub tags: BTreeMap<String, String>,
    /// Bytes ingested.
    pub original_size: u64,
    /// Stored bytes this snapshot added (new blobs after compression and encryption).
    pub stored_size: u64,
    /// Data chunks referenced.
    pub chunk_count: u64,
    /// Data chunks this snapshot stored.
    pub new_chunks: u64,
    /// Data chunks already present.
    pub reused_chunks: u64,
    /// The items, in ingest order.
    pub items: Vec<I>,
}

/// The stored manifest of a snapshot (its id is the SHA-256 of the stored bytes).
pub type Manifest = SnapshotFields<ItemManifest>;

/// A snapshot as the API shows it (ISnapshot): its id and manifest, without the
/// chunk-list ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct Snapshot {
    /// The snapshot's id.
    pub id: SnapshotId,
    /// Everything else.
    #[serde(flatten)]
    pub fields: SnapshotFields<SnapshotItem>,
}

impl Manifest {
    /// The API view of this manifest under its id (the chunk-list ids are dropped).
    pub fn into_snapshot(self, id: SnapshotId) -> Snapshot {
        let fields = SnapshotFields {
            version: self.version,
            created_at: self.created_at,
            tags: self.tags,
            original_size: self.original_size,
            stored_size: self.stored_size,
            chunk_count: self.chunk_count,
            new_chunks: self.new_chunks,
            reused_chunks: self.reused_chunks,
            items: self.items.into_iter().map(|i| i.item).collect(),
        };
        Snapshot { id, fields }
    }
}

/// Which snapshots to list: all tags must match; `after` is inclusive, `before` exclusive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SnapshotFilter {
    /// Tags that must all be present with these values.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Only snapshots created at or after this time (RFC 3339 or YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Only snapshots created before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

/// Encodes a chunk list piece: `id (32) || raw length (u32 LE)` per chunk.
pub fn encode_list(entries: &[(BlobId, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * LIST_ENTRY_LEN);
    for (id, len) in entries {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    out
}

/// Decodes a chunk list piece.
pub fn decode_list(bytes: &[u8]) -> Result<Vec<(BlobId, u32)>, String> {
    if !bytes.len().is_multiple_of(LIST_ENTRY_LEN) {
        return Err(format!(
            "chunk list of {} bytes is not a multiple of {LIST_ENTRY_LEN}",
            bytes.len()
        ));
    }
    Ok(bytes
        .chunks_exact(LIST_ENTRY_LEN)
        .map(|e| {
            (
                BlobId::new(e[..32].try_into().expect("32")),
                u32::from_le_bytes(e[32..].try_into().expect("4")),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let l = vec![(BlobId::new([1u8; 32]), 5u32), (BlobId::new([2u8; 32]), 1 << 20)];
        assert_eq!(decode_list(&encode_list(&l)).unwrap(), l);
        assert!(decode_list(&[0; 35]).is_err());
        assert_eq!(decode_list(&[]).unwrap(), vec![]);
    }

    #[test]
    fn the_api_view_has_the_api_field_names() {
        let m = Manifest {
            version: 1,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            tags: [("db".to_string(), "main".to_string())].into(),
            original_size: 10,
            stored_size: 5,
            chunk_count: 1,
            new_chunks: 1,
            reused_chunks: 0,
            items: vec![ItemManifest {
                item: SnapshotItem {
                    name: "a".into(),
                    kind: Some("t".into()),
                    size: 10,
                    chunk_count: 1,
                },
                lists: vec![BlobId::new([0xcd; 32])],
            }],
        };
        let v = serde_json::to_value(m.clone().into_snapshot(SnapshotId::new([0xab; 32]))).unwrap();
        for f in [
            "id",
            "version",
            "createdAt",
            "tags",
            "originalSize",
            "storedSize",
            "chunkCount",
            "newChunks",
            "reusedChunks",
            "items",
        ] {
            assert!(v.get(f).is_some(), "{f}");
        }
        assert_eq!(v["items"][0]["type"], "t");
        assert!(v["items"][0].get("lists").is_none());
        // The stored form is flat too: the item's fields and its lists side by side.
        let stored = serde_json::to_value(&m).unwrap();
        assert_eq!(stored["items"][0]["name"], "a");
        assert_eq!(stored["items"][0]["lists"][0], "cd".repeat(32));
        assert_eq!(serde_json::from_value::<Manifest>(stored).unwrap(), m);
    }
}
