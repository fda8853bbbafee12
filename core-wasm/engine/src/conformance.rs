//! The storage conformance suite: the one set of checks every [`Storage`] implementation
//! must pass (the memory store here, the file-system stores of the CLI and the JS package).
//!
//! It encodes the contract of docs/DESIGN.md §2 so that a new backend is proven against the
//! same behaviour the engine relies on, not against its author's reading of it.

use crate::host::{Storage, StorageError};
use crate::layout::{self, StorageKey};

/// Runs every check against an empty storage; panics with a description on the first failure.
pub fn run_storage_suite<S: Storage + ?Sized>(s: &S) {
    let snap = StorageKey::Snapshot([1; 32].into()).to_string();
    let pack = StorageKey::Pack([0xab; 32].into()).to_string();
    let pack_idx = StorageKey::PackIndex([0xab; 32].into()).to_string();
    let lock = StorageKey::Lock([7; 32].into()).to_string();

    // Missing objects.
    assert_eq!(s.get(&snap), Err(StorageError::NotFound), "get of a missing key");
    assert_eq!(
        s.get_range(&snap, 0, 1),
        Err(StorageError::NotFound),
        "get_range of a missing key"
    );
    assert_eq!(
        s.list(layout::SNAPSHOTS).unwrap(),
        Vec::<String>::new(),
        "list of an empty directory"
    );
    s.delete(&snap).expect("delete of a missing key is not an error");

    // put / get / replace.
    s.put(&snap, b"first").unwrap();
    assert_eq!(s.get(&snap).unwrap(), b"first");
    s.put(&snap, b"second, longer").unwrap();
    assert_eq!(s.get(&snap).unwrap(), b"second, longer", "put replaces");
    s.put(&snap, b"").unwrap();
    assert_eq!(s.get(&snap).unwrap(), b"", "empty objects are objects");

    // Ranges, including past the end.
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    s.put(&pack, &data).unwrap();
    assert_eq!(s.get_range(&pack, 0, 10).unwrap(), &data[..10]);
    assert_eq!(s.get_range(&pack, 65_530, 20).unwrap(), &data[65_530..65_550]);
    assert_eq!(
        s.get_range(&pack, 99_990, 100).unwrap(),
        &data[99_990..],
        "range clipped at the end"
    );
    assert_eq!(
        s.get_range(&pack, 200_000, 10).unwrap(),
        b"",
        "range past the end is empty"
    );

    // put_new is exclusive and leaves the first object intact.
    s.put_new(&lock, b"mine").unwrap();
    assert_eq!(s.put_new(&lock, b"theirs"), Err(StorageError::AlreadyExists));
    assert_eq!(s.get(&lock).unwrap(), b"mine");

    // Listing is recursive under the prefix and exact.
    s.put(&pack_idx, b"idx").unwrap();
    let mut all = s.list("").unwrap();
    all.sort();
    let mut want = vec![snap.clone(), pack.clone(), pack_idx.clone(), lock.clone()];
    want.sort();
    assert_eq!(all, want, "list(\"\") returns every object");
    let mut packs = s.list(layout::PACKS).unwrap();
    packs.sort();
    assert_eq!(
        packs,
        vec![pack_idx.clone(), pack.clone()],
        "list(packs/data/) recurses"
    );
    assert_eq!(s.list("packs/data/ab/").unwrap().len(), 2);
    assert_eq!(s.list("packs/data/cd/").unwrap(), Vec::<String>::new());
    assert_eq!(s.list(layout::LOCKS).unwrap(), vec![lock.clone()]);

    // Deletion.
    s.delete(&lock).unwrap();
    assert_eq!(s.get(&lock), Err(StorageError::NotFound));
    s.put_new(&lock, b"again").expect("put_new after delete");

    // Keys outside the grammar are refused before any I/O.
    for bad in [
        "../../etc/passwd",
        "/etc/passwd",
        "keys/../config.json",
        "tmp",
        "snapshots/x",
    ] {
        assert_refuses_key(s, bad);
    }
    for bad in ["../", "/", "snapshots"] {
        assert_refuses_prefix(s, bad);
    }

    // Clean up so the caller may reuse the storage.
    for k in s.list("").unwrap() {
        s.delete(&k).unwrap();
    }
    assert_eq!(s.list("").unwrap(), Vec::<String>::new());
}

/// Checks that every keyed operation refuses `key` with [`StorageError::InvalidKey`].
pub fn assert_refuses_key<S: Storage + ?Sized>(s: &S, key: &str) {
    assert_eq!(s.get(key), Err(StorageError::InvalidKey), "get {key}");
    assert_eq!(
        s.get_range(key, 0, 1),
        Err(StorageError::InvalidKey),
        "get_range {key}"
    );
    assert_eq!(s.put(key, b"x"), Err(StorageError::InvalidKey), "put {key}");
    assert_eq!(
        s.put_new(key, b"x"),
        Err(StorageError::InvalidKey),
        "put_new {key}"
    );
    assert_eq!(s.delete(key), Err(StorageError::InvalidKey), "delete {key}");
}

/// Checks that `list` refuses `prefix` with [`StorageError::InvalidKey`].
pub fn assert_refuses_prefix<S: Storage + ?Sized>(s: &S, prefix: &str) {
    assert_eq!(s.list(prefix), Err(StorageError::InvalidKey), "list {prefix}");
}
