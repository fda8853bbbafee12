//! The crash campaign (issue "Reliability"): `ingest`, `prune`, `repair`, `key_add`, and an
//! ingest with a prune waiting beside it, each killed after a seeded random number of
//! storage changes (the fault-injecting host fails that change and every call after it, as
//! if the process died there). After each kill: full verification is clean, or `repair`
//! makes it clean; every snapshot that completed restores byte-identical; and the next
//! operation succeeds.
//!
//! `prune.rs` kills ingest and prune after every change in turn; this campaign adds the
//! other writers and random instants, and prints the kills per operation.
//! `CAIRN_CAMPAIGN_KILLS` sets the kills per operation and repository (default 12) and
//! `CAIRN_CAMPAIGN_SEEDS` the repositories (default 1); README "Campaigns" gives the long run.

use crate::common;

use std::collections::BTreeMap;

use cairn_core::api::Api;
use cairn_core::faults::FaultyHost;
use cairn_core::host::{Host, Storage};
use cairn_core::memory::MemoryHost;
use common::*;
use serde_json::{json, Value};

const PW: &str = "pw";

/// The operations killed; each runs on a fresh copy of the same repository.
const OPERATIONS: [&str; 5] = ["ingest", "prune", "repair", "key_add", "ingest beside a prune"];

