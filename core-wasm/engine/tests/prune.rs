//! Prune scenarios: retention over a clock, dry runs that match real runs, garbage
//! collection and rewriting, parity re-encoding, and a prune killed after every storage
//! change it makes.

use crate::common;

use cairn_core::api::Api;
use cairn_core::faults::FaultyHost;
use cairn_core::memory::MemoryHost;
use cairn_core::{layout, ErrorCode, Host, Storage};
use common::*;
use serde_json::{json, Value};

const HOUR: i64 = 3600 * 1000;

/// Six daily snapshots of an edited file: each shares most chunks with the one before.
fn daily_snapshots(host: &MemoryHost, e: &mut Engine) -> Vec<(String, Vec<u8>)> {
    let mut snaps = Vec::new();
    let mut data = sample(60_000, 1);
    for day in 0..6u64 {
        let edit = sample(12_000, 100 + day);
        let at = (day as usize * 9_000) % 40_000;
        data.splice(at..at + 12_000, edit);
        data.extend_from_slice(&sample(8_000, 200 + day)); // unique to this day onward
        let s = e.ingest(&[("db", &data)], json!({"day": day.to_string()}), 7000);
        snaps.push((id_of(&s), data.clone()));
        host.set_now_ms(host.now_ms() + 24 * HOUR);
    }
    snaps
}

fn pack_bytes(host: &MemoryHost) -> u64 {
    data_packs(host)
        .iter()
        .map(|p| host.object(&pack_key(p)).unwrap().len() as u64)
        .sum()
}

fn every_pack_has_parity(host: &MemoryHost) {
    let gs = groups(host);
    for p in data_packs(host) {
        assert!(
            gs.iter().any(|g| g.position(&p).is_some()),
            "pack {} lacks parity",
            p.to_hex()
        );
    }
}

#[test]
fn a_dry_run_reports_exactly_what_the_real_run_does() {
    let host = MemoryHost::new(70);
    let mut e = small_repo(&host, None);
    let snaps = daily_snapshots(&host, &mut e);
    let policy = json!({"keepLast": 2, "keepTags": ["day=0"]});
    let before = host.clone_objects();
    let dry = e.call("prune", json!({"retention": policy, "dryRun": true}));
    assert_eq!(host.clone_objects(), before, "a dry run changes nothing");
    let real = e.call("prune", json!({"retention": policy}));
    let mut expected = dry.clone();
    expected["dryRun"] = json!(false);
    assert_eq!(real, expected);
    assert_eq!(real["removedSnapshots"], 3);
    assert_eq!(real["keptSnapshots"], 3);
    assert!(
        real["removedPacks"].as_u64().unwrap() + real["rewrittenPacks"].as_u64().unwrap() > 0,
        "{real:#}"
    );
    let kept: Vec<_> = snaps
        .iter()
        .enumerate()
        .filter(|(i, _)| [0, 4, 5].contains(i))
        .map(|(_, s)| s.clone())
        .collect();
    let listed = snapshot_ids(&mut e);
    let mut want: Vec<String> = kept.iter().map(|(id, _)| id.clone()).collect();
    want.sort();
    let mut got = listed.clone();
    got.sort();
    assert_eq!(got, want);
    restores_all(&mut e, &kept);
    assert_ok(&verify(&mut e, "full"));
    every_pack_has_parity(&host);
    // A second prune with the same policy finds nothing more to do.
    let again = e.call("prune", json!({"retention": policy}));
    assert_eq!(
        (again["removedSnapshots"].clone(), again["removedPacks"].clone()),
        (json!(0), json!(0))
    );
}

#[test]
fn prune_frees_space_rewrites_partly_used_packs_and_keeps_parity_whole() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(71);
        let mut e = small_repo(&host, pw);
        let snaps = daily_snapshots(&host, &mut e);
        let before = pack_bytes(&host);
        let r = e.call("prune", json!({"retention": {"keepLast": 1}}));
        assert!(r["rewrittenPacks"].as_u64().unwrap() > 0, "{r:#}");
        let after = pack_bytes(&host);
        assert!(after < before, "{after} < {before}");
        assert!(r["freedBytes"].as_u64().unwrap() > 0);
        restores_all(&mut e, &snaps[5..]);
        assert_ok(&verify(&mut e, "full"));
        every_pack_has_parity(&host);
        // Parity still rebuilds a pack after the groups were re-encoded.
        let victim = pack_key(&data_packs(&host)[0]);
        host.delete(&victim).unwrap();
        assert_eq!(e.call("repair", json!({}))["packsRepaired"], 1);
        restores_all(&mut e, &snaps[5..]);
    }
}

