//! `cairn copy SRC DST` end to end (issue 15): streams and trees between a plain and an
//! encrypted repository and between two passphrases, snapshots already copied skipped,
//! and only what the destination lacks stored.

use crate::common;
use common::*;

fn snapshots(repo: &str, pw: Option<&str>) -> serde_json::Value {
    let mut c = cairn(&["snapshots", repo, "--json"]);
    if let Some(p) = pw {
        c.env("CAIRN_PASSPHRASE", p);
    }
    run(&mut c).ok().json()
}

#[test]
fn copy_between_plain_and_encrypted_repositories_and_two_passphrases() {
    let src = Repo::init_encrypted(&[], "one");
    let dst = Repo::init_encrypted(&[], "two");
    let plain = Repo::init(&[]);
    let dump = src.file("dump.sql", &text_data(300_000, 1));
    let tree = src.work.join("etc");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("a.conf"), text_data(20_000, 2)).unwrap();
    std::fs::write(tree.join("sub/b.conf"), text_data(70_000, 3)).unwrap();
    let ingest = |args: &[&str]| {
        let mut all = vec!["ingest", src.repo(), "--json"];
        all.extend_from_slice(args);
        run(cairn(&all).env("CAIRN_PASSPHRASE", "one")).ok().json()
    };
    let first = ingest(&["--tag", "db=orders", "--item", &format!("dump={}", s(&dump))]);
    let second = ingest(&[s(&tree)]);

    // Encrypted to encrypted, two passphrases (the destination's from its own variable).
    let copy = |from: &str, to: &str, extra: &[&str]| {
        let mut all = vec!["copy", from, to, "--json"];
        all.extend_from_slice(extra);
        run(cairn(&all)
            .env("CAIRN_PASSPHRASE", "one")
            .env("CAIRN_TO_PASSPHRASE", "two"))
    };
    let r = copy(src.repo(), dst.repo(), &[]).ok().json();
    assert_eq!(r["copied"].as_array().unwrap().len(), 2, "{r}");
    let listed = snapshots(dst.repo(), Some("two"));
    for (orig, copied) in [&first, &second].iter().zip(listed.as_array().unwrap()) {
        for field in ["createdAt", "tags", "host", "originalSize"] {
            assert_eq!(orig[field], copied[field], "{field}");
        }
        assert_eq!(copied["original"], orig["id"]);
    }
    // Again: nothing to copy.
    let again = copy(src.repo(), dst.repo(), &[]).ok().json();
    assert_eq!(
        (
            again["copied"].as_array().unwrap().len(),
            again["skipped"].as_array().unwrap().len()
        ),
        (0, 2)
    );

    // Encrypted to plain, one snapshot by prefix and a filter for `latest`.
    let id = first["id"].as_str().unwrap();
    let r = copy(src.repo(), plain.repo(), &[&id[..10]]).ok().json();
    assert_eq!(r["copied"][0]["from"], id);
    let r = copy(src.repo(), plain.repo(), &["latest", "--tag", "db=orders"])
        .ok()
        .json();
    assert_eq!(r["skipped"], serde_json::json!([id]));
    let out = run_args(&["restore", plain.repo(), "latest", "--item", "dump"]).ok();
    assert_eq!(out.out.stdout, text_data(300_000, 1));

    // Plain to encrypted; the tree copied before restores as it was.
    let back = Repo::init_encrypted(&[], "three");
    let r = run(cairn(&["copy", plain.repo(), back.repo(), "--json"]).env("CAIRN_TO_PASSPHRASE", "three"))
        .ok()
        .json();
    assert_eq!(r["copied"].as_array().unwrap().len(), 1);
    let target = back.work.join("restored");
    let from_dst = dst.work.join("restored");
    let tree_id = listed[1]["id"].as_str().unwrap();
    run(cairn(&["restore", dst.repo(), tree_id, "--target", s(&from_dst)]).env("CAIRN_PASSPHRASE", "two"))
        .ok();
    assert_eq!(
        std::fs::read(from_dst.join("sub/b.conf")).unwrap(),
        text_data(70_000, 3)
    );
    run(cairn(&[
        "restore",
        back.repo(),
        "latest",
        "--item",
        "dump",
        "-o",
        s(&target),
    ])
    .env("CAIRN_PASSPHRASE", "three"))
    .ok();
    assert_eq!(std::fs::read(&target).unwrap(), text_data(300_000, 1));
    run(cairn(&["verify", dst.repo(), "--level", "full"]).env("CAIRN_PASSPHRASE", "two")).ok();

    // A wrong destination passphrase is the usual usage error, and copies nothing.
    let wrong = run(cairn(&["copy", src.repo(), back.repo()])
        .env("CAIRN_PASSPHRASE", "one")
        .env("CAIRN_TO_PASSPHRASE", "nope"));
    assert_eq!(wrong.code(), 2, "{}", wrong.stderr());
}

#[test]
fn a_second_copy_stores_only_the_new_data() {
    let src = Repo::init(&[]);
    let dst = Repo::init(&[]);
    let data = text_data(2_000_000, 7);
    src.ingest_file("d", &data);
    run_args(&["copy", src.repo(), dst.repo()]).ok();
    let mut more = data.clone();
    more.extend_from_slice(&text_data(50_000, 8));
    src.ingest_file("d", &more);
    let r = run_args(&["copy", src.repo(), dst.repo(), "--json"]).ok().json();
    assert_eq!(r["copied"].as_array().unwrap().len(), 1);
    let latest = run_args(&["show", dst.repo(), "latest", "--json"]).ok().json();
    let (new, reused) = (
        latest["newChunks"].as_u64().unwrap(),
        latest["reusedChunks"].as_u64().unwrap(),
    );
    assert!(reused > 5 * new, "{latest}");
    let text = run_args(&["copy", src.repo(), dst.repo()]).ok().stdout();
    assert!(text.contains("0 snapshots copied, 2 there already"), "{text}");
}
