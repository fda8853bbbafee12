#!/usr/bin/env bash
# The coverage-guided long mode of the parser fuzzer (README "Campaigns"): libFuzzer,
# through cargo-fuzz, on core-wasm/engine/fuzz/fuzz_targets/parsers.rs, seeded with the
# real repository files of core-wasm/engine/tests/fuzz_parsers.rs. It needs a nightly
# compiler (which the test command does not: its fuzzer runs on stable) and installs
# cargo-fuzz from crates.io when it is missing.
#   tests/fuzz/coverage.sh [SECONDS]     (default 600)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
if ! rustup toolchain list | grep -q '^nightly'; then
    echo "coverage.sh needs a nightly toolchain (rustup toolchain install nightly);" \
        "the stable fuzzer is: cargo test --release -p cairn-core --test fuzz_parsers" >&2
    exit 2
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
corpus=$PWD/core-wasm/engine/fuzz/corpus/parsers
mkdir -p "$corpus"
CAIRN_FUZZ_CORPUS=$corpus CAIRN_FUZZ_EXECS=1 cargo test --release -q -p cairn-core --test fuzz_parsers >/dev/null
cd core-wasm/engine
# Findings go to fuzz/artifacts/parsers/; replay one with `cargo +nightly fuzz run parsers FILE`.
cargo +nightly fuzz run parsers "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=256 -timeout=10 -print_final_stats=1
