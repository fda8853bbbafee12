//! The engine's scenario tests, as one test binary: every file of `tests/` but the parser
//! fuzzer (its own allocator and watchdog) and the TypeScript contract is a module here.
//!
//! One binary instead of one per file: each binary instantiated the engine's generic code
//! and the shared helpers again, and linking and compiling 19 of them cost about 320
//! CPU-seconds of every fresh CI run (docs/DESIGN.md §31). `layers::every_test_file_runs`
//! fails when a file of `tests/` is in neither this list nor `Cargo.toml`'s `[[test]]`s.
//! Run one file's tests with a filter: `cargo test -p cairn-core --test engine trees::`.

mod common;

mod ahead;
mod campaign_corruption;
mod campaign_crash;
mod checksums;
mod copy;
mod failures;
mod integrity;
mod keys;
mod layers;
mod locks;
mod manifests;
mod messages;
mod prune;
mod scenarios;
mod snapshot_ops;
mod tree_select;
mod trees;
mod vanished;
mod verify_progress;
