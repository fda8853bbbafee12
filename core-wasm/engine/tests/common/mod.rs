//! Helpers the engine's scenario tests share: an [`Engine`] driving [`Api`] on the
//! in-memory host, and deterministic sample data.
#![allow(dead_code)]

use cairn_core::api::Api;
use cairn_core::host::Storage;
use cairn_core::ids::PackId;
use cairn_core::layout::{self, StorageKey};
use cairn_core::memory::MemoryHost;
use cairn_core::parity::GroupManifest;
use cairn_core::{ops, ErrorCode};
use serde_json::{json, Value};

pub mod trees;

const FAST_KDF: &str = r#"{"memoryKiB": 64, "iterations": 1, "parallelism": 1}"#;

pub fn init_args(passphrase: Option<&str>) -> String {
    let mut v: Value = serde_json::from_str(&format!(
        r#"{{"chunking": {{"min": 256, "avg": 1024, "max": 4096}}, "packSize": 16384, "kdf": {FAST_KDF},
            "client": {{"hostname": "h", "pid": 1, "user": "u"}}}}"#
    ))
    .unwrap();
    if let Some(p) = passphrase {
        v["passphrase"] = json!(p);
    }
    v.to_string()
}

/// Pseudo-random text with repetition: compressible, and chunks differently everywhere.
pub fn sample(len: usize, seed: u64) -> Vec<u8> {
    let words = [
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(words[(x % 10) as usize].as_bytes());
        out.extend_from_slice(format!(" {} ", x % 1000).as_bytes());
    }
    out.truncate(len);
    out
}

pub struct Engine {
    pub api: Api<MemoryHost>,
}

impl Engine {
    pub fn init(host: &MemoryHost, passphrase: Option<&str>) -> Engine {
        let mut api = Api::new(host.clone());
        api.call("init", &init_args(passphrase)).unwrap();
        Engine { api }
    }

    pub fn open(host: &MemoryHost, passphrase: Option<&str>) -> Engine {
        let mut api = Api::new(host.clone());
        let args = match passphrase {
            Some(p) => json!({ "passphrase": p }).to_string(),
            None => "{}".into(),
        };
        api.call("open", &args).unwrap();
        Engine { api }
    }

    pub fn call(&mut self, op: &str, args: Value) -> Value {
        serde_json::from_str(&self.api.call(op, &args.to_string()).unwrap()).unwrap()
    }

    /// The code of the error `op` fails with; it must be one the operation table declares.
    pub fn err(&mut self, op: &str, args: Value) -> ErrorCode {
        let code = self.api.call(op, &args.to_string()).unwrap_err().code();
        assert_declared(op, code);
        code
    }

    pub fn begin(&mut self, tags: Value) -> u32 {
        self.call("ingest_begin", json!({ "tags": tags }))["session"]
            .as_u64()
            .unwrap() as u32
    }

    /// Ingests named items, each written in pieces of `piece` bytes.
    pub fn ingest(&mut self, items: &[(&str, &[u8])], tags: Value, piece: usize) -> Value {
        let s = self.begin(tags);
        for (name, data) in items {
            self.call("ingest_item", json!({ "session": s, "name": name }));
            for p in data.chunks(piece.max(1)) {
                self.api.write(s, p).unwrap();
            }
        }
        self.call("ingest_finish", json!({ "session": s }))
    }

    /// Reads session `s` (a restore, or a walk's current file) to its end.
    pub fn drain(&mut self, s: u32) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let block = self.api.read(s).unwrap();
            if block.is_empty() {
                return out;
            }
            out.extend_from_slice(&block);
        }
    }

    pub fn restore(&mut self, snapshot: &str, item: Option<&str>) -> Vec<u8> {
        let mut args = json!({ "snapshot": snapshot });
        if let Some(i) = item {
            args["item"] = json!(i);
        }
        let r = self.call("restore_begin", args);
        let s = r["session"].as_u64().unwrap() as u32;
        let out = self.drain(s);
        assert_eq!(out.len() as u64, r["size"].as_u64().unwrap());
        self.call("restore_end", json!({ "session": s }));
        out
    }
}

/// Fails unless the operation table declares that `op` may fail with `code`.
pub fn assert_declared(op: &str, code: ErrorCode) {
    let info = ops::info(op).unwrap_or_else(|| panic!("`{op}` is not in the operation table"));
    assert!(
        info.may_fail_with(code),
        "`{op}` failed with {code:?}, which the operation table does not declare"
    );
}

