//! Hostile repositories, in one place: repositories someone else prepared so that a
//! reader would escape the directory (`../` and absolute ids), trust impossible sizes,
//! follow looping lists, guess at unknown versions or follow links out of the directory.
//! Each gets a clear error with a typed code, and nothing outside the repository changes.
//! The engine-level checks of the same manifests (bytes handed out before the error) are
//! in core-wasm/engine/tests/manifests.rs; the storage's refusal of keys outside the
//! grammar is in host/tests/storage_fs.rs; random damage is the corruption campaign's.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::Digest;

use crate::common;
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

/// A change that makes a repository hostile: it edits the files of `repo` (a plain
/// repository holding one snapshot), with `outside` a directory beside it.
type Make = fn(repo: &Path, outside: &Path);

/// The first file (by name) of a directory of the repository.
fn first(repo: &Path, dir: &str) -> PathBuf {
    let mut files = walk(&repo.join(dir));
    files.sort();
    files.swap_remove(0)
}

/// Rewrites a JSON file named by its SHA-256 (a manifest, a record, a group) with `edit`,
/// under its new name, so that the reader gets past the name check to the content.
fn rewrite_named(file: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    edit(&mut v);
    let mut bytes = serde_json::to_vec(&v).unwrap();
    if file.parent().unwrap().ends_with("parity") {
        bytes.push(b'\n'); // docs/FORMAT.md: group manifests end with one newline
    }
    rename_to_hash(file, &bytes);
}

fn rename_to_hash(file: &Path, bytes: &[u8]) {
    std::fs::remove_file(file).unwrap();
    let name: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(file.with_file_name(name), bytes).unwrap();
}

fn edit_manifest(repo: &Path, edit: impl FnOnce(&mut Value)) {
    rewrite_named(&first(repo, "snapshots"), edit);
}

