//! Snapshots as restic users handle them (issue 15): the host, user and item paths a
//! snapshot records; filters on them that narrow listings and `latest`; `forget` by id or
//! policy, with and without pruning; `tag`, which replaces manifests crash-safely.

use cairn_core::host::Storage;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::{json, Value};

use crate::common;
use common::{assert_ok, id_of, keys_under, sample, small_repo, snapshot_ids, verify, Engine};

const DAY: i64 = 86_400_000;

/// Ingests one item `name` read from `path` on `host`, tagged `tags`.
fn ingest_from(e: &mut Engine, host: &str, name: &str, path: &str, data: &[u8], tags: Value) -> Value {
    let s = e.call(
        "ingest_begin",
        json!({ "tags": tags, "host": host, "user": "alice" }),
    )["session"]
        .as_u64()
        .unwrap() as u32;
    e.call("ingest_item", json!({ "session": s, "name": name, "path": path }));
    e.api.write(s, data).unwrap();
    e.call("ingest_finish", json!({ "session": s }))
}

/// Two databases' dumps in one repository, a day apart each: orders on db1, users on db2.
fn shared_repo(host: &MemoryHost, pw: Option<&str>) -> (Engine, Vec<Value>) {
    let mut e = small_repo(host, pw);
    let mut snaps = Vec::new();
    for day in 0..3 {
        host.set_now_ms(1_767_225_600_000 + day * DAY);
        let data = sample(20_000, day as u64);
        snaps.push(ingest_from(
            &mut e,
            "db1",
            "dump",
            "/var/orders.sql",
            &data,
            json!({"db": "orders"}),
        ));
        host.set_now_ms(1_767_225_600_000 + day * DAY + 1000);
        let data = sample(20_000, 100 + day as u64);
        snaps.push(ingest_from(
            &mut e,
            "db2",
            "dump",
            "-",
            &data,
            json!({"db": "users"}),
        ));
    }
    (e, snaps)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(id_of).collect()
}

#[test]
fn snapshots_record_host_user_and_paths_and_filters_narrow_latest() {
    let host = MemoryHost::new(7);
    let (mut e, snaps) = shared_repo(&host, None);
    let s = &snaps[0];
    assert_eq!(s["host"], "db1");
    assert_eq!(s["user"], "alice");
    assert_eq!(s["items"][0]["path"], "/var/orders.sql");
    assert_eq!(snaps[1]["items"][0]["path"], "-");
    assert!(s.get("original").is_none(), "{s:#}");

    let by = |e: &mut Engine, f: Value| ids(&e.call("list_snapshots", f));
    let orders: Vec<String> = snaps.iter().step_by(2).map(id_of).collect();
    assert_eq!(by(&mut e, json!({"host": "db1"})), orders);
    assert_eq!(by(&mut e, json!({"tags": {"db": "orders"}})), orders);
    assert_eq!(by(&mut e, json!({"path": "/var/orders.sql"})), orders);
    assert_eq!(by(&mut e, json!({"item": "dump"})).len(), 6);
    assert!(by(&mut e, json!({"item": "nope"})).is_empty());
    assert!(by(&mut e, json!({"host": "db1", "tags": {"db": "users"}})).is_empty());

    // `latest` is the newest snapshot that passes the filter, in every operation.
    let latest =
        |e: &mut Engine, f: Value| id_of(&e.call("get_snapshot", json!({"id": "latest", "filter": f})));
    assert_eq!(latest(&mut e, json!({})), id_of(&snaps[5]));
    assert_eq!(
        latest(&mut e, json!({"tags": {"db": "orders"}})),
        id_of(&snaps[4])
    );
    let r = e.call(
        "restore_begin",
        json!({"snapshot": "latest", "item": "dump", "filter": {"host": "db1"}}),
    );
    assert_eq!(r["snapshot"], id_of(&snaps[4]).as_str());
    e.call("restore_end", json!({"session": r["session"]}));
    // An id must pass the filter too; one that lacks only the item is ItemNotFound.
    let wrong = json!({"id": id_of(&snaps[1]), "filter": {"tags": {"db": "orders"}}});
    assert_eq!(e.err("get_snapshot", wrong), ErrorCode::SnapshotNotFound);
    let no_item = json!({"id": id_of(&snaps[1]), "filter": {"item": "other"}});
    assert_eq!(e.err("get_snapshot", no_item), ErrorCode::ItemNotFound);
    let no_latest = json!({"id": "latest", "filter": {"item": "nope"}});
    assert_eq!(e.err("get_snapshot", no_latest), ErrorCode::ItemNotFound);
    let none = json!({"id": "latest", "filter": {"host": "db9"}});
    let msg = e
        .api
        .call("get_snapshot", &none.to_string())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("latest with host db9"), "{msg}");
    // `latest` with an item: the newest snapshot that has it.
    let s = e.ingest(&[("other", b"x")], json!({}), 1);
    let r = e.call("restore_begin", json!({"snapshot": "latest", "item": "dump"}));
    assert_eq!(r["snapshot"], id_of(&snaps[5]).as_str());
    e.call("restore_end", json!({"session": r["session"]}));
    assert_eq!(e.restore("latest", None), b"x");
    assert_eq!(id_of(&e.call("get_snapshot", json!({"id": "latest"}))), id_of(&s));
}

