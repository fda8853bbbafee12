//! Tree items through the operation table (docs/FORMAT.md §9b): round trips of every
//! entry kind, incremental ingest that reads nothing unchanged, listing, the host
//! protocol's errors, left-out files, and prune and verify over trees.

use crate::common;

use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use common::trees::*;
use common::*;
use serde_json::{json, Value};

fn assert_same(tree: &[Model], walked: &[(Value, Vec<u8>)]) {
    assert_eq!(walked.len(), tree.len());
    for (m, (step, data)) in tree.iter().zip(walked) {
        assert_eq!(step["depth"], json!(m.depth), "{step}");
        let mut want = m.entry.clone();
        if want["kind"] == "symlink" {
            want["size"] = json!(want["target"].as_str().unwrap().len());
        }
        if want.get("size").is_none() {
            want["size"] = json!(0);
        }
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&step["entry"][k], v, "{k} of {step}");
        }
        assert_eq!(data, &m.data, "{step}");
    }
}

#[test]
fn every_entry_kind_round_trips_and_verifies() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, Some("pw"));
    let tree = sample_tree();
    let (snap, read) = ingest_tree(&mut e, &tree, "etc", None);
    assert_eq!(snap["version"], 2);
    assert_eq!(snap["items"][0]["entries"], tree.len());
    let files: u64 = tree.iter().map(|m| m.data.len() as u64).sum();
    assert_eq!(snap["items"][0]["size"], files);
    assert_eq!(read, ["a.txt", "attrs", "big.bin", "empty", "\u{fffd}name"]);
    let id = id_of(&snap);
    assert_same(&tree, &walk(&mut e, &id, json!({})));
    assert_ok(&verify(&mut e, "full"));
    // Paths below the root, and one level only.
    let steps = walk(&mut e, &id, json!({"path": "dir", "recursive": false}));
    let paths: Vec<&str> = steps.iter().map(|(s, _)| s["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["", "attrs", "big.bin", "deeper"]);
    let bad = walk(&mut e, &id, json!({"pathHex": "2fff6e616d65"}));
    assert_eq!(bad[0].0["entry"]["nameHex"], "ff6e616d65");
    assert_eq!(
        e.err("walk_begin", json!({"snapshot": id, "path": "dir/nope"})),
        ErrorCode::PathNotFound
    );
    assert_eq!(
        e.err("walk_begin", json!({"snapshot": id, "item": "data"})),
        ErrorCode::ItemNotFound
    );
    // A tree alone restores as a stream: a tar archive (tests/tree_select.rs reads one).
    let begun = e.call("restore_begin", json!({"snapshot": id}));
    assert_eq!(begun["tar"], true, "{begun}");
    e.call("restore_end", json!({"session": begun["session"]}));
}

#[test]
fn an_unchanged_tree_reads_no_file_again() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let tree = sample_tree();
    let (first, _) = ingest_tree(&mut e, &tree, "etc", None);
    let (second, read) = ingest_tree(&mut e, &tree, "etc", Some(&id_of(&first)));
    assert!(read.is_empty(), "{read:?}");
    assert_eq!(second["newChunks"], 0);
    assert_eq!(second["reusedChunks"], first["chunkCount"]);
    assert_eq!(second["storedSize"], 0, "the same tree is the same pieces");
    assert_same(&tree, &walk(&mut e, &id_of(&second), json!({})));
    // One file touched: only it is read again.
    let mut touched = tree.clone();
    touched[4].entry["mtime"] = json!(99);
    let (third, read) = ingest_tree(&mut e, &touched, "etc", Some("latest"));
    assert_eq!(read, ["big.bin"]);
    assert_same(&touched, &walk(&mut e, &id_of(&third), json!({})));
    // A parent without that item reuses nothing, and is no error.
    let (_, read) = ingest_tree(&mut e, &tree, "other", Some(&id_of(&third)));
    assert_eq!(read.len(), 5);
    // Left to itself, the engine takes the newest snapshot with a tree of that name.
    e.ingest(&[("etc", b"a stream of that name is no parent")], json!({}), 100);
    let (_, read) = ingest_tree(&mut e, &touched, "etc", Some("auto"));
    assert!(read.is_empty(), "{read:?}");
    assert_ok(&verify(&mut e, "full"));
}

