//! The reproduction of a deleted manifest (issue 12, hole 1), through the CLI:
//! verify now fails, prune keeps the data until `--forget-vanished`.

use crate::common;
use common::*;

#[test]
fn a_deleted_manifest_fails_verify_and_holds_prune_back() {
    let repo = Repo::init(&["--pack-size", "1048576", "--parity", "4,1"]);
    repo.ingest_file("a.bin", &text_data(600_000, 1));
    let b = repo.ingest_file("b.bin", &text_data(600_000, 2));
    std::fs::remove_file(repo.path.join("snapshots").join(&b)).unwrap();
    let v = run_args(&["verify", repo.repo(), "--level", "full"]);
    assert_eq!(v.code(), 1, "{}", v.stdout());
    assert!(
        v.stdout().contains(&b) && v.stdout().contains("--forget-vanished"),
        "{}",
        v.stdout()
    );
    let packs = walk(&repo.path.join("packs")).len();
    let p = run_args(&["prune", repo.repo(), "--keep-last", "1"]);
    assert_eq!(p.code(), 1, "{}", p.stderr());
    assert_eq!(walk(&repo.path.join("packs")).len(), packs, "no pack deleted");
    run_args(&["prune", repo.repo(), "--keep-last", "1", "--forget-vanished"]).ok();
    run_args(&["verify", repo.repo(), "--level", "full"]).ok();
}
