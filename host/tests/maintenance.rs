//! End-to-end tests of `cairn verify`, `repair`, `reindex` and `unlock`, and crash tests:
//! `cairn ingest` killed at many points leaves a repository that verifies and loses no
//! completed snapshot.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use crate::common;
use common::*;

fn packs(repo: &Repo) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for fan in std::fs::read_dir(repo.path.join("packs/data")).unwrap() {
        for f in std::fs::read_dir(fan.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "pack") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn verify(repo: &Repo, level: &str) -> (i32, Value) {
    let r = run_args(&["verify", repo.repo(), "--level", level, "--json"]);
    (r.code(), r.json())
}

fn restore_equals(repo: &Repo, id: &str, data: &[u8]) {
    let out = repo.work.join("restored");
    run_args(&["restore", repo.repo(), id, "-o", s(&out)]).ok();
    assert!(
        std::fs::read(&out).unwrap() == data,
        "snapshot {id} restores byte-identical"
    );
}

#[test]
fn verify_finds_a_damaged_pack_and_repair_rebuilds_it() {
    let repo = Repo::init(&["--pack-size", "64K", "--parity", "4,1"]);
    let data = text_data(2 << 20, 3);
    let input = repo.file("db.sql", &data);
    let id = repo.ingest(&[s(&input)])["id"].as_str().unwrap().to_string();
    let (code, v) = verify(&repo, "full");
    assert_eq!(
        (code, &v["ok"], &v["errors"]),
        (0, &Value::Bool(true), &serde_json::json!([]))
    );
    for field in ["packsChecked", "chunksChecked", "snapshotsChecked"] {
        assert!(
            v["stats"][field].as_u64().unwrap() > 0,
            "IVerifyResult.stats.{field}: {v}"
        );
    }
    let victim = packs(&repo)[3].clone();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&victim, bytes).unwrap();
    let (code, v) = verify(&repo, "standard");
    assert_eq!(code, 1, "a damaged pack makes verify exit 1");
    let name = victim.file_name().unwrap().to_str().unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["pack"].as_str().is_some_and(|p| p.ends_with(name))),
        "{v}"
    );
    assert!(
        errors.iter().any(|e| e["snapshot"] == id.as_str()),
        "names the snapshot: {v}"
    );
    let human = run_args(&["verify", repo.repo()]);
    assert_eq!(human.code(), 1);
    assert!(
        human.stdout().contains(name) && human.stderr().contains("repair"),
        "{}",
        human.stdout()
    );
    let r = run_args(&["repair", repo.repo(), "--json"]).ok().json();
    assert_eq!(r["packsRepaired"], 1, "{r}");
    for field in ["indexRebuilt", "locksRemoved", "errors"] {
        assert!(r.get(field).is_some(), "IRepairResult.{field}: {r}");
    }
    assert_eq!(verify(&repo, "full").0, 0);
    restore_equals(&repo, &id, &data);
}

#[test]
fn encrypted_packs_verify_and_repair_without_the_passphrase() {
    let repo = Repo::init_encrypted(&["--pack-size", "64K", "--parity", "3,1"], "pw");
    let data = text_data(1 << 20, 4);
    let input = repo.file("v.tar", &data);
    let mut c = cairn(&["ingest", repo.repo(), "--json", s(&input)]);
    let id = run(c.env("CAIRN_PASSPHRASE", "pw")).ok().json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let no_key = run_args(&["verify", repo.repo(), "--json"]);
    assert_eq!(no_key.code(), 2, "without --keyless a passphrase is required");
    assert_eq!(no_key.json()["error"]["code"], "PassphraseRequired");
    let v = run_args(&["verify", repo.repo(), "--keyless", "--json"])
        .ok()
        .json();
    assert_eq!(
        (v["keyed"].clone(), v["ok"].clone()),
        (Value::Bool(false), Value::Bool(true))
    );
    std::fs::remove_file(&packs(&repo)[0]).unwrap();
    assert_eq!(run_args(&["verify", repo.repo(), "--keyless"]).code(), 1);
    let r = run_args(&["repair", repo.repo(), "--keyless", "--json"]).json();
    assert_eq!(r["packsRepaired"], 1, "{r}");
    let mut c = cairn(&["verify", repo.repo(), "--level", "full"]);
    run(c.env("CAIRN_PASSPHRASE", "pw")).ok();
    let out = repo.work.join("restored");
    let mut c = cairn(&["restore", repo.repo(), &id, "-o", s(&out)]);
    run(c.env("CAIRN_PASSPHRASE", "pw")).ok();
    assert!(std::fs::read(&out).unwrap() == data);
}

