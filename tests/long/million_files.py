#!/usr/bin/env python3
"""Memory stays bounded on huge trees: a long-mode test, outside `tests/run`.

Backs up, backs up again (unchanged), lists one directory of, and restores a tree of
FILES files (default 1,000,000: 999 directories of 1,000 files and one of the rest, so
some directories span several tree pieces), then does the same with a tree a tenth of
the size, and checks that the peak RSS of each step grew by less than SLACK MiB
(default 64) from the small tree to the big one: a walk holds one tree piece per
directory on its path, never the tree. File contents repeat 1,000 distinct values, so the
repository's index (which grows with distinct chunks, not with files) stays small and
the comparison measures what the tree costs.

    tests/long/million_files.py [--files N] [--cairn target/release/cairn] [--slack MiB]

Prints a table of wall time and peak RSS per step (each command's, from getrusage in a
python process of its own) and exits 1
when a bound is broken or a restore differs (file count, and a sample of contents).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

DISTINCT = 1000


def make_tree(root: str, files: int) -> None:
    """`files` small files: directories of 1,000, and the rest in one wide directory."""
    per_dir = 1000
    dirs = max(1, files // per_dir - 1)
    made = 0
    for d in range(dirs):
        path = os.path.join(root, f"d{d:04}")
        os.mkdir(path)
        for f in range(per_dir):
            with open(os.path.join(path, f"f{f:04}"), "wb") as out:
                out.write(b"content %d\n" % (made % DISTINCT))
            made += 1
    wide = os.path.join(root, "wide")
    os.mkdir(wide)
    while made < files:
        with open(os.path.join(wide, f"w{made:07}"), "wb") as out:
            out.write(b"content %d\n" % (made % DISTINCT))
        made += 1


def measure(cairn: str, files: int, scratch: str) -> dict[str, tuple[float, float]]:
    """The steps on a fresh tree and repository of `files` files."""
    src, repo, out = (os.path.join(scratch, n) for n in ("src", "repo", "out"))
    os.mkdir(src)
    t0 = time.monotonic()
    make_tree(src, files)
    print(f"made {files} files in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    env = dict(os.environ)
    env.pop("CAIRN_PASSPHRASE", None)
    steps: dict[str, tuple[float, float]] = {}

    def step(name: str, argv: list[str]) -> None:
        # A fresh process per step: ru_maxrss of RUSAGE_CHILDREN keeps the maximum, so each
        # step runs under its own python child that reports its command's peak.
        code = (
            "import os,subprocess,sys,time;t=time.monotonic();"
            "p=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE,stderr=subprocess.PIPE);"
            "import resource;r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
            "sys.stderr.write(p.stderr.decode(errors='replace')) if p.returncode else None;"
            "print(p.returncode, time.monotonic()-t, r);sys.stdout.flush()"
        )
        res = subprocess.run([sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        rc, wall, rss = res.stdout.decode().split()
        if rc != "0":
            sys.exit(f"{name} failed: {res.stderr.decode(errors='replace')}")
        steps[name] = (float(wall), int(rss) / 1024)
        print(f"{files} files: {name}: {float(wall):.1f} s, {int(rss) / 1024:.0f} MiB", file=sys.stderr)

    subprocess.run([cairn, "init", repo], check=True, stdout=subprocess.DEVNULL, env=env)
    step("backup", [cairn, "ingest", repo, src])
    step("backup again (unchanged)", [cairn, "ingest", repo, src])
    step("ls one directory", [cairn, "ls", repo, "latest", "d0000"])
    step("restore", [cairn, "restore", repo, "latest", "--target", out])
    count = sum(len(f) for _, _, f in os.walk(out))
    if count != files:
        sys.exit(f"restored {count} files of {files}")
    for rel in ("d0000/f0000", f"d{max(0, files // 1000 - 2):04}/f0999", "wide"):
        a, b = os.path.join(src, rel), os.path.join(out, rel)
        if os.path.isfile(a) and open(a, "rb").read() != open(b, "rb").read():
            sys.exit(f"{rel} differs after restore")
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--cairn", default="target/release/cairn")
    ap.add_argument("--slack", type=float, default=64.0, help="MiB a step may grow by")
    a = ap.parse_args()
    cairn = os.path.abspath(a.cairn)
    results = {}
    for files in (a.files // 10, a.files):
        scratch = tempfile.mkdtemp(prefix="cairn-million-")
        try:
            results[files] = measure(cairn, files, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    small, big = a.files // 10, a.files
    print(f"| step | {small} files: s | MiB | {big} files: s | MiB | growth MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    broken = []
    for name in results[big]:
        (ws, rs), (wb, rb) = results[small][name], results[big][name]
        print(f"| {name} | {ws:.1f} | {rs:.0f} | {wb:.1f} | {rb:.0f} | {rb - rs:+.0f} |")
        if rb - rs > a.slack:
            broken.append(f"{name} grew by {rb - rs:.0f} MiB from {small} to {big} files (bound {a.slack:.0f})")
    if broken:
        sys.exit("\n".join(broken))
    print(f"\nmemory stayed within {a.slack:.0f} MiB of the small tree's at every step")


if __name__ == "__main__":
    main()
