//! What `verify` tells while it reads: progress toward the packs it picked (bytes of their
//! recorded sizes, "k of n packs"), and a share of the packs that always reads some.

use crate::common;

use cairn_core::memory::MemoryHost;
use common::*;
use serde_json::json;

#[test]
fn verify_progress_counts_toward_the_packs_it_reads_and_a_share_reads_some() {
    let host = MemoryHost::new(37);
    let mut e = small_repo(&host, None);
    e.ingest(&[("db", &sample(200_000, 8))], json!({}), 9000);
    let all = data_packs(&host).len() as u64;
    assert!(all >= 2, "{all} packs");
    host.take_events();
    let v = e.call("verify", json!({"level": "standard"}));
    assert_ok(&v);
    let progress: Vec<serde_json::Value> = host
        .take_events()
        .into_iter()
        .filter(|(name, _)| name == "verify:progress")
        .map(|(_, p)| serde_json::from_str(&p).unwrap())
        .collect();
    assert_eq!(progress.len() as u64, all, "one event per pack read");
    let total = &progress[0]["totalBytes"];
    assert!(progress.iter().all(|p| &p["totalBytes"] == total), "{progress:?}");
    let last = progress.last().unwrap();
    assert_eq!(&last["bytesProcessed"], total);
    assert_eq!(last["percentage"], 100.0);
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{all} of {all} packs read")),
        "{last}"
    );
    // However small the share and the repository, a share reads something.
    let v = e.call("verify", json!({"level": "standard", "subset": "1%"}));
    assert_ok(&v);
    assert!(v["stats"]["packsChecked"].as_u64().unwrap() >= 1, "{v}");
}
