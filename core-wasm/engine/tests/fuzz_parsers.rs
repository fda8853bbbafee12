//! Fuzzing every parser the engine exposes to repository bytes (issue "Reliability"): pack
//! trailers and entry tables, `.idx` sidecars, index segments, chunk lists, stored blobs
//! (gzip, zstd), snapshot manifests, snapshot records, parity manifests, key files,
//! `config.json`, lock files, storage keys, and the HTTP listing parser.
//!
//! The corpus is real: every file of freshly built repositories (plain and encrypted, each
//! codec), the chunk lists and stored blobs inside their packs, the golden repositories of
//! tests/golden and the captured listings of core-wasm/engine/testdata/listings. Each case
//! mutates one file with a shape-aware mutator (tests/fuzzing/mod.rs) and hands it to the
//! parser of its kind; files named by their SHA-256 are stored under their new hash so the
//! parser behind the name check runs. One case in `CAIRN_FUZZ_ENGINE_EVERY` (default 40)
//! also puts the file into a whole repository and runs open, full verify, listing and
//! restore of every snapshot through the API, and one in ten of those `repair`.
//!
//! A case passes when nothing panics, no allocation passes the ceiling and no case hangs;
//! errors are the expected answer. `CAIRN_FUZZ_EXECS` sets the number of cases (default
//! 20000, about two seconds; README "Campaigns" gives the long run), `CAIRN_FUZZ_SEED` the
//! seed, and `CAIRN_FUZZ_ONLY=N` replays case N alone. `CAIRN_FUZZ_CORPUS=DIR` also writes
//! the corpus as seeds of the coverage-guided long mode (tests/fuzz/coverage.sh).

mod common;
mod fuzzing;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use cairn_core::api::Api;
use cairn_core::codec::{self, Codec};
use cairn_core::config::Config;
use cairn_core::host::Storage;
use cairn_core::ids::{GroupId, SegmentId, SnapshotId};
use cairn_core::keyfile::KeyFile;
use cairn_core::layout::StorageKey;
use cairn_core::lockfile::{Client, LockInfo};
use cairn_core::manifest::{self, ItemTally};
use cairn_core::memory::MemoryHost;
use cairn_core::{groups, http_listing, pack, segments, snapshots, tree, Repository};
use common::trees::{ingest_tree, sample_tree};
use common::*;
use fuzzing::{kind_of, write_corpus, Seed};
use serde_json::{json, Value};

#[global_allocator]
static CEILING: fuzzing::Ceiling = fuzzing::Ceiling;

/// A repository of the corpus: its pristine files and passphrase.
struct Repo {
    objects: BTreeMap<String, Vec<u8>>,
    pw: Option<&'static str>,
}

fn client() -> Client {
    Client {
        hostname: "fuzz".into(),
        pid: 1,
        user: "u".into(),
    }
}

/// Chunk lists and stored blobs inside the packs of a plain repository.
fn blobs_of(objects: &BTreeMap<String, Vec<u8>>, out: &mut Vec<Seed>) {
    for (key, bytes) in objects {
        let Some(StorageKey::Pack(_)) = StorageKey::parse(key) else {
            continue;
        };
        let table = pack::pack_table(bytes).expect("a pack");
        for e in pack::decode_entries(table).expect("its table") {
            let stored = &bytes[e.offset as usize..(e.offset + e.stored_len) as usize];
            if let Ok(plain) = codec::decompress(e.codec, stored, e.raw_len as usize) {
                if e.kind == pack::BlobKind::List {
                    // Directory pieces of trees are list blobs too (docs/FORMAT.md §9b).
                    let label = if tree::decode_piece(&plain).is_ok() {
                        "tree-piece"
                    } else {
                        "list"
                    };
                    out.push(seed(label, plain, None));
                }
            }
            let label = format!("blob-{}-{}", e.codec as u8, e.raw_len);
            out.push(seed(&label, stored.to_vec(), None));
        }
    }
}

fn seed(label: &str, bytes: Vec<u8>, repo: Option<usize>) -> Seed {
    Seed {
        label: label.into(),
        bytes,
        repo,
    }
}

