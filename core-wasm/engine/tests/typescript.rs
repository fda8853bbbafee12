//! The checked-in TypeScript contract of the JS package is the one the Rust types give:
//! this test fails when `js/src/generated/api.ts` is stale, and rewrites it when run with
//! `CAIRN_BLESS=1` (then commit the file).
#![cfg(feature = "typescript")]

use std::path::Path;

use cairn_core::typescript::{generate, GENERATED_PATH};

#[test]
fn the_checked_in_typescript_contract_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(GENERATED_PATH);
    let want = generate();
    if std::env::var_os("CAIRN_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{GENERATED_PATH} is stale: run `CAIRN_BLESS=1 cargo test -p cairn-core --features typescript --test typescript` and commit it"
    );
}
