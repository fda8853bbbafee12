//! Integrity scenarios: parity groups, verification at every level, damage detection.
//! They run natively and compiled to wasm32, like the other scenarios.

use crate::common;

use cairn_core::layout::{self, StorageKey};
use cairn_core::memory::MemoryHost;
use cairn_core::{ErrorCode, Host, Storage};
use common::*;
use serde_json::json;

#[test]
fn every_pack_gets_parity_and_small_ingests_share_a_trailing_group() {
    let host = MemoryHost::new(31);
    let mut e = small_repo(&host, None);
    for i in 0..9 {
        e.ingest(&[("data", &sample(6_000, 100 + i))], json!({}), 4096);
        let packs = data_packs(&host);
        let gs = groups(&host);
        for p in &packs {
            assert!(
                gs.iter().any(|g| g.position(p).is_some()),
                "after ingest {i}, pack {} has no parity",
                p.to_hex()
            );
        }
        // The trailing group grows instead of one group per ingest.
        assert_eq!(gs.len(), packs.len().div_ceil(4), "after ingest {i}");
        assert_eq!(
            keys_under(&host, layout::PARITY).len(),
            gs.len(),
            "replaced shards are deleted"
        );
        assert!(gs.iter().filter(|g| !g.is_full()).count() <= 1);
    }
    assert_ok(&verify(&mut e, "full"));
}

#[test]
fn a_long_ingest_fills_groups_and_verify_passes_at_every_level() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(32);
        let mut e = small_repo(&host, pw);
        let a = e.ingest(
            &[("a", &sample(150_000, 1)), ("b", &sample(40_000, 2))],
            json!({}),
            10_000,
        );
        e.ingest(&[("a", &sample(150_000, 3))], json!({"v": "2"}), 7_000);
        let gs = groups(&host);
        assert!(
            gs.iter().filter(|g| g.is_full()).count() >= 2,
            "{} groups",
            gs.len()
        );
        let mut refs = Vec::new();
        for level in ["quick", "standard", "full"] {
            let v = verify(&mut e, level);
            assert_ok(&v);
            assert_eq!(v["stats"]["snapshotsChecked"], 2);
            assert!(v["stats"]["packsChecked"].as_u64().unwrap() >= data_packs(&host).len() as u64);
            refs.push(v["stats"]["chunksChecked"].as_u64().unwrap());
            let decoded = v["stats"]["blobsDecoded"].as_u64().unwrap();
            assert_eq!(decoded > 100, level == "full", "{level}: {decoded} blobs decoded");
        }
        // The same meaning at every level: the snapshots' chunk references.
        assert!(refs[0] > 100 && refs.iter().all(|&r| r == refs[0]), "{refs:?}");
        assert_eq!(e.restore(&id_of(&a), Some("b")), sample(40_000, 2));
    }
}

#[test]
fn packs_and_parity_verify_without_the_key() {
    let host = MemoryHost::new(33);
    let mut e = small_repo(&host, Some("secret"));
    e.ingest(&[("a", &sample(60_000, 4))], json!({}), 5000);
    let mut api = cairn_core::api::Api::new(host.clone());
    api.call("open", r#"{"keyless": true}"#).unwrap();
    let mut k = Engine { api };
    let v = verify(&mut k, "standard");
    assert_ok(&v);
    assert_eq!(v["keyed"], false);
    assert_eq!(v["stats"]["snapshotsChecked"], 0);
    assert!(v["stats"]["packsChecked"].as_u64().unwrap() > 0);
    assert_eq!(
        k.err("verify", json!({"level": "full"})),
        ErrorCode::PassphraseRequired
    );
    assert_eq!(k.err("list_snapshots", json!({})), ErrorCode::PassphraseRequired);
    assert_eq!(k.err("ingest_begin", json!({})), ErrorCode::PassphraseRequired);
    // A flipped bit is found without the key too.
    let p = pack_key(&data_packs(&host)[0]);
    let mut bytes = host.object(&p).unwrap();
    bytes[20] ^= 1;
    host.set_object(&p, bytes);
    let v = verify(&mut k, "standard");
    assert_eq!(v["ok"], false);
    assert!(
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["pack"] == p.as_str()),
        "{v:#}"
    );
}

