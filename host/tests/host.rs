//! The CLI's tests, as one test binary: every file and directory of `tests/` is a module
//! here (`common` holds the helpers they share).
//!
//! One binary instead of one per file, for the reason the engine's tests are one
//! (`core-wasm/engine/tests/engine.rs`): each binary that used the `cairn` library linked
//! wasmtime, OpenDAL and tokio again, and every file compiled its own copy of the shared
//! helpers (docs/DESIGN.md §31). `every_test_file_runs` below fails when a file of
//! `tests/` is not declared here. Run one file's tests with a filter:
//! `cargo test --release -p cairn --test host storage_s3::`.

mod common;

mod cli;
mod conventions;
mod copy;
mod encryption;
mod golden;
mod hostile;
mod inspect;
mod leftovers;
mod maintenance;
mod module_imports;
mod prompt;
mod restore_output;
mod safer_defaults;
mod snapshot_handling;
mod storage_ahead;
mod storage_failures;
mod storage_fs;
mod storage_http;
mod storage_s3;
mod trap;
mod tree_fs;
mod vanished;
mod write_behind;

/// Cargo.toml turns off the discovery of test files (`autotests = false`), so a file or
/// directory of `tests/` runs only if this file declares it.
#[test]
fn every_test_file_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = std::fs::read_to_string(root.join("host.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let stem = match name.strip_suffix(".rs") {
            Some("host") => continue,
            Some(stem) => stem,
            None if path.is_dir() => name,
            None => continue,
        };
        if !this.lines().any(|l| l.trim() == format!("mod {stem};")) {
            missing.push(name.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "test files that would never run: {missing:?} (declare them in tests/host.rs)"
    );
}
