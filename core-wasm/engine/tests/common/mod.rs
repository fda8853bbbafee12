//! Helpers the engine's scenario tests share: an [`Engine`] driving [`Api`] on the
//! in-memory host, and deterministic sample data.
#![allow(dead_code)]

use cairn_core::api::Api;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::{json, Value};

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

    pub fn err(&mut self, op: &str, args: Value) -> ErrorCode {
        self.api.call(op, &args.to_string()).unwrap_err().code()
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

    pub fn restore(&mut self, snapshot: &str, item: Option<&str>) -> Vec<u8> {
        let mut args = json!({ "snapshot": snapshot });
        if let Some(i) = item {
            args["item"] = json!(i);
        }
        let r = self.call("restore_begin", args);
        let s = r["session"].as_u64().unwrap() as u32;
        let mut out = Vec::new();
        loop {
            let block = self.api.read(s).unwrap();
            if block.is_empty() {
                break;
            }
            out.extend_from_slice(&block);
        }
        assert_eq!(out.len() as u64, r["size"].as_u64().unwrap());
        self.call("restore_end", json!({ "session": s }));
        out
    }
}

pub fn id_of(snap: &Value) -> String {
    snap["id"].as_str().unwrap().to_string()
}