#[test]
fn forget_removes_manifests_with_a_record_and_leaves_the_data_for_prune() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(8);
        let (mut e, snaps) = shared_repo(&host, pw);
        let packs_before = keys_under(&host, "packs/");
        let first = id_of(&snaps[0]);
        // A dry run says what it would do and changes nothing.
        let dry = e.call("forget", json!({"snapshots": [&first[..10]], "dryRun": true}));
        assert_eq!(dry["removedSnapshotIds"], json!([first]));
        assert_eq!(
            (dry["dryRun"].clone(), dry["pruned"].clone()),
            (json!(true), json!(false))
        );
        assert_eq!(snapshot_ids(&mut e).len(), 6);
        // `latest` under a filter; an id the filter does not pass is refused, and nothing
        // is forgotten.
        let users = json!({"tags": {"db": "users"}});
        let refused = json!({"snapshots": [&first[..10], "latest"], "filter": users});
        assert_eq!(e.err("forget", refused), ErrorCode::SnapshotNotFound);
        assert_eq!(snapshot_ids(&mut e).len(), 6);
        let r = e.call("forget", json!({"snapshots": ["latest"], "filter": users}));
        assert_eq!(r["removedSnapshotIds"], json!([id_of(&snaps[5])]));
        // By prefix.
        let forgot = e.call("forget", json!({"snapshots": [&first[..10]]}));
        assert_eq!(forgot["removedSnapshots"], 1, "{forgot:#}");
        assert_eq!(forgot["freedBytes"], 0);
        assert_eq!(keys_under(&host, "packs/"), packs_before, "forget frees nothing");
        assert!(!snapshot_ids(&mut e).contains(&first));
        assert_ok(&verify(&mut e, "full"));
        // The data goes with a prune that keeps everything else.
        let all = snapshot_ids(&mut e);
        let p = e.call("prune", json!({"retention": {"keepLast": 100}}));
        assert_eq!(p["keptSnapshots"], all.len() as u64);
        assert!(p["freedBytes"].as_u64().unwrap() > 0, "{p:#}");
        assert_ok(&verify(&mut e, "full"));
        // Forget by policy among one database's snapshots, pruning at once.
        let p = e.call(
            "forget",
            json!({"retention": {"keepLast": 1}, "filter": {"host": "db1"}, "prune": true}),
        );
        assert_eq!(p["pruned"], true);
        assert_eq!(p["removedSnapshots"], 1, "{p:#}");
        let left = e.call("list_snapshots", json!({"host": "db1"}));
        assert_eq!(ids(&left), vec![id_of(&snaps[4])]);
        assert_eq!(
            e.call("list_snapshots", json!({"host": "db2"}))
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_ok(&verify(&mut e, "full"));
        assert_eq!(e.err("forget", json!({})), ErrorCode::InvalidArgument);
        let both = json!({"snapshots": ["latest"], "retention": {"keepLast": 1}});
        assert_eq!(e.err("forget", both), ErrorCode::InvalidArgument);
    }
}

