#!/usr/bin/env bash
# Cairn against restic (Debian's) on the local disk and on S3 (SeaweedFS, restic's `s3:`
# backend): backup and restore of the same file into fresh encrypted repositories, the
# tools and the two places alternated in one run. Then restore and full verification from
# S3 and over HTTP (the same bucket, read anonymously) with and without reads fetched ahead
# (docs/DESIGN.md §28): SeaweedFS on 127.0.0.1 (tests/storage/seaweed.sh), a repository of
# `bench/gen_data.py` data, each command run alternately with CAIRN_READ_AHEAD=0 and
# without it, straight to SeaweedFS and through tests/storage/s3_proxy.py, which holds each
# request DELAY_MS to stand for a service far away. Prints tables; never asserts a time.
#
# Usage: [CAIRN=path/to/cairn] bench/s3.sh [SIZE_MIB (200)] [RUNS (3)] [DELAY_MS (20)]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200} runs=${2:-3} delay=${3:-20}
source tests/storage/seaweed.sh
tmp=$(mktemp -d)
trap 'seaweed_stop; rm -rf "$tmp"' EXIT
seaweed_install >/dev/null
source tests/lib/cairn.sh
seaweed_start "$tmp/weed" >/dev/null
s3_make_bucket bench
python3 bench/gen_data.py --size-mib "$size" "$tmp/data" >/dev/null
direct=$AWS_ENDPOINT_URL
proxy_start "$delay"
slow=$CAIRN_TEST_PROXY
"$cairn" init s3://bench/r >/dev/null
"$cairn" ingest s3://bench/r "$tmp/data/v1.bin" >/dev/null
command -v restic >/dev/null || apt-get install -y -q restic >/dev/null

# secs CMD...: the wall time of CMD in seconds.
secs() {
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1
    awk "BEGIN { print $EPOCHREALTIME - $t0 }"
}
export CAIRN_PASSPHRASE=bench RESTIC_PASSWORD=bench
# round TOOL WHERE I: backup and restore into a fresh repository; appends "TOOL WHERE backup
# SECS" and "TOOL WHERE restore SECS" to $tmp/times.
round() {
    local tool=$1 where=$2 i=$3 repo out=$tmp/out
    if [ "$tool" = cairn ]; then
        repo=$tmp/repos/cairn$i && [ "$where" = s3 ] && repo=s3://bench/cairn$i
        mkdir -p "$out"
        "$cairn" init "$repo" --encrypt >/dev/null
        echo "cairn $where backup $(secs "$cairn" ingest "$repo" "$tmp/data/v1.bin")" >>"$tmp/times"
        echo "cairn $where restore $(secs "$cairn" restore "$repo" latest -o "$out/v1.bin")" >>"$tmp/times"
    else
        repo=$tmp/repos/restic$i && [ "$where" = s3 ] && repo=s3:$direct/bench/restic$i
        restic -q -r "$repo" init >/dev/null
        echo "restic $where backup $(secs restic -q -r "$repo" backup "$tmp/data/v1.bin")" >>"$tmp/times"
        echo "restic $where restore $(secs restic -q -r "$repo" restore latest --target "$out")" >>"$tmp/times"
        mv "$out$tmp/data/v1.bin" "$out/v1.bin"
    fi
    cmp "$tmp/data/v1.bin" "$out/v1.bin"
    rm -rf "$out"
}
mkdir -p "$tmp/repos"
for ((i = 0; i < runs; i++)); do
    order=("cairn disk" "cairn s3" "restic disk" "restic s3")
    # Every other run in the reverse order, so that neither tool nor place always goes first.
    ((i % 2)) && order=("restic s3" "restic disk" "cairn s3" "cairn disk")
    for r in "${order[@]}"; do
        round $r "$i-${r// /-}"
    done
    rm -rf "$tmp/repos"/*
done
python3 - "$tmp/times" "$(restic version | cut -d' ' -f1-2)" <<'PY'
import collections, statistics, sys
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    tool, where, op, secs = line.split()
    t[tool, where, op].append(float(secs))
rng = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}"
med = lambda *k: statistics.median(t[k])
place = {"disk": "local disk", "s3": "S3 (SeaweedFS)"}
print(f"| command | repository | cairn (s) | {sys.argv[2]} (s) | restic / cairn |\n|---|---|---:|---:|---:|")
for op in ("backup", "restore"):
    for where in ("disk", "s3"):
        print(f"| {op} | {place[where]} | {rng(t['cairn', where, op])} | {rng(t['restic', where, op])} "
              f"| {med('restic', where, op) / med('cairn', where, op):.2f}x |")
print()
print("| S3 speed / local disk speed | cairn | restic |\n|---|---:|---:|")
for op in ("backup", "restore"):
    print(f"| {op} | {med('cairn', 'disk', op) / med('cairn', 's3', op):.2f}x "
          f"| {med('restic', 'disk', op) / med('restic', 's3', op):.2f}x |")
PY
# ahead NAME CMD ENDPOINT PROGRAM ARGS...: one row, PROGRAM run alternately with
# CAIRN_READ_AHEAD=0 and without it, RUNS times each.
ahead() {
    local name=$1 cmd=$2 endpoint=$3 off=() on=() i
    shift 3
    for ((i = 0; i < runs; i++)); do
        off+=("$(AWS_ENDPOINT_URL=$endpoint CAIRN_READ_AHEAD=0 secs "$@")")
        on+=("$(AWS_ENDPOINT_URL=$endpoint secs "$@")")
    done
    python3 - "$name" "$cmd" "${off[*]}" "${on[*]}" <<'PY'
import statistics, sys
name, cmd, off, on = sys.argv[1], sys.argv[2], [float(x) for x in sys.argv[3].split()], [float(x) for x in sys.argv[4].split()]
a, b = statistics.median(off), statistics.median(on)
rng = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}"
print(f"| {name} | {cmd} | {rng(off)} | {rng(on)} | {a / b:.2f}x |")
PY
}
echo
printf '| endpoint | command | one GET at a time (s) | fetched ahead (s) | ratio |\n|---|---|---:|---:|---:|\n'
for target in "s3 $direct" "s3 $slow" "http $direct" "http $slow"; do
    read -r kind endpoint <<<"$target"
    name=$([ "$endpoint" = "$direct" ] && echo "SeaweedFS" || echo "SeaweedFS + ${delay} ms")
    repo=s3://bench/r && [ "$kind" = http ] && repo=$endpoint/bench/r/ && name="$name, HTTP"
    ahead "$name" restore "$endpoint" "$cairn" restore "$repo" latest -o /dev/null
    ahead "$name" verify "$endpoint" "$cairn" verify "$repo" --level full
done
# The JS package in Node (bench/js.mjs over js/dist; `cd js && npm run build` first), whose
# fetch worker makes the announced reads ahead too.
if [ -f js/dist/node.js ]; then
    for endpoint in "$direct" "$slow"; do
        name=$([ "$endpoint" = "$direct" ] && echo "SeaweedFS" || echo "SeaweedFS + ${delay} ms")
        CAIRN_PASSPHRASE='' ahead "$name, Node" restore "$endpoint" node bench/js.mjs restore s3://bench/r /dev/null
        CAIRN_PASSPHRASE='' ahead "$name, Node" verify "$endpoint" node bench/js.mjs verify s3://bench/r
    done
fi
echo "($size MiB of gen_data.py, $(du -sm "$tmp/weed" | cut -f1) MiB in SeaweedFS, $runs runs each, alternated; ratio of medians)"
