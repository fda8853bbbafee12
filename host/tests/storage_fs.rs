//! The file-system storage against the engine's storage contract.

use std::path::Path;

use cairn::storage::fs::FsStorage;
use cairn_core::conformance::{self, run_storage_suite};
use cairn_core::host::{Storage, StorageError};
use cairn_core::layout;

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn passes_the_storage_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let s = FsStorage::new(dir.path());
    run_storage_suite(&s);
    // And again on the same directory: the suite leaves it as it found it.
    run_storage_suite(&s);
    assert!(
        files(dir.path()).is_empty(),
        "left behind: {:?}",
        files(dir.path())
    );
}

#[test]
fn refuses_keys_that_escape_the_repository() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(parent.path().join("secret"), b"outside").unwrap();
    let s = FsStorage::new(&root);
    for bad in [
        "../secret",
        "../../etc/passwd",
        "/etc/passwd",
        "keys/../../secret",
        "config.json/../../secret",
    ] {
        conformance::assert_refuses_key(&s, bad);
    }
    for bad in ["../", "..", "/", "keys/../"] {
        conformance::assert_refuses_prefix(&s, bad);
    }
    assert_eq!(std::fs::read(parent.path().join("secret")).unwrap(), b"outside");
    assert!(files(&root).is_empty());
}

#[test]
fn writes_leave_no_temp_files_and_create_directories() {
    let dir = tempfile::tempdir().unwrap();
    let s = FsStorage::new(dir.path());
    let pack = layout::StorageKey::Pack([0x5c; 32].into()).to_string();
    let lock = layout::StorageKey::Lock([1; 32].into()).to_string();
    s.put(&pack, &[9u8; 10_000]).unwrap();
    s.put(&pack, &[8u8; 20_000]).unwrap();
    s.put_new(&lock, b"mine").unwrap();
    assert_eq!(s.put_new(&lock, b"theirs"), Err(StorageError::AlreadyExists));
    s.put(layout::CONFIG, b"{}").unwrap();
    let mut want = vec![pack.clone(), lock.clone(), layout::CONFIG.to_string()];
    want.sort();
    assert_eq!(files(dir.path()), want, "only the objects themselves are on disk");
    assert_eq!(s.get(&pack).unwrap(), vec![8u8; 20_000]);
    assert_eq!(s.get(&lock).unwrap(), b"mine");
}

#[test]
fn list_ignores_files_outside_the_grammar() {
    let dir = tempfile::tempdir().unwrap();
    let s = FsStorage::new(dir.path());
    let snap = layout::StorageKey::Snapshot([3; 32].into()).to_string();
    s.put(&snap, b"s").unwrap();
    // A temp file left by a crash, an editor's backup, and a stray directory.
    std::fs::write(dir.path().join("snapshots/.tmp-123"), b"partial").unwrap();
    std::fs::write(dir.path().join("snapshots/notes.txt~"), b"x").unwrap();
    std::fs::create_dir_all(dir.path().join("snapshots/sub/deeper")).unwrap();
    std::fs::write(dir.path().join("README"), b"x").unwrap();
    assert_eq!(s.list(layout::SNAPSHOTS).unwrap(), vec![snap.clone()]);
    assert_eq!(s.list("").unwrap(), vec![snap]);
}

#[test]
fn a_missing_root_is_an_empty_repository_and_is_not_created() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("absent");
    let s = FsStorage::new(&root);
    assert_eq!(s.get(layout::CONFIG), Err(StorageError::NotFound));
    assert_eq!(s.list("").unwrap(), Vec::<String>::new());
    assert!(matches!(
        s.put(&layout::StorageKey::Snapshot([1; 32].into()).to_string(), b"x"),
        Err(StorageError::Io(_))
    ));
    assert!(
        !root.exists(),
        "storage must not create the repository directory itself"
    );
}

#[test]
fn links_inside_the_repository_are_refused_unless_followed() {
    let parent = tempfile::tempdir().unwrap();
    let (root, outside) = (parent.path().join("repo"), parent.path().join("outside"));
    std::fs::create_dir_all(root.join("packs")).unwrap();
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("packs/data")).unwrap();
    std::fs::write(outside.join("secret"), b"outside").unwrap();
    std::os::unix::fs::symlink(outside.join("secret"), root.join("config.json")).unwrap();
    let key = cairn_core::layout::StorageKey::Pack([0xab; 32].into()).to_string();
    let s = FsStorage::new(&root);
    for e in [
        s.put(&key, b"x").unwrap_err(),
        s.get("config.json").unwrap_err(),
        s.list("packs/data/").unwrap_err(),
        s.list("").unwrap_err(),
    ] {
        assert!(
            matches!(&e, StorageError::Io(m) if m.contains("symbolic link")),
            "{e:?}"
        );
    }
    assert_eq!(files(&outside), ["secret"], "nothing written outside");
    let s = s.following_links(true);
    s.put(&key, b"x").unwrap();
    assert_eq!(s.get("config.json").unwrap(), b"outside");
    assert_eq!(s.list("packs/data/").unwrap(), [key]);
}
