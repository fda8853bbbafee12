#!/usr/bin/env bash
# The format is the contract (docs/DESIGN.md §6): repositories the CLI writes must be readable
# by a reader written from docs/FORMAT.md alone (read_plain.py), which decodes every chunk
# with the system's `gzip -d` or `zstd -d`.
#   check.sh PATH/TO/cairn
set -euo pipefail
cairn=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
gen=$here/../../bench/gen_data.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$gen" --size-mib 8 "$work/data" >/dev/null
head -c 300000 "$work/data/v2.bin" > "$work/small.bin"

for codec in gzip zstd; do
    repo="$work/repo-$codec"
    "$cairn" init "$repo" --compression "$codec" --pack-size 1048576 >/dev/null
    id1=$("$cairn" ingest "$repo" --json --tag v=1 "$work/data/v1.bin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    id2=$("$cairn" ingest "$repo" --json --item db:dump="$work/data/v2.bin" --item small="$work/small.bin" \
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    python3 "$here/read_plain.py" "$repo" "$id1" > "$work/out1"
    cmp "$work/out1" "$work/data/v1.bin"
    python3 "$here/read_plain.py" "$repo" "$id2" > "$work/out2"
    cat "$work/data/v2.bin" "$work/small.bin" | cmp - "$work/out2"
    python3 "$here/read_plain.py" "$repo" "$id2" small > "$work/out3"
    cmp "$work/out3" "$work/small.bin"
    codecs=$(python3 - "$repo" <<'PY'
import os, struct, sys
repo = sys.argv[1]; seen = set()
for d, _, files in os.walk(os.path.join(repo, "packs")):
    for f in files:
        if f.endswith(".idx"):
            b = open(os.path.join(d, f), "rb").read()
            seen |= {b[52 + 48 * i + 45] for i in range(struct.unpack_from("<I", b, 48)[0])}
print(" ".join(str(c) for c in sorted(seen)))
PY
)
    echo "$codec: an independent reader restored both snapshots and one item byte for byte (codec bytes seen: $codecs)"
    case "$codec:$codecs" in
        gzip:"0 1"|zstd:"0 2") ;;
        *) echo "expected both raw and $codec chunks in $codec repository, saw: $codecs" >&2; exit 1 ;;
    esac
done

# The golden repositories, written by an earlier version, read by the independent reader too.
golden=$here/../golden
for name in plain-gzip plain-zstd; do
    python3 - "$here/read_plain.py" "$golden/$name" "$golden/expected.json" "$golden/$name.snapshots.json" <<'PY'
import hashlib, json, subprocess, sys
reader, repo, expected, listing = sys.argv[1:]
expected = json.load(open(expected))["items"]
for snap in json.load(open(listing)):
    for item, sha in expected[snap["tags"]["n"]].items():
        out = subprocess.run([sys.executable, reader, repo, snap["id"], item], capture_output=True, check=True).stdout
        assert hashlib.sha256(out).hexdigest() == sha, (repo, snap["id"], item)
PY
    echo "golden $name: read byte for byte by the independent reader"
done

# The chunker written from FORMAT.md section 8 alone (chunker.py) must cut every item of
# every plain repository above where the CLI cut it, and the chunk lists and the counters
# of section 9 must agree with it. One more repository has small chunks, an empty item,
# repeats within a snapshot and an item of more than 8192 chunks (two lists); codec none
# keeps the reader from starting `gzip -d` ten thousand times.
small_repo="$work/repo-small-chunks"
head -c 3000000 "$work/data/v1.bin" > "$work/big.bin"
head -c 400000 "$work/big.bin" > "$work/again.bin"
: > "$work/empty.bin"
"$cairn" init "$small_repo" --compression none --chunking 64,256,1024 --pack-size 65536 >/dev/null
"$cairn" ingest "$small_repo" --item big="$work/big.bin" --item empty:none="$work/empty.bin" \
    --item again="$work/again.bin" >/dev/null
"$cairn" ingest "$small_repo" --item small="$work/small.bin" --item again="$work/again.bin" >/dev/null
for repo in "$work/repo-gzip" "$work/repo-zstd" "$golden/plain-gzip" "$golden/plain-zstd" "$small_repo"; do
    result=$(python3 "$here/chunker.py" --check-repo "$repo")
    echo "chunker $(basename "$repo"): $result"
done
