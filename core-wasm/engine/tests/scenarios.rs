//! End-to-end scenarios of the engine through [`Api`], the surface both bindings use,
//! on the in-memory host. They also run compiled to wasm32 (see tests/run).

use cairn_core::api::Api;
use cairn_core::host::{Host, Storage};
use cairn_core::layout;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::{json, Value};

use crate::common;
use common::{id_of, sample, Engine};

#[test]
fn round_trip_plain_and_encrypted() {
    for pw in [None, Some("hunter2")] {
        let host = MemoryHost::new(11);
        let mut e = Engine::init(&host, pw);
        let data = sample(300_000, 1);
        let snap = e.ingest(&[("db.sql", &data)], json!({ "db": "main" }), 7_777);
        assert_eq!(snap["originalSize"], 300_000);
        assert_eq!(snap["items"][0]["name"], "db.sql");
        assert_eq!(snap["newChunks"], snap["chunkCount"]);
        assert!(
            snap["storedSize"].as_u64().unwrap() < 200_000,
            "text compresses: {snap}"
        );
        assert_eq!(e.restore(&id_of(&snap), None), data);
        // A second engine on the same storage reads it too.
        assert_eq!(Engine::open(&host, pw).restore(&id_of(&snap), None), data);
        assert!(host.list(layout::LOCKS).unwrap().is_empty(), "locks released");
    }
}

