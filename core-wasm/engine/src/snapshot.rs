//! Snapshot manifests, chunk lists, listing and lookup.
//!
//! A manifest is small JSON (the fields of ISnapshot plus, per item, the ids of its chunk
//! list blobs), so listing many snapshots never reads chunk lists (DESIGN.md §8). Chunk
//! lists are blobs stored in packs like data, at most [`LIST_MAX_ENTRIES`] entries each, so
//! ingest and restore hold one list piece at a time whatever the stream's length.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::Host;
use crate::layout;
use crate::pack::BlobKind;
use crate::repo::Repository;
use crate::seal::AAD_SNAPSHOT;
use crate::time;

/// Manifest format version.
pub const MANIFEST_VERSION: u64 = 1;
/// Entries per chunk-list blob (36 bytes each: 288 KiB, about 2 GiB of data at the default chunk size).
pub const LIST_MAX_ENTRIES: usize = 8192;
/// Bytes per chunk-list entry.
pub const LIST_ENTRY_LEN: usize = 36;

/// One item as the API shows it (ISnapshotItem).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Ids (hex) of the item's chunk-list blobs, in order.
    pub lists: Vec<String>,
}

/// The fields a stored manifest and the API's view of it share; `I` is the item type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A snapshot as the API shows it (ISnapshot of API.md): its id and manifest, without
/// the chunk-list ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// 64 hex digits.
    pub id: String,
    /// Everything else.
    #[serde(flatten)]
    pub fields: SnapshotFields<SnapshotItem>,
}

impl Manifest {
    /// The API view of this manifest under its id (the chunk-list ids are dropped).
    pub fn into_snapshot(self, id: &str) -> Snapshot {
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
        Snapshot {
            id: id.to_string(),
            fields,
        }
    }
}

/// Which snapshots to list: all tags must match; `after` is inclusive, `before` exclusive.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotFilter {
    /// Tags that must all be present with these values.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Only snapshots created at or after this time (RFC 3339 or YYYY-MM-DD).
    pub after: Option<String>,
    /// Only snapshots created before this time.
    pub before: Option<String>,
}

/// Encodes a chunk list piece: `id (32) || raw length (u32 LE)` per chunk.
pub fn encode_list(entries: &[([u8; 32], u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * LIST_ENTRY_LEN);
    for (id, len) in entries {
        out.extend_from_slice(id);
        out.extend_from_slice(&len.to_le_bytes());
    }
    out
}

/// Decodes a chunk list piece.
pub fn decode_list(bytes: &[u8]) -> std::result::Result<Vec<([u8; 32], u32)>, String> {
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
                e[..32].try_into().expect("32"),
                u32::from_le_bytes(e[32..].try_into().expect("4")),
            )
        })
        .collect())
}

impl<H: Host + Clone> Repository<H> {
    /// Reads, checks and decrypts the manifest of snapshot `id` (64 hex digits).
    pub fn load_manifest(&self, id: &str) -> Result<Manifest> {
        let bin = layout::parse_id(id).ok_or_else(|| Error::SnapshotNotFound(id.to_string()))?;
        let key = layout::snapshot_file(&bin);
        let stored = self
            .get_opt(&key)?
            .ok_or_else(|| Error::SnapshotNotFound(id.to_string()))?;
        let corrupt = |detail: String| Error::CorruptSnapshot {
            file: key.clone(),
            detail,
        };
        if self.sha256(&stored) != bin {
            return Err(corrupt("its bytes do not match its name (SHA-256)".into()));
        }
        let plain = self.open_doc(AAD_SNAPSHOT, &stored).map_err(corrupt)?;
        let v: serde_json::Value =
            serde_json::from_slice(&plain).map_err(|e| corrupt(format!("not JSON: {e}")))?;
        match v.get("version").and_then(|v| v.as_u64()) {
            Some(MANIFEST_VERSION) => {}
            Some(found) => {
                return Err(Error::UnsupportedVersion {
                    what: format!("snapshot {id}"),
                    found,
                    supported: MANIFEST_VERSION,
                })
            }
            None => return Err(corrupt("no version".into())),
        }
        serde_json::from_value(v).map_err(|e| corrupt(e.to_string()))
    }

