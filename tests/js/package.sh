#!/usr/bin/env bash
# The JS package as its users get it: `npm pack` of js/, checked for what it ships, installed
# into a fresh project with Deno from npm, then
#   - README.md's examples run as written: example.mjs in Node, example.ts in Deno with the
#     README's own (narrow) permission flags, twice each (the second run opens the first's
#     repository);
#   - tests/js/consumer/consumer.ts type-checks under `strict` against the installed
#     package's declarations, and runs compiled in Node and as TypeScript in Deno (with
#     only --allow-read/--allow-write of its directory);
#   - `deno publish --dry-run` accepts js/jsr.json (what JSR would publish);
#   - a Node bundle made by esbuild runs with the package marked external (as README.md
#     says), and one that inlines it fails with EngineUnavailable naming the missing file.
#   tests/js/package.sh      (after `npm run build` in js/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root/js" && npm pack --silent --pack-destination "$work" > /dev/null)
tarball=$(ls "$work"/cairn-backup-cairn-*.tgz)
tar -tzf "$tarball" | sort > "$work/files"
for f in package.json README.md LICENSE dist/node.js dist/node.d.ts dist/deno.js dist/deno.d.ts \
    dist/worker-node.js dist/worker-deno.js pkg/cairn_bindgen.js pkg/cairn_bindgen_bg.wasm; do
    grep -qx "package/$f" "$work/files" || { echo "the packed package lacks $f" >&2; exit 1; }
done
if grep -E '^package/(src|node_modules|tsconfig)' "$work/files"; then
    echo "the packed package ships sources or build files it should not" >&2; exit 1
fi
echo "npm pack: $(wc -l < "$work/files") files, $(($(stat -c %s "$tarball") / 1024)) KiB"

# The fenced blocks of README.md whose first line is `// NAME`, and its Deno command line.
python3 - "$root/README.md" "$work" <<'PY'
import re, sys
readme, work = sys.argv[1:]
text = open(readme).read()
blocks = re.findall(r"```(?:js|ts)\n(// (example\.\w+)\n.*?)```", text, re.S)
assert sorted(name for _, name in blocks) == ["example.mjs", "example.ts"], blocks
for code, name in blocks:
    open(f"{work}/{name}", "w").write(code)
deno = re.findall(r"`(npx deno run [^`]*example\.ts)`", text)
assert len(deno) == 1, deno
open(f"{work}/deno-command", "w").write(deno[0])
PY
cp "$root/tests/js/consumer/consumer.ts" "$root/tests/js/consumer/tsconfig.json" "$work/"
cd "$work"
npm init -y > /dev/null
npm install --no-audit --no-fund "$tarball" deno@~2.9.6 typescript@~5.9.3 @types/node@~20.19.0 esbuild@~0.25.0 > /dev/null 2>&1
npm pkg set type=module > /dev/null
for run in 1 2; do
    node example.mjs
    cmp restored.json package.json
    eval "$(cat deno-command)"
    cmp restored.json package.json
    rm restored.json
done
echo "README examples: ran in Node and Deno (\`$(cat deno-command)\`), twice each"

npx tsc -p tsconfig.json
node consumer.js "$work/consumer-node"
npx deno run --allow-read=. --allow-write=. consumer.ts "$work/consumer-deno"
echo "consumer: type-checked under strict; ran in Node and Deno"

mkdir bundled inlined
npx esbuild consumer.js --bundle --platform=node --format=esm --external:@cairn-backup/cairn --outfile=bundled/app.mjs --log-level=warning
cp -r node_modules bundled/
node bundled/app.mjs "$work/consumer-bundled"
echo 'import { Repository } from "@cairn-backup/cairn"; await Repository.init(process.argv[2]);' > init.mjs
npx esbuild init.mjs --bundle --platform=node --format=esm --outfile=inlined/app.mjs --log-level=warning
if node inlined/app.mjs "$work/consumer-inlined" 2> inlined/err; then
    echo "a bundle without the package's files ran" >&2; exit 1
fi
grep -q "CairnError: the engine cannot start: .*cairn_bindgen_bg.wasm is missing" inlined/err ||
    { cat inlined/err >&2; exit 1; }
grep -q "code: 'EngineUnavailable'" inlined/err || { cat inlined/err >&2; exit 1; }
echo "bundles: esbuild with the package external runs; inlined, it names the missing file"

(cd "$root/js" && "$work/node_modules/.bin/deno" publish --dry-run --allow-dirty > "$work/jsr.log" 2>&1) ||
    { cat "$work/jsr.log" >&2; exit 1; }
echo "JSR: deno publish --dry-run accepts js/jsr.json"
