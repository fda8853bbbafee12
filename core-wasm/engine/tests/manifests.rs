//! Hostile snapshot manifests in a plain repository (docs/FORMAT.md §9): lists repeated
//! beyond the declared size, impossible sizes, wrong counts and duplicate names. Restore
//! stops with `CorruptSnapshot` before handing out bytes the manifest does not declare, and
//! verify reports each one. They also run compiled to wasm32 (see tests/run).

use cairn_core::host::Storage;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::{json, Value};
use sha2::Digest;

use crate::common;
use common::{id_of, init_args, sample, verify, Engine};

/// A change to a manifest's JSON.
type Edit<'a> = Box<dyn Fn(&mut Value) + 'a>;

/// Rewrites the plain manifest of snapshot `id` with `edit`; answers the new snapshot's id.
fn rewrite(host: &MemoryHost, id: &str, edit: impl FnOnce(&mut Value)) -> String {
    let key = format!("snapshots/{id}");
    let mut v: Value = serde_json::from_slice(&host.object(&key).unwrap()).unwrap();
    edit(&mut v);
    let bytes = serde_json::to_vec(&v).unwrap();
    let new = hex::encode(sha2::Sha256::digest(&bytes));
    host.delete(&key).unwrap();
    host.set_object(&format!("snapshots/{new}"), bytes);
    new
}

/// Restores `id`; answers the bytes handed out before the error, and the error's code.
fn restore_error(e: &mut Engine, id: &str) -> (u64, ErrorCode) {
    let args = json!({ "snapshot": id }).to_string();
    let begun = match e.api.call("restore_begin", &args) {
        Ok(r) => serde_json::from_str::<Value>(&r).unwrap(),
        Err(err) => return (0, err.code()),
    };
    let s = begun["session"].as_u64().unwrap() as u32;
    let mut out = 0u64;
    loop {
        match e.api.read(s) {
            Ok(block) if block.is_empty() => panic!("restored {out} bytes to the end without an error"),
            Ok(block) => out += block.len() as u64,
            Err(err) => return (out, err.code()),
        }
        assert!(out < 100 << 20, "streams far beyond the declared size");
    }
}

/// A plain repository with one snapshot of an item of two chunk lists (the smallest
/// chunks the format allows, 256 bytes on average, so 3 MB is about 12 000 chunks);
/// answers its id and size.
fn repo(host: &MemoryHost) -> (Engine, String, u64) {
    let mut args: Value = serde_json::from_str(&init_args(None)).unwrap();
    args["chunking"] = json!({ "min": 64, "avg": 256, "max": 1024 });
    let mut api = cairn_core::api::Api::new(host.clone());
    api.call("init", &args.to_string()).unwrap();
    let mut e = Engine { api };
    let data = sample(3_000_000, 5);
    let snap = e.ingest(&[("db", &data)], json!({}), 1 << 20);
    assert_eq!(snap["items"][0]["chunkCount"].as_u64().unwrap().div_ceil(8192), 2);
    (e, id_of(&snap), data.len() as u64)
}

fn verify_says(e: &mut Engine, words: &str) {
    let v = verify(e, "quick");
    assert_eq!(v["ok"], false, "{v:#}");
    assert!(v["errors"].to_string().contains(words), "{words}: {v:#}");
}

#[test]
fn a_repeated_chunk_list_stops_the_restore_at_the_declared_size() {
    let host = MemoryHost::new(61);
    let (mut e, id, size) = repo(&host);
    let pristine = host.clone_objects();
    // The first list repeated a thousand times, the counts left as they were: refused
    // before a byte is restored.
    let bad = rewrite(&host, &id, |v| {
        let first = v["items"][0]["lists"][0].clone();
        v["items"][0]["lists"] = Value::Array(vec![first; 1000]);
    });
    assert_eq!(restore_error(&mut e, &bad), (0, ErrorCode::CorruptSnapshot));
    verify_says(&mut e, "chunk lists");
    // The first list in place of the second, the counts consistent with two full lists:
    // the restore hands out the first list's bytes and stops at the second, before more
    // than the declared size.
    host.restore_objects(&pristine);
    let bad = rewrite(&host, &id, |v| {
        let first = v["items"][0]["lists"][0].clone();
        v["items"][0]["lists"][1] = first;
    });
    let (out, code) = restore_error(&mut e, &bad);
    assert_eq!(code, ErrorCode::CorruptSnapshot);
    assert!(out < size, "{out} of {size}");
    verify_says(&mut e, "more chunks or bytes than the manifest declares");
}

#[test]
fn impossible_sizes_wrong_counts_and_duplicate_names_are_refused() {
    let host = MemoryHost::new(62);
    let (mut e, id, size) = repo(&host);
    let pristine = host.clone_objects();
    let cases: Vec<(&str, Edit)> = vec![
        (
            "declares 18446744073709551615 bytes",
            Box::new(|v| {
                v["items"][0]["size"] = json!(u64::MAX);
                v["originalSize"] = json!(u64::MAX);
            }),
        ),
        (
            "fewer chunks and 1 fewer bytes",
            Box::new(move |v| {
                v["items"][0]["size"] = json!(size + 1);
                v["originalSize"] = json!(size + 1);
            }),
        ),
        (
            "the snapshot says",
            Box::new(|v| v["chunkCount"] = json!(v["chunkCount"].as_u64().unwrap() + 1)),
        ),
        (
            "two items are named `db`",
            Box::new(move |v| {
                let item = v["items"][0].clone();
                v["items"].as_array_mut().unwrap().push(item);
                v["chunkCount"] = json!(v["chunkCount"].as_u64().unwrap() * 2);
                v["newChunks"] = json!(v["newChunks"].as_u64().unwrap() * 2);
                v["originalSize"] = json!(size * 2);
            }),
        ),
    ];
    for (words, edit) in cases {
        host.restore_objects(&pristine);
        let bad = rewrite(&host, &id, edit);
        let (out, code) = restore_error(&mut e, &bad);
        assert_eq!(code, ErrorCode::CorruptSnapshot, "{words}");
        assert!(out <= size, "{words}: {out} bytes");
        verify_says(&mut e, words);
    }
    host.restore_objects(&pristine);
    assert_eq!(verify(&mut e, "quick")["ok"], true);
}
