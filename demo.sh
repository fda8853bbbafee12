#!/usr/bin/env bash
# Cairn's main job, end to end: build the CLI, back up two real streams as one snapshot,
# back them up again after a change (deduplicated), list and show the snapshots, restore,
# and check the restored bytes. The repository is left in target/demo-repo to explore.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-unknown-unknown > /dev/null
cargo build --release
cairn=target/release/cairn
repo=target/demo-repo
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
rm -rf "$repo"

# Two streams of the kind Cairn is for: a volume tarball and a source archive.
tar -C /usr/share -cf "$work/docs.tar" doc 2> /dev/null || true
git archive --format=tar HEAD > "$work/source.tar" 2> /dev/null || tar --exclude=./target -cf "$work/source.tar" .

echo; echo "== cairn init $repo"
$cairn init "$repo"
echo; echo "== cairn ingest (first backup)"
$cairn ingest "$repo" --tag host="$(hostname)" --tag run=1 \
    --item docs.tar:tar="$work/docs.tar" --item source.tar:tar="$work/source.tar"

# The second version: the same volume with a file added at its end.
cp "$work/docs.tar" "$work/docs-v2.tar"
printf 'changed between the two backups\n' > "$work/NEW"
tar -rf "$work/docs-v2.tar" -C "$work" NEW
echo; echo "== cairn ingest (second backup: only what changed is stored)"
$cairn ingest "$repo" --tag host="$(hostname)" --tag run=2 \
    --item docs.tar:tar="$work/docs-v2.tar" --item source.tar:tar="$work/source.tar"

echo; echo "== cairn snapshots"
$cairn snapshots "$repo"
echo; echo "== cairn show latest"
$cairn show "$repo" latest

echo; echo "== cairn restore latest --item docs.tar"
$cairn restore "$repo" latest --item docs.tar -o "$work/restored.tar"
cmp "$work/restored.tar" "$work/docs-v2.tar"
echo "restored docs.tar is byte-identical to what was backed up ($(sha256sum < "$work/restored.tar" | cut -c1-16)...)"
echo; echo "repository: $repo ($(du -sh "$repo" | cut -f1) for $(du -ch "$work/docs.tar" "$work/docs-v2.tar" "$work/source.tar" | tail -1 | cut -f1) of input)"
