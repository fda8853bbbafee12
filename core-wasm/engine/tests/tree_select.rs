//! Parts of a tree item through the operation table: walks narrowed by include and exclude
//! patterns and `matchesOnly` (what `restore --include/--exclude` and `find` ask), one-level
//! walks, and a tree item restored as a tar archive, read back by the `tar` crate.

use crate::common;

use std::io::Read;

use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use common::trees::*;
use common::*;
use serde_json::{json, Value};

fn paths(walked: &[(Value, Vec<u8>)]) -> Vec<String> {
    walked
        .iter()
        .map(|(s, _)| s["path"].as_str().unwrap().to_string())
        .collect()
}

fn repo_with_sample() -> (MemoryHost, Engine, String, Vec<Model>) {
    let host = MemoryHost::new(11);
    let mut e = small_repo(&host, Some("pw"));
    let tree = sample_tree();
    let (snap, _) = ingest_tree(&mut e, &tree, "etc", None);
    let id = id_of(&snap);
    (host, e, id, tree)
}

#[test]
fn includes_take_matches_their_contents_and_the_way_to_them() {
    let (_h, mut e, id, _) = repo_with_sample();
    let walked = walk(&mut e, &id, json!({"include": ["attrs", "/a.txt"]}));
    assert_eq!(paths(&walked), ["", "a.txt", "dir", "dir/attrs"]);
    assert_eq!(walked[3].1, sample(2000, 3), "a file taken comes with its bytes");
    let dir = walk(&mut e, &id, json!({"include": ["/dir"], "exclude": ["*.bin"]}));
    assert_eq!(
        paths(&dir),
        ["", "dir", "dir/attrs", "dir/deeper", "dir/deeper/empty"]
    );
    let none = walk(&mut e, &id, json!({"include": ["no-such-entry"]}));
    assert!(none.is_empty(), "nothing matched, not even the root");
}

#[test]
fn excludes_leave_out_and_do_not_enter() {
    let (_h, mut e, id, tree) = repo_with_sample();
    let walked = walk(&mut e, &id, json!({"exclude": ["dir", "fifo", "null"]}));
    assert_eq!(paths(&walked), ["", "a.txt", "link", "\u{fffd}name"]);
    let all = walk(&mut e, &id, json!({}));
    assert_eq!(all.len(), tree.len());
}

#[test]
fn matches_only_lists_what_find_finds_from_a_path_too() {
    let (_h, mut e, id, _) = repo_with_sample();
    let found = walk(
        &mut e,
        &id,
        json!({"include": ["*.bin", "empty", "a.*"], "matchesOnly": true}),
    );
    assert_eq!(paths(&found), ["a.txt", "dir/big.bin", "dir/deeper/empty"]);
    // Patterns match paths below the item's root, also in a walk from a path.
    let below = walk(
        &mut e,
        &id,
        json!({"path": "dir", "include": ["/dir/deeper"], "matchesOnly": true}),
    );
    assert_eq!(paths(&below), ["deeper"]);
    let code = e.err("walk_begin", json!({"snapshot": id, "include": ["/"]}));
    assert_eq!(code, ErrorCode::InvalidArgument);
}

#[test]
fn a_one_level_walk_of_the_root_ends_cleanly() {
    let (_h, mut e, id, _) = repo_with_sample();
    let walked = walk(&mut e, &id, json!({"recursive": false}));
    assert_eq!(
        paths(&walked),
        ["", "a.txt", "dir", "fifo", "link", "null", "\u{fffd}name"]
    );
}

#[test]
fn a_tree_item_restores_as_a_tar_archive() {
    let (_h, mut e, id, tree) = repo_with_sample();
    let begun = e.call("restore_begin", json!({"snapshot": id, "item": "etc"}));
    assert_eq!(begun["tar"], true, "{begun}");
    let s = begun["session"].as_u64().unwrap() as u32;
    let bytes = e.drain(s);
    e.call("restore_end", json!({"session": s}));
    assert_eq!(bytes.len() % 512, 0);

    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut seen = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path_bytes().into_owned();
        let header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        seen.push((
            path,
            header.entry_type(),
            header.mode().unwrap(),
            data,
            entry.link_name_bytes().map(|l| l.into_owned()),
        ));
    }
    assert_eq!(seen.len(), tree.len());
    assert_eq!(seen[0].0, b"./");
    let find = |p: &[u8]| {
        seen.iter()
            .find(|s| s.0 == p)
            .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(p)))
    };
    assert_eq!(find(b"./dir/big.bin").3, sample(200_000, 2));
    assert_eq!(find(b"./dir/").1, tar::EntryType::Directory);
    assert_eq!(find(b"./a.txt").2, 0o644);
    assert_eq!(find(b"./link").4.as_deref(), Some(b"../elsewhere".as_slice()));
    assert_eq!(find(b"./fifo").1, tar::EntryType::Fifo);
    assert_eq!(find(b"./null").1, tar::EntryType::Char);
    assert_eq!(
        find(b"./\xffname").3,
        b"xyz",
        "a name that is not UTF-8 keeps its bytes"
    );

    // Extended attributes and nanoseconds are in the pax header before their entry.
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut entries = archive.entries().unwrap();
    let mut with_attrs = entries
        .find(|e| e.as_ref().unwrap().path_bytes().as_ref() == b"./dir/attrs")
        .unwrap()
        .unwrap();
    let pax: Vec<(String, Vec<u8>)> = with_attrs
        .pax_extensions()
        .unwrap()
        .expect("a pax header")
        .map(|x| {
            let x = x.unwrap();
            (x.key().unwrap().to_string(), x.value_bytes().to_vec())
        })
        .collect();
    assert!(
        pax.contains(&("SCHILY.xattr.user.a".into(), vec![0x00, 0xff])),
        "{pax:?}"
    );
    assert!(
        pax.contains(&("mtime".into(), b"12.000000005".to_vec())),
        "{pax:?}"
    );
}

#[test]
fn find_walks_every_tree_item_under_one_lock() {
    let (host, mut e, _, tree) = repo_with_sample();
    let (_, _) = ingest_tree(&mut e, &tree, "etc", None);
    let (_, _) = ingest_tree(&mut e, &tree, "etc", None);
    // Another client walking holds a shared lock; each lock this engine takes reads it to
    // check for a conflict.
    let mut other = Engine::open(&host, Some("pw"));
    let walk = other.call("walk_begin", json!({ "snapshot": "latest" }))["session"].clone();
    let theirs = keys_under(&host, "locks/");
    assert_eq!(theirs.len(), 1);

    host.log_reads(true);
    let found = e.call("find", json!({ "patterns": ["a.txt"] }));
    let log = host.take_read_log();
    assert_eq!(found.as_array().map(Vec::len), Some(3), "{found}");
    let lock_reads = log
        .iter()
        .filter(|r| matches!(r, cairn_core::memory::ReadLog::Read(p) if p.key() == theirs[0]))
        .count();
    assert_eq!(lock_reads, 1, "one lock for a find over three tree items");
    assert_eq!(keys_under(&host, "locks/"), theirs, "find released its lock");
    other.call("restore_end", json!({ "session": walk }));
}
