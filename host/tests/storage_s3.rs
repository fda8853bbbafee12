//! The S3 storage against the engine's storage contract, on a real S3 service: the one
//! `CAIRN_TEST_S3` names (tests/storage/run.sh starts SeaweedFS and sets it, with the
//! `AWS_*` credentials and a bucket named `cairn-test`). Without it every test skips.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use cairn::storage::ahead::ReadAhead;
use cairn::storage::http::HttpStorage;
use cairn::storage::s3::S3Storage;
use cairn_core::conformance::{run_read_only_suite, run_storage_suite};
use cairn_core::host::{Planned, Storage, StorageError};
use cairn_core::layout;

/// The test bucket tests/storage/run.sh creates.
const BUCKET: &str = "cairn-test";

/// The endpoint, or `None` (saying why) when the S3 tests are not wanted here.
fn endpoint() -> Option<String> {
    let e = std::env::var("CAIRN_TEST_S3").ok().filter(|e| !e.is_empty());
    if e.is_none() {
        eprintln!("SKIP: CAIRN_TEST_S3 is not set (tests/storage/run.sh sets it after starting SeaweedFS)");
    }
    e
}

/// A prefix no other test (or earlier run) uses.
fn fresh_prefix(name: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{name}-{}-{nanos}-{}/",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[test]
fn passes_the_storage_conformance_suite() {
    let Some(_) = endpoint() else { return };
    let s = S3Storage::from_env(BUCKET, &fresh_prefix("conformance")).unwrap();
    run_storage_suite(&s);
    run_storage_suite(&s);
    // And at the bucket's root.
    let root = S3Storage::from_env("cairn-root-test", "").unwrap();
    run_storage_suite(&root);
}

#[test]
fn put_new_is_exclusive_among_racing_writers() {
    let Some(_) = endpoint() else { return };
    let s = Arc::new(S3Storage::from_env(BUCKET, &fresh_prefix("race")).unwrap());
    let lock = layout::StorageKey::Lock([9; 32].into()).to_string();
    for round in 0..3 {
        let threads: Vec<_> = (0..8u8)
            .map(|i| {
                let (s, lock) = (s.clone(), lock.clone());
                std::thread::spawn(move || s.put_new(&lock, &[i; 64]).map(|()| i))
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let won: Vec<u8> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one writer creates it: {results:?}"
        );
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Ok(_) | Err(StorageError::AlreadyExists))),
            "{results:?}"
        );
        assert_eq!(s.get(&lock).unwrap(), vec![won[0]; 64], "the winner's bytes stay");
        s.delete(&lock).unwrap();
    }
}

#[test]
fn a_missing_bucket_is_named_as_missing() {
    let Some(_) = endpoint() else { return };
    let s = S3Storage::from_env("cairn-no-such-bucket", "").unwrap();
    match s.get(layout::CONFIG) {
        Err(StorageError::Io(m)) => assert!(m.contains("does not exist"), "{m}"),
        other => panic!("{other:?}"),
    }
    match s.put(layout::CONFIG, b"{}") {
        Err(StorageError::Io(m)) => assert!(m.contains("cairn-no-such-bucket"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_public_bucket_reads_over_http() {
    let Some(endpoint) = endpoint() else { return };
    let prefix = fresh_prefix("public");
    let writer = S3Storage::from_env(BUCKET, &prefix).unwrap();
    // The test service lets anonymous clients read and list: ListObjectsV2 over plain HTTP.
    let reader = HttpStorage::new(&format!("{endpoint}/{BUCKET}/{prefix}")).unwrap();
    run_read_only_suite(&writer, &reader);
}

#[test]
fn reads_fetched_ahead_from_s3_and_over_http_are_what_storage_holds() {
    let Some(endpoint) = endpoint() else { return };
    let prefix = fresh_prefix("ahead");
    let s3 = ReadAhead::new(Arc::new(S3Storage::from_env(BUCKET, &prefix).unwrap()));
    run_storage_suite(&s3);
    let keys: Vec<String> = (0..10u8)
        .map(|i| layout::StorageKey::Pack([i; 32].into()).to_string())
        .collect();
    for (i, k) in keys.iter().enumerate() {
        s3.put(k, &vec![i as u8; 300_000 + i]).unwrap();
    }
    let http = ReadAhead::new(Arc::new(
        HttpStorage::new(&format!("{endpoint}/{BUCKET}/{prefix}")).unwrap(),
    ));
    for storage in [&s3, &http] {
        let reads: Vec<Planned> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| match i % 2 {
                0 => Planned::Get {
                    key: k.clone(),
                    size: 300_000,
                },
                _ => Planned::Range {
                    key: k.clone(),
                    offset: 1000,
                    len: 400_000,
                },
            })
            .collect();
        storage.will_read(&reads);
        for (i, k) in keys.iter().enumerate() {
            let want = vec![i as u8; 300_000 + i];
            match i % 2 {
                0 => assert_eq!(storage.get(k).unwrap(), want),
                _ => assert_eq!(storage.get_range(k, 1000, 400_000).unwrap(), want[1000..]),
            }
        }
    }
    for k in &keys {
        s3.delete(k).unwrap();
    }
}
