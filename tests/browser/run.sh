#!/usr/bin/env bash
# The browser entry in real headless Chromium: installs Debian's chromium when missing and
# playwright-core from npm, then runs browser.test.mjs against the CLI at $1.
#   tests/browser/run.sh target/release/cairn      (after `npm run build` in js/)
#   tests/browser/run.sh --install-only            (what bench/browser.sh needs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v chromium > /dev/null; then
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
    $sudo_ apt-get update -q && $sudo_ apt-get install -y -q chromium
fi
(cd "$here" && npm install --no-audit --no-fund > /dev/null)
[ "${1:-}" = --install-only ] && exit 0
cairn=$(realpath "${1:-target/release/cairn}")
cd "$here"
CAIRN="$cairn" CHROMIUM="$(command -v chromium)" node --test browser.test.mjs
