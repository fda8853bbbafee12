//! `config.json` and key files carry a checksum line (docs/FORMAT.md §3a), so that any
//! change to their bytes is found, including changes to fields nothing else checks (a
//! creation time, a host name, the final newline), which the corruption campaign found
//! unnoticed. Files from before checksums still read.

use crate::common;

use cairn_core::api::Api;
use cairn_core::layout;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use common::*;
use serde_json::json;

fn open_code(host: &MemoryHost, pw: Option<&str>) -> Option<ErrorCode> {
    let args = pw.map_or(json!({}), |p| json!({ "passphrase": p }));
    Api::new(host.clone())
        .call("open", &args.to_string())
        .err()
        .map(|e| e.code())
}

#[test]
fn every_changed_byte_of_config_json_is_refused() {
    for pw in [None, Some("pw")] {
        let host = MemoryHost::new(70);
        let mut e = Engine::init(&host, pw);
        let snap = e.ingest(&[("a", &sample(9_000, 1))], json!({}), 4096);
        let good = host.object(layout::CONFIG).unwrap();
        assert!(good.starts_with(b"{\n  \"checksum\": \""));
        let mut cases: Vec<Vec<u8>> = (0..good.len())
            .map(|at| {
                let mut bad = good.clone();
                bad[at] ^= 1 << (at % 8);
                bad
            })
            .collect();
        cases.push(good[..good.len() - 1].to_vec()); // the final newline
        let text = String::from_utf8(good.clone()).unwrap();
        cases.push(
            text.replacen("\"createdAt\": \"2", "\"createdAt\": \"3", 1)
                .into_bytes(),
        );
        for (n, bad) in cases.iter().enumerate() {
            host.set_object(layout::CONFIG, bad.clone());
            let code = open_code(&host, pw);
            assert!(
                matches!(
                    code,
                    Some(ErrorCode::CorruptConfig | ErrorCode::UnsupportedVersion)
                ),
                "case {n} ({}): {code:?}",
                String::from_utf8_lossy(bad)
            );
        }
        host.set_object(layout::CONFIG, good);
        assert_eq!(
            Engine::open(&host, pw).restore(&id_of(&snap), None),
            sample(9_000, 1)
        );
    }
}

#[test]
fn a_damaged_key_file_is_reported_by_verify_while_another_opens_the_repository() {
    let host = MemoryHost::new(71);
    let mut e = Engine::init(&host, Some("first"));
    let second = e.call("key_add", json!({ "passphrase": "second" }))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let key = format!("keys/{second}");
    let good = host.object(&key).unwrap();
    let mut e = Engine::open(&host, Some("first"));
    assert_ok(&verify(&mut e, "quick"));
    let text = String::from_utf8(good.clone()).unwrap();
    let host_at = text.find("\"hostname\": \"h\"").unwrap() + 13;
    for at in (0..good.len()).step_by(7).chain([host_at, good.len() - 1]) {
        let mut bad = good.clone();
        bad[at] ^= 1 << (at % 8);
        host.set_object(&key, bad);
        let v = verify(&mut e, "quick");
        let errors = v["errors"].as_array().unwrap();
        assert!(
            errors.len() == 1 && errors[0]["error"].as_str().unwrap().contains(&key),
            "byte {at}: {v}"
        );
    }
    host.set_object(&key, good[..good.len() - 1].to_vec());
    assert!(!verify(&mut e, "quick")["ok"].as_bool().unwrap());
    // `key list` names the damaged file, and `key remove` removes it.
    assert_eq!(e.err("key_list", json!({})), ErrorCode::CorruptKey);
    e.call("key_remove", json!({ "id": second }));
    assert_ok(&verify(&mut e, "quick"));
    assert_eq!(e.err("key_remove", json!({ "id": "" })), ErrorCode::KeyNotFound);
}

/// The file as writers wrote it before checksums: the same JSON without the first field.
fn without_checksum(bytes: &[u8]) -> Vec<u8> {
    let line_end = bytes.iter().position(|&b| b == b'\n').unwrap();
    let second_end = line_end + 1 + bytes[line_end + 1..].iter().position(|&b| b == b'\n').unwrap();
    [&bytes[..=line_end], &bytes[second_end + 1..]].concat()
}

#[test]
fn files_from_before_checksums_read_unless_they_hold_unknown_fields() {
    let host = MemoryHost::new(72);
    let mut e = Engine::init(&host, Some("pw"));
    let snap = e.ingest(&[("a", &sample(5_000, 2))], json!({}), 4096);
    let key = keys_under(&host, layout::KEYS).pop().unwrap();
    let (config, keyfile) = (host.object(layout::CONFIG).unwrap(), host.object(&key).unwrap());
    let old_config = without_checksum(&config);
    let old_key = without_checksum(&keyfile);
    assert!(old_config.starts_with(b"{\n  \"format\": \"cairn\",\n"));
    assert!(old_key.starts_with(b"{\n  \"version\": 1,\n"));
    host.set_object(layout::CONFIG, old_config.clone());
    host.set_object(&key, old_key.clone());
    let mut e = Engine::open(&host, Some("pw"));
    assert_eq!(e.restore(&id_of(&snap), None), sample(5_000, 2));
    assert_ok(&verify(&mut e, "full"));
    // A damaged field name in an old file is a field no writer writes.
    let odd = String::from_utf8(old_key.clone())
        .unwrap()
        .replace("\"normalization\"", "\"normalizatioN\"");
    host.set_object(&key, odd.into_bytes());
    assert_eq!(open_code(&host, Some("pw")), Some(ErrorCode::CorruptKey));
    host.set_object(&key, old_key);
    let odd = String::from_utf8(config)
        .unwrap()
        .replace("\"checksum\"", "\"checksuM\"");
    host.set_object(layout::CONFIG, odd.into_bytes());
    assert_eq!(open_code(&host, Some("pw")), Some(ErrorCode::CorruptConfig));
}
