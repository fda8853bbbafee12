#!/usr/bin/env bash
# Cairn's benchmark: prints a Markdown table of throughput, CPU and peak memory.
#   bench/run.sh [SIZE_MIB]      (default 512; data from bench/gen_data.py, deterministic)
# Speed is judged by ratios measured in one run (against restic, when installed), never by
# timed assertions in tests. Method as ../shared/bench/peers.sh: input in page cache,
# wall time from date, CPU and max RSS from /usr/bin/time -v, repository size from du -sb.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-512}
data=bench/data
out=bench/out
cargo build --release -q
cairn=$PWD/target/release/cairn
if [ ! -f "$data/v1.bin" ] || [ "$(stat -c %s "$data/v1.bin")" != $((size << 20)) ]; then
    rm -rf "$data"; mkdir -p "$data"
    python3 bench/gen_data.py --size-mib "$size" "$data" >&2
fi
rm -rf "$out"; mkdir -p "$out"
head -c $((size << 18)) "$data/v1.bin" > "$out/quarter.bin"
export CAIRN_PASSPHRASE=bench-passphrase RESTIC_PASSWORD=bench-passphrase
rows=()

# run NAME STEP MiB REPO CMD...: times CMD with input from $IN (default /dev/null), output to $OUTF.
run() {
    local name=$1 step=$2 mib=$3 repo=$4; shift 4
    cat "${IN:-/dev/null}" > /dev/null
    local t0 t1 tf=$out/time.txt
    t0=$(date +%s%N)
    /usr/bin/time -v -o "$tf" "$@" < "${IN:-/dev/null}" > "${OUTF:-/dev/null}" 2>> "$out/log"
    t1=$(date +%s%N)
    local wall cpu rss repo_mib
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$tf")
    rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$tf")
    repo_mib=$(du -sb "$repo" | awk '{ printf "%.1f", $1 / 1048576 }')
    rows+=("| $name | $step | $mib | $wall | $(awk -v m="$mib" -v w="$wall" 'BEGIN { printf "%.0f", m / w }') | $cpu | $rss | $repo_mib |")
}

mib_of() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }
v1=$(mib_of "$data/v1.bin"); v2=$(mib_of "$data/v2.bin"); q=$(mib_of "$out/quarter.bin")

for cfg in "gzip" "zstd" "none" "gzip --encrypt"; do
    name="cairn $cfg"; repo=$out/repo-${cfg// /}
    "$cairn" init "$repo" --compression $cfg > /dev/null
    IN=$out/quarter.bin run "$name" "ingest quarter of v1" "$q" "$repo" "$cairn" ingest "$repo" -
    rm -rf "$repo"; "$cairn" init "$repo" --compression $cfg > /dev/null
    IN=$data/v1.bin run "$name" "ingest v1" "$v1" "$repo" "$cairn" ingest "$repo" -
    IN=$data/v2.bin run "$name" "ingest v2" "$v2" "$repo" "$cairn" ingest "$repo" -
    OUTF=$out/restored run "$name" "restore v2" "$v2" "$repo" "$cairn" restore "$repo" latest -o "$out/restored"
    cmp "$out/restored" "$data/v2.bin" || { echo "restore of $name differs" >&2; exit 1; }
    rm -f "$out/restored"
    # verify reads the whole repository: its MiB column is the repository's size.
    stored=$(du -sb "$repo" | awk '{ printf "%.1f", $1 / 1048576 }')
    run "$name" "verify standard" "$stored" "$repo" "$cairn" verify "$repo" --level standard
    run "$name" "verify full" "$stored" "$repo" "$cairn" verify "$repo" --level full
    run "$name" "prune --keep-last 1" "$stored" "$repo" "$cairn" prune "$repo" --keep-last 1
done

if command -v restic > /dev/null; then
    repo=$out/restic
    restic init -q -r "$repo" > /dev/null
    IN=$data/v1.bin run restic "backup v1" "$v1" "$repo" restic -q -r "$repo" backup --stdin --stdin-filename v.bin
    IN=$data/v2.bin run restic "backup v2" "$v2" "$repo" restic -q -r "$repo" backup --stdin --stdin-filename v.bin
    OUTF=$out/restored run restic "restore v2 (dump)" "$v2" "$repo" restic -q -r "$repo" dump latest v.bin
    cmp "$out/restored" "$data/v2.bin"; rm -f "$out/restored"
    stored=$(du -sb "$repo" | awk '{ printf "%.1f", $1 / 1048576 }')
    run restic "check --read-data" "$stored" "$repo" restic -q -r "$repo" check --read-data
fi

echo "# Cairn benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); data: bench/gen_data.py --size-mib $size"
echo "- MiB/s is input (or restored) MiB per wall second, for verify and prune the repository's MiB; RSS is the peak of the whole process"
echo
echo "| tool / config | step | MiB | wall s | MiB/s | CPU s | max RSS MiB | repo MiB after |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
