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

mod tally;
pub use tally::ItemTally;

/// Manifest format version of a snapshot of streams only.
pub const MANIFEST_VERSION: u64 = 1;
/// Manifest format version of a snapshot holding a tree item (docs/FORMAT.md §9b): older
/// readers refuse it by its version instead of misreading an item without lists.
pub const MANIFEST_VERSION_TREES: u64 = 2;
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
    /// Entries (files, directories, links, ...) of a tree item; absent for a stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u64>,
    /// Where the item was read from, as the host named it (an absolute path), or `-` for
    /// standard input or a stream without a path; absent in snapshots written before
    /// Cairn recorded it, and when the host did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl SnapshotItem {
    /// A new item: a name, a type and where it is read from, nothing in it yet.
    pub fn named(name: String, kind: Option<String>, path: Option<String>) -> SnapshotItem {
        SnapshotItem {
            name,
            kind,
            size: 0,
            chunk_count: 0,
            entries: None,
            path,
        }
    }
}

/// One item of a stored manifest: what the API shows, plus where its chunk list is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemManifest {
    /// The item as the API shows it.
    #[serde(flatten)]
    pub item: SnapshotItem,
    /// Ids of the item's chunk-list blobs, in order (`[]` for a tree).
    pub lists: Vec<BlobId>,
    /// A tree item's root piece: a tree blob holding one entry, the directory backed up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<BlobId>,
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
    /// Problems met while reading the source (files that vanished or changed while read);
    /// left out when there were none.
    // `default` after `skip_serializing_if`: specta reads the serde attributes in order,
    // and this way marks the field optional in the generated TypeScript.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub warnings: u64,
    /// The host the snapshot was taken on, as it names itself; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The user who took it; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// For a snapshot made from another by `tag` or `copy`: the id of the snapshot it
    /// descends from that neither made (restic's `original`), so that `copy` knows what
    /// it copied already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<SnapshotId>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What a snapshot records of where it comes from besides its items (docs/FORMAT.md §9):
/// the host and user, and for a snapshot `copy` imports, the source's creation time and
/// original id.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The host the snapshot is taken on.
    pub host: Option<String>,
    /// The user taking it.
    pub user: Option<String>,
    /// Its creation time when it is not now (a copy keeps its source's).
    pub created_at: Option<String>,
    /// The snapshot it descends from (a copy's source, or that one's original).
    pub original: Option<SnapshotId>,
    /// Warnings its source had already (a copy keeps its source's).
    pub warnings: u64,
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
            warnings: self.warnings,
            host: self.host,
            user: self.user,
            original: self.original,
        };
        Snapshot { id, fields }
    }
}

/// Which snapshots to list, or which `latest` names: every criterion given must hold (all
/// tags, the host, an item of that name, an item read from that path); `after` is
/// inclusive, `before` exclusive. The matching is [`crate::snapshots`]'s.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Only snapshots taken on this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Only snapshots with an item of this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Only snapshots with an item read from this path (exactly as recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl SnapshotFilter {
    /// True when the filter lets every snapshot through.
    pub fn is_empty(&self) -> bool {
        *self == SnapshotFilter::default()
    }
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

impl Manifest {
    /// Checks the manifest's own counts (docs/FORMAT.md §9): item names are unique, and the
    /// snapshot's `chunkCount` and `originalSize` are the sums of its items'.
    pub fn check_counts(&self) -> Result<(), String> {
        let mut names = std::collections::BTreeSet::new();
        let (mut chunks, mut size) = (0u64, 0u64);
        for i in &self.items {
            if !names.insert(i.item.name.as_str()) {
                return Err(format!("two items are named `{}`", i.item.name));
            }
            match (&i.tree, i.item.entries, i.lists.is_empty()) {
                (None, None, _) => {}
                (Some(_), Some(n), true) if n >= 1 && self.version >= MANIFEST_VERSION_TREES => {}
                _ => {
                    return Err(format!(
                        "item `{}` mixes a tree with chunk lists, or a tree needs `tree`, `entries` >= 1 and version {MANIFEST_VERSION_TREES}",
                        i.item.name
                    ))
                }
            }
            chunks = chunks
                .checked_add(i.item.chunk_count)
                .ok_or("chunkCount overflows")?;
            size = size.checked_add(i.item.size).ok_or("originalSize overflows")?;
        }
        if chunks != self.chunk_count || size != self.original_size {
            return Err(format!(
                "the items hold {chunks} chunks and {size} bytes, the snapshot says {} and {}",
                self.chunk_count, self.original_size
            ));
        }
        if self.new_chunks.checked_add(self.reused_chunks) != Some(self.chunk_count) {
            return Err("newChunks and reusedChunks do not add up to chunkCount".into());
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let l = vec![(BlobId::new([1u8; 32]), 5u32), (BlobId::new([2u8; 32]), 1 << 20)];
        assert_eq!(decode_list(&encode_list(&l)).unwrap(), l);
        assert!(decode_list(&[0; 35]).is_err());
        assert_eq!(decode_list(&[]).unwrap(), vec![]);
    }

    /// A stream item named `a` of that shape.
    pub(crate) fn item(size: u64, chunks: u64, lists: usize) -> ItemManifest {
        ItemManifest {
            item: SnapshotItem {
                name: "a".into(),
                kind: None,
                size,
                chunk_count: chunks,
                entries: None,
                path: None,
            },
            lists: vec![BlobId::new([9; 32]); lists],
            tree: None,
        }
    }

    #[test]
    fn manifest_counts_are_checked() {
        let mut m = Manifest {
            version: 1,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            tags: BTreeMap::new(),
            original_size: 200,
            stored_size: 0,
            chunk_count: 2,
            new_chunks: 1,
            reused_chunks: 1,
            items: vec![item(100, 1, 1), item(100, 1, 1)],
            warnings: 0,
            host: None,
            user: None,
            original: None,
        };
        assert!(m.check_counts().unwrap_err().contains("two items"));
        m.items[1].item.name = "b".into();
        m.check_counts().unwrap();
        m.items[1].item.size = u64::MAX;
        assert!(m.check_counts().is_err());
        m.items[1].item.size = 100;
        m.chunk_count = 3;
        assert!(m.check_counts().is_err());
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
                    entries: None,
                    path: None,
                },
                lists: vec![BlobId::new([0xcd; 32])],
                tree: None,
            }],
            warnings: 0,
            host: None,
            user: None,
            original: None,
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
