#!/usr/bin/env bash
# The README's JS examples run as written: a fresh project installs the package by path
# (and Deno from npm), then runs README's example.mjs with Node and example.ts with Deno,
# twice each (the second run opens the repository the first one made).
#   tests/js/readme.sh      (after `npm run build` in js/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The fenced block of README.md whose first line is `// NAME`.
python3 - "$root/README.md" "$work" <<'PY'
import re, sys
readme, work = sys.argv[1:]
blocks = re.findall(r"```(?:js|ts)\n(// (example\.\w+)\n.*?)```", open(readme).read(), re.S)
assert sorted(name for _, name in blocks) == ["example.mjs", "example.ts"], blocks
for code, name in blocks:
    open(f"{work}/{name}", "w").write(code)
PY
cd "$work"
npm init -y > /dev/null
npm install --no-audit --no-fund "$root/js" deno > /dev/null 2>&1
for run in 1 2; do
    node example.mjs
    cmp restored.json package.json
    npx deno run --allow-read --allow-write --allow-env --allow-sys example.ts
    cmp restored.json package.json
    rm restored.json
done
echo "README examples: ran in Node and Deno, twice each"
