#!/usr/bin/env bash
# Directory trees against restic, borg and casync: the Linux kernel source tree (Debian's
# linux-source package, about 80,000 files), or any directory given.
#   bench/trees.sh [ROUNDS] [DIR LS_PATH]     (defaults: 2, the kernel tree, `kernel/sched`)
#   TOOLS=cairn,restic bench/trees.sh 4       (some of cairn, restic, borg, casync; default all)
#   CAIRN_BASE=/path/to/other/cairn bench/trees.sh   (also runs that build, as `cairn (base)`)
#   CAIRN=/path/to/cairn bench/trees.sh           (that binary instead of building one)
# Steps per tool: first backup, second backup of the unchanged tree, full restore, `ls` of
# one directory; alternated over ROUNDS (bench/trees.py). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}; tree=${2:-}; ls_path=${3:-kernel/sched}
out=bench/out/trees
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
if ! { command -v restic && command -v borg && command -v casync; } > /dev/null; then
    $sudo_ apt-get update -q >&2 && $sudo_ apt-get install -y -q restic borgbackup casync >&2
fi
if [ -z "$tree" ]; then
    tree=bench/data/linux
    if [ ! -d "$tree" ]; then
        ls /usr/src/linux-source-*.tar.xz > /dev/null 2>&1 || \
            { $sudo_ apt-get update -q >&2 && $sudo_ apt-get install -y -q linux-source >&2; }
        mkdir -p "$tree.tmp"
        tar -xJf "$(ls /usr/src/linux-source-*.tar.xz | head -1)" -C "$tree.tmp" --strip-components=1
        mv "$tree.tmp" "$tree"
    fi
fi
source tests/lib/cairn.sh
rm -rf "$out"; mkdir -p "$out"
# A copy, so that a build during the run does not change the binary measured.
cp "$cairn" "$out/cairn"
python3 bench/trees.py --cairn "$PWD/$out/cairn" --tree "$tree" \
    --ls "$ls_path" --out "$out" --rounds "$rounds" --tools "${TOOLS:-cairn,restic,borg,casync}" \
    ${CAIRN_BASE:+--cairn-base "$CAIRN_BASE"}
