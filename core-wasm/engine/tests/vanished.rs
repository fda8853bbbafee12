//! A snapshot manifest deleted behind Cairn's back is noticed (issue 12, hole 1;
//! docs/FORMAT.md §9a): verify reports it, and prune refuses to collect its data until
//! told to accept the loss. Repositories without records verify as before. They also run
//! compiled to wasm32 (see tests/run).

use cairn_core::host::Storage;
use cairn_core::layout;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::json;

use crate::common;
use common::{assert_ok, id_of, keys_under, restores_all, sample, small_repo, verify, Engine};

fn prune(e: &mut Engine, extra: serde_json::Value) -> Result<serde_json::Value, ErrorCode> {
    let mut args = json!({ "retention": { "keepLast": 1 } });
    args.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    match e.api.call("prune", &args.to_string()) {
        Ok(r) => Ok(serde_json::from_str(&r).unwrap()),
        Err(err) => Err(err.code()),
    }
}

#[test]
fn a_deleted_manifest_is_reported_and_stops_prune_until_accepted() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(91);
        let mut e = small_repo(&host, pw);
        let a = sample(60_000, 1);
        let b = sample(60_000, 2);
        e.ingest(&[("a", &a)], json!({}), 8192);
        let sb = e.ingest(&[("b", &b)], json!({}), 8192);
        assert_ok(&verify(&mut e, "full"));
        host.delete(&format!("snapshots/{}", id_of(&sb))).unwrap();
        let v = verify(&mut e, "quick");
        assert_eq!(v["ok"], false, "{v:#}");
        assert_eq!(v["errors"][0]["snapshot"], id_of(&sb).as_str(), "{v:#}");
        assert!(v["errors"].to_string().contains("no prune removed it"), "{v:#}");
        // Prune refuses, even a dry run, and changes nothing.
        let mut before = host.clone_objects();
        before.retain(|k, _| !k.starts_with(layout::LOCKS));
        assert_eq!(prune(&mut e, json!({})), Err(ErrorCode::CorruptSnapshot));
        assert_eq!(
            prune(&mut e, json!({"dryRun": true})),
            Err(ErrorCode::CorruptSnapshot)
        );
        let mut after = host.clone_objects();
        after.retain(|k, _| !k.starts_with(layout::LOCKS));
        assert_eq!(after, before, "a refused prune writes nothing");
        // Putting the manifest back is one remedy.
        let restored = e.ingest(&[("b", &b)], json!({}), 8192);
        assert_ne!(id_of(&restored), id_of(&sb), "a new snapshot is not the lost one");
        assert_eq!(verify(&mut e, "quick")["ok"], false);
        // Accepting the loss is the other: then prune runs and verify is clean.
        let r = prune(&mut e, json!({"forgetVanished": true})).unwrap();
        assert_eq!(r["keptSnapshots"], 1, "{r:#}");
        assert_ok(&verify(&mut e, "full"));
        restores_all(&mut e, &[(id_of(&restored), b.clone())]);
        assert_eq!(
            keys_under(&host, layout::RECORDS).len(),
            2,
            "the reset record and prune's"
        );
    }
}

#[test]
fn pruned_snapshots_are_recorded_removed_and_old_repositories_verify() {
    let host = MemoryHost::new(92);
    let mut e = small_repo(&host, None);
    for i in 0..3 {
        e.ingest(&[("x", &sample(30_000, 10 + i))], json!({}), 8192);
    }
    let r = prune(&mut e, json!({})).unwrap();
    assert_eq!(r["removedSnapshots"], 2);
    assert_ok(&verify(&mut e, "quick"));
    prune(&mut e, json!({})).unwrap();
    // A repository written before records existed has none: nothing is expected.
    for k in keys_under(&host, layout::RECORDS) {
        host.delete(&k).unwrap();
    }
    assert_ok(&verify(&mut e, "full"));
    // A damaged record is reported, and prune will not trust what it cannot read.
    e.ingest(&[("y", &sample(30_000, 20))], json!({}), 8192);
    let rec = keys_under(&host, layout::RECORDS)[0].clone();
    let mut bytes = host.object(&rec).unwrap();
    bytes[3] ^= 1;
    host.set_object(&rec, bytes);
    let v = verify(&mut e, "quick");
    assert!(v["errors"].to_string().contains(&rec), "{v:#}");
    assert_eq!(prune(&mut e, json!({})), Err(ErrorCode::CorruptSnapshot));
    prune(&mut e, json!({"forgetVanished": true})).unwrap();
    assert_ok(&verify(&mut e, "quick"));
}
