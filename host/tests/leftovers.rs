//! What a killed ingest leaves behind (a lock file, temp files of interrupted writes) is
//! removed by `unlock` and `repair`, but only once its owner process is gone (issue 12,
//! hole 6).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common;
use common::*;

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default()
}

/// Starts an ingest from a pipe, waits until it holds its lock, kills it; answers its pid.
fn killed_ingest(repo: &Repo) -> u32 {
    let mut child = cairn(&["ingest", repo.repo(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(&text_data(100_000, 2))
        .unwrap();
    let start = Instant::now();
    while files_in(&repo.path.join("locks")).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the ingest never took its lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id();
    child.kill().unwrap();
    child.wait().unwrap();
    pid
}

#[test]
fn unlock_and_repair_remove_a_killed_ingests_leftovers_and_spare_the_living() {
    let repo = Repo::init(&[]);
    let data = text_data(300_000, 1);
    let id = repo.ingest_file("a.txt", &data);
    let dead = killed_ingest(&repo);
    let pack_dir: PathBuf = std::fs::read_dir(repo.path.join("packs/data"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mine = std::process::id();
    let leftovers = [
        pack_dir.join(format!(".{}.tmp-{dead}-3", files_in(&pack_dir)[0])),
        repo.path.join(format!("index/.x.tmp-{dead}-0")),
    ];
    let living = pack_dir.join(format!(".y.pack.tmp-{mine}-0"));
    for p in leftovers.iter().chain([&living]) {
        std::fs::write(p, b"partial").unwrap();
    }
    // Other commands ignore them.
    run_args(&["verify", repo.repo()]).ok();
    assert!(leftovers.iter().all(|p| p.exists()));
    let r = run_args(&["unlock", repo.repo(), "--json"]).ok();
    assert_eq!(r.json()["locksRemoved"], 1, "{}", r.stdout());
    assert!(r.stderr().contains("removed 2 temp files"), "{}", r.stderr());
    assert!(
        leftovers.iter().all(|p| !p.exists()),
        "the dead owner's temp files are gone"
    );
    assert!(living.exists(), "a living owner's temp file stays");
    // repair does the same.
    std::fs::write(&leftovers[0], b"partial").unwrap();
    let r = run_args(&["repair", repo.repo()]).ok();
    assert!(r.stderr().contains("removed 1 temp files"), "{}", r.stderr());
    assert!(!leftovers[0].exists() && living.exists());
    std::fs::remove_file(&living).unwrap();
    run_args(&["verify", repo.repo(), "--level", "full"]).ok();
    let out = repo.work.join("out");
    run_args(&["restore", repo.repo(), &id, "-o", s(&out)]).ok();
    assert!(std::fs::read(&out).unwrap() == data);
}