/// The ways a single file can be damaged.
#[derive(Debug, Clone, Copy)]
pub enum Damage {
    Delete,
    Truncate,
    FlipBit,
}

/// Damages `key` in the way `how`, choosing the spot from `seed`.
pub fn damage(host: &MemoryHost, key: &str, how: Damage, seed: u64) {
    let mut bytes = host.object(key).unwrap();
    match how {
        Damage::Delete => {
            host.delete(key).unwrap();
            return;
        }
        Damage::Truncate => bytes.truncate(seed as usize % bytes.len()),
        Damage::FlipBit => {
            let i = (seed as usize * 7919) % bytes.len();
            bytes[i] ^= 1 << (seed % 8);
        }
    }
    host.set_object(key, bytes);
}

#[test]
fn damaged_packs_are_found_and_named_with_the_snapshots_they_break() {
    let host = MemoryHost::new(34);
    let mut e = small_repo(&host, None);
    let a = id_of(&e.ingest(&[("db", &sample(80_000, 5))], json!({}), 9000));
    let pristine = host.clone_objects();
    let mut detected = 0;
    for seed in 0..24u64 {
        host.restore_objects(&pristine);
        let packs = data_packs(&host);
        let victim = packs[seed as usize % packs.len()];
        let how = [Damage::Delete, Damage::Truncate, Damage::FlipBit][seed as usize % 3];
        damage(&host, &pack_key(&victim), how, seed);
        let v = verify(&mut e, "full");
        assert_eq!(v["ok"], false, "{how:?} of a pack went unnoticed");
        let errors = v["errors"].as_array().unwrap();
        let key = pack_key(&victim);
        assert!(errors.iter().any(|e| e["pack"] == key.as_str()), "{how:?}: {v:#}");
        assert!(
            errors
                .iter()
                .any(|e| e["snapshot"] == a.as_str() && e["item"] == "db"),
            "{how:?}: the affected snapshot item is named: {v:#}"
        );
        detected += 1;
    }
    assert_eq!(detected, 24);
}

#[test]
fn damaged_index_sidecars_and_parity_are_found() {
    let host = MemoryHost::new(35);
    let mut e = small_repo(&host, None);
    e.ingest(&[("db", &sample(50_000, 6))], json!({}), 9000);
    let pristine = host.clone_objects();
    let seg = keys_under(&host, layout::INDEX)[0].clone();
    let idx = StorageKey::PackIndex(data_packs(&host)[1]).to_string();
    let par = keys_under(&host, layout::PARITY)[0].clone();
    let grp = keys_under(&host, layout::GROUPS)[0].clone();
    for (key, how, level, expect) in [
        (&seg, Damage::FlipBit, "quick", "index"),
        (&seg, Damage::Delete, "quick", "no index"),
        (&idx, Damage::Delete, "quick", ".idx"),
        (&idx, Damage::FlipBit, "standard", ".idx"),
        (&par, Damage::FlipBit, "standard", "parity"),
        (&par, Damage::Delete, "quick", "missing"),
        (&grp, Damage::Truncate, "quick", "parity"),
        (&grp, Damage::Delete, "quick", "no parity group"),
    ] {
        host.restore_objects(&pristine);
        damage(&host, key, how, 3);
        let v = verify(&mut e, level);
        // A lost group manifest damages nothing: its packs are unprotected, a warning.
        let lost_group = expect == "no parity group";
        let found = if lost_group { "warnings" } else { "errors" };
        assert_eq!(v["ok"], lost_group, "{how:?} {key} at {level}: {v:#}");
        if lost_group {
            assert_eq!(v["errors"], json!([]), "{how:?} {key} at {level}");
        }
        let text = v[found].to_string();
        assert!(text.contains(expect), "{how:?} {key}: {text}");
    }
    host.restore_objects(&pristine);
    assert_ok(&verify(&mut e, "full"));
}

