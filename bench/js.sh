#!/usr/bin/env bash
# The JS package in Node next to the CLI, on the same data: ingest and restore throughput,
# peak RSS, and how long Node's event loop was blocked, with the engine in a worker (the
# default) and on the calling thread (docs/DESIGN-js.md).
#   bench/js.sh [SIZE_MIB]      (default 512; data from bench/gen_data.py, deterministic)
# Method as bench/run.sh: input in page cache, wall time, max RSS from /usr/bin/time -v.
# Speed is judged by ratios within one run, never by timed assertions in tests.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-512}
data=bench/data
out=bench/out-js
cargo build --release -q
cairn=${CARGO_TARGET_DIR:-$PWD/target}/release/cairn
[ -d js/node_modules ] || (cd js && npm ci --no-audit --no-fund > /dev/null)
(cd js && npm run build > /dev/null 2>&1)
if [ ! -f "$data/v1.bin" ] || [ "$(stat -c %s "$data/v1.bin")" != $((size << 20)) ]; then
    rm -rf "$data"; mkdir -p "$data"
    python3 bench/gen_data.py --size-mib "$size" "$data" >&2
fi
rm -rf "$out"; mkdir -p "$out"
head -c $((size << 18)) "$data/v1.bin" > "$out/quarter.bin"
rows=()

# measure NAME STEP CMD...: one row; a JSON line from bench/js.mjs on stdout adds the loop delay.
measure() {
    local name=$1 step=$2; shift 2
    local mib; mib=$(awk -v b="$(stat -c %s "$input")" 'BEGIN { printf "%.1f", b / 1048576 }')
    cat "$input" > /dev/null
    local tf=$out/time.txt t0 t1
    t0=$(date +%s%N)
    "$@" > "$out/stdout" 2>> "$out/log" < /dev/null || { tail "$out/log" >&2; exit 1; }
    t1=$(date +%s%N)
    local wall rss loop
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$tf")
    loop=$(python3 -c 'import json,sys; l=open(sys.argv[1]).read().strip(); print(json.loads(l)["loopMaxMs"] if l.startswith("{") else "")' "$out/stdout")
    rows+=("| $name | $step | $mib | $wall | $(awk -v m="$mib" -v w="$wall" 'BEGIN { printf "%.0f", m / w }') | $rss | ${loop:--} |")
}
timed() { /usr/bin/time -v -o "$out/time.txt" "$@"; }

input=$out/quarter.bin
measure "Node, engine worker" "ingest a quarter" timed node bench/js.mjs ingest "$out/repo-quarter" "$input"
input=$data/v1.bin
"$cairn" init "$out/repo-cli" > /dev/null
measure "cairn CLI" ingest timed "$cairn" ingest "$out/repo-cli" "$input"
measure "cairn CLI" restore timed "$cairn" restore "$out/repo-cli" latest -o "$out/restored"
cmp "$out/restored" "$input"; rm -f "$out/restored"
for thread in worker inline; do
    export CAIRN_JS_THREAD=$thread
    measure "Node, engine $thread" ingest timed node bench/js.mjs ingest "$out/repo-$thread" "$input"
    measure "Node, engine $thread" restore timed node bench/js.mjs restore "$out/repo-$thread" "$out/restored"
    cmp "$out/restored" "$input"; rm -f "$out/restored"
done
cmp <(cd "$out/repo-cli" && find packs -type f | sort) <(cd "$out/repo-worker" && find packs -type f | sort) > /dev/null &&
    same="the CLI and Node wrote the same pack files" || same="the pack files differ between CLI and Node"

echo "# Cairn JS package vs CLI, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) cores; data: bench/gen_data.py --size-mib $size, v1.bin (and its first quarter), gzip repository (default options)"
echo "- Node $(node --version); MiB/s is input (or restored) MiB per wall second including start-up;"
echo "  RSS is the peak of the whole process; loop max is the longest Node event-loop stall (5 ms resolution)"
echo "- $same"
echo
echo "| host | step | MiB | wall s | MiB/s | max RSS MiB | loop max ms |"
echo "|---|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