#[test]
fn prune_refuses_an_empty_policy_a_lock_and_a_damaged_repository() {
    let host = MemoryHost::new(72);
    let mut e = small_repo(&host, None);
    let snaps = daily_snapshots(&host, &mut e);
    assert_eq!(
        e.err("prune", json!({"retention": {}})),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        e.err("prune", json!({"retention": {"keepLats": 1}})),
        ErrorCode::InvalidArgument
    );
    let mut other = Engine::open(&host, None);
    let s = other.begin(json!({}));
    assert_eq!(
        e.err("prune", json!({"retention": {"keepLast": 1}})),
        ErrorCode::RepositoryLocked
    );
    other.call("ingest_abort", json!({ "session": s }));
    // A pack that kept snapshots need is missing: prune changes nothing.
    let needed = groups(&host)[0].members[0].id;
    let pristine = host.clone_objects();
    host.delete(&pack_key(&needed)).unwrap();
    let before = host.clone_objects();
    let code = e.err("prune", json!({"retention": {"keepLast": 6}}));
    assert_eq!(code, ErrorCode::CorruptPack);
    let mut after = host.clone_objects();
    after.retain(|k, _| !k.starts_with(layout::LOCKS));
    assert_eq!(after, before);
    host.restore_objects(&pristine);
    restores_all(&mut e, &snaps);
}

/// Kills prune after each storage change it makes (and ingest likewise, below): after
/// every kill the kept snapshots restore, full verification passes, and a new prune
/// finishes the job.
#[test]
fn prune_killed_after_any_change_leaves_a_verifying_repository() {
    let mut kill_points = 0;
    for (pw, keep, policy) in [
        (None, 3, json!({"keepLast": 3})),
        (Some("pw"), 1, json!({"keepLast": 1})),
        (None, 2, json!({"keepDays": 2})),
    ] {
        let host = MemoryHost::new(73);
        let mut e = small_repo(&host, pw);
        let snaps = daily_snapshots(&host, &mut e);
        let kept = &snaps[6 - keep..];
        let args = json!({ "retention": policy });
        let open = match pw {
            Some(p) => json!({ "passphrase": p }).to_string(),
            None => "{}".to_string(),
        };
        let pristine = host.clone_objects();
        let crashing = FaultyHost::new(&host);
        for n in 0.. {
            host.restore_objects(&pristine);
            crashing.crash_after(n);
            let mut api = Api::new(crashing.clone());
            if api.call("open", &open).is_ok() && api.call("prune", &args.to_string()).is_ok() {
                assert!(n > 10, "prune made {n} changes");
                break;
            }
            kill_points += 1;
            crashing.heal();
            let mut e = Engine::open(&host, pw);
            e.call("unlock", json!({"force": true})); // the killed prune's lock
            let listed = e.call("list_snapshots", json!({}));
            assert!(
                listed.as_array().unwrap().len() >= kept.len(),
                "kill after {n} changes"
            );
            restores_all(&mut e, kept);
            let v = verify(&mut e, "full");
            assert_eq!(v["ok"], true, "kill after {n} changes: {v:#}");
            e.call("prune", args.clone());
            assert_ok(&verify(&mut e, "full"));
            restores_all(&mut e, kept);
        }
    }
    println!("crash test: prune killed at {kill_points} points (after each storage change it makes)");
}

#[test]
fn ingest_killed_after_any_change_loses_no_completed_snapshot() {
    let host = MemoryHost::new(74);
    let mut e = small_repo(&host, Some("pw"));
    let first = sample(50_000, 1);
    let done = vec![(id_of(&e.ingest(&[("a", &first)], json!({}), 5000)), first)];
    let pristine = host.clone_objects();
    let crashing = FaultyHost::new(&host);
    let mut kill_points = 0;
    for n in 0.. {
        host.restore_objects(&pristine);
        crashing.crash_after(n);
        let mut api = Api::new(crashing.clone());
        let ok = api.call("open", r#"{"passphrase": "pw"}"#).is_ok()
            && api.call("ingest_begin", "{}").is_ok()
            && api.write(1, &sample(90_000, 2)).is_ok()
            && api.call("ingest_finish", r#"{"session": 1}"#).is_ok();
        if ok {
            break;
        }
        kill_points += 1;
        crashing.heal();
        let mut e = Engine::open(&host, Some("pw"));
        restores_all(&mut e, &done);
        let v: Value = verify(&mut e, "full");
        assert_eq!(v["ok"], true, "kill after {n} changes: {v:#}");
    }
    assert!(kill_points > 10);
    println!("crash test: ingest killed at {kill_points} points");
}
