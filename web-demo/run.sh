#!/usr/bin/env bash
# The web demo, one command: builds the CLI and the JS package when needed, writes two
# sample repositories with the CLI (plain, and encrypted under the passphrase "demo"), and
# serves the page on http://127.0.0.1:PORT/web-demo/ (default 8080) until interrupted.
#   web-demo/run.sh [PORT]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${1:-8080}
cd "$root"
[ -x target/release/cairn ] || cargo build --release -q
if [ ! -f js/dist/browser.js ] || [ ! -f js/pkg/cairn_bindgen_bg.wasm ]; then
    (cd js && { [ -d node_modules ] || npm ci --no-audit --no-fund > /dev/null; } && npm run build > /dev/null)
fi
samples=target/web-demo
if [ ! -d "$samples/plain" ]; then
    rm -rf "$samples" && mkdir -p "$samples"
    export CAIRN_PASSPHRASE=demo
    for repo in plain encrypted; do
        flags=(); [ "$repo" = encrypted ] && flags=(--encrypt)
        target/release/cairn init "$samples/$repo" "${flags[@]}" > /dev/null
        for day in 1 2 3; do
            { cat README.md docs/FORMAT.md; seq 1 $((day * 20000)); } |
                target/release/cairn ingest "$samples/$repo" --tag "day=$day" --item "notes.txt=-" > /dev/null
        done
        tar -C "$root" -cf - docs js/src | target/release/cairn ingest "$samples/$repo" --tag kind=tar --item "sources.tar=-" > /dev/null
    done
fi
echo "Cairn web demo: open http://127.0.0.1:$port/web-demo/ and pick a folder:"
echo "  $root/$samples/plain"
echo "  $root/$samples/encrypted   (passphrase: demo)"
echo "or open a sample over HTTP:"
echo "  http://127.0.0.1:$port/web-demo/?repo=/$samples/plain/"
echo "  http://127.0.0.1:$port/web-demo/?repo=/$samples/encrypted/"
exec python3 web-demo/serve.py "$port"
