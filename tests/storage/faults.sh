# The network failing between the CLI and S3 (docs/DESIGN.md §22, "Bad input"), through
# tests/storage/s3_proxy.py in front of the SeaweedFS gateway: a 503 (SlowDown) and a 429
# storm that retries ride out, a service without conditional writes, a permanent 503
# storm, a connection cut half-way through an ingest, and a service that stops answering
# (S3 and HTTP). Each failure must end in
# seconds with exit 5 and `StorageError` (never a hang), and afterwards the repository,
# read straight from the gateway, must pass `verify --level full`, hold no snapshot of a
# failed ingest, and take the next ingest.
#
# Sourced by tests/storage/run.sh after it started SeaweedFS and defined `run`, `ok`,
# `fail` and `expect_error`: `network_faults DIR` makes its files in DIR.

network_faults() {
    local dir=$1 repo=s3://cairn-e2e/faults n snaps
    proxy_start
    local via=$CAIRN_TEST_PROXY
    for f in a b c d; do head -c 3000000 /dev/urandom >"$dir/$f.bin"; done
    # Small packs, so that an ingest makes many requests and a cut falls inside it.
    run init "$repo" --pack-size 300000 >/dev/null
    AWS_ENDPOINT_URL=$via run ingest "$repo" "$dir/a.bin" >/dev/null
    n=$(proxy_stat passed)
    echo "an ingest of 3 MB made $n requests"

    # A share of the requests fails, some twice in a row: retries ride it out (each retry
    # waits its backoff, so a test cannot afford more).
    proxy_set "fail=503&first=2&every=6"
    if AWS_ENDPOINT_URL=$via run ingest "$repo" --item storm="$dir/b.bin" >/dev/null && [ "$(proxy_stat failed)" -gt 0 ]; then
        ok "a storm of 503 SlowDown (every sixth request twice): ingest succeeds ($(proxy_stat failed) answers 503)"
    else fail "ingest through a transient 503 storm"; fi
    proxy_set "fail=429&first=1&every=3"
    if AWS_ENDPOINT_URL=$via run restore "$repo" latest --item storm -o "$dir/out.bin" && cmp "$dir/b.bin" "$dir/out.bin" &&
        [ "$(proxy_stat failed)" -gt 0 ]; then
        ok "a storm of 429 (every third request once): restore is byte-identical ($(proxy_stat failed) answers 429)"
    else fail "restore through a transient 429 storm"; fi

    proxy_set "fail=501&first=all&conditional=1"
    AWS_ENDPOINT_URL=$via expect_error StorageError "cannot create objects exclusively" init s3://cairn-e2e/no-conditional
    proxy_set "fail=503&first=all"
    AWS_ENDPOINT_URL=$via CAIRN_STORAGE_ATTEMPTS=2 expect_error StorageError "SlowDown, HTTP 503 (after 2 attempts)" ingest "$repo" "$dir/c.bin"
    proxy_set "cut_after=$((n / 2))"
    AWS_ENDPOINT_URL=$via CAIRN_STORAGE_ATTEMPTS=2 expect_error StorageError "connection broke" ingest "$repo" "$dir/c.bin"
    [ "$(proxy_stat cut)" -gt 0 ] || fail "the proxy cut no connection"
    proxy_set "stall_after=$((n / 2))"
    AWS_ENDPOINT_URL=$via CAIRN_STORAGE_ATTEMPTS=2 CAIRN_STORAGE_TIMEOUT=1 \
        expect_error StorageError "no answer within 1 s" ingest "$repo" "$dir/d.bin"
    proxy_set "stall_after=0"
    CAIRN_STORAGE_ATTEMPTS=2 CAIRN_STORAGE_TIMEOUT=1 \
        expect_error StorageError "timeout.*after 2 attempts" restore "$via/cairn-e2e/faults/" latest -o "$dir/out.bin"
    proxy_set ""

    snaps=$(run --json snapshots "$repo" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    if [ "$snaps" = 2 ] && run verify "$repo" --level full >/dev/null && run ingest "$repo" "$dir/c.bin" >/dev/null &&
        run restore "$repo" latest -o "$dir/out.bin" && cmp "$dir/c.bin" "$dir/out.bin" && run verify "$repo" --level full >/dev/null; then
        ok "after the failures: no snapshot of a failed ingest, verify full passes, the next ingest succeeds and restores byte-identical"
    else fail "the repository after network failures ($snaps snapshots)"; fi
}
