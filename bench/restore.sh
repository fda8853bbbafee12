#!/usr/bin/env bash
# Restore alone, Cairn against restic (Debian's), from the local disk and from S3
# (SeaweedFS on 127.0.0.1, tests/storage/seaweed.sh): one encrypted repository of each tool
# in each place holding the same file (`bench/gen_data.py`), then RUNS rounds in which every
# command restores it to a file in the same directory, the commands alternated (and
# reversed every other round). Each Cairn row runs with 1 and 2 threads; with CAIRN_BASE
# set to another `cairn` binary (main's, say) its rows run in the same rounds, so that a
# change is measured against what it changes. Prints wall seconds and CPU seconds (user +
# system) per row, restic's median over each row's, and for S3 rows the same command's
# median from the local disk over its median from S3, and the CPU SeaweedFS spent serving
# each S3 row (on the same cores), with each row's median minor page faults and peak
# resident memory; never asserts a time.
#
# Usage: [CAIRN=path/to/cairn] [CAIRN_BASE=path/to/cairn] bench/restore.sh [SIZE_MIB (200)] [RUNS (5)]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200} runs=${2:-5}
source tests/storage/seaweed.sh
tmp=$(mktemp -d)
trap 'seaweed_stop; rm -rf "$tmp"' EXIT
seaweed_install >/dev/null
source tests/lib/cairn.sh
command -v restic >/dev/null || apt-get install -y -q restic >/dev/null
seaweed_start "$tmp/weed" >/dev/null
s3_make_bucket bench
python3 bench/gen_data.py --size-mib "$size" "$tmp/data" >/dev/null
export CAIRN_PASSPHRASE=bench RESTIC_PASSWORD=bench
file=$tmp/data/v1.bin
for repo in "$tmp/cairn" s3://bench/cairn; do
    "$cairn" init "$repo" --encrypt >/dev/null
    "$cairn" ingest "$repo" "$file" >/dev/null
done
for repo in "$tmp/restic" "s3:$AWS_ENDPOINT_URL/bench/restic"; do
    restic -q -r "$repo" init >/dev/null
    restic -q -r "$repo" backup "$file" >/dev/null
done

# The commands measured: NAME PLACE THEN THE COMMAND (restoring to $out/v1.bin).
rows=()
for place in disk s3; do
    crepo=$tmp/cairn rrepo=$tmp/restic
    [ "$place" = s3 ] && crepo=s3://bench/cairn rrepo=s3:$AWS_ENDPOINT_URL/bench/restic
    for t in 1 2; do
        rows+=("cairn-t$t $place $cairn --threads $t restore $crepo latest -o OUT/v1.bin")
        [ -n "${CAIRN_BASE:-}" ] &&
            rows+=("base-t$t $place $CAIRN_BASE --threads $t restore $crepo latest -o OUT/v1.bin")
    done
    rows+=("restic $place restic -q -r $rrepo restore latest --target OUT")
done
# CPU seconds SeaweedFS's processes have used so far: an S3 row's server side, which runs
# on the same cores as the restore it serves.
server_cpu() {
    local pid ticks=0
    for pid in "${SEAWEED_PIDS[@]}"; do
        # utime and stime, fields 14 and 15 of /proc/PID/stat (the name, field 2, has no space).
        read -r -a f <"/proc/$pid/stat"
        ticks=$((ticks + f[13] + f[14]))
    done
    echo "$ticks $(getconf CLK_TCK)" | awk '{ printf "%.2f", $1 / $2 }'
}
out=$tmp/out
for ((i = 0; i < runs; i++)); do
    order=("${rows[@]}")
    if ((i % 2)); then
        order=()
        for ((j = ${#rows[@]} - 1; j >= 0; j--)); do order+=("${rows[j]}"); done
    fi
    for row in "${order[@]}"; do
        read -r name place cmd <<<"$row"
        rm -rf "$out" && mkdir -p "$out"
        before=$(server_cpu)
        # shellcheck disable=SC2086
        /usr/bin/time -o "$tmp/t" -f "%e %U %S %R %M" ${cmd//OUT/$out} >/dev/null 2>&1
        echo "$name $place $(cat "$tmp/t") $(echo "$before $(server_cpu)" | awk '{ print $2 - $1 }')" >>"$tmp/times"
        got=$out/v1.bin && [ "$name" = restic ] && got=$out$file
        cmp "$file" "$got"
    done
done
python3 - "$tmp/times" "$(restic version | cut -d' ' -f1-2)" "$size" "$runs" <<'PY'
import collections, statistics, sys
wall, cpu, served, minor, rss = (collections.defaultdict(list) for _ in range(5))
for line in open(sys.argv[1]):
    name, place, e, u, s, faults, peak, server = line.split()
    wall[name, place].append(float(e))
    minor[name, place].append(int(faults))
    rss[name, place].append(int(peak) / 1024)
    cpu[name, place].append(float(u) + float(s))
    served[name, place].append(float(server))
med = statistics.median
rng = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}"
print(f"| command | repository | wall (s) | CPU (s) | page faults | peak MiB | SeaweedFS CPU (s) | {sys.argv[2]} / it, wall | CPU | disk / S3, wall |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for place in ("disk", "s3"):
    r = ("restic", place)
    for name in sorted({n for n, p in wall if p == place}, key=lambda n: (n == "restic", n)):
        k = (name, place)
        # How fast from S3 against the same command from the local disk (1.00x: as fast).
        local = f"{med(wall[name, 'disk']) / med(wall[k]):.2f}x" if place == "s3" else ""
        print(f"| {name} | {'local disk' if place == 'disk' else 'S3 (SeaweedFS)'} | {rng(wall[k])} "
              f"| {rng(cpu[k])} | {med(minor[k]):.0f} | {med(rss[k]):.0f} | {rng(served[k]) if place == 's3' else ''} | {med(wall[r]) / med(wall[k]):.2f}x | {med(cpu[r]) / med(cpu[k]):.2f}x | {local} |")
print(f"({sys.argv[3]} MiB of gen_data.py, encrypted repositories, {sys.argv[4]} runs each, alternated; ratios of medians)")
PY
