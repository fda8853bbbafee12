//! One libFuzzer target for every pure parser of repository bytes: the first byte picks
//! the parser, the rest is its input (the seeds written by
//! core-wasm/engine/tests/fuzz_parsers.rs with `CAIRN_FUZZ_CORPUS` use the same first
//! byte, see `SELECTORS` there). A panic, an allocation libFuzzer finds too large
//! (`-rss_limit_mb`, `-malloc_limit_mb`) or a time-out is a finding.
#![no_main]

use cairn_core::codec::{self, Codec};
use cairn_core::config::Config;
use cairn_core::keyfile::KeyFile;
use cairn_core::layout::StorageKey;
use cairn_core::lockfile::LockInfo;
use cairn_core::manifest::{self, ItemTally, Manifest};
use cairn_core::parity::GroupManifest;
use cairn_core::{http_listing, index, pack};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let text = || String::from_utf8_lossy(bytes);
    match which % 15 {
        0 => drop(Config::parse(bytes)),
        1 => drop(KeyFile::parse("keys/x", bytes)),
        2 => drop(LockInfo::parse(bytes)),
        3 => {
            if let Ok(table) = pack::pack_table(bytes) {
                let _ = pack::decode_entries(table);
            }
        }
        4 => {
            if let Ok((_, table)) = pack::decode_idx(bytes) {
                let _ = pack::decode_entries(table);
            }
        }
        5 => drop(index::decode_segment(bytes)),
        6 => drop(manifest::decode_list(bytes)),
        7 => drop(GroupManifest::parse(bytes)),
        8 => drop(http_listing::parse_html(&text())),
        9 => drop(http_listing::parse_list_objects_v2(&text())),
        10 | 11 if bytes.len() >= 4 => {
            let raw = u32::from_le_bytes(bytes[..4].try_into().unwrap()).min(pack::MAX_RAW_LEN);
            let codec = if which % 14 == 10 {
                Codec::Gzip
            } else {
                Codec::Zstd
            };
            let _ = codec::decompress(codec, &bytes[4..], raw as usize);
        }
        12 => {
            if let Ok(m) = serde_json::from_slice::<Manifest>(bytes) {
                let _ = m.check_counts();
                for item in &m.items {
                    if let Ok(mut t) = ItemTally::new(item, 16 << 20) {
                        let _ = t.add_list(&[]);
                        let _ = t.finish();
                    }
                }
            }
        }
        14 => drop(cairn_core::tree::decode_piece(bytes)),
        _ => drop(StorageKey::parse(&text())),
    }
});
