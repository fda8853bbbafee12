//! The corruption campaign (issue "Reliability"): seeded random damage to every kind of
//! file of a repository — bit flips, truncations, zeroed ranges, deletions — and, after
//! each, what standard and full verification say, whether `repair` restores a clean
//! repository, and whether any snapshot then restores wrong bytes without an error.
//!
//! Figures per file kind are printed as a table. The test fails on any silent wrong
//! restore, on damage full verification misses, and on repairable damage (a pack, a
//! sidecar, a parity file, an index segment: everything parity or the packs can rebuild)
//! that `repair` leaves. `CAIRN_CAMPAIGN_ROUNDS` sets the number of rounds (default 120, a
//! few seconds; README "Campaigns" gives the long run).

use crate::common;

use std::collections::BTreeMap;

use cairn_core::api::Api;
use cairn_core::host::Storage;
use cairn_core::memory::MemoryHost;
use common::*;
use serde_json::{json, Value};

/// Kinds that `repair` rebuilds from what is left (parity, the packs, their sidecars).
fn repairable(kind: &str) -> bool {
    matches!(
        kind,
        "pack" | "pack .idx" | "index segment" | "group manifest" | "parity shard"
    )
}

/// Damage of one file; answers its name, or `None` when it changed nothing.
fn damage(host: &MemoryHost, key: &str, rng: &mut Rng) -> Option<&'static str> {
    let mut bytes = host.object(key)?;
    let len = bytes.len();
    let what = match rng.below(4) {
        0 if len > 0 => {
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(len);
                bytes[at] ^= 1 << rng.below(8);
            }
            "bit flips"
        }
        1 if len > 0 => {
            bytes.truncate(rng.below(len));
            "truncation"
        }
        2 if len > 0 => {
            let at = rng.below(len);
            let end = (at + 1 + rng.below(4096)).min(len);
            bytes[at..end].iter_mut().for_each(|b| *b = 0);
            "zeroed range"
        }
        _ => {
            host.delete(key).unwrap();
            return Some("deletion");
        }
    };
    if host.object(key).as_deref() == Some(&bytes[..]) {
        return None; // zeroing zeros, or flips that cancelled out
    }
    host.set_object(key, bytes);
    Some(what)
}

/// What one verification said: found something (an error, or the repository would not open).
fn detects(host: &MemoryHost, pw: Option<&str>, level: &str) -> bool {
    let mut api = Api::new(host.clone());
    let open = pw.map_or(json!({}), |p| json!({ "passphrase": p }));
    if api.call("open", &open.to_string()).is_err() {
        return true;
    }
    match api.call("verify", &json!({ "level": level }).to_string()) {
        Ok(v) => {
            let v: Value = serde_json::from_str(&v).unwrap();
            v["ok"] == false || !v["warnings"].as_array().unwrap().is_empty()
        }
        Err(_) => true,
    }
}

/// Restores every snapshot; answers how many gave wrong bytes with no error, and how many
/// failed (an error, or the repository would not open).
fn restores(host: &MemoryHost, pw: Option<&str>, snaps: &[(String, Vec<u8>)]) -> (usize, usize) {
    let mut api = Api::new(host.clone());
    let open = pw.map_or(json!({}), |p| json!({ "passphrase": p }));
    if api.call("open", &open.to_string()).is_err() {
        return (0, snaps.len());
    }
    let (mut wrong, mut failed) = (0, 0);
    for (id, data) in snaps {
        let Ok(r) = api.call("restore_begin", &json!({ "snapshot": id }).to_string()) else {
            failed += 1;
            continue;
        };
        let s = serde_json::from_str::<Value>(&r).unwrap()["session"]
            .as_u64()
            .unwrap() as u32;
        let mut out = Vec::new();
        let finished = loop {
            match api.read(s) {
                Ok(b) if b.is_empty() => break true,
                Ok(b) => out.extend_from_slice(&b),
                Err(_) => break false,
            }
        };
        let _ = api.call("restore_end", &json!({ "session": s }).to_string());
        match (finished, out == *data) {
            (true, false) => wrong += 1,
            (false, _) => failed += 1,
            (true, true) => {}
        }
    }
    (wrong, failed)
}

#[derive(Default)]
struct Row {
    rounds: u32,
    standard: u32,
    full: u32,
    repaired: u32,
    repairable: u32,
    wrong_restores: u32,
}

#[test]
fn random_damage_to_every_kind_of_file_is_detected_repaired_or_refused() {
    let rounds: u32 = std::env::var("CAIRN_CAMPAIGN_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let mut table: BTreeMap<&str, Row> = BTreeMap::new();
    let mut misses = Vec::new();
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(90);
        let (_, snaps) = repo_with_snapshots(&host, pw, 3, 1);
        let pristine = host.clone_objects();
        let keys: Vec<String> = pristine.keys().filter(|k| kind(k) != "lock").cloned().collect();
        let mut rng = Rng(0x5EED ^ pw.map_or(1, |_| 2));
        for round in 0..rounds / 2 {
            host.restore_objects(&pristine);
            let key = &keys[rng.below(keys.len())];
            let Some(what) = damage(&host, key, &mut rng) else {
                continue;
            };
            let k = kind(key);
            let row = table.entry(k).or_default();
            row.rounds += 1;
            let standard = detects(&host, pw, "standard");
            let full = detects(&host, pw, "full");
            row.standard += standard as u32;
            row.full += full as u32;
            let (wrong, _) = restores(&host, pw, &snaps);
            let case = format!(
                "round {round} ({}): {what} of {key}",
                pw.map_or("plain", |_| "encrypted")
            );
            if !full {
                misses.push(format!("{case}: full verify found nothing"));
            }
            if repairable(k) {
                row.repairable += 1;
                let mut e = Engine::open(&host, pw);
                let _ = e.api.call("repair", "{}");
                let clean = !detects(&host, pw, "full");
                let restored = restores(&host, pw, &snaps) == (0, 0);
                if clean && restored {
                    row.repaired += 1;
                } else {
                    misses.push(format!(
                        "{case}: repair left it (verify clean: {clean}, restores: {restored})"
                    ));
                }
            }
            row.wrong_restores += wrong as u32;
            if wrong > 0 {
                misses.push(format!(
                    "{case}: {wrong} snapshots restored wrong bytes without an error"
                ));
            }
        }
    }
    println!("| file kind | damaged | found by standard verify | found by full verify | repaired | silent wrong restores |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (kind, r) in &table {
        let repaired = match r.repairable {
            0 => "n/a (no second copy)".to_string(),
            n => format!("{} of {n}", r.repaired),
        };
        println!(
            "| {kind} | {} | {} | {} | {repaired} | {} |",
            r.rounds, r.standard, r.full, r.wrong_restores
        );
    }
    assert!(
        misses.is_empty(),
        "{} misses:\n{}",
        misses.len(),
        misses.join("\n")
    );
}