#[test]
fn reindex_and_unlock() {
    let repo = Repo::init(&[]);
    let data = text_data(1 << 20, 5);
    let input = repo.file("a", &data);
    let id = repo.ingest(&[s(&input)])["id"].as_str().unwrap().to_string();
    for seg in std::fs::read_dir(repo.path.join("index")).unwrap() {
        std::fs::remove_file(seg.unwrap().path()).unwrap();
    }
    assert_eq!(verify(&repo, "quick").0, 1);
    run_args(&["reindex", repo.repo()]).ok();
    assert_eq!(verify(&repo, "full").0, 0);
    restore_equals(&repo, &id, &data);
    // A lock of a process that no longer runs on this host is stale.
    let lock = repo.path.join("locks").join("ab".repeat(32));
    let body = serde_json::json!({"exclusive": true, "operation": "prune", "hostname": gethostname(),
        "pid": 999_999_999u32, "user": "x", "createdAt": "2026-11-23T00:00:00.000Z",
        "heartbeatAt": "2099-01-01T00:00:00.000Z"});
    std::fs::write(&lock, body.to_string()).unwrap();
    let u = run_args(&["unlock", repo.repo(), "--json"]).ok().json();
    assert_eq!(u["locksRemoved"], 1);
    assert!(!lock.exists());
}

fn gethostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// Kills `cairn ingest` at many points of its run; after each kill, the repository verifies
/// fully and every snapshot completed so far restores byte-identical.
#[test]
fn ingest_killed_at_any_point_loses_no_completed_snapshot() {
    let repo = Repo::init(&["--pack-size", "64K", "--parity", "4,1"]);
    let mut done: Vec<(String, Vec<u8>)> = Vec::new();
    let first = text_data(3 << 20, 10);
    let input = repo.file("first", &first);
    done.push((
        repo.ingest(&[s(&input)])["id"].as_str().unwrap().to_string(),
        first,
    ));
    let start = Instant::now();
    let probe = text_data(4 << 20, 11);
    let input = repo.file("probe", &probe);
    done.push((
        repo.ingest(&[s(&input)])["id"].as_str().unwrap().to_string(),
        probe,
    ));
    let full_run = start.elapsed();
    let runs = 16u64;
    let (mut killed, mut finished) = (0, 0);
    for i in 0..runs {
        let data = text_data(4 << 20, 100 + i);
        let input = repo.file("next", &data);
        let mut child = cairn(&["ingest", repo.repo(), "--json", s(&input)])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Kill points spread over the whole run, start-up included.
        std::thread::sleep(full_run.mul_f64((i as f64 + 0.5) / runs as f64 * 1.1));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            finished += 1;
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            done.push((v["id"].as_str().unwrap().to_string(), data));
        } else {
            killed += 1;
        }
        let (code, v) = verify(&repo, "full");
        assert_eq!(code, 0, "after kill point {i}: {v}");
        let listed = run_args(&["snapshots", repo.repo(), "--json"]).ok().json();
        assert!(
            listed.as_array().unwrap().len() >= done.len(),
            "after kill point {i}"
        );
    }
    for (id, data) in &done {
        restore_equals(&repo, id, data);
    }
    assert!(killed > 0, "some runs were killed before they finished");
    println!("crash test: {runs} kill points, {killed} ingests killed, {finished} finished first");
}

