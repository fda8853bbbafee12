//! What goes wrong, through [`Api`] on the in-memory host: damage named with its file,
//! unknown format versions, a full disk, an aborted ingest and invalid requests each give a
//! clear error and lose nothing. They also run compiled to wasm32 (see tests/run).

use cairn_core::api::Api;
use cairn_core::faults::FaultyHost;
use cairn_core::host::Storage;
use cairn_core::ids::SnapshotId;
use cairn_core::layout::{self, StorageKey};
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::{json, Value};

use crate::common;
use common::{id_of, init_args, sample, Engine};

#[test]
fn damage_is_reported_with_the_file_it_is_in() {
    let host = MemoryHost::new(23);
    let mut e = Engine::init(&host, None);
    let data = sample(100_000, 10);
    let id = id_of(&e.ingest(&[("x", &data)], json!({}), 8192));
    let packs: Vec<String> = host.keys().into_iter().filter(|k| k.ends_with(".pack")).collect();

    // A flipped bit in a pack.
    let mut bytes = host.object(&packs[0]).unwrap();
    bytes[20] ^= 1;
    host.set_object(&packs[0], bytes.clone());
    let mut r = Engine::open(&host, None);
    let s = r.call("restore_begin", json!({ "snapshot": id }))["session"]
        .as_u64()
        .unwrap() as u32;
    let err = (0..1000)
        .find_map(|_| r.api.read(s).err())
        .expect("damage is detected");
    assert_eq!(err.code(), ErrorCode::CorruptPack);
    assert!(err.to_string().contains(&packs[0]), "{err}");
    bytes[20] ^= 1;
    host.set_object(&packs[0], bytes);

    // A missing pack.
    let saved = host.object(&packs[1]).unwrap();
    host.delete(&packs[1]).unwrap();
    let mut r = Engine::open(&host, None);
    let s = r.call("restore_begin", json!({ "snapshot": id }))["session"]
        .as_u64()
        .unwrap() as u32;
    let err = (0..1000).find_map(|_| r.api.read(s).err()).unwrap();
    assert!(
        err.code() == ErrorCode::CorruptPack && err.to_string().contains("missing"),
        "{err}"
    );
    host.set_object(&packs[1], saved);

    // A damaged index segment.
    let seg = host.keys().into_iter().find(|k| k.starts_with("index/")).unwrap();
    let saved = host.object(&seg).unwrap();
    host.set_object(&seg, b"garbage".to_vec());
    let mut r = Engine::open(&host, None);
    let err = r
        .api
        .call("restore_begin", &json!({ "snapshot": id }).to_string())
        .unwrap_err();
    assert!(
        err.code() == ErrorCode::CorruptIndex && err.to_string().contains(&seg),
        "{err}"
    );
    // A missing index: chunks cannot be found.
    host.delete(&seg).unwrap();
    let mut r = Engine::open(&host, None);
    let s = r.call("restore_begin", json!({ "snapshot": id }))["session"]
        .as_u64()
        .unwrap() as u32;
    assert_eq!(r.api.read(s).unwrap_err().code(), ErrorCode::ChunkNotFound);
    host.set_object(&seg, saved);

    // A damaged manifest.
    let man = StorageKey::Snapshot(SnapshotId::parse(&id).unwrap()).to_string();
    let mut bytes = host.object(&man).unwrap();
    bytes.truncate(bytes.len() / 2);
    host.set_object(&man, bytes);
    let mut r = Engine::open(&host, None);
    let err = r
        .api
        .call("get_snapshot", &json!({ "id": id }).to_string())
        .unwrap_err();
    assert!(
        err.code() == ErrorCode::CorruptSnapshot && err.to_string().contains(&man),
        "{err}"
    );
    assert_eq!(r.err("list_snapshots", json!({})), ErrorCode::CorruptSnapshot);
}

