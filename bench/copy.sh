#!/usr/bin/env bash
# `cairn copy` against `restic copy` (Debian's): snapshots of `bench/gen_data.py` data from
# one encrypted repository into another with a different passphrase, on the local disk.
# Per run, fresh repositories: the first copy of v1, then the copy of v2 (v1 edited and
# grown), which should store only what changed; the two tools alternated. Prints a table
# (range of the runs' wall times, ratio of the medians); never asserts a time.
#
# Usage: bench/copy.sh [SIZE_MIB (200)] [RUNS (3)]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-200} runs=${2:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source tests/lib/cairn.sh
command -v restic >/dev/null || apt-get install -y -q restic >/dev/null
python3 bench/gen_data.py --size-mib "$size" "$tmp/data" >/dev/null

# secs CMD...: the wall time of CMD in seconds.
secs() {
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1
    awk "BEGIN { print $EPOCHREALTIME - $t0 }"
}
du_mib() { du -sm "$1" | cut -f1; }
export CAIRN_PASSPHRASE=one CAIRN_TO_PASSPHRASE=two RESTIC_PASSWORD=two RESTIC_FROM_PASSWORD=one
c1=() c2=() r1=() r2=() cs=() rs=()
mkdir "$tmp/in"
for ((i = 0; i < runs; i++)); do
    "$cairn" init "$tmp/cs$i" --encrypt >/dev/null 2>&1
    CAIRN_PASSPHRASE=two "$cairn" init "$tmp/cd$i" --encrypt >/dev/null 2>&1
    RESTIC_PASSWORD=one restic -q -r "$tmp/rs$i" init >/dev/null
    restic -q -r "$tmp/rd$i" init >/dev/null
    for v in 1 2; do
        cp "$tmp/data/v$v.bin" "$tmp/in/data.bin"
        "$cairn" ingest "$tmp/cs$i" "$tmp/in/data.bin" >/dev/null
        RESTIC_PASSWORD=one restic -q -r "$tmp/rs$i" backup "$tmp/in/data.bin" >/dev/null
        c=$(secs "$cairn" copy "$tmp/cs$i" "$tmp/cd$i")
        r=$(secs restic -q -r "$tmp/rd$i" copy --from-repo "$tmp/rs$i")
        if [ $v = 1 ]; then c1+=("$c") r1+=("$r"); else c2+=("$c") r2+=("$r"); fi
    done
    CAIRN_PASSPHRASE=two "$cairn" restore "$tmp/cd$i" latest -o "$tmp/out.bin"
    cmp "$tmp/data/v2.bin" "$tmp/out.bin" && rm "$tmp/out.bin"
    cs+=("$(du_mib "$tmp/cd$i")") rs+=("$(du_mib "$tmp/rd$i")")
    rm -rf "$tmp/cs$i" "$tmp/cd$i" "$tmp/rs$i" "$tmp/rd$i"
done
python3 - "${c1[*]}" "${r1[*]}" "${c2[*]}" "${r2[*]}" "${cs[*]}" "${rs[*]}" "$size" "$(restic version | cut -d' ' -f1-2)" <<'PY'
import statistics, sys
c1, r1, c2, r2, cs, rs = ([float(x) for x in a.split()] for a in sys.argv[1:7])
rng = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}"
print(f"| copy, {sys.argv[7]} MiB, encrypted to encrypted | cairn (s) | {sys.argv[8]} (s) | restic / cairn |")
print("|---|---:|---:|---:|")
for name, c, r in (("first copy (v1)", c1, r1), ("second copy (v2: v1 edited, grown)", c2, r2)):
    print(f"| {name} | {rng(c)} | {rng(r)} | {statistics.median(r) / statistics.median(c):.2f}x |")
print(f"| destination after both (MiB) | {statistics.median(cs):.0f} | {statistics.median(rs):.0f} | |")
PY
