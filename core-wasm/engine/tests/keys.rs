//! What encryption hides and what keys allow, through [`Api`] on the in-memory host: no
//! content, name or size in clear, passphrases added, listed and removed but never the last.
//! They also run compiled to wasm32 (see tests/run).

use cairn_core::api::Api;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::{json, Value};

use crate::common;
use common::{id_of, Engine};

#[test]
fn encrypted_repositories_reveal_no_content() {
    let host = MemoryHost::new(20);
    let mut e = Engine::init(&host, Some("pw"));
    let secret = b"TOP-SECRET-MARKER-0123456789 ".repeat(5000);
    let s = e.ingest(
        &[("secret-item-name", &secret)],
        json!({ "secret-tag": "v" }),
        4096,
    );
    let plain_id = cairn_core::crypto::soft_sha256(&secret[..]);
    for key in host.keys() {
        let obj = host.object(&key).unwrap();
        for needle in [
            &b"TOP-SECRET"[..],
            b"secret-item-name",
            b"secret-tag",
            b"originalSize",
        ] {
            assert!(
                !obj.windows(needle.len()).any(|w| w == needle),
                "{key} shows {:?}",
                String::from_utf8_lossy(needle)
            );
        }
        assert!(!key.contains(&hex::encode(plain_id)));
    }
    assert_eq!(e.restore(&id_of(&s), None), secret);
}

#[test]
fn keys_can_be_added_listed_and_removed_but_not_the_last() {
    let host = MemoryHost::new(21);
    let mut e = Engine::init(&host, Some("first"));
    let added = e.call("key_add", json!({ "passphrase": "second" }))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let keys = e.call("key_list", json!({}));
    assert_eq!(keys.as_array().unwrap().len(), 2);
    let current: Vec<&Value> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_ne!(current[0]["id"], added.as_str());
    let first_id = current[0]["id"].as_str().unwrap().to_string();
    // The key in use cannot be removed; from the other one it can.
    assert_eq!(
        e.err("key_remove", json!({ "id": first_id })),
        ErrorCode::InvalidArgument
    );
    let mut e2 = Engine::open(&host, Some("second"));
    e2.call("key_remove", json!({ "id": &first_id[..10] }));
    assert_eq!(
        Api::new(host.clone())
            .call("open", r#"{"passphrase": "first"}"#)
            .unwrap_err()
            .code(),
        ErrorCode::WrongPassphrase
    );
    assert_eq!(e2.err("key_remove", json!({ "id": added })), ErrorCode::LastKey);
    assert_eq!(
        e2.err("key_remove", json!({ "id": "abcdef" })),
        ErrorCode::KeyNotFound
    );
    let mut plain = Engine::init(&MemoryHost::new(22), None);
    assert_eq!(plain.err("key_list", json!({})), ErrorCode::InvalidArgument);
}