#[test]
fn tag_writes_a_new_manifest_records_the_original_and_removes_the_old() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(9);
        let (mut e, snaps) = shared_repo(&host, pw);
        let old = id_of(&snaps[0]);
        let records_before = keys_under(&host, "records/").len();
        let r = e.call(
            "tag",
            json!({"snapshots": [&old[..12]], "add": {"keep": "yes"}, "remove": ["db"]}),
        );
        let new = r["changed"][0]["to"].as_str().unwrap().to_string();
        assert_eq!(r["changed"][0]["from"], old.as_str());
        assert_ne!(new, old);
        let s = e.call("get_snapshot", json!({"id": new}));
        assert_eq!(s["tags"], json!({"keep": "yes"}));
        assert_eq!(s["original"], old.as_str());
        assert_eq!(s["createdAt"], snaps[0]["createdAt"]);
        assert_eq!(s["host"], "db1");
        assert_eq!(e.restore(&new, None), sample(20_000, 0));
        assert!(!snapshot_ids(&mut e).contains(&old));
        assert_eq!(
            keys_under(&host, "records/").len(),
            records_before + 1,
            "one record"
        );
        assert_ok(&verify(&mut e, "full"));
        // Tagging again keeps the first original; the same tags again change nothing.
        let again = e.call("tag", json!({"snapshots": [new], "set": {"keep": "no"}}));
        let newer = again["changed"][0]["to"].as_str().unwrap().to_string();
        assert_eq!(
            e.call("get_snapshot", json!({"id": newer}))["original"],
            old.as_str()
        );
        let same = e.call("tag", json!({"snapshots": [newer], "add": {"keep": "no"}}));
        assert_eq!(same["unchanged"], json!([newer]));
        assert_eq!(
            e.err("tag", json!({"snapshots": ["latest"]})),
            ErrorCode::InvalidArgument
        );
        // A prune keeps the retagged snapshot's data.
        e.call("prune", json!({"retention": {"keepLast": 100}}));
        assert_eq!(e.restore(&newer, None), sample(20_000, 0));
        assert_ok(&verify(&mut e, "full"));
    }
}

#[test]
fn a_removal_interrupted_after_its_record_is_finished_by_forget() {
    let host = MemoryHost::new(10);
    let (mut e, snaps) = shared_repo(&host, None);
    let old = id_of(&snaps[2]);
    // What a tag killed between its record and the deletion leaves: the old manifest
    // present, a record that removes it.
    let bytes = host.object(&format!("snapshots/{old}")).unwrap();
    let r = e.call("tag", json!({"snapshots": [old], "add": {"x": "1"}}));
    host.put(&format!("snapshots/{old}"), &bytes).unwrap();
    let v = verify(&mut e, "quick");
    assert_eq!(v["ok"], true, "{v:#}");
    assert!(v["warnings"].to_string().contains("recorded as removed"), "{v:#}");
    let f = e.call("forget", json!({"snapshots": [r["changed"][0]["to"]]}));
    assert_eq!(f["removedSnapshots"], 2, "the leftover goes too: {f:#}");
    assert!(!snapshot_ids(&mut e).contains(&old));
    assert_ok(&verify(&mut e, "full"));
}