/// Runs `op` through `api` (on the faulty host); `Err` as soon as a call fails.
fn run(op: &str, crashing: &FaultyHost, new_data: &[u8]) -> Result<(), String> {
    let mut api = Api::new(crashing.clone());
    let e = |r: Result<String, cairn_core::Error>| r.map_err(|e| e.to_string());
    e(api.call("open", &json!({ "passphrase": PW }).to_string()))?;
    match op {
        "ingest" => ingest(&mut api, new_data),
        "prune" => e(api.call("prune", r#"{"retention": {"keepLast": 1}}"#)).map(drop),
        "repair" => e(api.call("repair", "{}")).map(drop),
        "key_add" => e(api.call("key_add", r#"{"passphrase": "second"}"#)).map(drop),
        _ => {
            // A prune asked for while the ingest holds its shared lock is refused (it does
            // not wait), then runs once the ingest is done.
            let mut other = Api::new(crashing.clone());
            e(other.call("open", &json!({ "passphrase": PW }).to_string()))?;
            let s = begin(&mut api)?;
            e(api
                .write(s, &new_data[..new_data.len() / 2])
                .map(|_| String::new()))?;
            match other.call("prune", r#"{"retention": {"keepLast": 2}}"#) {
                Err(err) if err.code() == cairn_core::ErrorCode::RepositoryLocked => {}
                Err(err) => return Err(err.to_string()),
                Ok(_) => panic!("a prune ran while an ingest held its lock"),
            }
            e(api
                .write(s, &new_data[new_data.len() / 2..])
                .map(|_| String::new()))?;
            e(api.call("ingest_finish", &json!({ "session": s }).to_string()))?;
            e(other.call("prune", r#"{"retention": {"keepLast": 2}}"#)).map(drop)
        }
    }
}

fn begin(api: &mut Api<FaultyHost>) -> Result<u32, String> {
    let r = api.call("ingest_begin", "{}").map_err(|e| e.to_string())?;
    Ok(serde_json::from_str::<Value>(&r).unwrap()["session"]
        .as_u64()
        .unwrap() as u32)
}

fn ingest(api: &mut Api<FaultyHost>, data: &[u8]) -> Result<(), String> {
    let s = begin(api)?;
    for piece in data.chunks(9000) {
        api.write(s, piece).map_err(|e| e.to_string())?;
    }
    let r = api.call("ingest_finish", &json!({ "session": s }).to_string());
    r.map(drop).map_err(|e| e.to_string())
}

/// Seeded distinct instants in `0..changes`, always including the first and the last.
fn instants(changes: u64, kills: u64, seed: u64) -> Vec<u64> {
    let mut x = seed | 1;
    let mut out = vec![0, changes.saturating_sub(1)];
    for _ in 2..kills {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(x % changes.max(1));
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn writers_killed_at_random_instants_lose_nothing_completed() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (kills, seeds) = (env("CAIRN_CAMPAIGN_KILLS", 12), env("CAIRN_CAMPAIGN_SEEDS", 1));
    let mut table: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    for seed in 0..seeds {
        for (op, (k, c)) in campaign(seed, kills) {
            let row = table.entry(op).or_default();
            row.0 += k;
            row.1 = row.1.max(c);
        }
    }
    println!("| operation | kills ({seeds} repositories) | most storage changes it made |");
    println!("|---|---:|---:|");
    for (op, (k, c)) in table {
        println!("| {op} | {k} | {c} |");
    }
}

/// One repository (sizes from `seed`), each operation killed at up to `kills` instants;
/// answers the kills and the changes of each operation.
fn campaign(seed: u64, kills: u64) -> Vec<(&'static str, (usize, u64))> {
    let host = MemoryHost::new(91 + seed);
    let mut e = small_repo(&host, Some(PW));
    let mut snaps = Vec::new();
    for day in 0..3 {
        // A day apart, so that `keepLast` keeps the same snapshots in every run.
        host.set_now_ms(host.now_ms() + 86_400_000);
        let mut data = sample(
            60_000 + 30_000 * day + 10_000 * seed as usize,
            40 + day as u64 + seed,
        );
        data.extend_from_slice(&sample(20_000, 7)); // shared with the other snapshots
        let s = e.ingest(&[("data", &data)], json!({}), 8192);
        snaps.push((id_of(&s), data));
    }
    host.set_now_ms(host.now_ms() + 86_400_000);
    // Damage for repair to mend: one pack lost.
    let packs = data_packs(&host);
    let new_data = sample(300_000 + 7_000 * seed as usize, 77 + seed);
    let (pristine, now) = (host.clone_objects(), host.now_ms());
    let mut table = Vec::new();
    for (i, op) in OPERATIONS.into_iter().enumerate() {
        // A fresh host with the same seed, clock and objects, so that every run of `op`
        // draws the same random ids and makes the same changes in the same order.
        let prepare = || {
            let host = MemoryHost::new(1000 + seed);
            host.set_now_ms(now);
            host.restore_objects(&pristine);
            if op == "repair" {
                host.delete(&pack_key(&packs[seed as usize % packs.len()]))
                    .unwrap();
            }
            let crashing = FaultyHost::new(&host);
            (host, crashing)
        };
        // How many changes the whole operation makes, undisturbed.
        let (_, crashing) = prepare();
        run(op, &crashing, &new_data).unwrap_or_else(|e| panic!("{op} without a crash: {e}"));
        let changes = crashing.changes();
        assert!(changes >= 1, "{op} made no change");
        let at = instants(changes, kills, 0xC0FFEE + i as u64 + (seed << 8));
        for &n in &at {
            let (host, crashing) = prepare();
            crashing.crash_after(n);
            let outcome = run(op, &crashing, &new_data);
            crashing.heal();
            let case = format!("repository {seed}: {op} killed after {n} of {changes} changes");
            assert!(outcome.is_err(), "{case}: it went on after the kill");
            check_after_kill(&host, &snaps, &case);
            // The next operation succeeds (check_after_kill removed the killed one's lock, as
            // `unlock` does once its owner is gone).
            run(op, &crashing, &new_data).unwrap_or_else(|e| panic!("{case}: the next {op} failed: {e}"));
            check_after_kill(&host, &snaps, &format!("{case}, then run again"));
        }
        table.push((op, (at.len(), changes)));
    }
    table
}

/// Full verify is clean, or clean after `repair`; every snapshot that completed before the
/// kill restores byte-identical (snapshots pruned by a prune that completed are gone).
fn check_after_kill(host: &MemoryHost, snaps: &[(String, Vec<u8>)], case: &str) {
    let mut e = Engine::open(host, Some(PW));
    e.call("unlock", json!({ "force": true }));
    if verify(&mut e, "full")["ok"] != true {
        e.call("repair", json!({}));
        let v = verify(&mut e, "full");
        assert_eq!(v["ok"], true, "{case}: repair left {v:#}");
    }
    let listed = snapshot_ids(&mut e);
    for (id, data) in snaps.iter().filter(|(id, _)| listed.contains(id)) {
        assert!(
            e.restore(id, None) == *data,
            "{case}: snapshot {id} restores wrong bytes"
        );
    }
    assert!(!listed.is_empty(), "{case}: every snapshot is gone");
}
