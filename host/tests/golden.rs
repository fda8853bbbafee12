//! The golden repositories in `tests/golden/` were written once by the version-1 CLI
//! (`tests/golden/make.sh`). Every later version must keep listing and restoring them
//! byte for byte: they are the format's memory of itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

mod common;
use common::{copy_tree, CAIRN};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden")
}

/// Runs `cairn COMMAND REPO ARGS...` and returns its standard output.
fn cairn(command: &str, repo: &Path, passphrase: Option<&str>, args: &[&str]) -> Vec<u8> {
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
    assert!(
        out.status.success(),
        "cairn {command} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn golden_repositories_still_list_and_restore() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(golden_dir().join("expected.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for name in ["plain-gzip", "plain-zstd", "encrypted-gzip"] {
        let repo = tmp.path().join(name);
        copy_tree(&golden_dir().join(name), &repo);
        let pw = name
            .starts_with("encrypted")
            .then(|| expected["passphrase"].as_str().unwrap());
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

/// Runs `cairn verify --level full --json` and returns its answer.
fn verify_full(repo: &Path, pw: Option<&str>) -> Value {
    let mut c = Command::new(CAIRN);
    c.args(["verify", "--level", "full", "--json"])
        .arg(repo)
        .stdin(Stdio::null())
        .env_remove("CAIRN_PASSPHRASE");
    if let Some(p) = pw {
        c.env("CAIRN_PASSPHRASE", p);
    }
    serde_json::from_slice(&c.output().unwrap().stdout).unwrap()
}

/// The golden repositories predate parity: verify finds every chunk intact and says that
/// no parity protects their packs; repair gives them parity, and then they verify clean.
#[test]
fn golden_repositories_verify_and_repair_gives_them_parity() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(golden_dir().join("expected.json")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for name in ["plain-gzip", "plain-zstd", "encrypted-gzip"] {
        let repo = tmp.path().join(name);
        copy_tree(&golden_dir().join(name), &repo);
        let pw = name
            .starts_with("encrypted")
            .then(|| expected["passphrase"].as_str().unwrap());
        let before = verify_full(&repo, pw);
        let errors = before["errors"].as_array().unwrap();
        assert!(!errors.is_empty(), "{name}: {before}");
        assert!(
            errors
                .iter()
                .all(|e| e["error"].as_str().unwrap().contains("no parity group")),
            "{name}: only the missing parity is reported: {before}"
        );
        assert!(before["stats"]["chunksChecked"].as_u64().unwrap() > 0);
        let repaired: Value = serde_json::from_slice(&cairn("repair", &repo, pw, &["--json"])).unwrap();
        assert_eq!(
            repaired["packsProtected"].as_u64(),
            Some(errors.len() as u64),
            "{name}"
        );
        let after = verify_full(&repo, pw);
        assert_eq!(after["ok"], true, "{name}: {after}");
    }
}
