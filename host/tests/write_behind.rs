//! Packs written behind the engine: the same storage contract, every other call waiting
//! for them, and a failed write reported rather than lost.

use std::path::Path;

use cairn::storage::fs::FsStorage;
use cairn::write_behind::WriteBehind;
use cairn_core::conformance::run_storage_suite;
use cairn_core::host::{Storage, StorageError};
use cairn_core::layout::{self, StorageKey};

fn pack(n: u8) -> String {
    StorageKey::Pack([n; 32].into()).to_string()
}

#[test]
fn passes_the_storage_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let s = WriteBehind::new(FsStorage::new(dir.path()));
    run_storage_suite(&s);
    run_storage_suite(&s);
}

#[test]
fn every_other_call_sees_the_packs_written_behind() {
    let dir = tempfile::tempdir().unwrap();
    let s = WriteBehind::new(FsStorage::new(dir.path()));
    for n in 0..8u8 {
        s.put(&pack(n), &vec![n; 1 << 20]).unwrap();
    }
    // A snapshot put waits for the packs first: once it returns, they are all on disk.
    s.put(&StorageKey::Snapshot([1; 32].into()).to_string(), b"s")
        .unwrap();
    for n in 0..8u8 {
        let on_disk = std::fs::read(dir.path().join(pack(n))).unwrap();
        assert_eq!(on_disk, vec![n; 1 << 20], "pack {n} is whole on disk");
    }
    s.put(&pack(9), b"nine").unwrap();
    assert_eq!(s.get(&pack(9)).unwrap(), b"nine", "a read waits for the write");
    s.put(&pack(10), b"ten").unwrap();
    assert!(
        s.list(layout::PACKS).unwrap().contains(&pack(10)),
        "a listing waits too"
    );
}

#[test]
fn a_failed_write_behind_is_reported_by_the_next_call_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    // The pack's directory cannot be created: a file stands where it should be.
    std::fs::write(root.join("packs"), b"in the way").unwrap();
    let s = WriteBehind::new(FsStorage::new(&root));
    s.put(&pack(1), b"data").unwrap();
    let snapshot = StorageKey::Snapshot([2; 32].into()).to_string();
    match s.put(&snapshot, b"s") {
        Err(StorageError::Io(m)) => assert!(m.contains(&pack(1)), "{m}"),
        other => panic!("expected the pack's failure, got {other:?}"),
    }
    assert!(
        !Path::new(&root.join(&snapshot)).exists(),
        "nothing after a failed write"
    );
    s.put(&snapshot, b"s")
        .expect("reported once, then storage goes on");
}

#[test]
fn dropping_it_finishes_the_writes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = WriteBehind::new(FsStorage::new(dir.path()));
        s.put(&pack(3), &[3; 4096]).unwrap();
    }
    assert_eq!(std::fs::read(dir.path().join(pack(3))).unwrap(), vec![3; 4096]);
}
