//! End-to-end tests of the `cairn` binary on encrypted repositories: what is hidden,
//! what a wrong passphrase gets, and passphrases added, listed and removed.

use serde_json::Value;

use crate::common;
use common::*;

#[test]
fn encrypted_round_trip_and_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let pass_file = dir.path().join("pass");
    std::fs::write(&pass_file, "correct horse\n").unwrap();
    let data = text_data(600_000, 8);
    let input = dir.path().join("secret.txt");
    std::fs::write(&input, &data).unwrap();

    run(cairn(&["init", s(&path), "--encrypt"]).env("CAIRN_PASSPHRASE", "correct horse")).ok();
    let snap = run(cairn(&[
        "ingest",
        s(&path),
        "--json",
        "--tag",
        "label=TOPSECRETTAG",
        s(&input),
    ])
    .env("CAIRN_PASSPHRASE", "correct horse"))
    .ok()
    .json();
    assert_snapshot_fields(&snap);
    // The passphrase file's first line is the same passphrase.
    let restored = run_args(&["restore", s(&path), "latest", "--passphrase-file", s(&pass_file)]).ok();
    assert!(restored.out.stdout == data);

    // Nothing readable on disk: neither the tag nor the content.
    for f in walk(&path) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !contains(&bytes, b"TOPSECRETTAG"),
            "tag readable in {}",
            f.display()
        );
        assert!(
            !contains(&bytes, &data[1000..1040]),
            "content readable in {}",
            f.display()
        );
    }

    let wrong = run(cairn(&["snapshots", s(&path)]).env("CAIRN_PASSPHRASE", "wrong horse"));
    assert_eq!(wrong.code(), 2);
    assert!(wrong.stderr().contains("wrong passphrase"), "{}", wrong.stderr());
    let wrong_json = run(cairn(&["snapshots", s(&path), "--json"]).env("CAIRN_PASSPHRASE", "wrong horse"));
    assert_eq!(wrong_json.json()["error"]["code"], "WrongPassphrase");

    let none = run_args(&["snapshots", s(&path), "--json"]);
    assert_eq!(none.code(), 2);
    assert_eq!(none.json()["error"]["code"], "PassphraseRequired");

    let init_without = run_args(&["init", s(&dir.path().join("other")), "--encrypt"]);
    assert_eq!(init_without.code(), 2, "{}", init_without.stderr());
    assert!(
        !dir.path().join("other").exists(),
        "a failed init leaves no directory"
    );
}

#[test]
fn keys_can_be_added_listed_and_removed_but_not_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let repo = s(&path);
    let with = |pass: &str, args: &[&str]| run(cairn(args).env("CAIRN_PASSPHRASE", pass));
    with("one", &["init", repo, "--encrypt"]).ok();

    let added = run(cairn(&["key", "add", repo, "--json"])
        .env("CAIRN_PASSPHRASE", "one")
        .env("CAIRN_NEW_PASSPHRASE", "two"))
    .ok()
    .json();
    let new_id = added["id"].as_str().expect("key add answers its id").to_string();

    let list = with("two", &["key", "list", repo, "--json"]).ok().json();
    let keys = list.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let current: Vec<&Value> = keys.iter().filter(|k| k["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        current[0]["id"],
        new_id.as_str(),
        "opened with `two`, so its key is current"
    );
    let old_id = keys.iter().find(|k| k["id"] != new_id.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    with("two", &["key", "remove", repo, &old_id]).ok();
    let old = with("one", &["snapshots", repo]);
    assert_eq!(
        old.code(),
        2,
        "the removed passphrase no longer opens: {}",
        old.stderr()
    );
    with("two", &["snapshots", repo]).ok();

    let last = with("two", &["key", "remove", repo, &new_id, "--json"]);
    assert_eq!(last.code(), 2);
    assert_eq!(last.json()["error"]["code"], "LastKey");
    let unknown = with("two", &["key", "remove", repo, &"0".repeat(64), "--json"]);
    assert_eq!(unknown.json()["error"]["code"], "KeyNotFound");

    let no_new = with("two", &["key", "add", repo]);
    assert_eq!(
        no_new.code(),
        2,
        "no new passphrase and no terminal: {}",
        no_new.stderr()
    );
}