/// Edits `config.json` and writes it without a checksum line, as a file from before
/// checksums (docs/FORMAT.md §3a), so that the reader's checks of the values themselves
/// are what answers.
fn edit_config(repo: &Path, edit: impl FnOnce(&mut Value)) {
    let path = repo.join("config.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("checksum");
    edit(&mut v);
    let mut bytes = serde_json::to_vec_pretty(&v).unwrap();
    bytes.push(b'\n');
    std::fs::write(path, bytes).unwrap();
}

fn escape(v: &mut Value) {
    v["items"][0]["lists"][0] = json!("../../outside/secret");
}

/// Every hostile repository: its name, how it is made, the command run on it (`REPO`
/// stands for its path, `OUT` for a file beside it), and the error code expected, or
/// `verify: FILE` for a verify that exits 1 with an error about FILE.
const CASES: &[(&str, Make, &[&str], &str)] = &[
    (
        "a chunk list named ../",
        |r, _| edit_manifest(r, escape),
        &["restore", "REPO", "latest", "-o", "OUT"],
        "CorruptSnapshot",
    ),
    (
        "a chunk list named by an absolute path",
        |r, _| edit_manifest(r, |v| v["items"][0]["lists"][0] = json!("/etc/passwd")),
        &["restore", "REPO", "latest", "-o", "OUT"],
        "CorruptSnapshot",
    ),
    (
        "a snapshot id of ../ in a record",
        |r, _| rewrite_named(&first(r, "records"), |v| v["added"][0] = json!("../snapshots/x")),
        &["prune", "REPO", "--keep-last", "1"],
        "CorruptSnapshot",
    ),
    (
        "a parity member named ../",
        |r, _| {
            rewrite_named(&first(r, "parity"), |v| {
                v["members"][0]["id"] = json!("../../outside/secret")
            })
        },
        &["verify", "REPO"],
        "verify: parity/",
    ),
    (
        "an item of 2^64-1 bytes",
        |r, _| edit_manifest(r, |v| v["items"][0]["size"] = json!(u64::MAX)),
        &["restore", "REPO", "latest", "-o", "OUT"],
        "CorruptSnapshot",
    ),
    (
        "a chunk count of 2^64-1",
        |r, _| edit_manifest(r, |v| v["items"][0]["chunkCount"] = json!(u64::MAX)),
        &["restore", "REPO", "latest", "-o", "OUT"],
        "CorruptSnapshot",
    ),
    (
        "a pack size of 2^40 bytes",
        |r, _| edit_config(r, |v| v["packSize"] = json!(1u64 << 40)),
        &["snapshots", "REPO"],
        "CorruptConfig",
    ),
    (
        "a parity layout of 2^32 packs",
        |r, _| edit_config(r, |v| v["parity"]["dataPacks"] = json!(u32::MAX)),
        &["snapshots", "REPO"],
        "CorruptConfig",
    ),
    (
        "one chunk list repeated 1000 times",
        |r, _| {
            edit_manifest(r, |v| {
                let first = v["items"][0]["lists"][0].clone();
                v["items"][0]["lists"] = Value::Array(vec![first; 1000]);
            })
        },
        &["restore", "REPO", "latest", "-o", "OUT"],
        "CorruptSnapshot",
    ),
    (
        "an unknown repository version",
        |r, _| edit_config(r, |v| v["version"] = json!(2)),
        &["snapshots", "REPO"],
        "UnsupportedVersion",
    ),
    (
        "an unknown manifest version",
        |r, _| edit_manifest(r, |v| v["version"] = json!(9)),
        &["restore", "REPO", "latest", "-o", "OUT"],
        "UnsupportedVersion",
    ),
    (
        "an unknown index segment version",
        |r, _| {
            let seg = first(r, "index");
            let mut b = std::fs::read(&seg).unwrap();
            b[7] = b'2';
            rename_to_hash(&seg, &b);
        },
        &["restore", "REPO", "latest", "-o", "OUT"],
        "UnsupportedVersion",
    ),
    (
        "an unknown parity manifest version",
        |r, _| rewrite_named(&first(r, "parity"), |v| v["version"] = json!(2)),
        &["repair", "REPO"],
        "UnsupportedVersion",
    ),
    (
        "an unknown snapshot record version",
        |r, _| rewrite_named(&first(r, "records"), |v| v["version"] = json!(2)),
        &["verify", "REPO"],
        "UnsupportedVersion",
    ),
    (
        "a lock no one can read",
        |r, _| {
            std::fs::create_dir_all(r.join("locks")).unwrap();
            std::fs::write(r.join("locks").join("ab".repeat(32)), b"\xff not a lock").unwrap();
        },
        &["ingest", "REPO", "OUT"],
        "RepositoryLocked",
    ),
    (
        "garbage for config.json",
        |r, _| std::fs::write(r.join("config.json"), b"\x00garbage").unwrap(),
        &["snapshots", "REPO"],
        "CorruptConfig",
    ),
    (
        "config.json linked outside",
        |r, o| {
            std::fs::rename(r.join("config.json"), o.join("config.json")).unwrap();
            std::os::unix::fs::symlink(o.join("config.json"), r.join("config.json")).unwrap();
        },
        &["snapshots", "REPO"],
        "StorageError",
    ),
    (
        "snapshots/ linked outside",
        |r, o| {
            std::fs::rename(r.join("snapshots"), o.join("snapshots")).unwrap();
            std::os::unix::fs::symlink(o.join("snapshots"), r.join("snapshots")).unwrap();
        },
        &["ingest", "REPO", "OUT"],
        "StorageError",
    ),
    (
        "a pack linked to a file outside",
        |r, o| {
            let pack = walk(&r.join("packs/data"))
                .into_iter()
                .find(|p| p.extension().is_some_and(|e| e == "pack"))
                .unwrap();
            std::fs::rename(&pack, o.join("pack")).unwrap();
            std::os::unix::fs::symlink(o.join("pack"), &pack).unwrap();
        },
        &["repair", "REPO"],
        "StorageError",
    ),
];

/// Every file under `dir` but the repository, with its bytes and modification time.
fn outside_state(dir: &Path, repo: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out: Vec<_> = walk(dir)
        .into_iter()
        .filter(|p| !p.starts_with(repo))
        .map(|p| {
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes, meta.modified().unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn hostile_repositories_get_typed_errors_and_nothing_outside_changes() {
    let base = Repo::init(&["--pack-size", "65536", "--parity", "2,1"]);
    let data = text_data(400_000, 3);
    base.ingest_file("a.txt", &data);
    let mut failures = Vec::new();
    for (name, make, args, code) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let (repo, outside) = (dir.path().join("repo"), dir.path().join("outside"));
        copy_tree(&base.path, &repo);
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret"), b"outside").unwrap();
        let out = dir.path().join("out");
        std::fs::write(&out, &data[..1000]).unwrap(); // an ingest's input, or a restore's target
        make(&repo, &outside);
        let before = outside_state(dir.path(), &repo);
        let mut argv: Vec<&str> = args
            .iter()
            .map(|a| match *a {
                "REPO" => s(&repo),
                "OUT" => s(&out),
                a => a,
            })
            .collect();
        argv.push("--json");
        let r = run_args(&argv);
        let j = r.json();
        let (found, message) = match code.strip_prefix("verify: ") {
            // Verify answers damage in its result, each error naming its file.
            Some(file) => {
                let named = j["errors"].as_array().into_iter().flatten().find_map(|e| {
                    let m = e["error"].as_str().unwrap_or("");
                    (m.contains(file) || e.to_string().contains(file)).then(|| m.to_string())
                });
                let found = if r.code() == 1 && named.is_some() {
                    *code
                } else {
                    ""
                };
                (found.to_string(), named.unwrap_or_default())
            }
            None => (
                j["error"]["code"].as_str().unwrap_or("").to_string(),
                j["error"]["message"].as_str().unwrap_or("").to_string(),
            ),
        };
        if found != *code || message.is_empty() {
            failures.push(format!(
                "{name}: {argv:?} exits {} with {found:?} ({message}), expected {code}\n{}",
                r.code(),
                r.stdout()
            ));
        }
        if outside_state(dir.path(), &repo) != before {
            failures.push(format!("{name}: {argv:?} changed files outside the repository"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
