//! Fetching ahead (host/src/storage/ahead.rs, docs/DESIGN.md §28): the storage contract
//! holds through it, announced reads are fetched several at once within the bounds, and
//! nothing fetched ahead is ever answered in place of what storage holds now.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cairn::storage::ahead::{ReadAhead, IN_FLIGHT};
use cairn::storage::fs::FsStorage;
use cairn::storage::Far;
use cairn_core::conformance::run_storage_suite;
use cairn_core::host::{Planned, Storage, StorageError};
use cairn_core::layout::StorageKey;

/// Storage in memory whose reads each take `delay`, counting requests and the most in
/// flight at once.
#[derive(Default)]
struct Slow {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    delay: Duration,
    requests: AtomicUsize,
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Slow {
    fn read<T>(&self, f: impl FnOnce(&BTreeMap<String, Vec<u8>>) -> T) -> T {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        let r = f(&self.objects.lock().unwrap());
        self.now.fetch_sub(1, Ordering::SeqCst);
        r
    }
}

impl Storage for Slow {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        self.read(|o| o.get(key).cloned().ok_or(StorageError::NotFound))
    }
    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        self.read(|o| {
            let d = o.get(key).ok_or(StorageError::NotFound)?;
            let start = (offset as usize).min(d.len());
            Ok(d[start..(start + len as usize).min(d.len())].to_vec())
        })
    }
    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.objects.lock().unwrap().insert(key.into(), data.to_vec());
        Ok(())
    }
    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        self.put(key, data)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
    fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.objects.lock().unwrap().remove(key);
        Ok(())
    }
}

impl Far for Slow {}

fn pack(n: u8) -> String {
    StorageKey::Pack([n; 32].into()).to_string()
}

fn range(key: &str, offset: u64, len: u64) -> Planned {
    Planned::Range {
        key: key.into(),
        offset,
        len,
    }
}

/// A slow storage holding `n` packs of 1000 bytes, and the read-ahead layer over it.
fn slow(n: u8, delay_ms: u64) -> (Arc<Slow>, ReadAhead) {
    let inner = Arc::new(Slow {
        delay: Duration::from_millis(delay_ms),
        ..Slow::default()
    });
    for i in 0..n {
        inner.put(&pack(i), &vec![i; 1000]).unwrap();
    }
    (inner.clone(), ReadAhead::new(inner))
}

#[test]
fn passes_the_storage_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    run_storage_suite(&ReadAhead::new(Arc::new(FsStorage::new(dir.path()))));
}

#[test]
fn announced_reads_are_fetched_several_at_once_and_each_once() {
    let (inner, s) = slow(12, 40);
    let reads: Vec<Planned> = (0..12).map(|i| range(&pack(i), 100, 200)).collect();
    s.will_read(&reads);
    for i in 0..12 {
        assert_eq!(s.get_range(&pack(i), 100, 200).unwrap(), vec![i; 200]);
    }
    // The fetchers, and the caller's own read of one not started yet.
    let peak = inner.peak.load(Ordering::SeqCst);
    assert!((2..=IN_FLIGHT + 1).contains(&peak), "peak {peak} in flight");
    assert_eq!(inner.requests.load(Ordering::SeqCst), 12, "no read made twice");
}

#[test]
fn near_ranges_of_one_object_are_fetched_once_and_answer_each() {
    let (inner, s) = slow(2, 1);
    let big = pack(7);
    inner.put(&big, &vec![7; 3 << 20]).unwrap();
    // Ranges of pack 0 back to back (one of them twice, as a repeated chunk is), one of
    // pack 1, then more of pack 0 across a small gap and before the first: two fetches.
    // Then two ranges of a larger object over a megabyte apart: two more.
    s.will_read(&[
        range(&pack(0), 100, 100),
        range(&pack(0), 200, 300),
        range(&pack(0), 200, 300),
        range(&pack(0), 500, 50),
        range(&pack(1), 0, 10),
        range(&pack(0), 600, 10),
        range(&pack(0), 0, 10),
        range(&big, 0, 10),
        range(&big, (2 << 20) + 10, 10),
    ]);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(inner.requests.load(Ordering::SeqCst), 4, "merged where near");
    assert_eq!(s.get_range(&pack(0), 200, 300).unwrap(), vec![0; 300]);
    assert_eq!(s.get_range(&pack(0), 100, 100).unwrap(), vec![0; 100]);
    assert_eq!(s.get_range(&pack(0), 500, 50).unwrap(), vec![0; 50]);
    assert_eq!(s.get_range(&pack(0), 200, 300).unwrap(), vec![0; 300], "again");
    assert_eq!(s.get_range(&pack(1), 0, 10).unwrap(), vec![1; 10]);
    assert_eq!(s.get_range(&pack(0), 600, 10).unwrap(), vec![0; 10]);
    assert_eq!(s.get_range(&pack(0), 0, 10).unwrap(), vec![0; 10]);
    assert_eq!(s.get_range(&big, 0, 10).unwrap(), vec![7; 10]);
    assert_eq!(s.get_range(&big, (2 << 20) + 10, 10).unwrap(), vec![7; 10]);
    assert_eq!(
        inner.requests.load(Ordering::SeqCst),
        4,
        "every part from its fetch"
    );
    // Every part taken: the bytes are gone, the next read goes to storage.
    assert_eq!(s.get_range(&pack(0), 0, 100).unwrap(), vec![0; 100]);
    assert_eq!(inner.requests.load(Ordering::SeqCst), 5);
}