fn corpus() -> (Vec<Seed>, Vec<Repo>) {
    let (mut seeds, mut repos) = (Vec::new(), Vec::new());
    for (pw, codec) in [
        (None, "zstd"),
        (None, "gzip"),
        (None, "none"),
        (Some("pw"), "zstd"),
    ] {
        let host = MemoryHost::new(80);
        let mut args: Value = serde_json::from_str(&init_args(pw)).unwrap();
        args["compression"] = json!(codec);
        args["parity"] = json!({"dataPacks": 2, "parityPacks": 1});
        Api::new(host.clone()).call("init", &args.to_string()).unwrap();
        let mut e = Engine::open(&host, pw);
        e.ingest(
            &[("a", &sample(40_000, 1)), ("b", &sample(3_000, 2))],
            json!({"t": "1"}),
            4096,
        );
        if codec == "zstd" {
            // Trees too: their pieces, long files' lists and version-2 manifests.
            ingest_tree(&mut e, &sample_tree(), "tree", None);
        }
        let lock = e.call("ingest_begin", json!({}));
        let objects = host.clone_objects();
        let _ = e.call("ingest_abort", json!({ "session": lock["session"] }));
        if pw.is_none() {
            blobs_of(&objects, &mut seeds);
        }
        for (key, bytes) in &objects {
            seeds.push(seed(key, bytes.clone(), Some(repos.len())));
        }
        repos.push(Repo { objects, pw });
    }
    golden(&mut seeds);
    // A full chunk list (the format's largest, 8192 entries), as a long item's first list.
    let mut rng = Rng(7);
    let full: Vec<_> = (0..manifest::LIST_MAX_ENTRIES)
        .map(|_| {
            (
                cairn_core::ids::BlobId::new([rng.next() as u8; 32]),
                1 + rng.below(4096) as u32,
            )
        })
        .collect();
    seeds.push(seed("list", manifest::encode_list(&full), None));
    for (name, text) in [
        (
            "listing.html",
            include_str!("../testdata/listings/python-root.html"),
        ),
        (
            "listing.html",
            include_str!("../testdata/listings/nginx-autoindex.html"),
        ),
        (
            "listing.xml",
            include_str!("../testdata/listings/s3-truncated.xml"),
        ),
        ("listing.xml", include_str!("../testdata/listings/s3-all.xml")),
    ] {
        seeds.push(seed(name, text.as_bytes().to_vec(), None));
    }
    (seeds, repos)
}

/// The files of the golden repositories (written by the first release), where the file
/// system can be read.
fn golden(out: &mut Vec<Seed>) {
    #[cfg(target_os = "wasi")]
    let _ = out;
    #[cfg(not(target_os = "wasi"))]
    for repo in ["plain-gzip", "plain-zstd", "encrypted-xaes-gzip", "tree-zstd"] {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/golden")
            .join(repo);
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(&root) {
                    let key = rel.to_string_lossy().replace('\\', "/");
                    out.push(seed(&key, std::fs::read(&path).unwrap(), None));
                }
            }
        }
    }
}

