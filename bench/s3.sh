#!/usr/bin/env bash
# Cairn against restic (Debian's, `s3:` backend) on the same SeaweedFS: backup and
# restore of the same file into fresh encrypted repositories, the two tools alternated.
# Then restore and full verification from S3 and over HTTP (the same bucket, read
# anonymously) with and without reads fetched ahead (docs/DESIGN.md §28): SeaweedFS on 127.0.0.1
# (tests/storage/seaweed.sh), a repository of `bench/gen_data.py` data, each command run
# alternately with CAIRN_READ_AHEAD=0 and without it, straight to SeaweedFS and through
# bench/s3_delay.py, which holds each request DELAY_MS to stand for a service far away.
# Prints a table; never asserts a time.
#
# Usage: bench/s3.sh [SIZE_MIB (200)] [RUNS (3)] [DELAY_MS (20)]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200} runs=${2:-3} delay=${3:-20}
source tests/storage/seaweed.sh
tmp=$(mktemp -d)
proxy=""
cleanup() {
    [ -n "$proxy" ] && kill "$proxy" 2>/dev/null
    seaweed_stop
    rm -rf "$tmp"
}
trap cleanup EXIT
seaweed_install >/dev/null
cargo build --release -q -p cairn
cairn=$PWD/target/release/cairn
seaweed_start "$tmp/weed" >/dev/null
s3_make_bucket bench
python3 bench/gen_data.py --size-mib "$size" "$tmp/data" >/dev/null
direct=$AWS_ENDPOINT_URL
port=$(free_port)
python3 bench/s3_delay.py "$port" "${direct##*:}" "$delay" &
proxy=$!
wait_http "http://127.0.0.1:$port/" 20
slow=http://127.0.0.1:$port
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
cb=() cr=() rb=() rr=()
for ((i = 0; i < runs; i++)); do
    "$cairn" init "s3://bench/cairn$i" --encrypt >/dev/null
    cb+=("$(secs "$cairn" ingest "s3://bench/cairn$i" "$tmp/data/v1.bin")")
    cr+=("$(secs "$cairn" restore "s3://bench/cairn$i" latest -o "$tmp/out.bin")")
    cmp "$tmp/data/v1.bin" "$tmp/out.bin"
    rm -f "$tmp/out.bin"
    restic -q -r "s3:$direct/bench/restic$i" init >/dev/null
    rb+=("$(secs restic -q -r "s3:$direct/bench/restic$i" backup "$tmp/data/v1.bin")")
    rr+=("$(secs restic -q -r "s3:$direct/bench/restic$i" restore latest --target "$tmp/rr")")
    cmp "$tmp/data/v1.bin" "$tmp/rr$tmp/data/v1.bin"
    rm -rf "$tmp/rr"
done
python3 - "${cb[*]}" "${rb[*]}" "${cr[*]}" "${rr[*]}" "$(restic version | cut -d' ' -f1-2)" <<'PY'
import statistics, sys
cb, rb, cr, rr = ([float(x) for x in a.split()] for a in sys.argv[1:5])
rng = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}"
print(f"| S3 (SeaweedFS) | cairn (s) | {sys.argv[5]} (s) | restic / cairn |\n|---|---:|---:|---:|")
for name, c, r in (("backup", cb, rb), ("restore", cr, rr)):
    print(f"| {name} | {rng(c)} | {rng(r)} | {statistics.median(r) / statistics.median(c):.2f}x |")
PY
echo
printf '| endpoint | command | one GET at a time (s) | fetched ahead (s) | ratio |\n|---|---|---:|---:|---:|\n'
for target in "s3 $direct" "s3 $slow" "http $direct" "http $slow"; do
    read -r kind endpoint <<<"$target"
    name=$([ "$endpoint" = "$direct" ] && echo "SeaweedFS" || echo "SeaweedFS + ${delay} ms")
    repo=s3://bench/r && [ "$kind" = http ] && repo=$endpoint/bench/r/ && name="$name, HTTP"
    for cmd in restore verify; do
        args=(restore "$repo" latest -o /dev/null)
        [ $cmd = verify ] && args=(verify "$repo" --level full)
        off=() on=()
        for ((i = 0; i < runs; i++)); do
            off+=("$(AWS_ENDPOINT_URL=$endpoint CAIRN_READ_AHEAD=0 secs "$cairn" "${args[@]}")")
            on+=("$(AWS_ENDPOINT_URL=$endpoint secs "$cairn" "${args[@]}")")
        done
        python3 - "$name" "$cmd" "${off[*]}" "${on[*]}" <<'PY'
import statistics, sys
name, cmd, off, on = sys.argv[1], sys.argv[2], [float(x) for x in sys.argv[3].split()], [float(x) for x in sys.argv[4].split()]
a, b = statistics.median(off), statistics.median(on)
rng = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}"
print(f"| {name} | {cmd} | {rng(off)} | {rng(on)} | {a / b:.2f}x |")
PY
    done
done
echo "($size MiB of gen_data.py, $(du -sm "$tmp/weed" | cut -f1) MiB in SeaweedFS, $runs runs each, alternated; ratio of medians)"