#[test]
fn a_later_announcement_is_answered_by_what_an_earlier_one_fetched() {
    let (inner, s) = slow(2, 1);
    s.will_read(&[range(&pack(0), 0, 500), range(&pack(0), 500, 500)]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.get_range(&pack(0), 0, 500).unwrap(), vec![0; 500]);
    // The reader announces again from where it is: what is fetched answers the rest of
    // it, and a range of it read a second time later on, without a new request.
    s.will_read(&[
        range(&pack(0), 500, 500),
        range(&pack(1), 0, 10),
        range(&pack(0), 0, 100),
    ]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.get_range(&pack(0), 500, 500).unwrap(), vec![0; 500]);
    assert_eq!(s.get_range(&pack(1), 0, 10).unwrap(), vec![1; 10]);
    assert_eq!(s.get_range(&pack(0), 0, 100).unwrap(), vec![0; 100]);
    assert_eq!(inner.requests.load(Ordering::SeqCst), 2);
    // A hint that leaves it out frees it.
    s.will_read(&[range(&pack(0), 0, 100)]);
    s.will_read(&[]);
    std::thread::sleep(Duration::from_millis(50));
    let before = inner.requests.load(Ordering::SeqCst);
    assert_eq!(s.get_range(&pack(0), 0, 100).unwrap(), vec![0; 100]);
    assert_eq!(inner.requests.load(Ordering::SeqCst), before + 1);
}

#[test]
fn a_range_inside_one_fetched_ahead_is_sliced_from_it() {
    let (inner, s) = slow(2, 1);
    s.will_read(&[
        range(&pack(0), 0, 1000),
        Planned::Get {
            key: pack(1),
            size: 1000,
        },
    ]);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(s.get_range(&pack(0), 10, 20).unwrap(), vec![0; 20]);
    assert_eq!(s.get(&pack(1)).unwrap(), vec![1; 1000]);
    assert_eq!(inner.requests.load(Ordering::SeqCst), 2);
    // Taken once: the next read goes to storage.
    assert_eq!(s.get(&pack(1)).unwrap(), vec![1; 1000]);
    assert_eq!(inner.requests.load(Ordering::SeqCst), 3);
}

#[test]
fn writes_and_failures_are_never_hidden_by_what_was_fetched() {
    let (_, s) = slow(2, 1);
    let missing = pack(9);
    s.will_read(&[range(&pack(0), 0, 10), range(&missing, 0, 10)]);
    std::thread::sleep(Duration::from_millis(100));
    s.put(&pack(0), &[7; 10]).unwrap();
    assert_eq!(
        s.get_range(&pack(0), 0, 10).unwrap(),
        vec![7; 10],
        "the write, not the fetch"
    );
    assert_eq!(s.get_range(&missing, 0, 10), Err(StorageError::NotFound));
    // A later hint that leaves a read out frees it; reading it still works.
    s.will_read(&[range(&pack(1), 0, 10)]);
    s.will_read(&[]);
    assert_eq!(s.get_range(&pack(1), 0, 10).unwrap(), vec![1; 10]);
}

#[test]
fn the_budget_bounds_what_is_fetched_ahead() {
    let (inner, s) = slow(8, 30);
    // Each announced as 30 MiB: only two fit in the 64 MiB budget at once (and the
    // caller may read one not started yet itself).
    let reads: Vec<Planned> = (0..8).map(|i| range(&pack(i), 0, 30 << 20)).collect();
    s.will_read(&reads);
    for i in 0..8 {
        assert_eq!(s.get_range(&pack(i), 0, 30 << 20).unwrap(), vec![i; 1000]);
    }
    let peak = inner.peak.load(Ordering::SeqCst);
    assert!(peak <= 3, "peak {peak} in flight");
}