/// Hands one mutated input to the parser of its kind; `repo` is a plain repository's
/// (on `host`), for the parsers behind a name check. Answers whether the parser accepted
/// the input, so that the figures show how deep the mutations reach.
fn parse(label: &str, bytes: &[u8], repo: &Repository<MemoryHost>, host: &MemoryHost) -> bool {
    let store = repo.store();
    let sha = store.sha256(bytes);
    if let Some(rest) = label.strip_prefix("blob-") {
        let (c, raw) = rest.split_once('-').expect("blob-<codec>-<len>");
        let codec = match c {
            "1" => Codec::Gzip,
            "2" => Codec::Zstd,
            _ => Codec::None,
        };
        let _ = codec::decompress(codec, bytes, 1 << 20);
        return codec::decompress(codec, bytes, raw.parse().unwrap()).is_ok();
    }
    let text = || String::from_utf8_lossy(bytes);
    let _ = StorageKey::parse(&text()[..]);
    let put = |key: &StorageKey| host.set_object(&key.to_string(), bytes.to_vec());
    let unput = |key: &StorageKey| host.delete(&key.to_string()).unwrap();
    match (label, StorageKey::parse(label)) {
        ("list", _) => manifest::decode_list(bytes).is_ok(),
        ("tree-piece", _) => tree::decode_piece(bytes).is_ok(),
        ("listing.html", _) => !http_listing::parse_html(&text()).is_empty(),
        ("listing.xml", _) => http_listing::parse_list_objects_v2(&text()).is_ok(),
        (_, Some(StorageKey::Config)) => Config::parse(bytes).is_ok(),
        (_, Some(StorageKey::Key(_))) => KeyFile::parse(label, bytes).is_ok(),
        (_, Some(StorageKey::Lock(_))) => LockInfo::parse(bytes).is_some(),
        (_, Some(StorageKey::Pack(_))) => {
            pack::pack_table(bytes).is_ok_and(|table| pack::decode_entries(table).is_ok())
        }
        (_, Some(StorageKey::PackIndex(id))) => {
            let _ = pack::idx_describes(bytes, &id, bytes);
            pack::decode_idx(bytes).is_ok_and(|(_, table)| pack::decode_entries(table).is_ok())
        }
        (_, Some(StorageKey::Snapshot(_))) => {
            let key = StorageKey::Snapshot(SnapshotId::new(sha));
            put(&key);
            let loaded = snapshots::load(store, SnapshotId::new(sha));
            let ok = loaded.as_ref().is_ok_and(|m| m.check_counts().is_ok());
            for item in loaded.iter().flat_map(|m| &m.items) {
                if let Ok(mut t) = ItemTally::new(item, 4096) {
                    let _ = t.add_list(&[]);
                    let _ = t.finish();
                }
            }
            let _ = snapshots::census(store);
            unput(&key);
            ok
        }
        (_, Some(StorageKey::Segment(_))) => {
            let key = StorageKey::Segment(SegmentId::new(sha));
            put(&key);
            let ok = segments::read(store, &SegmentId::new(sha)).is_ok();
            unput(&key);
            ok
        }
        (_, Some(StorageKey::Group(_))) => {
            let key = StorageKey::Group(GroupId::new(sha));
            put(&key);
            let ok = groups::read_group(store, &GroupId::new(sha)).is_ok();
            unput(&key);
            ok
        }
        (_, Some(StorageKey::Record(_))) => {
            let key = format!("records/{}", hex::encode(sha));
            host.set_object(&key, bytes.to_vec());
            let ok = snapshots::census(store).is_ok_and(|c| c.damaged.is_empty());
            host.delete(&key).unwrap();
            ok
        }
        _ => false,
    }
}

