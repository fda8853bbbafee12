//! Failures of the storage itself are not bugs: they exit 5 with code `StorageError`,
//! distinct from 4 (internal), and lose nothing (README.md, exit codes).

use crate::common;
use common::*;

#[test]
fn a_full_output_device_exits_5_with_storage_error() {
    let repo = Repo::init(&[]);
    let data = text_data(300_000, 3);
    let id = repo.ingest_file("a.txt", &data);
    let r = run_args(&["restore", repo.repo(), &id, "-o", "/dev/full", "--json"]);
    assert_eq!(r.code(), 5, "stderr: {}", r.stderr());
    assert_eq!(r.json()["error"]["code"], "StorageError", "{}", r.stdout());
}

#[test]
fn a_repository_write_that_fails_exits_5_and_loses_nothing() {
    let repo = Repo::init(&[]);
    let a = text_data(200_000, 4);
    repo.ingest(&[s(&repo.file("a.txt", &a))]);
    // The locks directory replaced by a file: taking a lock is an I/O error of the storage.
    let locks = repo.path.join("locks");
    std::fs::remove_dir_all(&locks).unwrap();
    std::fs::write(&locks, b"").unwrap();
    let b = repo.file("b.txt", &text_data(100_000, 5));
    let r = run_args(&["ingest", repo.repo(), s(&b)]);
    assert_eq!(r.code(), 5, "stderr: {}", r.stderr());
    assert!(r.stderr().contains("storage failed"), "{}", r.stderr());
    std::fs::remove_file(&locks).unwrap();
    std::fs::create_dir(&locks).unwrap();
    run_args(&["verify", repo.repo()]).ok();
    let list = run_args(&["snapshots", repo.repo(), "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
}
