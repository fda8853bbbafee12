//! Copy between repositories (issue 15; docs/DESIGN.md §30): an export session on the
//! source, an import session on the destination, and only bytes between them. Streams
//! and trees, plain to encrypted, encrypted to plain and between two passphrases; what is
//! there already is neither stored twice nor copied twice; a broken stream stores no
//! snapshot.

use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::{json, Value};

use crate::common;
use common::trees::{ingest_tree, sample_tree, walk};
use common::{assert_ok, id_of, sample, small_repo, snapshot_ids, verify, Engine};

/// The stream of the snapshots `args` chooses from `src`, read in the engine's blocks.
fn export(src: &mut Engine, args: Value) -> (Value, Vec<u8>) {
    let begun = src.call("export_begin", args);
    let s = begun["session"].as_u64().unwrap() as u32;
    let bytes = src.drain(s);
    src.call("restore_end", json!({ "session": s }));
    (begun, bytes)
}

/// Copies `wanted` from `src` to `dst` as the hosts do, writing the stream in pieces of
/// `piece` bytes; answers the new snapshot, or `None` when `dst` has it already.
fn copy(src: &mut Engine, dst: &mut Engine, wanted: &str, piece: usize) -> Option<Value> {
    let skip = dst.call("known_originals", json!({}));
    let (begun, bytes) = export(src, json!({ "snapshots": [wanted], "skip": skip }));
    let s = dst.call("import_begin", json!({}))["session"].as_u64().unwrap() as u32;
    for p in bytes.chunks(piece) {
        dst.api.write(s, p).unwrap();
    }
    let copied = dst.call("import_finish", json!({ "session": s }));
    match copied.as_array().unwrap().as_slice() {
        [] => {
            assert_eq!(begun["skipped"], json!([wanted]), "{begun:#}");
            None
        }
        [one] => {
            assert_eq!(one["from"], wanted);
            Some(dst.call("get_snapshot", json!({ "id": one["to"] })))
        }
        more => panic!("one snapshot asked for, {} copied", more.len()),
    }
}

fn same_except_storage(a: &Value, b: &Value) {
    for field in ["createdAt", "tags", "host", "user", "originalSize", "warnings"] {
        assert_eq!(a.get(field), b.get(field), "{field}: {a:#} {b:#}");
    }
    let items = |s: &Value| -> Vec<Value> {
        s["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| json!([i["name"], i["type"], i["size"], i["entries"], i["path"]]))
            .collect()
    };
    assert_eq!(items(a), items(b));
}

#[test]
fn streams_and_trees_copy_between_any_two_repositories() {
    let pairs = [
        (None, Some("dst")),
        (Some("src"), None),
        (Some("one"), Some("two")),
        (None, None),
    ];
    for (i, (spw, dpw)) in pairs.into_iter().enumerate() {
        let (sh, dh) = (MemoryHost::new(40 + i as u64), MemoryHost::new(50 + i as u64));
        let (mut src, mut dst) = (small_repo(&sh, spw), small_repo(&dh, dpw));
        let dump = sample(70_000, 1);
        let s1 = src.ingest(&[("dump", &dump), ("empty", b"")], json!({"db": "orders"}), 5000);
        let (s2, _) = ingest_tree(&mut src, &sample_tree(), "etc", None);
        let copied = copy(&mut src, &mut dst, &id_of(&s1), 4093).expect("copied");
        // The same item bytes, the same counts of what was ingested.
        same_except_storage(&s1, &copied);
        assert_eq!(copied["original"], id_of(&s1).as_str());
        assert_eq!(dst.restore(&id_of(&copied), Some("dump")), dump);
        let tree = copy(&mut src, &mut dst, &id_of(&s2), 1).expect("copied");
        same_except_storage(&s2, &tree);
        let (from, to) = (
            walk(&mut src, &id_of(&s2), json!({})),
            walk(&mut dst, &id_of(&tree), json!({})),
        );
        assert_eq!(from, to, "every entry, its metadata and bytes");
        // Copied already: skipped, also from a re-tagged copy, and back to the source.
        assert!(copy(&mut src, &mut dst, &id_of(&s1), 9999).is_none());
        let retag = dst.call("tag", json!({"snapshots": [id_of(&copied)], "add": {"x": "1"}}));
        assert!(copy(&mut src, &mut dst, &id_of(&s1), 9999).is_none());
        let back = retag["changed"][0]["to"].as_str().unwrap().to_string();
        assert!(
            copy(&mut dst, &mut src, &back, 9999).is_none(),
            "its original is there"
        );
        assert_ok(&verify(&mut dst, "full"));
    }
}

#[test]
fn a_second_copy_stores_only_what_is_missing() {
    let (sh, dh) = (MemoryHost::new(60), MemoryHost::new(61));
    let (mut src, mut dst) = (small_repo(&sh, Some("a")), small_repo(&dh, Some("b")));
    let data = sample(120_000, 2);
    let first = src.ingest(&[("d", &data)], json!({}), 8192);
    let mut more = data.clone();
    more.extend_from_slice(&sample(5_000, 3));
    let second = src.ingest(&[("d", &more)], json!({}), 8192);
    let one = copy(&mut src, &mut dst, &id_of(&first), 65536).unwrap();
    assert_eq!(one["reusedChunks"], 0);
    let two = copy(&mut src, &mut dst, &id_of(&second), 65536).unwrap();
    let (new, reused) = (
        two["newChunks"].as_u64().unwrap(),
        two["reusedChunks"].as_u64().unwrap(),
    );
    assert!(reused > 10 * new, "only the changed end is stored: {two:#}");
    assert_eq!(dst.restore(&id_of(&two), None), more);
}

#[test]
fn a_broken_stream_stores_no_partial_snapshot() {
    let sh = MemoryHost::new(70);
    let mut src = small_repo(&sh, None);
    src.ingest(&[("d", &sample(40_000, 4))], json!({}), 8192);
    src.ingest(&[("e", &sample(40_000, 5))], json!({}), 8192);
    let (begun, bytes) = export(&mut src, json!({}));
    let oldest_first = snapshot_ids(&mut src);
    assert_eq!(
        begun["snapshots"],
        json!(oldest_first),
        "every snapshot, oldest first"
    );
    let fresh = |seed| {
        let mut dst = small_repo(&MemoryHost::new(seed), None);
        let s = dst.call("import_begin", json!({}))["session"].as_u64().unwrap() as u32;
        (dst, s)
    };
    // Cut short: the first snapshot is written, the second not, and the finish says so.
    let (mut dst, s) = fresh(71);
    dst.api.write(s, &bytes[..bytes.len() - 3]).unwrap();
    assert_eq!(
        dst.err("import_finish", json!({"session": s})),
        ErrorCode::InvalidArgument
    );
    assert_eq!(snapshot_ids(&mut dst).len(), 1);
    assert_ok(&verify(&mut dst, "full"));
    // Not a stream at all.
    let (mut dst, s) = fresh(72);
    assert_eq!(
        dst.api.write(s, b"CAIRNPK1").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    dst.call("ingest_abort", json!({"session": s}));
    // A digit of the last end frame's byte count changed: that snapshot is not written.
    let (mut dst, s) = fresh(73);
    let mut bad = bytes.clone();
    let at = bad.len() - 3;
    bad[at] ^= 1;
    assert!(dst.api.write(s, &bad).is_err());
    dst.call("ingest_abort", json!({"session": s}));
    assert_eq!(snapshot_ids(&mut dst).len(), 1);
    assert_ok(&verify(&mut dst, "full"));
}