#[test]
fn prune_dry_run_matches_the_real_run_and_kept_snapshots_restore() {
    let repo = Repo::init(&["--pack-size", "64K", "--parity", "4,1"]);
    let mut snaps = Vec::new();
    for i in 0..4 {
        let data = text_data(1 << 20, 20 + i);
        let input = repo.file("v", &data);
        let id = repo.ingest(&["--tag", &format!("n={i}"), s(&input)])["id"]
            .as_str()
            .unwrap()
            .to_string();
        snaps.push((id, data));
    }
    let args = [
        "prune",
        repo.repo(),
        "--keep-last",
        "1",
        "--keep-tag",
        "n=0",
        "--json",
    ];
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run");
    let dry = run_args(&dry_args).ok().json();
    for field in [
        "removedSnapshots",
        "removedPacks",
        "rewrittenPacks",
        "freedBytes",
        "dryRun",
    ] {
        assert!(dry.get(field).is_some(), "IPruneResult.{field}: {dry}");
    }
    assert_eq!(dry["dryRun"], true);
    let real = run_args(&args).ok().json();
    let mut expected = dry.clone();
    expected["dryRun"] = Value::Bool(false);
    assert_eq!(real, expected);
    assert_eq!(real["removedSnapshots"], 2);
    let listed = run_args(&["snapshots", repo.repo(), "--json"]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(verify(&repo, "full").0, 0);
    restore_equals(&repo, &snaps[0].0, &snaps[0].1);
    restore_equals(&repo, &snaps[3].0, &snaps[3].1);
    assert_eq!(
        run_args(&["prune", repo.repo()]).code(),
        2,
        "a policy is required"
    );
}

/// Kills `cairn prune` at many points of its run, each time on a fresh copy of the same
/// repository: the copy verifies fully, the kept snapshots restore, and a second prune
/// completes the job.
#[test]
fn prune_killed_at_any_point_keeps_the_kept_snapshots() {
    let repo = Repo::init(&["--pack-size", "64K", "--parity", "4,1"]);
    let mut snaps = Vec::new();
    for i in 0..5 {
        let data = text_data(2 << 20, 30 + i);
        let input = repo.file("v", &data);
        snaps.push((
            repo.ingest(&[s(&input)])["id"].as_str().unwrap().to_string(),
            data,
        ));
    }
    let kept = &snaps[3..];
    let scratch = repo.work.join("copy");
    let fresh_copy = || {
        let _ = std::fs::remove_dir_all(&scratch);
        copy_tree(&repo.path, &scratch);
    };
    fresh_copy();
    let start = Instant::now();
    run_args(&["prune", s(&scratch), "--keep-last", "2"]).ok();
    let full_run = start.elapsed();
    assert_eq!(
        run_args(&["snapshots", s(&scratch), "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let copy = Repo {
        _dir: tempfile::tempdir().unwrap(),
        path: scratch.clone(),
        work: repo.work.clone(),
    };
    let runs = 12u32;
    let mut killed = 0;
    for i in 0..runs {
        fresh_copy();
        let mut child = cairn(&["prune", s(&scratch), "--keep-last", "2"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full_run.mul_f64((i as f64 + 0.5) / runs as f64));
        let _ = child.kill();
        if !child.wait().unwrap().success() {
            killed += 1;
        }
        let (code, v) = verify(&copy, "full");
        assert_eq!(code, 0, "after kill point {i}: {v}");
        for (id, data) in kept {
            restore_equals(&copy, id, data);
        }
        run_args(&["prune", s(&scratch), "--keep-last", "2"]).ok();
        assert_eq!(
            verify(&copy, "full").0,
            0,
            "after kill point {i} and a second prune"
        );
    }
    assert!(killed > 0);
    println!("crash test: {runs} kill points, {killed} prunes killed");
}
