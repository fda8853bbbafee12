//! Reads announced ahead (docs/DESIGN.md §28): restore and verification tell the host
//! which pack reads come next (`Storage::will_read`) before they make them, exactly as they
//! make them, within the bounds of `cairn_core::ahead`, and about twice per window rather
//! than before every read; so does every reader of all snapshot manifests or all index
//! segments. They also run compiled to wasm32 (see tests/run).

use cairn_core::ahead::{AHEAD_BYTES, AHEAD_STEPS, OBJECTS_AHEAD};
use cairn_core::host::Planned;
use cairn_core::memory::{MemoryHost, ReadLog};
use serde_json::json;

use crate::common;
use common::{assert_ok, id_of, sample, verify, Engine};

/// Checks that every read that `counts` was in the hint given last before it, and that
/// each hint is bounded; returns (hints, reads checked).
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
            ReadLog::Read(r) if counts(r) => {
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
    let in_packs = |r: &Planned| r.key().starts_with("packs/");
    let (hints, reads) = check_announced(&host.take_read_log(), in_packs);
    assert!(reads > 100, "{reads} pack reads");
    assert!(
        hints * 8 < reads,
        "{hints} hints for {reads} reads: not renewed at half a window"
    );

    assert_ok(&verify(&mut e, "full"));
    // Every pack and `.idx` read whole (chunk lists are read through the index, and the
    // quick check reads each pack's last bytes, neither of them announced).
    let whole = |r: &Planned| in_packs(r) && matches!(r, Planned::Get { .. });
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

#[test]
fn every_snapshot_manifest_and_index_segment_is_announced_before_it_is_read() {
    let host = MemoryHost::new(5);
    let mut e = Engine::init(&host, None);
    // Each ingest writes a snapshot and an index segment.
    let n = OBJECTS_AHEAD + 6;
    for i in 0..n {
        e.ingest(&[("s", &sample(2_000, i as u64))], json!({}), 1 << 16);
    }
    host.log_reads(true);
    let mut e = Engine::open(&host, None);
    let listed = e.call("list_snapshots", json!({}));
    assert_eq!(listed.as_array().map(Vec::len), Some(n), "{listed}");
    assert_ok(&verify(&mut e, "quick"));
    let log = host.take_read_log();
    for dir in ["snapshots/", "index/"] {
        let (_, reads) = check_announced(&log, |r| r.key().starts_with(dir));
        assert!(reads >= n, "{dir}: {reads} reads");
        let hints = log
            .iter()
            .filter(|l| matches!(l, ReadLog::Hint(h) if h.iter().any(|r| r.key().starts_with(dir))))
            .count();
        assert!(hints * 8 < reads, "{dir}: {hints} hints for {reads} reads");
    }
}

#[test]
fn a_tree_walk_announces_the_files_it_hands_out_next_with_the_current_one() {
    use common::trees::{entry, file, ingest_tree, other, walk};
    let host = MemoryHost::new(5);
    let mut e = Engine::init(&host, Some("pass"));
    let files = 150;
    let mut tree = vec![other(0, entry("root", "dir", 1))];
    tree.extend((0..files).map(|i| file(1, &format!("f{i:03}"), sample(3_000, 100 + i as u64), 2)));
    let (snap, _) = ingest_tree(&mut e, &tree, "files", None);

    host.log_reads(true);
    let walked = walk(&mut e, &id_of(&snap), json!({"recursive": true}));
    let datas: Vec<&Vec<u8>> = walked.iter().skip(1).map(|(_, d)| d).collect();
    let wanted: Vec<&Vec<u8>> = tree.iter().skip(1).map(|m| &m.data).collect();
    assert_eq!(datas, wanted, "every file's bytes, in order");
    // Each file's chunk is a pack read announced before it is made (the walk's reads of
    // directory pieces are not announced), with a hint about every half window of files,
    // not one per file.
    let mut announced: Vec<Planned> = Vec::new();
    let (mut hints, mut hinted_reads) = (0, 0);
    for l in host.take_read_log() {
        match l {
            ReadLog::Hint(h) => {
                hints += 1;
                announced = h;
            }
            ReadLog::Read(r) if r.key().starts_with("packs/") && announced.contains(&r) => hinted_reads += 1,
            ReadLog::Read(_) => {}
        }
    }
    assert!(
        hinted_reads >= files,
        "{hinted_reads} announced reads for {files} files"
    );
    assert!(hints * 8 < files, "{hints} hints for {files} files");
}

#[test]
fn a_tree_walk_announces_the_directory_pieces_it_reads_next() {
    use common::trees::{entry, file, ingest_tree, other, walk};
    let host = MemoryHost::new(5);
    let mut e = Engine::init(&host, None);
    let (dirs, per_dir) = (60, 4);
    let mut tree = vec![other(0, entry("root", "dir", 1))];
    for d in 0..dirs {
        tree.push(other(1, entry(&format!("d{d:02}"), "dir", 2)));
        for f in 0..per_dir {
            tree.push(file(
                2,
                &format!("f{f}"),
                sample(2_000, (d * per_dir + f) as u64),
                3,
            ));
        }
    }
    let (snap, _) = ingest_tree(&mut e, &tree, "dirs", None);
    host.log_reads(true);
    let walked = walk(&mut e, &id_of(&snap), json!({"recursive": true}));
    assert_eq!(walked.len(), tree.len());
    let mut announced: Vec<Planned> = Vec::new();
    let (mut hinted, mut reads) = (0, 0);
    for l in host.take_read_log() {
        match l {
            ReadLog::Hint(h) => announced = h,
            ReadLog::Read(r) if r.key().starts_with("packs/") => {
                reads += 1;
                hinted += usize::from(announced.contains(&r));
            }
            ReadLog::Read(_) => {}
        }
    }
    // Each file's chunk and most directories' pieces were announced before being read
    // (not those the walk reads while taking its first entries ahead, before any file).
    assert!(
        hinted >= per_dir * dirs + dirs * 2 / 3,
        "{hinted} of {reads} pack reads announced"
    );
}