    /// Reads one chunk-list blob: the `(chunk id, length)` pairs it names, in order.
    pub(crate) fn read_chunk_list(&self, list: &[u8; 32]) -> Result<Vec<([u8; 32], u32)>> {
        let bytes = self.read_blob(list, BlobKind::List)?;
        decode_list(&bytes).map_err(|detail| Error::CorruptSnapshot {
            file: format!("chunk list {}", layout::hex_id(list)),
            detail,
        })
    }

    /// The ids of an item's chunk-list blobs; a malformed one is a damaged manifest.
    pub(crate) fn list_ids(&self, snapshot: &str, item: &ItemManifest) -> Result<Vec<[u8; 32]>> {
        item.lists
            .iter()
            .map(|l| {
                layout::parse_id(l).ok_or_else(|| Error::CorruptSnapshot {
                    file: layout::snapshot_file(&layout::parse_id(snapshot).unwrap_or_default()),
                    detail: format!(
                        "item `{}` names a chunk list `{l}` that is not an id",
                        item.item.name
                    ),
                })
            })
            .collect()
    }

    /// Seals and stores a manifest; returns its id.
    pub(crate) fn store_manifest(&self, manifest: &Manifest) -> Result<String> {
        let json = serde_json::to_vec(manifest).map_err(|e| Error::Internal(format!("manifest: {e}")))?;
        let stored = self.seal_doc(AAD_SNAPSHOT, &json);
        let id = self.sha256(&stored);
        self.put(&layout::snapshot_file(&id), &stored)?;
        Ok(layout::hex_id(&id))
    }

    /// Ids of every snapshot, sorted.
    pub fn snapshot_ids(&self) -> Result<Vec<String>> {
        let mut ids: Vec<String> = self
            .list(layout::SNAPSHOTS)?
            .iter()
            .filter_map(|k| match layout::parse_key(k) {
                Some(layout::KeyKind::Snapshot(id)) => Some(layout::hex_id(&id)),
                _ => None,
            })
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Snapshots that match `filter`, oldest first.
    pub fn list_snapshots(&self, filter: &SnapshotFilter) -> Result<Vec<Snapshot>> {
        let after = filter.after.as_deref().map(time::parse_ms).transpose()?;
        let before = filter.before.as_deref().map(time::parse_ms).transpose()?;
        let mut out = Vec::new();
        for id in self.snapshot_ids()? {
            let m = self.load_manifest(&id)?;
            let t = time::parse_ms(&m.created_at).map_err(|_| Error::CorruptSnapshot {
                file: id.clone(),
                detail: format!("createdAt `{}` is not a time", m.created_at),
            })?;
            let tags_match = filter.tags.iter().all(|(k, v)| m.tags.get(k) == Some(v));
            if tags_match && after.is_none_or(|a| t >= a) && before.is_none_or(|b| t < b) {
                out.push((t, m.into_snapshot(&id)));
            }
        }
        out.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
        Ok(out.into_iter().map(|(_, s)| s).collect())
    }

    /// Resolves a full id, a unique prefix of one, or `latest` to a snapshot id.
    pub fn resolve_snapshot(&self, wanted: &str) -> Result<String> {
        if wanted == "latest" {
            return self
                .list_snapshots(&SnapshotFilter::default())?
                .pop()
                .map(|s| s.id)
                .ok_or_else(|| Error::SnapshotNotFound("latest (the repository has no snapshots)".into()));
        }
        if wanted.is_empty() || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::SnapshotNotFound(wanted.to_string()));
        }
        let wanted_lc = wanted.to_ascii_lowercase();
        let matches: Vec<String> = self
            .snapshot_ids()?
            .into_iter()
            .filter(|id| id.starts_with(&wanted_lc))
            .collect();
        match matches.len() {
            0 => Err(Error::SnapshotNotFound(wanted.to_string())),
            1 => Ok(matches.into_iter().next().expect("one")),
            count => Err(Error::AmbiguousSnapshot {
                prefix: wanted.to_string(),
                count,
            }),
        }
    }

    /// The snapshot named by a full id, a unique prefix or `latest`.
    pub fn get_snapshot(&self, wanted: &str) -> Result<Snapshot> {
        let id = self.resolve_snapshot(wanted)?;
        Ok(self.load_manifest(&id)?.into_snapshot(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let l = vec![([1u8; 32], 5u32), ([2u8; 32], 1 << 20)];
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
                lists: vec!["cd".repeat(32)],
            }],
        };
        let v = serde_json::to_value(m.clone().into_snapshot("ab")).unwrap();
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