#[test]
fn a_large_directory_spans_pieces_in_order() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let mut tree = vec![other(0, entry("root", "dir", 1))];
    for i in 0..5000 {
        tree.push(file(1, &format!("f{i:05}"), format!("{i}").into_bytes(), 2));
    }
    let (snap, _) = ingest_tree(&mut e, &tree, "many", None);
    assert_same(&tree, &walk(&mut e, &id_of(&snap), json!({})));
    let deep = walk(&mut e, &id_of(&snap), json!({"path": "f04999"}));
    assert_eq!(deep[0].1, b"4999");
    assert_ok(&verify(&mut e, "full"));
}

#[test]
fn the_host_protocol_is_checked() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let s = e.begin(json!({}));
    e.call("ingest_tree", json!({"session": s, "name": "t"}));
    let f = entry("f", "file", 1);
    assert_eq!(
        e.err("tree_entry", json!({"session": s, "entry": f})),
        ErrorCode::InvalidArgument,
        "a root first"
    );
    let s = e.begin(json!({}));
    e.call("ingest_tree", json!({"session": s, "name": "t"}));
    e.call("tree_entry", json!({"session": s, "entry": entry("r", "dir", 1)}));
    assert!(e.api.write(s, b"x").is_err(), "no file asked for bytes");
    let s = e.begin(json!({}));
    e.call("ingest_tree", json!({"session": s, "name": "t"}));
    e.call("tree_entry", json!({"session": s, "entry": entry("r", "dir", 1)}));
    e.call(
        "tree_entry",
        json!({"session": s, "entry": entry("b", "fifo", 1)}),
    );
    let out_of_order = e.err(
        "tree_entry",
        json!({"session": s, "entry": entry("a", "fifo", 1)}),
    );
    assert_eq!(out_of_order, ErrorCode::InvalidArgument);
    let s = e.begin(json!({}));
    e.call("ingest_tree", json!({"session": s, "name": "t"}));
    e.call("tree_entry", json!({"session": s, "entry": entry("r", "dir", 1)}));
    let dotdot = e.err(
        "tree_entry",
        json!({"session": s, "entry": entry("..", "fifo", 1)}),
    );
    assert_eq!(dotdot, ErrorCode::InvalidArgument);
    // An empty tree item is refused at its end.
    let s = e.begin(json!({}));
    e.call("ingest_tree", json!({"session": s, "name": "t"}));
    assert_eq!(
        e.err("ingest_finish", json!({"session": s})),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn a_file_that_cannot_be_read_is_left_out_and_counted() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let s = e.begin(json!({}));
    e.call("ingest_tree", json!({"session": s, "name": "t"}));
    e.call("tree_entry", json!({"session": s, "entry": entry("r", "dir", 1)}));
    let mut gone = entry("gone", "file", 2);
    gone["size"] = json!(10_000);
    assert_eq!(
        e.call("tree_entry", json!({"session": s, "entry": gone}))["content"],
        true
    );
    e.api.write(s, &sample(5000, 9)).unwrap();
    e.call(
        "tree_problem",
        json!({"session": s, "path": "r/gone", "message": "vanished", "drop": true}),
    );
    let kept = file(1, "kept", sample(4000, 8), 3);
    e.call("tree_entry", json!({"session": s, "entry": kept.entry}));
    e.api.write(s, &kept.data).unwrap();
    let snap = e.call("ingest_finish", json!({"session": s}));
    assert_eq!(snap["warnings"], 1);
    assert_eq!(snap["items"][0]["entries"], 2);
    assert_eq!(snap["items"][0]["size"], 4000);
    let steps = walk(&mut e, &id_of(&snap), json!({}));
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1].1, kept.data);
    assert_ok(&verify(&mut e, "full"));
}

#[test]
fn prune_keeps_what_kept_trees_need() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let tree = sample_tree();
    let mut other_tree = tree.clone();
    other_tree[4].data = sample(150_000, 77);
    other_tree[4].entry["size"] = json!(150_000);
    other_tree[4].entry["mtime"] = json!(50);
    ingest_tree(&mut e, &other_tree, "etc", None);
    let (kept, _) = ingest_tree(&mut e, &tree, "etc", None);
    e.ingest(&[("db.sql", &sample(30_000, 5))], json!({}), 1000);
    let r = e.call("prune", json!({"retention": {"keepLast": 2}}));
    assert_eq!(r["removedSnapshots"], 1, "{r}");
    assert!(
        r["removedPacks"].as_u64().unwrap() + r["rewrittenPacks"].as_u64().unwrap() > 0,
        "{r}"
    );
    assert_ok(&verify(&mut e, "full"));
    assert_same(&tree, &walk(&mut e, &id_of(&kept), json!({})));
}

