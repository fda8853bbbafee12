#!/usr/bin/env bash
# Full verification and restore of a ~100 MiB plain repository in headless
# Chromium (the JS package's browser entry, as a picked folder and over HTTP) next to the
# CLI and Node, from disk and over HTTP, alternated; prints a table (bench/RESULTS-browser.md).
#   bench/browser.sh [SIZE_MIB] [ROUNDS]      (defaults 100 and 2)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-100}; rounds=${2:-2}
cargo build --release -q
(cd js && npm run build > /dev/null 2>&1)
tests/browser/run.sh --install-only
out=bench/out-browser
rm -rf "$out"; mkdir -p "$out"
python3 bench/gen_data.py --size-mib "$size" "$out" >&2
target/release/cairn init "$out/repo" > /dev/null
target/release/cairn ingest "$out/repo" --item "v1.bin=$out/v1.bin" > /dev/null
node bench/browser.mjs "$PWD/target/release/cairn" "$PWD/$out/repo" v1.bin "$rounds"
