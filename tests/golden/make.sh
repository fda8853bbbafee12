#!/usr/bin/env bash
# How the golden repositories were made, once, with the version-1 CLI. Tests never run
# this: the committed repositories are what every later version must keep reading
# (host/tests/golden.rs, tests/format/check.sh). Running it again makes new ones (ids,
# keys and nonces are random), so only do that for a new format version, into a new dir.
#   make.sh PATH/TO/cairn OUTDIR [NAME...]     (default: every name below)
# plain-gzip, plain-zstd and encrypted-gzip (AES-256-GCM) were made by the first release;
# encrypted-xaes-gzip (XAES-256-GCM, NFC key file) by the revision that introduced them;
# tree-zstd (a directory tree, manifest version 2, docs/FORMAT.md §9b) by the revision
# that introduced trees.
set -euo pipefail
cairn=$(realpath "$1"); out=$2; shift 2
names=("$@"); ((${#names[@]})) || names=(plain-gzip plain-zstd encrypted-gzip encrypted-xaes-gzip tree-zstd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 "$here/../../bench/gen_data.py" --size-mib 1 --seed 7 "$tmp" > /dev/null
head -c 150000 "$tmp/v1.bin" > "$tmp/a.bin"
head -c 170000 "$tmp/v2.bin" > "$tmp/b.bin"
printf 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1), (2), (3);\n' > "$tmp/schema.sql"
# The tree of tree-zstd: nested directories, a long and a short file, an empty one, a link,
# a name that is not UTF-8; fixed modes and times, so only owners depend on who makes it.
tree=$tmp/tree
mkdir -p "$tree/etc/ssh" "$tree/empty-dir"
cp "$tmp/a.bin" "$tree/etc/long.bin"
cp "$tmp/schema.sql" "$tree/etc/ssh/schema.sql"
: > "$tree/etc/empty"
ln -s ssh/schema.sql "$tree/etc/link"
printf 'not UTF-8' > "$tree/$(printf 'caf\xe9')"
chmod 640 "$tree/etc/long.bin"; chmod 700 "$tree/etc/ssh"
find "$tree" -exec touch -h -d '2026-01-02 03:04:05.123456789 UTC' {} +
export CAIRN_PASSPHRASE="golden passphrase"
mkdir -p "$out"
for name in "${names[@]}"; do
    repo=$out/$name
    case $name in
        plain-gzip) flags=(--compression gzip) ;;
        plain-zstd) flags=(--compression zstd) ;;
        encrypted-gzip | encrypted-xaes-gzip) flags=(--compression gzip --encrypt) ;;
        tree-zstd) flags=(--compression zstd --encrypt) ;;
    esac
    if [ "$name" = tree-zstd ]; then
        "$cairn" init "$repo" "${flags[@]}" --chunking 4096,16384,65536 --pack-size 65536 > /dev/null
        "$cairn" ingest "$repo" --tag env=golden --tag n=3 --item "tree=$tree" --item data:raw="$tmp/b.bin" > /dev/null
        "$cairn" snapshots "$repo" --json > "$out/$name.snapshots.json"
        "$cairn" ls "$repo" latest --json > "$out/$name.ls.json"
        continue
    fi
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
           "items": {"1": {"data": sha("a.bin")}, "2": {"data": sha("b.bin"), "schema.sql": sha("schema.sql")},
                     "3": {"data": sha("b.bin")}},
           "tree": {"etc/long.bin": sha("tree/etc/long.bin"), "etc/ssh/schema.sql": sha("tree/etc/ssh/schema.sql"),
                    "etc/empty": sha("tree/etc/empty")}},
          open(f"{out}/expected.json", "w"), indent=2)
PY
