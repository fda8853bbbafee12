//! The storage conformance suite: the one set of checks every [`Storage`] implementation
//! must pass (the memory store here, the file-system stores of the CLI and the JS package,
//! the CLI's S3 storage), and the read-only part for storages that only read (HTTP).
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

/// The read-only part of the suite, for a storage that serves what `writer` (a writable
/// storage over the same objects, initially empty) wrote: reads, ranges, listings, and
/// [`StorageError::ReadOnly`] for every write. Leaves the objects as it found them.
pub fn run_read_only_suite<W: Storage + ?Sized, R: Storage + ?Sized>(writer: &W, reader: &R) {
    let snap = StorageKey::Snapshot([2; 32].into()).to_string();
    let pack = StorageKey::Pack([0xcd; 32].into()).to_string();
    let empty = StorageKey::Lock([8; 32].into()).to_string();
    assert_eq!(
        reader.get(&snap),
        Err(StorageError::NotFound),
        "get of a missing key"
    );
    assert_eq!(reader.get_range(&snap, 0, 1), Err(StorageError::NotFound));
    assert_eq!(reader.list(layout::SNAPSHOTS).unwrap(), Vec::<String>::new());

    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    writer.put(&snap, b"a snapshot").unwrap();
    writer.put(&pack, &data).unwrap();
    writer.put(&empty, b"").unwrap();
    assert_eq!(reader.get(&snap).unwrap(), b"a snapshot");
    assert_eq!(reader.get(&empty).unwrap(), b"", "empty objects are objects");
    assert_eq!(reader.get(&pack).unwrap(), data);
    assert_eq!(reader.get_range(&pack, 0, 10).unwrap(), &data[..10]);
    assert_eq!(
        reader.get_range(&pack, 65_530, 20).unwrap(),
        &data[65_530..65_550]
    );
    assert_eq!(
        reader.get_range(&pack, 99_990, 100).unwrap(),
        &data[99_990..],
        "clipped"
    );
    assert_eq!(reader.get_range(&pack, 200_000, 10).unwrap(), b"", "past the end");
    let mut all = reader.list("").unwrap();
    all.sort();
    let mut want = vec![snap.clone(), pack.clone(), empty.clone()];
    want.sort();
    assert_eq!(all, want, "list(\"\") returns every object");
    assert_eq!(
        reader.list(layout::PACKS).unwrap(),
        vec![pack.clone()],
        "recurses"
    );
    assert_eq!(reader.list("packs/data/ab/").unwrap(), Vec::<String>::new());

    for key in [&snap, &pack] {
        assert_writes_fail(reader, key, StorageError::ReadOnly);
    }
    assert_eq!(
        reader.get(&snap).unwrap(),
        b"a snapshot",
        "refused writes change nothing"
    );
    for bad in [
        "../../etc/passwd",
        "/etc/passwd",
        "keys/../config.json",
        "snapshots/x",
    ] {
        assert_refuses_key(reader, bad);
    }
    assert_refuses_prefix(reader, "../");
    for k in [&snap, &pack, &empty] {
        writer.delete(k).unwrap();
    }
}

/// Checks that every keyed operation refuses `key` with [`StorageError::InvalidKey`].
pub fn assert_refuses_key<S: Storage + ?Sized>(s: &S, key: &str) {
    assert_eq!(s.get(key), Err(StorageError::InvalidKey), "get {key}");
    assert_eq!(
        s.get_range(key, 0, 1),
        Err(StorageError::InvalidKey),
        "get_range {key}"
    );
    assert_writes_fail(s, key, StorageError::InvalidKey);
}

/// Checks that `put`, `put_new` and `delete` of `key` each fail with `want`.
fn assert_writes_fail<S: Storage + ?Sized>(s: &S, key: &str, want: StorageError) {
    assert_eq!(s.put(key, b"x"), Err(want.clone()), "put {key}");
    assert_eq!(s.put_new(key, b"x"), Err(want.clone()), "put_new {key}");
    assert_eq!(s.delete(key), Err(want), "delete {key}");
}

/// Checks that `list` refuses `prefix` with [`StorageError::InvalidKey`].
pub fn assert_refuses_prefix<S: Storage + ?Sized>(s: &S, prefix: &str) {
    assert_eq!(s.list(prefix), Err(StorageError::InvalidKey), "list {prefix}");
}
