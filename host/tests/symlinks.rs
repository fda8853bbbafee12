//! Symbolic links inside a repository (`packs/data` linked outside it) are refused unless
//! `--follow-symlinks` is given: nothing outside the repository's directory is read or
//! written without being told to (issue 12, hole 7).

use std::path::Path;

mod common;
use common::*;

/// Every file under `dir` with its bytes, to show nothing there changed.
fn contents(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn a_linked_packs_directory_is_refused_without_follow_symlinks() {
    let repo = Repo::init(&[]);
    let a = text_data(300_000, 1);
    let id = repo.ingest_file("a.txt", &a);
    // Move packs/data out of the repository and link it back.
    let outside = repo.work.join("elsewhere");
    let data = repo.path.join("packs/data");
    std::fs::rename(&data, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &data).unwrap();
    let before = contents(&outside);
    let b = repo.file("b.txt", &text_data(200_000, 2));
    let out = repo.work.join("out");
    for args in [
        vec!["ingest", repo.repo(), s(&b), "--json"],
        vec!["repair", repo.repo(), "--json"],
        vec!["verify", repo.repo(), "--json"],
        vec!["restore", repo.repo(), &id, "-o", s(&out), "--json"],
    ] {
        let r = run_args(&args);
        assert_eq!(r.code(), 5, "{args:?}: {}", r.stdout());
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            message.contains("symbolic link") && message.contains("--follow-symlinks"),
            "{args:?}: {message}"
        );
        assert!(
            contents(&outside) == before,
            "{args:?} changed files outside the repository"
        );
    }
    assert!(!out.exists(), "nothing was restored");
    // Told to follow the link, everything works, and the packs go to the linked directory.
    run_args(&["ingest", repo.repo(), s(&b), "--follow-symlinks"]).ok();
    assert!(walk(&outside).len() > before.len());
    run_args(&["verify", repo.repo(), "--level", "full", "--follow-symlinks"]).ok();
    run_args(&["restore", repo.repo(), &id, "-o", s(&out), "--follow-symlinks"]).ok();
    assert!(std::fs::read(&out).unwrap() == a);
}