#[test]
fn an_unknown_format_version_is_refused_clearly() {
    let host = MemoryHost::new(24);
    Engine::init(&host, None);
    let mut cfg: Value = serde_json::from_slice(&host.object("config.json").unwrap()).unwrap();
    cfg["version"] = json!(7);
    host.set_object("config.json", cfg.to_string().into_bytes());
    let err = Api::new(host).call("open", "{}").unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnsupportedVersion);
    assert!(err.to_string().contains("version 7"), "{err}");
}

#[test]
fn a_full_disk_fails_the_ingest_cleanly_and_loses_nothing() {
    let mem = MemoryHost::new(25);
    let disk = FaultyHost::new(&mem);
    let mut api = Api::new(disk.clone());
    api.call("init", &init_args(None)).unwrap();
    let v1 = sample(100_000, 11);
    let s = 1;
    api.call("ingest_begin", "{}").unwrap();
    api.write(s, &v1).unwrap();
    let first: Value =
        serde_json::from_str(&api.call("ingest_finish", r#"{"session": 1}"#).unwrap()).unwrap();

    disk.disk_space(30_000);
    api.call("ingest_begin", "{}").unwrap();
    let err = (0..100)
        .find_map(|i| api.write(2, &sample(10_000, 100 + i)).err())
        .expect("the disk fills up");
    assert_eq!(err.code(), ErrorCode::StorageError);
    assert!(err.to_string().contains("No space left"), "{err}");
    assert_eq!(
        api.write(2, b"more").unwrap_err().code(),
        ErrorCode::InvalidArgument,
        "a failed session stays failed"
    );
    api.call("ingest_abort", r#"{"session": 2}"#).unwrap();
    disk.heal();

    let mut e = Engine::open(&mem, None);
    assert_eq!(e.call("list_snapshots", json!({})).as_array().unwrap().len(), 1);
    assert_eq!(e.restore(&id_of(&first), None), v1);
    assert!(mem.list(layout::LOCKS).unwrap().is_empty());
}

#[test]
fn an_aborted_ingest_leaves_earlier_snapshots_whole() {
    let host = MemoryHost::new(26);
    let mut e = Engine::init(&host, None);
    let v1 = sample(80_000, 12);
    let first = e.ingest(&[("x", &v1)], json!({}), 4096);
    let s = e.begin(json!({}));
    e.api.write(s, &sample(200_000, 13)).unwrap();
    e.call("ingest_abort", json!({ "session": s }));
    assert_eq!(e.call("list_snapshots", json!({})).as_array().unwrap().len(), 1);
    assert_eq!(e.restore(&id_of(&first), None), v1);
    assert_eq!(
        e.err("ingest_finish", json!({ "session": s })),
        ErrorCode::SessionNotFound
    );
}

#[test]
fn requests_are_validated() {
    let mut api = Api::new(MemoryHost::new(27));
    assert_eq!(
        api.call("list_snapshots", "{}").unwrap_err().code(),
        ErrorCode::InvalidArgument,
        "not open"
    );
    assert_eq!(
        api.call("open", "{}").unwrap_err().code(),
        ErrorCode::RepositoryNotFound
    );
    assert_eq!(
        api.call("frobnicate", "{}").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        api.call("init", "not json").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    api.call("init", "").unwrap();
    assert_eq!(
        api.call("init", "").unwrap_err().code(),
        ErrorCode::InvalidArgument,
        "already open"
    );
    assert_eq!(
        api.write(99, b"x").unwrap_err().code(),
        ErrorCode::SessionNotFound
    );
    assert_eq!(api.read(99).unwrap_err().code(), ErrorCode::SessionNotFound);
    let info: Value = serde_json::from_str(&api.call("info", "").unwrap()).unwrap();
    assert_eq!(info["compression"]["codec"], "zstd");
    assert_eq!(info["packSize"], 8 << 20);
    assert_eq!(info["chunking"]["avg"], 256 << 10);
    api.call("close", "").unwrap();
    assert_eq!(
        api.call("info", "").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
}
