#!/usr/bin/env bash
# How the golden repositories were made, once, with the version-1 CLI. Tests never run
# this: the committed repositories are what every later version must keep reading
# (host/tests/golden.rs, tests/format/check.sh). Running it again makes new ones (ids,
# keys and nonces are random), so only do that for a new format version, into a new dir.
#   make.sh PATH/TO/cairn OUTDIR [NAME...]     (default: every name below)
# plain-gzip, plain-zstd and encrypted-gzip (AES-256-GCM) were made by the first release;
# encrypted-xaes-gzip (XAES-256-GCM, NFC key file) by the revision that introduced them.
set -euo pipefail
cairn=$(realpath "$1"); out=$2; shift 2
names=("$@"); ((${#names[@]})) || names=(plain-gzip plain-zstd encrypted-gzip encrypted-xaes-gzip)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 "$here/../../bench/gen_data.py" --size-mib 1 --seed 7 "$tmp" > /dev/null
head -c 150000 "$tmp/v1.bin" > "$tmp/a.bin"
head -c 170000 "$tmp/v2.bin" > "$tmp/b.bin"
printf 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1), (2), (3);\n' > "$tmp/schema.sql"
export CAIRN_PASSPHRASE="golden passphrase"
mkdir -p "$out"
for name in "${names[@]}"; do
    repo=$out/$name
    case $name in
        plain-gzip) flags=(--compression gzip) ;;
        plain-zstd) flags=(--compression zstd) ;;
        encrypted-gzip | encrypted-xaes-gzip) flags=(--compression gzip --encrypt) ;;
    esac
    "$cairn" init "$repo" "${flags[@]}" --chunking 4096,16384,65536 --pack-size 65536 > /dev/null
    "$cairn" ingest "$repo" --tag env=golden --tag n=1 --item data:raw="$tmp/a.bin" > /dev/null
    "$cairn" ingest "$repo" --tag env=golden --tag n=2 --item data:raw="$tmp/b.bin" \
        --item schema.sql:sql="$tmp/schema.sql" > /dev/null
    "$cairn" snapshots "$repo" --json > "$out/$name.snapshots.json"
done
python3 - "$tmp" "$out" <<'PY'
import hashlib, json, sys
tmp, out = sys.argv[1:]
sha = lambda p: hashlib.sha256(open(f"{tmp}/{p}", "rb").read()).hexdigest()
json.dump({"passphrase": "golden passphrase",
           "items": {"1": {"data": sha("a.bin")}, "2": {"data": sha("b.bin"), "schema.sql": sha("schema.sql")}}},
          open(f"{out}/expected.json", "w"), indent=2)
PY
