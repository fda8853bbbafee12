//! Reads announced ahead (docs/DESIGN.md §28): restore and verification tell the host
//! which pack reads come next (`Storage::will_read`) before they make them, exactly as they
//! make them, within the bounds of `cairn_core::ahead`, and about twice per window rather
//! than before every read. They also run compiled to wasm32 (see tests/run).

use cairn_core::ahead::{AHEAD_BYTES, AHEAD_STEPS};
use cairn_core::host::Planned;
use cairn_core::memory::{MemoryHost, ReadLog};
use serde_json::json;

use crate::common;
use common::{assert_ok, id_of, sample, verify, Engine};

/// Checks that every read of a pack (or its `.idx`) that `counts` was in the hint given
/// last before it, and that each hint is bounded; returns (hints, reads checked).
fn check_announced(log: &[ReadLog], counts: impl Fn(&Planned) -> bool) -> (usize, usize) {
    let mut announced: Vec<Planned> = Vec::new();
    let (mut hints, mut reads) = (0, 0);
    for entry in log {
        match entry {
            ReadLog::Hint(h) => {
                hints += 1;
                assert!(h.len() <= 2 * AHEAD_STEPS * 2, "{} reads in one hint", h.len());
                let bytes: u64 = h.iter().map(Planned::size).sum();
                assert!(bytes <= AHEAD_BYTES + (16 << 20), "{bytes} bytes in one hint");
                announced = h.clone();
            }
            ReadLog::Read(r) if r.key().starts_with("packs/") && counts(r) => {
                reads += 1;
                let found = announced.iter().any(|a| match (a, r) {
                    (Planned::Get { key, .. }, Planned::Get { key: k, .. }) => key == k,
                    _ => a == r,
                });
                assert!(found, "{r:?} was not announced; the last hint: {announced:?}");
            }
            ReadLog::Read(_) => {}
        }
    }
    (hints, reads)
}

fn restore_and_verify_announce_their_reads(threads: usize, passphrase: Option<&str>) {
    let host = MemoryHost::new(5);
    host.set_job_threads(threads);
    let mut e = Engine::init(&host, passphrase);
    let data = sample(3_000_000, 3);
    let snap = e.ingest(&[("db", &data)], json!({}), 1 << 16);
    let more = sample(500_000, 4);
    e.ingest(&[("a", &more), ("b", &data)], json!({}), 1 << 16);

    host.log_reads(true);
    assert_eq!(e.restore(&id_of(&snap), None), data);
    // Every pack read of a restore: chunks, and the chunk lists stored as blobs.
    let (hints, reads) = check_announced(&host.take_read_log(), |_| true);
    assert!(reads > 100, "{reads} pack reads");
    assert!(
        hints * 8 < reads,
        "{hints} hints for {reads} reads: not renewed at half a window"
    );

    assert_ok(&verify(&mut e, "full"));
    // Every pack and `.idx` read whole (chunk lists are read through the index, and the
    // quick check reads each pack's last bytes, neither of them announced).
    let whole = |r: &Planned| matches!(r, Planned::Get { .. });
    let (hints, reads) = check_announced(&host.take_read_log(), whole);
    assert!(
        reads > 100 && hints * 8 < reads,
        "verify: {hints} hints, {reads} reads"
    );
}

#[test]
fn restore_and_full_verify_announce_every_pack_read_before_making_it() {
    restore_and_verify_announce_their_reads(1, None);
}

#[test]
fn so_they_do_with_jobs_on_workers_and_encrypted() {
    restore_and_verify_announce_their_reads(3, Some("pass"));
}