#[test]
fn subsets_read_part_of_the_packs() {
    let host = MemoryHost::new(36);
    let mut e = small_repo(&host, None);
    e.ingest(&[("db", &sample(200_000, 7))], json!({}), 9000);
    let all = data_packs(&host).len() as u64;
    let mut sum = 0;
    for n in 1..=3 {
        let v = e.call("verify", json!({"level": "standard", "subset": format!("{n}/3")}));
        assert_ok(&v);
        sum += v["stats"]["packsChecked"].as_u64().unwrap();
    }
    assert_eq!(
        sum, all,
        "the parts 1/3, 2/3 and 3/3 read every pack exactly once"
    );
    assert_eq!(
        e.err("verify", json!({"subset": "4/3"})),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        e.err("verify", json!({"level": "deep"})),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn any_m_damaged_packs_of_a_group_are_rebuilt_from_parity() {
    let (mut injected, mut detected, mut rebuilt) = (0, 0, 0);
    for (k, m, pw) in [(4, 1, None), (3, 2, Some("pw")), (20, 1, None)] {
        let host = MemoryHost::new(50 + k as u64);
        let (mut e, snaps) = repo_with_snapshots(&host, pw, k, m);
        let pristine = host.clone_objects();
        for seed in 0..30u64 {
            host.restore_objects(&pristine);
            let gs = groups(&host);
            let g = &gs[seed as usize % gs.len()];
            let victims: Vec<usize> = (0..g.members.len().min(m as usize))
                .map(|j| (seed as usize + j * 2) % g.members.len())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            for (j, &v) in victims.iter().enumerate() {
                let how = [Damage::Delete, Damage::Truncate, Damage::FlipBit][(seed as usize + j) % 3];
                damage(&host, &pack_key(&g.members[v].id), how, seed + j as u64);
                injected += 1;
            }
            let before = verify(&mut e, "full");
            assert_eq!(before["ok"], false);
            detected += victims
                .iter()
                .filter(|&&v| {
                    let key = pack_key(&g.members[v].id);
                    before["errors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e["pack"] == key.as_str())
                })
                .count();
            let r = e.call("repair", json!({}));
            assert_eq!(r["errors"], json!([]), "{r:#}");
            assert_eq!(r["packsRepaired"], victims.len(), "{r:#}");
            rebuilt += victims.len();
            assert_ok(&verify(&mut e, "full"));
            restores_all(&mut e, &snaps);
        }
    }
    assert_eq!(detected, injected);
    println!(
        "fault injection: {injected} pack corruptions injected, {detected} detected, {rebuilt} packs rebuilt"
    );
}

#[test]
fn more_damage_than_parity_is_reported_not_guessed() {
    let host = MemoryHost::new(60);
    let (mut e, _) = repo_with_snapshots(&host, None, 4, 1);
    let g = groups(&host).into_iter().find(|g| g.members.len() >= 2).unwrap();
    damage(&host, &pack_key(&g.members[0].id), Damage::Delete, 0);
    damage(&host, &pack_key(&g.members[1].id), Damage::FlipBit, 1);
    let r = e.call("repair", json!({}));
    assert_eq!(r["packsRepaired"], 0);
    assert!(r["errors"].to_string().contains("cannot be rebuilt"), "{r:#}");
    assert_eq!(verify(&mut e, "standard")["ok"], false);
}

#[test]
fn a_lost_or_damaged_index_is_rebuilt_from_the_sidecars() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(61);
        let (mut e, snaps) = repo_with_snapshots(&host, pw, 4, 1);
        let pristine = host.clone_objects();
        let segments = keys_under(&host, layout::INDEX);
        for case in 0..4 {
            host.restore_objects(&pristine);
            match case {
                0 => segments.iter().for_each(|s| host.delete(s).unwrap()),
                1 => damage(&host, &segments[0], Damage::FlipBit, 9),
                2 => damage(&host, &segments[1], Damage::Truncate, 9),
                _ => host.delete(&segments[2]).unwrap(),
            }
            assert_eq!(verify(&mut e, "quick")["ok"], false, "case {case}");
            let r = e.call("repair", json!({}));
            assert_eq!(r["indexRebuilt"], true, "case {case}: {r:#}");
            assert_eq!(r["errors"], json!([]));
            assert_ok(&verify(&mut e, "full"));
            restores_all(&mut e, &snaps);
            assert_eq!(keys_under(&host, layout::INDEX).len(), 1, "old segments are gone");
        }
        host.restore_objects(&pristine);
        assert_eq!(e.call("reindex", json!({}))["errors"], json!([]));
        assert_ok(&verify(&mut e, "full"));
    }
}

#[test]
fn sidecars_parity_shards_and_group_manifests_are_rewritten() {
    let host = MemoryHost::new(62);
    let (mut e, snaps) = repo_with_snapshots(&host, Some("pw"), 4, 1);
    let pristine = host.clone_objects();
    let idx = StorageKey::PackIndex(data_packs(&host)[0]).to_string();
    let par = keys_under(&host, layout::PARITY)[0].clone();
    let grp = keys_under(&host, layout::GROUPS)[0].clone();
    for (key, how, counter) in [
        (&idx, Damage::Delete, "sidecarsRebuilt"),
        (&idx, Damage::FlipBit, "sidecarsRebuilt"),
        (&par, Damage::Truncate, "parityRepaired"),
        (&par, Damage::Delete, "parityRepaired"),
        (&grp, Damage::FlipBit, "packsProtected"),
        (&grp, Damage::Delete, "packsProtected"),
    ] {
        host.restore_objects(&pristine);
        damage(&host, key, how, 5);
        let v = verify(&mut e, "standard");
        let flagged = v["ok"] == false || v["warnings"] != json!([]);
        assert!(flagged, "{how:?} {key}: {v:#}");
        let r = e.call("repair", json!({}));
        assert!(r[counter].as_u64().unwrap() >= 1, "{how:?} {key}: {r:#}");
        assert_eq!(r["errors"], json!([]));
        assert_ok(&verify(&mut e, "full"));
        restores_all(&mut e, &snaps);
    }
}

#[test]
fn packs_are_rebuilt_without_the_key() {
    let host = MemoryHost::new(63);
    let (_, snaps) = repo_with_snapshots(&host, Some("pw"), 4, 1);
    let victim = groups(&host)[0].members[0].id;
    damage(&host, &pack_key(&victim), Damage::FlipBit, 2);
    let mut api = cairn_core::api::Api::new(host.clone());
    api.call("open", r#"{"keyless": true}"#).unwrap();
    let mut k = Engine { api };
    assert_eq!(verify(&mut k, "standard")["ok"], false);
    let r = k.call("repair", json!({}));
    assert_eq!(r["packsRepaired"], 1, "{r:#}");
    assert_ok(&verify(&mut k, "standard"));
    let mut e = Engine::open(&host, Some("pw"));
    restores_all(&mut e, &snaps);
}

#[test]
fn unlock_and_repair_remove_stale_locks_only() {
    let host = MemoryHost::new(64);
    let mut e = small_repo(&host, None);
    let mut other = Engine::open(&host, None);
    let s = other.begin(json!({}));
    assert_eq!(e.err("repair", json!({})), ErrorCode::RepositoryLocked);
    assert_eq!(e.call("unlock", json!({}))["locksRemoved"], 0);
    host.set_now_ms(host.now_ms() + 31 * 60 * 1000);
    assert_eq!(e.call("repair", json!({}))["locksRemoved"], 1);
    let _ = other.call("ingest_abort", json!({ "session": s }));
    let s = other.begin(json!({}));
    assert_eq!(e.call("unlock", json!({"force": true}))["locksRemoved"], 1);
    let _ = other.call("ingest_abort", json!({ "session": s }));
}

/// Every kind of file, truncated or replaced by garbage, gets an error or a verify finding
/// that names the file (never a panic, never silence).
#[test]
fn bad_files_are_named_by_the_error_or_by_verify() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(80);
        let (_, _) = repo_with_snapshots(&host, pw, 4, 1);
        let pristine = host.clone_objects();
        let first = |prefix: &str, suffix: &str| {
            keys_under(&host, prefix)
                .into_iter()
                .find(|k| k.ends_with(suffix))
                .unwrap()
        };
        let files = [
            layout::CONFIG.to_string(),
            first(layout::SNAPSHOTS, ""),
            first(layout::INDEX, ""),
            first(layout::PACKS, ".idx"),
            first(layout::PACKS, ".pack"),
            first(layout::GROUPS, ""),
            first(layout::PARITY, ".par"),
        ]
        .into_iter()
        .chain(pw.map(|_| first(layout::KEYS, "")));
        let mut cases = 0;
        for file in files {
            for how in ["truncate", "garbage", "empty"] {
                host.restore_objects(&pristine);
                let mut bytes = host.object(&file).unwrap();
                match how {
                    "truncate" => bytes.truncate(bytes.len() * 2 / 3),
                    "garbage" => bytes = b"\x00garbage{\"version\": 1}\xff".repeat(3),
                    _ => bytes.clear(),
                }
                host.set_object(&file, bytes);
                let mut api = cairn_core::api::Api::new(host.clone());
                let args = pw.map_or("{}".to_string(), |p| json!({ "passphrase": p }).to_string());
                let found = match api.call("open", &args) {
                    Err(e) => e.to_string(),
                    Ok(_) => {
                        let mut e = Engine { api };
                        let v = verify(&mut e, "full");
                        assert_eq!(v["ok"], false, "{how} {file}: {v:#}");
                        v["errors"].to_string()
                    }
                };
                assert!(found.contains(&file), "{how} {file}: {found}");
                cases += 1;
            }
        }
        assert!(cases >= 21);
    }
}