/// The ids of the snapshots `list_snapshots` answers, in its order.
pub fn snapshot_ids(e: &mut Engine) -> Vec<String> {
    e.call("list_snapshots", json!({}))
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

pub fn id_of(snap: &Value) -> String {
    snap["id"].as_str().unwrap().to_string()
}

/// An engine on a repository with small packs and RS(4,1) parity.
pub fn small_repo(host: &MemoryHost, passphrase: Option<&str>) -> Engine {
    let mut args: Value = serde_json::from_str(&init_args(passphrase)).unwrap();
    args["parity"] = json!({"dataPacks": 4, "parityPacks": 1});
    let mut api = cairn_core::api::Api::new(host.clone());
    api.call("init", &args.to_string()).unwrap();
    Engine { api }
}

pub fn keys_under(host: &MemoryHost, prefix: &str) -> Vec<String> {
    host.list(prefix).unwrap()
}

pub fn groups(host: &MemoryHost) -> Vec<GroupManifest> {
    keys_under(host, layout::GROUPS)
        .iter()
        .map(|k| GroupManifest::parse(&host.object(k).unwrap()).unwrap())
        .collect()
}

pub fn data_packs(host: &MemoryHost) -> Vec<PackId> {
    keys_under(host, layout::PACKS)
        .iter()
        .filter_map(|k| match StorageKey::parse(k) {
            Some(StorageKey::Pack(id)) => Some(id),
            _ => None,
        })
        .collect()
}

/// The storage key of a pack, as a string.
pub fn pack_key(id: &PackId) -> String {
    StorageKey::Pack(*id).to_string()
}

pub fn verify(e: &mut Engine, level: &str) -> Value {
    e.call("verify", json!({ "level": level }))
}

/// A verification that found nothing: no errors and no warnings.
pub fn assert_ok(v: &Value) {
    assert_eq!(v["ok"], true, "{v:#}");
    assert_eq!(v["errors"], json!([]), "{v:#}");
    assert_eq!(v["warnings"], json!([]), "{v:#}");
}

/// A repository with RS(k, m) parity holding three snapshots; returns it and their contents.
pub fn repo_with_snapshots(
    host: &MemoryHost,
    pw: Option<&str>,
    k: u32,
    m: u32,
) -> (Engine, Vec<(String, Vec<u8>)>) {
    let mut args: Value = serde_json::from_str(&init_args(pw)).unwrap();
    args["parity"] = json!({"dataPacks": k, "parityPacks": m});
    let mut api = cairn_core::api::Api::new(host.clone());
    api.call("init", &args.to_string()).unwrap();
    let mut e = Engine { api };
    let mut snaps = Vec::new();
    for (i, len) in [90_000usize, 60_000, 120_000].into_iter().enumerate() {
        let mut data = sample(len, 40 + i as u64);
        data.extend_from_slice(&sample(len / 3, 7)); // shared with the other snapshots
        let s = e.ingest(&[("data", &data)], json!({}), 8192);
        snaps.push((id_of(&s), data));
    }
    (e, snaps)
}

pub fn restores_all(e: &mut Engine, snaps: &[(String, Vec<u8>)]) {
    for (id, data) in snaps {
        assert!(
            e.restore(id, None) == *data,
            "snapshot {id} restores byte-identical"
        );
    }
}

/// A small deterministic generator (xorshift64*), so that a failing round of a campaign
/// can be replayed from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The kinds of file, as the table names them.
pub fn kind(key: &str) -> &'static str {
    match StorageKey::parse(key) {
        Some(StorageKey::Config) => "config",
        Some(StorageKey::Key(_)) => "key",
        Some(StorageKey::Lock(_)) => "lock",
        Some(StorageKey::Snapshot(_)) => "snapshot",
        Some(StorageKey::Segment(_)) => "index segment",
        Some(StorageKey::Pack(_)) => "pack",
        Some(StorageKey::PackIndex(_)) => "pack .idx",
        Some(StorageKey::Group(_)) => "group manifest",
        Some(StorageKey::Shard(_)) => "parity shard",
        Some(StorageKey::Record(_)) => "snapshot record",
        None => "other",
    }
}
