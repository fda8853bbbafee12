//! Lock heartbeats under long operations (issue 12, hole 4), on a fake clock: a restore
//! whose reader takes two hours keeps its lock live, so a prune waits and `unlock` leaves
//! it alone. They also run compiled to wasm32 (see tests/run).

use cairn_core::host::{Host, Storage};
use cairn_core::layout;
use cairn_core::memory::MemoryHost;
use cairn_core::ErrorCode;
use serde_json::json;

use crate::common;
use common::{id_of, sample, Engine};

const MINUTE: i64 = 60_000;

#[test]
fn a_two_hour_restore_keeps_its_lock_while_a_prune_waits() {
    let host = MemoryHost::new(81);
    let mut e = Engine::init(&host, None);
    let data = sample(200_000, 8);
    let old = e.ingest(&[("db", &data)], json!({}), 1 << 16);
    e.ingest(&[("db", &sample(50_000, 9))], json!({}), 1 << 16);
    let begun = e.call("restore_begin", json!({ "snapshot": id_of(&old) }));
    let s = begun["session"].as_u64().unwrap() as u32;
    let mut other = Engine::open(&host, None);
    let mut out = Vec::new();
    // One block every 10 minutes for two hours: chunks are read ahead in batches, so
    // storage is touched far less often than the 30 minutes after which a lock is stale.
    for step in 0..12 {
        host.set_now_ms(host.now_ms() + 10 * MINUTE);
        out.extend_from_slice(&e.api.read(s).unwrap());
        let code = other.err("prune", json!({ "retention": { "keepLast": 1 } }));
        assert_eq!(
            code,
            ErrorCode::RepositoryLocked,
            "after {} minutes",
            (step + 1) * 10
        );
        assert_eq!(other.call("unlock", json!({}))["locksRemoved"], 0, "step {step}");
    }
    loop {
        let block = e.api.read(s).unwrap();
        if block.is_empty() {
            break;
        }
        out.extend_from_slice(&block);
    }
    assert_eq!(out, data);
    e.call("restore_end", json!({ "session": s }));
    assert!(host.list(layout::LOCKS).unwrap().is_empty(), "released");
    other.call("prune", json!({ "retention": { "keepLast": 1 } }));
}