#[test]
fn exclude_patterns_leave_entries_out() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let s = e.begin(json!({}));
    e.call(
        "ingest_tree",
        json!({"session": s, "name": "t", "exclude": ["*.o", "/build/", "!keep.o"]}),
    );
    let answer = |e: &mut Engine, m: &Model| e.call("tree_entry", json!({"session": s, "entry": m.entry}));
    let root = other(0, entry("r", "dir", 1));
    assert_eq!(answer(&mut e, &root)["excluded"], false);
    let build = other(1, entry("build", "dir", 2));
    assert_eq!(
        answer(&mut e, &build),
        json!({"content": false, "excluded": true})
    );
    let keep = file(1, "keep.o", b"kept".to_vec(), 3);
    assert_eq!(answer(&mut e, &keep), json!({"content": true, "excluded": false}));
    e.api.write(s, &keep.data).unwrap();
    let src = other(1, entry("src", "dir", 4));
    answer(&mut e, &src);
    let nested = other(2, entry("build", "dir", 6));
    assert_eq!(
        answer(&mut e, &nested)["excluded"],
        false,
        "/build is anchored at the root"
    );
    e.call("tree_leave", json!({"session": s}));
    let obj = file(2, "x.o", b"object".to_vec(), 5);
    assert_eq!(answer(&mut e, &obj)["excluded"], true);
    let snap = e.call("ingest_finish", json!({"session": s}));
    let paths: Vec<String> = walk(&mut e, &id_of(&snap), json!({}))
        .iter()
        .map(|(step, _)| step["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["", "keep.o", "src", "src/build"]);
    assert_ok(&verify(&mut e, "full"));
    let s = e.begin(json!({}));
    let bad = e.err(
        "ingest_tree",
        json!({"session": s, "name": "t", "exclude": ["/"]}),
    );
    assert_eq!(bad, ErrorCode::InvalidArgument);
}

#[test]
fn a_diff_names_what_was_added_removed_modified_and_touched() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let tree = sample_tree();
    let (first, _) = ingest_tree(&mut e, &tree, "etc", None);
    let mut next = tree.clone();
    next[1].data = b"changed".to_vec(); // a.txt: content
    next[1].entry["size"] = json!(7);
    next[1].entry["mtime"] = json!(77);
    next[3].entry["mode"] = json!(0o600); // dir/attrs: metadata only
    next.remove(6); // dir/deeper/empty
    next.insert(6, file(3, "new", b"new".to_vec(), 78)); // dir/deeper/new
    next.remove(7); // fifo
    let (second, _) = ingest_tree(&mut e, &next, "etc", None);
    let changes = e.call("tree_diff", json!({"from": id_of(&first), "to": id_of(&second)}));
    let got: Vec<(String, String)> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        ("a.txt", "modified"),
        ("dir/attrs", "metadata"),
        ("dir/deeper/empty", "removed"),
        ("dir/deeper/new", "added"),
        ("fifo", "removed"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect();
    assert_eq!(got, want, "{changes:#}");
    let none = e.call("tree_diff", json!({"from": id_of(&second), "to": id_of(&second)}));
    assert_eq!(none, json!([]));
    assert_eq!(
        e.err(
            "tree_diff",
            json!({"from": id_of(&first), "to": id_of(&second), "item": "x"})
        ),
        ErrorCode::ItemNotFound
    );
}

#[test]
fn progress_counts_entries_and_names_the_path() {
    let host = MemoryHost::new(7);
    let mut e = small_repo(&host, None);
    let tree = sample_tree();
    host.take_events();
    ingest_tree(&mut e, &tree, "etc", None);
    let progress: Vec<Value> = host
        .take_events()
        .into_iter()
        .filter(|(name, _)| name == "ingest:progress")
        .map(|(_, payload)| serde_json::from_str(&payload).unwrap())
        .collect();
    let last = progress.last().unwrap();
    assert_eq!(last["entries"], tree.len(), "{last}");
    assert_eq!(last["path"], "\u{fffd}name", "the entry described last: {last}");
    assert!(last["message"].as_str().unwrap().contains("11 entries"), "{last}");
    assert!(progress.iter().all(|p| p["entries"].as_u64().is_some()));
}