/// The whole engine on a repository with one file replaced (stored under its new hash
/// when its kind is named by one): open, full verify, list, restore every snapshot (at
/// most 64 MiB each), and sometimes repair.
fn engine_case(repo: &Repo, key: &str, bytes: Vec<u8>, repair: bool) {
    let host = MemoryHost::new(81);
    host.restore_objects(&repo.objects);
    let renamed = |dir: &str| format!("{dir}{}", hex::encode(cairn_core::crypto::soft_sha256(&bytes)));
    let target = match StorageKey::parse(key) {
        Some(StorageKey::Snapshot(_)) => renamed("snapshots/"),
        Some(StorageKey::Segment(_)) => renamed("index/"),
        Some(StorageKey::Record(_)) => renamed("records/"),
        Some(StorageKey::Group(_)) => renamed("parity/"),
        _ => key.to_string(),
    };
    host.delete(key).unwrap();
    host.set_object(&target, bytes);
    let mut api = Api::new(host.clone());
    let open = repo.pw.map_or(json!({}), |p| json!({ "passphrase": p }));
    if api.call("open", &open.to_string()).is_err() {
        return;
    }
    let _ = api.call("verify", r#"{"level": "full"}"#);
    let Ok(list) = api.call("list_snapshots", "{}") else {
        return;
    };
    let list: Value = serde_json::from_str(&list).unwrap();
    for s in list.as_array().into_iter().flatten() {
        let Ok(r) = api.call("restore_begin", &json!({ "snapshot": s["id"] }).to_string()) else {
            continue;
        };
        let session = serde_json::from_str::<Value>(&r).unwrap()["session"]
            .as_u64()
            .unwrap() as u32;
        let mut total = 0usize;
        while let Ok(b) = api.read(session) {
            total += b.len();
            if b.is_empty() || total > 64 << 20 {
                break;
            }
        }
        let _ = api.call("restore_end", &json!({ "session": session }).to_string());
        walk_trees(&mut api, s);
    }
    if repair {
        let _ = api.call("repair", "{}");
        let _ = api.call("verify", r#"{"level": "full"}"#);
    }
}

/// Walks every tree item of snapshot `s` to its end (file bytes included, at most 64 MiB),
/// as `ls -R` and a restore into a directory do.
fn walk_trees(api: &mut Api<MemoryHost>, s: &Value) {
    // Stream items are refused by `walk_begin`; every tree item is walked.
    for item in s["items"].as_array().into_iter().flatten() {
        let args = json!({ "snapshot": s["id"], "item": item["name"] });
        let Ok(w) = api.call("walk_begin", &args.to_string()) else {
            continue;
        };
        let session = serde_json::from_str::<Value>(&w).unwrap()["session"]
            .as_u64()
            .unwrap() as u32;
        let (mut total, mut steps) = (0usize, 0u32);
        let step = json!({ "session": session }).to_string();
        while let Ok(next) = api.call("walk_next", &step) {
            steps += 1;
            if next == "null" || steps > 100_000 {
                break;
            }
            while let Ok(b) = api.read(session) {
                total += b.len();
                if b.is_empty() || total > 64 << 20 {
                    break;
                }
            }
        }
        let _ = api.call("restore_end", &step);
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn every_parser_survives_mutated_repository_files() {
    let default_execs = if cfg!(target_os = "wasi") { 600 } else { 20_000 };
    let execs = env("CAIRN_FUZZ_EXECS", default_execs);
    let engine_every = env("CAIRN_FUZZ_ENGINE_EVERY", 40).max(1);
    let base = env("CAIRN_FUZZ_SEED", 0xF022);
    // `CAIRN_FUZZ_ONLY=N` replays case N alone, and writes its input to a temp file.
    let only = std::env::var("CAIRN_FUZZ_ONLY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    let (seeds, repos) = corpus();
    if let Ok(dir) = std::env::var("CAIRN_FUZZ_CORPUS") {
        write_corpus(std::path::Path::new(&dir), &seeds);
    }
    let scratch = MemoryHost::new(82);
    Api::new(scratch.clone()).call("init", &init_args(None)).unwrap();
    let repo = Repository::open(scratch.clone(), None, client()).unwrap();
    fuzzing::watchdog(20_000);
    let started = std::time::Instant::now();
    let (mut per_kind, mut engine_cases) = (BTreeMap::<&str, (u64, u64)>::new(), 0u64);
    let kinds: Vec<&str> = seeds
        .iter()
        .map(|s| kind_of(&s.label))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut panics = Vec::new();
    for n in 0..execs {
        let mut rng = Rng((base ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1);
        // Every kind equally often, whatever its number of files.
        // A whole-engine case takes a file of a corpus repository.
        let whole = n % engine_every == 0;
        let k = kinds[rng.below(kinds.len())];
        let of_kind: Vec<&Seed> = seeds
            .iter()
            .filter(|s| kind_of(&s.label) == k && (!whole || s.repo.is_some()))
            .collect();
        let Some(&s) = of_kind.get(rng.below(of_kind.len())) else {
            continue;
        };
        let other = &seeds[rng.below(seeds.len())].bytes;
        let fix = matches!(
            StorageKey::parse(&s.label),
            Some(StorageKey::Config | StorageKey::Key(_))
        );
        let fix = fix && rng.below(2) == 0;
        let input = fuzzing::mutate(&mut rng, &s.bytes, other, fix);
        if only.is_some_and(|o| o != n) {
            continue;
        }
        if only.is_some() {
            println!(
                "case {n}: a mutated {} ({} bytes), whole engine: {whole}",
                s.label,
                input.len()
            );
            std::fs::write(std::env::temp_dir().join(format!("cairn-fuzz-{n}")), &input).unwrap();
        }
        per_kind.entry(k).or_default().0 += 1;
        fuzzing::enter(n);
        let run = catch_unwind(AssertUnwindSafe(|| {
            if parse(&s.label, &input, &repo, &scratch) {
                per_kind.entry(k).or_default().1 += 1;
            }
            if let Some(r) = s.repo.filter(|_| whole) {
                engine_cases += 1;
                engine_case(&repos[r], &s.label, input.clone(), n % (engine_every * 10) == 0);
            }
        }));
        if run.is_err() {
            panics.push(format!(
                "case {n} (CAIRN_FUZZ_SEED={base}): a mutated {}",
                s.label
            ));
        }
    }
    fuzzing::CASE_STARTED_MS.store(0, std::sync::atomic::Ordering::Relaxed);
    println!(
        "{execs} cases ({engine_cases} through the whole engine) in {:.1} s, {} seeds; by kind (cases, accepted by the parser): {per_kind:?}",
        started.elapsed().as_secs_f64(),
        seeds.len()
    );
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
}
