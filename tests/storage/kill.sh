# The kill test of the storage scripts (tests/storage/run.sh, tests/storage/distributed.sh),
# written once. Source it after seaweed.sh has started a gateway (it lists the bucket
# anonymously through CAIRN_TEST_S3).

# kill_mid_ingest CAIRN BUCKET PREFIX FILE OUT: makes a repository at s3://BUCKET/PREFIX,
# kills (`kill -9`) an ingest of FILE as soon as its first packs are in the bucket, then
# checks that the repository holds no snapshot, passes `verify --level full`, takes the
# next ingest of FILE, and restores it to OUT byte-identical. Exit status 0 when all holds.
kill_mid_ingest() {
    local cairn=$1 bucket=$2 prefix=$3 file=$4 out=$5
    local repo=s3://$bucket/$prefix victim i packs snaps
    timeout 300 "$cairn" init "$repo" >/dev/null || return 1
    "$cairn" ingest "$repo" "$file" >/dev/null 2>&1 &
    victim=$!
    count_packs() {
        curl -s "$CAIRN_TEST_S3/$bucket?list-type=2&prefix=$prefix/packs/" | { grep -o "<Key>" || true; } | wc -l
    }
    for ((i = 0; i < 600; i++)); do
        [ "$(count_packs)" -gt 0 ] && break
        sleep 0.1
    done
    kill -9 "$victim" 2>/dev/null || echo "the ingest ended before it could be killed"
    wait "$victim" 2>/dev/null || true
    packs=$(count_packs)
    snaps=$(timeout 300 "$cairn" --json snapshots "$repo" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' || true)
    echo "killed ingest left $packs pack objects and $snaps snapshots"
    [ "$packs" -gt 0 ] && [ "$snaps" = 0 ] &&
        timeout 300 "$cairn" verify "$repo" --level full >/dev/null &&
        timeout 300 "$cairn" ingest "$repo" "$file" >/dev/null &&
        timeout 300 "$cairn" restore "$repo" latest -o "$out" && cmp "$file" "$out" &&
        timeout 300 "$cairn" verify "$repo" --level full >/dev/null
}
