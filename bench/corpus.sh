#!/usr/bin/env bash
# Builds the benchmark corpus of real kinds of data into DIR (default bench/corpus), once:
#   sql.dump     pg_dump (plain SQL) of a pgbench database, a real PostgreSQL's output
#   week/*.sql   seven nightly dumps of that database, with a day of pgbench traffic between
#   pgdata.tar   a tarball of that database's data directory (binary pages, WAL)
#   logs.txt     web-server access log lines (synthetic, seeded)
#   media.bin    already-compressed data (zstd and gzip of the above)
#   gen.bin      bench/gen_data.py output (v1)
#   bench/corpus.sh [DIR] [SCALE]     (SCALE: pgbench scale, default 4, about 60 MB of dump)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-bench/corpus}; scale=${2:-4}
mkdir -p "$dir"
dir=$(realpath "$dir")
[ -f "$dir/done" ] && exit 0
need=()
for tool in pg_dump pgbench zstd gzip; do command -v "$tool" >/dev/null || need+=(postgresql postgresql-contrib zstd); done
if ((${#need[@]})); then
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
    $sudo_ apt-get update -q && $sudo_ apt-get install -y -q postgresql postgresql-contrib zstd
fi
bin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
pg=$(mktemp -d); chmod 755 "$pg"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pg"
port=$((20000 + RANDOM % 20000))
as_pg "$bin/initdb" -D "$pg/data" -A trust -U bench > /dev/null
as_pg "$bin/pg_ctl" -D "$pg/data" -o "-p $port -k $pg -c listen_addresses=''" -l "$pg/log" -w start > /dev/null
trap 'as_pg "$bin/pg_ctl" -D "$pg/data" -m fast stop > /dev/null 2>&1 || true; rm -rf "$pg"' EXIT
export PGHOST=$pg PGPORT=$port PGUSER=bench
as_pg createdb -h "$pg" -p "$port" -U bench bench
as_pg pgbench -h "$pg" -p "$port" -U bench -q -i -s "$scale" bench > /dev/null 2>&1
mkdir -p "$dir/week"
for day in 1 2 3 4 5 6 7; do
    as_pg pgbench -h "$pg" -p "$port" -U bench -t 2000 -c 2 -j 1 bench > /dev/null 2>&1
    as_pg pg_dump -h "$pg" -p "$port" -U bench bench > "$dir/week/day$day.sql"
done
cp "$dir/week/day7.sql" "$dir/sql.dump"
as_pg psql -h "$pg" -p "$port" -U bench -q -c checkpoint bench > /dev/null
tar -C "$pg" -cf "$dir/pgdata.tar" data
python3 - "$dir/logs.txt" <<'PY'
import random, sys
r = random.Random(7)
paths = ["/", "/index.html", "/api/orders", "/api/orders/%d", "/static/app.%s.js", "/login", "/img/%d.png"]
agents = ["Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "curl/8.5.0", "Mozilla/5.0 (Macintosh) Safari/17.4"]
with open(sys.argv[1], "w") as f:
    t = 1767225600
    for i in range(400_000):
        t += r.randint(0, 2)
        p = r.choice(paths)
        if "%d" in p: p = p % r.randint(1, 99999)
        if "%s" in p: p = p % format(r.getrandbits(32), "08x")
        f.write(f'10.{r.randint(0,255)}.{r.randint(0,255)}.{r.randint(1,254)} - - [{t}] "GET {p} HTTP/1.1" '
                f'{r.choice([200,200,200,304,404,500])} {r.randint(200,90000)} "-" "{r.choice(agents)}"\n')
PY
{ zstd -q -3 -c "$dir/sql.dump"; gzip -6 -c "$dir/pgdata.tar"; } | head -c $((32 << 20)) > "$dir/media.bin"
python3 bench/gen_data.py --size-mib 64 "$pg/gen" > /dev/null
cp "$pg/gen/v1.bin" "$dir/gen.bin"
ls -l "$dir" "$dir/week" >&2
touch "$dir/done"
