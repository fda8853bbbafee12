//! The golden repositories in `tests/golden/` were written once by the version-1 CLI
//! (`tests/golden/make.sh`). Every later version must keep listing and restoring them
//! byte for byte: they are the format's memory of itself.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common;
use common::{copy_tree, CAIRN};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden")
}

/// Runs `cairn COMMAND REPO ARGS...`; returns its exit status and standard output.
fn run(command: &str, repo: &Path, passphrase: Option<&str>, args: &[&str]) -> (bool, Vec<u8>) {
    let mut c = Command::new(CAIRN);
    c.arg(command)
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("CAIRN_PASSPHRASE");
    if let Some(p) = passphrase {
        c.env("CAIRN_PASSPHRASE", p);
    }
    let out = c.output().unwrap();
    (out.status.success(), out.stdout)
}

/// Runs `cairn COMMAND REPO ARGS...`, which must succeed, and returns its standard output.
fn cairn(command: &str, repo: &Path, passphrase: Option<&str>, args: &[&str]) -> Vec<u8> {
    let (ok, stdout) = run(command, repo, passphrase, args);
    assert!(ok, "cairn {command} {args:?} failed");
    stdout
}

/// A copy of each golden repository in `tmp` (so that locks never touch the originals),
/// with its name and passphrase.
fn golden_copies(tmp: &Path) -> Vec<(&'static str, PathBuf, Option<String>)> {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(golden_dir().join("expected.json")).unwrap()).unwrap();
    [
        "plain-gzip",
        "plain-zstd",
        "encrypted-gzip",
        "encrypted-xaes-gzip",
        "tree-zstd",
    ]
    .into_iter()
    .map(|name| {
        let repo = tmp.join(name);
        copy_tree(&golden_dir().join(name), &repo);
        let pw = (name.starts_with("encrypted") || name == "tree-zstd")
            .then(|| expected["passphrase"].as_str().unwrap().to_string());
        (name, repo, pw)
    })
    .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn golden_repositories_still_list_and_restore() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(golden_dir().join("expected.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for (name, repo, pw) in golden_copies(tmp.path()) {
        let pw = pw.as_deref();
        let recorded: Value = serde_json::from_slice(
            &std::fs::read(golden_dir().join(format!("{name}.snapshots.json"))).unwrap(),
        )
        .unwrap();
        let listed: Value = serde_json::from_slice(&cairn("snapshots", &repo, pw, &["--json"])).unwrap();
        assert_eq!(listed, recorded, "{name}: the listing changed");
        for snap in listed.as_array().unwrap() {
            let n = snap["tags"]["n"].as_str().unwrap();
            for (item, sha) in expected["items"][n].as_object().unwrap() {
                let id = snap["id"].as_str().unwrap();
                let restored = cairn("restore", &repo, pw, &[id, "--item", item]);
                assert_eq!(
                    hex(&Sha256::digest(&restored)),
                    sha.as_str().unwrap(),
                    "{name} {id} {item}"
                );
            }
        }
    }
}

/// The golden tree (manifest version 2, docs/FORMAT.md §9b) lists exactly as recorded and
/// restores into a directory with its files' bytes and times.
#[test]
fn the_golden_tree_lists_and_restores() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(golden_dir().join("expected.json")).unwrap()).unwrap();
    let pw = expected["passphrase"].as_str();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("tree-zstd");
    copy_tree(&golden_dir().join("tree-zstd"), &repo);
    let recorded: Value =
        serde_json::from_slice(&std::fs::read(golden_dir().join("tree-zstd.ls.json")).unwrap()).unwrap();
    let listed: Value = serde_json::from_slice(&cairn("ls", &repo, pw, &["latest", "--json"])).unwrap();
    assert_eq!(listed, recorded, "the listing of the golden tree changed");
    let target = tmp.path().join("restored");
    cairn(
        "restore",
        &repo,
        pw,
        &["latest", "--target", target.to_str().unwrap()],
    );
    for (path, sha) in expected["tree"].as_object().unwrap() {
        let bytes = std::fs::read(target.join(path)).unwrap();
        assert_eq!(hex(&Sha256::digest(&bytes)), sha.as_str().unwrap(), "{path}");
        let mtime =
            std::os::unix::fs::MetadataExt::mtime_nsec(&std::fs::metadata(target.join(path)).unwrap());
        assert_eq!(mtime, 123_456_789, "{path}");
    }
    let link = std::fs::read_link(target.join("etc/link")).unwrap();
    assert_eq!(link, Path::new("ssh/schema.sql"));
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9");
    assert_eq!(std::fs::read(target.join(odd)).unwrap(), b"not UTF-8");
}

#[test]
fn the_encrypted_golden_repository_refuses_a_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("r");
    copy_tree(&golden_dir().join("encrypted-gzip"), &repo);
    let out = Command::new(CAIRN)
        .args(["snapshots"])
        .arg(&repo)
        .env("CAIRN_PASSPHRASE", "not it")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
}

/// The first release's golden repositories predate parity: verify finds every chunk intact and exits 0,
/// warning that no parity protects their packs (an unprotected pack is not damage,
/// docs/FORMAT.md §10a); repair gives them parity, and then they verify without warnings.
#[test]
fn golden_repositories_verify_clean_with_warnings_and_repair_gives_them_parity() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, repo, pw) in golden_copies(tmp.path()) {
        let pw = pw.as_deref();
        let verify_full = |repo: &Path| -> Value {
            serde_json::from_slice(&cairn("verify", repo, pw, &["--level", "full", "--json"])).unwrap()
        };
        let before = verify_full(&repo);
        assert_eq!(before["ok"], true, "{name}: {before}");
        assert_eq!(before["errors"], serde_json::json!([]), "{name}: {before}");
        let warnings = before["warnings"].as_array().unwrap();
        // Only the repositories of the first release predate parity.
        let with_parity = name == "encrypted-xaes-gzip" || name == "tree-zstd";
        assert_eq!(warnings.is_empty(), with_parity, "{name}: {before}");
        assert!(
            warnings
                .iter()
                .all(|e| e["error"].as_str().unwrap().contains("no parity group")),
            "{name}: only the missing parity is reported: {before}"
        );
        assert!(before["stats"]["chunksChecked"].as_u64().unwrap() > 0);
        let repaired: Value = serde_json::from_slice(&cairn("repair", &repo, pw, &["--json"])).unwrap();
        assert_eq!(
            repaired["packsProtected"].as_u64(),
            Some(warnings.len() as u64),
            "{name}"
        );
        let after = verify_full(&repo);
        assert_eq!(after["ok"], true, "{name}: {after}");
        assert_eq!(after["warnings"], serde_json::json!([]), "{name}: {after}");
    }
}
