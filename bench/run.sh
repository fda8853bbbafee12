#!/usr/bin/env bash
# Cairn's benchmark: one run, the same data for every tool, tables in Markdown on stdout.
#   bench/run.sh [SIZE_MIB] [ROUNDS]      (defaults 512 and 2)
# Tools: the CLI (plain, encrypted, and at 1..N threads), the JS package in Node, restic and
# borg (installed from Debian when missing; CAIRN_BENCH_PEERS=0 leaves them out). Steps:
# ingest v1, ingest v2, restore, full verify, prune, alternated over ROUNDS (bench/run.py);
# then a week of SQL dumps (bench/corpus.sh), start-up time, and the codec table
# (bench/codecs.sh, CAIRN_BENCH_CODEC_MIB MiB of each kind, default 16; 0 leaves it out).
# Speed is judged by ratios measured in one run, never by timed assertions in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-512}; rounds=${2:-2}
data=bench/data; out=bench/out
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
if [ "${CAIRN_BENCH_PEERS:-1}" != 0 ] && ! { command -v restic && command -v borg; } > /dev/null; then
    $sudo_ apt-get update -q >&2 && $sudo_ apt-get install -y -q restic borgbackup >&2
fi
peers=(); [ "${CAIRN_BENCH_PEERS:-1}" != 0 ] || peers=(--no-peers)
cargo build --release -q
[ -d js/node_modules ] || (cd js && npm ci --no-audit --no-fund > /dev/null)
(cd js && npm run build > /dev/null 2>&1)
if [ ! -f "$data/v1.bin" ] || [ "$(stat -c %s "$data/v1.bin")" != $((size << 20)) ]; then
    rm -rf "$data"; mkdir -p "$data"
    python3 bench/gen_data.py --size-mib "$size" "$data" >&2
fi
bench/corpus.sh >&2
rm -rf "$out"; mkdir -p "$out"
python3 bench/run.py --cairn "${CARGO_TARGET_DIR:-$PWD/target}/release/cairn" --data "$data" \
    --week bench/corpus/week --out "$out" --rounds "$rounds" "${peers[@]}"
codec_mib=${CAIRN_BENCH_CODEC_MIB:-16}
if [ "$codec_mib" != 0 ]; then
    echo
    echo "## Codecs inside wasm ($codec_mib MiB of each kind in 256 KiB pieces, bench/codecs.sh)"
    echo
    bench/codecs.sh "$codec_mib"
fi