#[test]
fn files_of_a_newer_format_stop_maintenance_instead_of_being_replaced() {
    // A parity manifest or an index segment of a version this engine does not know is not
    // damage: verify, repair and reindex refuse to run, and leave the file as it is.
    let host = MemoryHost::new(64);
    let (mut e, _) = repo_with_snapshots(&host, None, 4, 1);
    let pristine = host.clone_objects();
    let newer_group = {
        let key = keys_under(&host, layout::GROUPS)[0].clone();
        let mut v: serde_json::Value = serde_json::from_slice(&host.object(&key).unwrap()).unwrap();
        v["version"] = 2.into();
        let mut bytes = serde_json::to_vec(&v).unwrap();
        bytes.push(b'\n');
        let id = cairn_core::crypto::soft_sha256(&bytes);
        host.delete(&key).unwrap();
        let key = StorageKey::Group(id.into()).to_string();
        host.set_object(&key, bytes);
        key
    };
    for op in ["verify", "repair"] {
        assert_eq!(e.err(op, json!({})), ErrorCode::UnsupportedVersion, "{op}");
    }
    assert!(host.object(&newer_group).is_some(), "the newer manifest is kept");
    host.restore_objects(&pristine);
    let seg = keys_under(&host, layout::INDEX)[0].clone();
    let mut bytes = host.object(&seg).unwrap();
    bytes[7] = b'2';
    let id = cairn_core::crypto::soft_sha256(&bytes);
    host.delete(&seg).unwrap();
    let seg = StorageKey::Segment(id.into()).to_string();
    host.set_object(&seg, bytes);
    for op in ["verify", "repair", "reindex"] {
        assert_eq!(e.err(op, json!({})), ErrorCode::UnsupportedVersion, "{op}");
    }
    assert!(host.object(&seg).is_some(), "the newer segment is kept");
}
