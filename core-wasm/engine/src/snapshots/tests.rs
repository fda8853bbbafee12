//! Unit tests of snapshot manifests: storing, listing, filtering, resolving.

use super::*;
use crate::memory::MemoryHost;
use crate::store::tests::plain_store;

fn manifest(at: &str, tag: &str) -> Manifest {
    Manifest {
        version: MANIFEST_VERSION,
        created_at: at.into(),
        tags: [("db".to_string(), tag.to_string())].into(),
        original_size: 0,
        stored_size: 0,
        chunk_count: 0,
        new_chunks: 0,
        reused_chunks: 0,
        items: Vec::new(),
        warnings: 0,
        host: None,
        user: None,
        original: None,
    }
}

#[test]
fn manifests_are_stored_listed_filtered_and_resolved() {
    let host = MemoryHost::new(1);
    let store = plain_store(&host);
    let old = store_manifest(&store, &manifest("2026-01-01T00:00:00.000Z", "a")).unwrap();
    let new = store_manifest(&store, &manifest("2026-02-01T00:00:00.000Z", "b")).unwrap();
    assert_eq!(
        load(&store, old).unwrap(),
        manifest("2026-01-01T00:00:00.000Z", "a")
    );
    let all: Vec<SnapshotId> = list(&store, &SnapshotFilter::default())
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(all, vec![old, new], "oldest first");
    let filter = SnapshotFilter {
        after: Some("2026-01-15".into()),
        ..Default::default()
    };
    assert_eq!(list(&store, &filter).unwrap().len(), 1);
    assert_eq!(resolve(&store, "latest").unwrap(), new);
    assert_eq!(resolve(&store, &old.to_hex()[..12]).unwrap(), old);
    assert!(matches!(resolve(&store, "zz"), Err(Error::SnapshotNotFound(_))));
    let key = StorageKey::Snapshot(old).to_string();
    let mut bytes = host.object(&key).unwrap();
    bytes[3] ^= 1;
    host.set_object(&key, bytes);
    assert!(matches!(load(&store, old), Err(Error::CorruptSnapshot { .. })));
    remove(&store, &[new]).unwrap();
    assert_eq!(ids(&store).unwrap(), vec![old]);
}
