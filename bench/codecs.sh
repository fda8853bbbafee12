#!/usr/bin/env bash
# The codec table: compression ratio and speed of every candidate chunk codec, measured
# inside wasm (wasmtime, as the CLI runs the engine, and Node's V8, as the JS package does)
# on each kind of data of bench/corpus.sh, cut into 256 KiB pieces compressed one by one
# as Cairn compresses chunks.
#   bench/codecs.sh [MIB]     (MiB of each kind, default 32)
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-32}
bench/corpus.sh >&2
rustup target add wasm32-unknown-unknown >&2
cargo build --release -q -p cairn-codec-bench --target wasm32-unknown-unknown
cargo build --release -q -p cairn-codec-bench --bin codec-bench-wasmtime
module=target/wasm32-unknown-unknown/release/cairn_codec_bench.wasm
runner=target/release/codec-bench-wasmtime
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# codec:level:decoder; codecs 0 miniz_oxide gzip, 1 zlib-rs gzip, 2 ruzstd, 3 structured-zstd,
# 4 and 5 the engine's own zstd and gzip (which skip chunks whose sample does not shrink);
# decoders 0 flate2, 1 ruzstd, 2 structured-zstd, 3 the engine's.
specs=(0:1:0 0:6:0 5:6:3 1:1:0 1:6:0 2:1:1 3:1:2 4:1:3 3:3:2 4:3:3 3:3:1 3:5:2 3:7:2 3:9:2)
for kind in sql.dump pgdata.tar logs.txt media.bin gen.bin; do
    head -c $((mib << 20)) "bench/corpus/$kind" > "$work/$kind"
    "$runner" "$module" "$work/$kind" 262144 "${specs[@]}" | sed "s/^{/{\"kind\":\"$kind\",/" >> "$work/results"
    node bench/codecs.mjs "$module" "$work/$kind" 262144 "${specs[@]}" | sed "s/^{/{\"kind\":\"$kind\",/" >> "$work/results"
done
python3 - "$work/results" <<'PY'
import json, sys
names = {"0": "gzip (miniz_oxide)", "1": "gzip (zlib-rs)", "2": "zstd (ruzstd)", "3": "zstd (structured-zstd)",
         "4": "engine zstd, sampled", "5": "engine gzip, sampled"}
decoders = {"0": "flate2", "1": "ruzstd", "2": "structured-zstd", "3": "engine"}
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault((r["kind"], r["spec"]), {})[r["runtime"]] = r
print("| data | codec | level | decoder | output | compress MiB/s wasmtime | compress MiB/s V8 | decode MiB/s wasmtime | decode MiB/s V8 |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|")
for (kind, spec), by in rows.items():
    c, lvl, d = spec.split(":")
    w, n = by["wasmtime"], by["node"]
    mib = w["input"] / 1048576
    print(f"| {kind} | {names[c]} | {lvl} | {decoders[d]} | {100 * w['output'] / w['input']:.1f} % | "
          f"{mib / w['compressS']:.0f} | {mib / n['compressS']:.0f} | {mib / w['decodeS']:.0f} | {mib / n['decodeS']:.0f} |")
PY