#[test]
fn empty_streams_and_tiny_streams() {
    let host = MemoryHost::new(12);
    let mut e = Engine::init(&host, None);
    let snap = e.ingest(&[("empty", b"")], json!({}), 10);
    assert_eq!(
        (snap["chunkCount"].as_u64(), snap["originalSize"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(e.restore(&id_of(&snap), None), b"");
    let snap = e.ingest(&[("one", b"x")], json!({}), 10);
    assert_eq!(e.restore(&id_of(&snap), None), b"x");
    // No item named: the bytes go to an item called "data".
    let s = e.begin(json!({}));
    e.api.write(s, b"unnamed").unwrap();
    let snap = e.call("ingest_finish", json!({ "session": s }));
    assert_eq!(snap["items"][0]["name"], "data");
}

#[test]
fn an_edited_second_version_reuses_most_chunks() {
    let host = MemoryHost::new(13);
    let mut e = Engine::init(&host, None);
    let v1 = sample(400_000, 2);
    let mut v2 = v1.clone();
    v2.splice(100_000..100_000, b"INSERTED ROW".iter().copied());
    v2[300_000..300_100].fill(b'#');
    let s1 = e.ingest(&[("db", &v1)], json!({}), 65_536);
    let s2 = e.ingest(&[("db", &v2)], json!({}), 10_000);
    let (chunks, new, reused) = (
        s2["chunkCount"].as_u64().unwrap(),
        s2["newChunks"].as_u64().unwrap(),
        s2["reusedChunks"].as_u64().unwrap(),
    );
    assert_eq!(chunks, new + reused);
    assert!(new * 10 < chunks, "{new} new of {chunks}");
    assert!(s2["storedSize"].as_u64().unwrap() * 5 < s1["storedSize"].as_u64().unwrap());
    assert_eq!(e.restore(&id_of(&s1), None), v1);
    assert_eq!(e.restore(&id_of(&s2), None), v2);
    // Ingesting the same data again stores nothing new.
    let s3 = e.ingest(&[("db", &v2)], json!({}), 1 << 20);
    assert_eq!(
        (s3["newChunks"].as_u64(), s3["storedSize"].as_u64()),
        (Some(0), Some(0))
    );
}

#[test]
fn repeats_within_one_stream_are_stored_once_even_packs_later() {
    let host = MemoryHost::new(28);
    let mut e = Engine::init(&host, None);
    let (a, b) = (sample(100_000, 30), sample(300_000, 31));
    // Packs are 16 KiB: the first copy of `a` is in written packs long before it repeats.
    let once = e.ingest(&[("x", &[a.clone(), b.clone()].concat())], json!({}), 4096);
    let host2 = MemoryHost::new(29);
    let mut e2 = Engine::init(&host2, None);
    let twice = e2.ingest(
        &[("x", &[a.clone(), b.clone(), a.clone()].concat())],
        json!({}),
        4096,
    );
    let extra_chunks = twice["chunkCount"].as_u64().unwrap() - once["chunkCount"].as_u64().unwrap();
    let extra_new = twice["newChunks"].as_u64().unwrap() - once["newChunks"].as_u64().unwrap();
    assert!(extra_chunks > 20, "{extra_chunks}");
    // Only the chunks where the repeat joins the stream differ (the chunker resynchronises
    // within a few chunks); without deduplication all of them would be new.
    assert!(
        extra_new * 10 <= extra_chunks,
        "the repeat stored {extra_new} new chunks of {extra_chunks}"
    );
    assert_eq!(e2.restore(&id_of(&twice), None), [a.clone(), b, a].concat());
}

#[test]
fn several_items_restore_together_or_alone() {
    let host = MemoryHost::new(14);
    let mut e = Engine::init(&host, Some("pw"));
    let (a, b, c) = (sample(50_000, 3), sample(70_000, 4), sample(10, 5));
    let s = e.ingest(&[("a.sql", &a), ("b.tar", &b), ("c", &c)], json!({}), 4096);
    let id = id_of(&s);
    assert_eq!(s["items"].as_array().unwrap().len(), 3);
    assert_eq!(s["items"][1]["size"], 70_000);
    assert_eq!(e.restore(&id, None), [a.clone(), b.clone(), c.clone()].concat());
    assert_eq!(e.restore(&id, Some("b.tar")), b);
    assert_eq!(e.restore(&id, Some("c")), c);
    let err = e
        .api
        .call(
            "restore_begin",
            &json!({ "snapshot": id, "item": "nope" }).to_string(),
        )
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ItemNotFound);
    assert!(err.to_string().contains("a.sql, b.tar, c"), "{err}");
    // Names are unique within a snapshot.
    let s = e.begin(json!({}));
    e.call("ingest_item", json!({ "session": s, "name": "x" }));
    assert_eq!(
        e.err("ingest_item", json!({ "session": s, "name": "x" })),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn long_items_span_several_chunk_list_pieces() {
    let host = MemoryHost::new(15);
    let mut api = Api::new(host.clone());
    api.call(
        "init",
        r#"{"chunking": {"min": 64, "avg": 256, "max": 1024}, "packSize": 65536}"#,
    )
    .unwrap();
    let mut e = Engine { api };
    let data = sample(6_000_000, 6);
    let s = e.ingest(&[("big", &data)], json!({}), 1 << 20);
    assert!(
        s["chunkCount"].as_u64().unwrap() > 2 * 8192,
        "{}",
        s["chunkCount"]
    );
    assert_eq!(e.restore(&id_of(&s), None), data);
}

#[test]
fn filters_by_tag_and_date_and_lookup_by_prefix_or_latest() {
    let host = MemoryHost::new(16);
    let mut e = Engine::init(&host, None);
    let day = 86_400_000i64;
    let t0 = host.now_ms();
    let mut ids = Vec::new();
    for i in 0..17 {
        host.set_now_ms(t0 + i * day);
        let env = if i % 2 == 0 { "prod" } else { "dev" };
        let s = e.ingest(
            &[("x", &sample(1000, i as u64))],
            json!({ "env": env, "n": i.to_string() }),
            500,
        );
        ids.push(id_of(&s));
    }
    let all = e.call("list_snapshots", json!({}));
    assert_eq!(all.as_array().unwrap().len(), 17);
    assert_eq!(all[0]["id"], ids[0].as_str(), "oldest first");
    let prod = e.call("list_snapshots", json!({ "tags": { "env": "prod" } }));
    assert_eq!(prod.as_array().unwrap().len(), 9);
    let one = e.call("list_snapshots", json!({ "tags": { "env": "prod", "n": "4" } }));
    assert_eq!(one.as_array().unwrap().len(), 1);
    // 2026-01-01 + 3 days .. + 6 days: days 3, 4, 5.
    let window = e.call(
        "list_snapshots",
        json!({ "after": "2026-01-04", "before": "2026-01-07T00:00:00Z" }),
    );
    let ns: Vec<&str> = window
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tags"]["n"].as_str().unwrap())
        .collect();
    assert_eq!(ns, ["3", "4", "5"]);
    assert_eq!(
        e.err("list_snapshots", json!({ "after": "last tuesday" })),
        ErrorCode::InvalidArgument
    );

    assert_eq!(
        e.call("get_snapshot", json!({ "id": "latest" }))["id"],
        ids[16].as_str()
    );
    assert_eq!(
        e.call("get_snapshot", json!({ "id": &ids[5][..12] }))["id"],
        ids[5].as_str()
    );
    // 17 ids over 16 hex digits: some first digit is shared.
    let shared = (0..17)
        .find(|&i| ids.iter().filter(|id| id[..1] == ids[i][..1]).count() > 1)
        .unwrap();
    assert_eq!(
        e.err("get_snapshot", json!({ "id": &ids[shared][..1] })),
        ErrorCode::AmbiguousSnapshot
    );
    assert_eq!(
        e.err("get_snapshot", json!({ "id": "0123456789abcdef0" })),
        ErrorCode::SnapshotNotFound
    );
    assert_eq!(
        e.err("get_snapshot", json!({ "id": "../etc" })),
        ErrorCode::SnapshotNotFound
    );
    assert_eq!(
        e.err("restore_begin", json!({ "snapshot": "ffffffffffff" })),
        ErrorCode::SnapshotNotFound
    );
}

#[test]
fn latest_in_an_empty_repository_is_not_found() {
    let mut e = Engine::init(&MemoryHost::new(17), None);
    assert_eq!(
        e.err("get_snapshot", json!({ "id": "latest" })),
        ErrorCode::SnapshotNotFound
    );
}

#[test]
fn two_concurrent_ingests_both_succeed_and_lose_nothing() {
    let host = MemoryHost::new(18);
    let mut a = Engine::init(&host, Some("pw"));
    let mut b = Engine::open(&host, Some("pw"));
    let (da, db) = (sample(200_000, 7), sample(150_000, 8));
    let sa = a.begin(json!({ "who": "a" }));
    let sb = b.begin(json!({ "who": "b" }));
    a.call("ingest_item", json!({ "session": sa, "name": "a" }));
    b.call("ingest_item", json!({ "session": sb, "name": "b" }));
    for i in 0..20 {
        a.api.write(sa, &da[i * 10_000..(i + 1) * 10_000]).unwrap();
        if i < 15 {
            b.api.write(sb, &db[i * 10_000..(i + 1) * 10_000]).unwrap();
        }
    }
    let snap_b = b.call("ingest_finish", json!({ "session": sb }));
    let snap_a = a.call("ingest_finish", json!({ "session": sa }));
    let mut c = Engine::open(&host, Some("pw"));
    assert_eq!(c.call("list_snapshots", json!({})).as_array().unwrap().len(), 2);
    assert_eq!(c.restore(&id_of(&snap_a), None), da);
    assert_eq!(c.restore(&id_of(&snap_b), None), db);
}

#[test]
fn progress_and_completion_events() {
    let host = MemoryHost::new(19);
    let mut e = Engine::init(&host, None);
    let data = sample(20 << 20, 9);
    let s = e.call("ingest_begin", json!({ "totalBytes": data.len() }))["session"]
        .as_u64()
        .unwrap() as u32;
    for p in data.chunks(1 << 20) {
        e.api.write(s, p).unwrap();
    }
    let snap = e.call("ingest_finish", json!({ "session": s }));
    let events = host.take_events();
    let progress: Vec<Value> = events
        .iter()
        .filter(|(n, _)| n == "ingest:progress")
        .map(|(_, p)| serde_json::from_str(p).unwrap())
        .collect();
    assert!(progress.len() >= 3, "{} progress events", progress.len());
    assert!(progress
        .windows(2)
        .all(|w| w[0]["bytesProcessed"].as_u64() <= w[1]["bytesProcessed"].as_u64()));
    let last = progress.last().unwrap();
    assert_eq!(last["bytesProcessed"], data.len());
    assert_eq!(last["percentage"], 100.0);
    assert_eq!(last["operation"], "ingest");
    let (_, done) = events.iter().find(|(n, _)| n == "ingest:complete").unwrap();
    let done: Value = serde_json::from_str(done).unwrap();
    assert_eq!(done["snapshotId"], snap["id"]);
    for f in ["newChunks", "reusedChunks", "originalSize", "storedSize"] {
        assert_eq!(done[f], snap[f], "{f}");
    }
}

#[test]
fn a_chunk_equal_to_a_chunk_list_is_stored_once_and_restores_both_ways() {
    // Ids do not cover a blob's kind: an 11-byte item's chunk list is 36 bytes (its one
    // chunk's id and length), and a later 36-byte item with exactly those bytes is that
    // blob, already stored as a list. It must restore as data all the same.
    let host = MemoryHost::new(28);
    let mut e = Engine::init(&host, None);
    let small = b"hello world".to_vec();
    let first = e.ingest(&[("small", &small)], json!({}), 64);
    let mut list = cairn_core::crypto::soft_sha256(&small).to_vec();
    list.extend_from_slice(&(small.len() as u32).to_le_bytes());
    let second = e.ingest(&[("list", &list)], json!({}), 64);
    assert_eq!(second["newChunks"], 0, "the bytes were stored already, as a list");
    assert_eq!(e.restore(&id_of(&second), None), list);
    assert_eq!(e.restore(&id_of(&first), None), small);
    common::assert_ok(&common::verify(&mut e, "full"));
}

/// What a run stored (file names or directories, with sizes) and answered.
type Outcome = (Vec<(String, usize)>, Vec<Value>);

#[test]
fn the_number_of_job_threads_changes_nothing_stored_or_answered() {
    // The same ingests, restores and verifications on a host that runs no jobs and on
    // hosts that run them in batches over 2 and 4 instances. Plain: every stored byte is
    // the same. Encrypted: the same files of the same sizes, and the same answers but for
    // the ids (random nonces are drawn in another interleaving, and names hash the bytes).
    for pw in [None, Some("pw")] {
        let mut seen: Option<Outcome> = None;
        for threads in [1, 2, 4] {
            let host = MemoryHost::new(90);
            host.set_job_threads(threads);
            let mut e = Engine::init(&host, pw);
            let a = sample(300_000, 1);
            let mut b = a.clone();
            b.splice(100_000..100_000, sample(20_000, 2));
            let s1 = e.ingest(&[("a", &a)], json!({}), 7000);
            let s2 = e.ingest(&[("b", &b), ("c", &sample(50_000, 3))], json!({}), 30_000);
            assert_eq!(e.restore(&id_of(&s2), Some("b")), b);
            assert_eq!(e.restore(&id_of(&s1), None), a);
            let mut answers = vec![
                s1,
                s2,
                common::verify(&mut e, "full"),
                common::verify(&mut e, "standard"),
            ];
            common::assert_ok(&answers[2]);
            if pw.is_none() {
                // Damage: a bit flipped inside the first pack's blobs, and the second pack
                // cut short; every finding is the same whatever the thread count.
                let mut packs: Vec<String> = host
                    .clone_objects()
                    .into_keys()
                    .filter(|k| k.ends_with(".pack"))
                    .collect();
                packs.sort();
                let mut flipped = host.get(&packs[0]).unwrap();
                let at = flipped.len() / 2;
                flipped[at] ^= 0x40;
                host.put(&packs[0], &flipped).unwrap();
                let cut = host.get(&packs[1]).unwrap();
                host.put(&packs[1], &cut[..cut.len() - 100]).unwrap();
                let full = common::verify(&mut e, "full");
                assert_eq!(full["ok"], false, "{full}");
                answers.push(full);
                answers.push(common::verify(&mut e, "standard"));
            }
            let mut files: Vec<(String, usize)> = host
                .clone_objects()
                .into_iter()
                .filter(|(k, _)| !k.starts_with(layout::LOCKS))
                .map(|(k, v)| (k, v.len()))
                .collect();
            if pw.is_some() {
                let dir = |k: &str| {
                    k.rsplit_once('/')
                        .map_or(String::new(), |(d, _)| d.chars().take(8).collect())
                };
                files = files.into_iter().map(|(k, n)| (dir(&k), n)).collect();
                files.sort();
                for v in &mut answers {
                    v.as_object_mut().unwrap().remove("id");
                }
            }
            match &seen {
                None => seen = Some((files, answers)),
                Some((f, a)) => {
                    assert!(*f == files, "{pw:?}: {threads} threads stored other files");
                    assert_eq!(*a, answers, "{pw:?}: {threads} threads answered otherwise");
                }
            }
        }
    }
}
