//! Errors name the damaged object and the remedy that works (issue 12, hole 5): a damaged
//! `.idx` alone does not make verify call items unrestorable, and an index segment that
//! places a blob wrongly is named, with `repair` as the remedy. They also run compiled to
//! wasm32 (see tests/run).

use cairn_core::host::Storage;
use cairn_core::index::{decode_segment, encode_segment};
use cairn_core::layout::{self, StorageKey};
use cairn_core::memory::MemoryHost;
use serde_json::{json, Value};
use sha2::Digest;

use crate::common;
use common::{assert_ok, data_packs, id_of, keys_under, sample, small_repo, verify};

fn errors(v: &Value) -> String {
    v["errors"].to_string()
}

#[test]
fn a_damaged_idx_alone_leaves_items_restorable_and_says_repair() {
    let host = MemoryHost::new(71);
    let mut e = small_repo(&host, None);
    let data = sample(50_000, 6);
    let snap = e.ingest(&[("db", &data)], json!({}), 9000);
    let pristine = host.clone_objects();
    let idx = StorageKey::PackIndex(data_packs(&host)[0]).to_string();
    for damage in ["flip", "delete"] {
        host.restore_objects(&pristine);
        match damage {
            "flip" => {
                let mut b = host.object(&idx).unwrap();
                b[10] ^= 1;
                host.set_object(&idx, b);
            }
            _ => host.delete(&idx).unwrap(),
        }
        let v = verify(&mut e, "standard");
        let text = errors(&v);
        assert_eq!(v["ok"], false, "{damage}: {v:#}");
        assert!(
            text.contains("restores are unaffected") && text.contains("run `repair`"),
            "{damage}: {text}"
        );
        assert!(!text.contains("cannot be restored"), "{damage}: {text}");
        assert_eq!(e.restore(&id_of(&snap), None), data, "{damage}: restore works");
        e.call("repair", json!({}));
        assert_ok(&verify(&mut e, "full"));
    }
}

#[test]
fn a_segment_placing_a_blob_wrongly_is_named_with_repair_as_the_remedy() {
    let host = MemoryHost::new(72);
    let mut e = small_repo(&host, None);
    let data = sample(50_000, 7);
    let snap = e.ingest(&[("db", &data)], json!({}), 9000);
    // Rewrite the (plain) segment so that a pack's second blob is placed at its first's.
    let seg = keys_under(&host, layout::INDEX)[0].clone();
    let stored = host.object(&seg).unwrap();
    let (supersedes, mut packs) = decode_segment(&stored[8..]).unwrap();
    let record = packs.iter_mut().find(|p| p.entries.len() >= 2).unwrap();
    let (offset, len) = (record.entries[0].offset, record.entries[0].stored_len);
    record.entries[1].offset = offset;
    record.entries[1].stored_len = len;
    let moved = record.entries[1].id;
    let mut bad = stored[..8].to_vec();
    bad.extend_from_slice(&encode_segment(&supersedes, &packs));
    let bad_key = format!("{}{}", layout::INDEX, hex::encode(sha2::Sha256::digest(&bad)));
    host.delete(&seg).unwrap();
    host.set_object(&bad_key, bad);
    let v = verify(&mut e, "standard");
    let text = errors(&v);
    assert!(
        text.contains(&format!("index segment {bad_key} places 1 blobs")),
        "{text}"
    );
    assert!(
        text.contains("run `repair`") && !text.contains("index/ "),
        "{text}"
    );
    assert!(text.contains(&moved.to_hex()), "{text}");
    assert_eq!(e.call("repair", json!({}))["indexRebuilt"], true);
    assert_ok(&verify(&mut e, "full"));
    assert_eq!(e.restore(&id_of(&snap), None), data);
}