#[test]
fn stats_count_what_snapshots_hold_and_cost() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(11);
        let mut e = small_repo(&host, pw);
        let data = sample(50_000, 3);
        let a = e.ingest(&[("a", &data)], json!({"n": "1"}), 4096);
        // The same bytes again, twice in one snapshot: everything deduplicates.
        let b = e.ingest(&[("a", &data), ("b", &data)], json!({"n": "2"}), 4096);
        let one = e.call("stats", json!({"snapshots": [id_of(&a)]}));
        assert_eq!(one["snapshots"], 1);
        assert_eq!(one["logicalSize"], 50_000);
        assert_eq!(one["uniqueSize"], 50_000);
        assert_eq!(one["chunks"], a["chunkCount"]);
        assert_eq!(one["dedupRatio"], 1.0);
        assert!(one["compressionRatio"].as_f64().unwrap() > 1.0, "{one:#}");
        let all = e.call("stats", json!({}));
        assert_eq!(all["snapshots"], 2);
        assert_eq!(all["logicalSize"], 150_000);
        assert_eq!(all["uniqueSize"], 50_000, "{all:#}");
        assert_eq!(all["chunks"], one["chunks"]);
        assert_eq!(all["chunkReferences"], a["chunkCount"].as_u64().unwrap() * 3);
        assert_eq!(all["dedupRatio"], 3.0);
        assert!(
            all["blobs"].as_u64().unwrap() > all["chunks"].as_u64().unwrap(),
            "lists count"
        );
        let packs = keys_under(&host, "packs/data/")
            .iter()
            .filter(|k| k.ends_with(".pack"))
            .count();
        assert_eq!(all["packs"], packs as u64, "{all:#}");
        let pack_bytes: u64 = keys_under(&host, "packs/data/")
            .iter()
            .filter(|k| k.ends_with(".pack"))
            .map(|k| host.object(k).unwrap().len() as u64)
            .sum();
        assert_eq!(all["packSize"], pack_bytes);
        assert!(all["storedSize"].as_u64().unwrap() <= pack_bytes);
        // RS(4,1): one parity shard per group, as large as the group's largest pack.
        assert!(all["parityShards"].as_u64().unwrap() >= 1, "{all:#}");
        let overhead = all["parityOverhead"].as_f64().unwrap();
        assert!(overhead > 0.2 && overhead < 1.0, "{all:#}");
        let by_tag = e.call("stats", json!({"filter": {"tags": {"n": "2"}}}));
        assert_eq!(by_tag["logicalSize"], 100_000);
        assert_eq!(by_tag["snapshots"], 1);
        let _ = b;
    }
}

#[test]
fn cat_shows_config_manifests_index_and_pack_tables() {
    let host = MemoryHost::new(12);
    let mut e = small_repo(&host, Some("pw"));
    let s = e.ingest(&[("a", &sample(30_000, 4))], json!({"k": "v"}), 4096);
    let config = e.call("cat", json!({"what": "config"}));
    assert_eq!(config["format"], "cairn");
    assert!(config["encryption"].is_object());
    let m = e.call("cat", json!({"what": "snapshot", "id": "latest"}));
    assert_eq!(m["tags"], json!({"k": "v"}));
    assert!(
        m["items"][0]["lists"].is_array(),
        "the stored form, lists included: {m:#}"
    );
    let index = e.call("cat", json!({"what": "index"}));
    let pack = index[0]["packs"][0]["id"].as_str().unwrap().to_string();
    let table = e.call("cat", json!({"what": "pack", "id": &pack[..8]}));
    assert_eq!(table["id"], pack.as_str());
    let blob = &table["blobs"][0];
    assert!(
        ["data", "list"].contains(&blob["kind"].as_str().unwrap()),
        "{blob}"
    );
    assert!(blob["rawLen"].as_u64().unwrap() > 0);
    assert_eq!(e.err("cat", json!({"what": "pack"})), ErrorCode::InvalidArgument);
    assert_eq!(
        e.err("cat", json!({"what": "config", "id": "x"})),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        e.err("cat", json!({"what": "snapshot", "id": "ffff"})),
        ErrorCode::SnapshotNotFound
    );
    let _ = s;
}
