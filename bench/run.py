#!/usr/bin/env python3
"""Cairn's benchmark driver (bench/run.sh builds and installs, then runs this).

Runs every tool on the same data in one run, alternating them: each round gives each tool
a fresh repository and runs its steps (ingest v1, ingest v2, restore, full verify, prune),
and the next round starts with the next tool. Each figure is the best of the rounds (the
one least disturbed by the rest of a shared machine); ratios compare figures of this run
only. Prints Markdown tables on standard output; progress goes to standard error.

Wall time from a monotonic clock; CPU seconds and peak RSS from os.wait4 of the command
(a tool's threads and its own children included); repository bytes are the sum of its
files' sizes after the step.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

MiB = 1 << 20
STEPS = ("ingest v1", "ingest v2", "restore v2", "verify full", "prune --keep-last 1")


@dataclass
class Measure:
    """One timed step: wall and CPU seconds, peak RSS in MiB, repository bytes after."""

    wall: float
    cpu: float
    rss: float
    repo: int = 0


@dataclass
class Tool:
    """How one tool runs each step: each method answers a list of (argv, stdin, stdout)."""

    name: str
    env: dict = field(default_factory=dict)

    def run(self, cmds, log):
        """Runs the commands one after the other; their summed times and largest RSS."""
        total = Measure(0.0, 0.0, 0.0)
        for argv, stdin, stdout in cmds:
            with open(stdin or os.devnull, "rb") as i, open(stdout or os.devnull, "wb") as o:
                t0 = time.perf_counter()
                p = subprocess.Popen(argv, stdin=i, stdout=o, stderr=log, env={**os.environ, **self.env})
                _, status, ru = os.wait4(p.pid, 0)
                p.returncode = os.waitstatus_to_exitcode(status)
                total.wall += time.perf_counter() - t0
            total.cpu += ru.ru_utime + ru.ru_stime
            total.rss = max(total.rss, ru.ru_maxrss / 1024)
            if p.returncode != 0:
                log.flush()
                sys.exit(f"{self.name}: {' '.join(map(str, argv))} exited {p.returncode}; see {log.name}")
        return total


class Cairn(Tool):
    def __init__(self, name, cairn, encrypt, threads=None):
        super().__init__(name, {"CAIRN_PASSPHRASE": "bench-passphrase"} if encrypt else {})
        self.cli = [cairn] + (["--threads", str(threads)] if threads else [])
        self.encrypt = encrypt

    def init(self, repo):
        return [(self.cli + ["init", repo] + (["--encrypt"] if self.encrypt else []), None, None)]

    def ingest(self, repo, src, n):
        return [(self.cli + ["ingest", repo, "-"], src, None)]

    def restore(self, repo, out):
        return [(self.cli + ["restore", repo, "latest", "-o", out], None, None)]

    def verify(self, repo):
        return [(self.cli + ["verify", repo, "--level", "full"], None, None)]

    def prune(self, repo):
        return [(self.cli + ["prune", repo, "--keep-last", "1"], None, None)]

    def snapshots(self, repo):
        return [(self.cli + ["snapshots", repo], None, None)]


class Node(Tool):
    def __init__(self, name, script):
        super().__init__(name, {"CAIRN_PASSPHRASE": "bench-passphrase"})
        self.js = ["node", script]

    def init(self, repo):
        return []  # the first ingest creates the repository, as `Repository.init` does

    def ingest(self, repo, src, n):
        return [(self.js + ["ingest", repo, src], None, None)]

    def restore(self, repo, out):
        return [(self.js + ["restore", repo, out], None, None)]

    def verify(self, repo):
        return [(self.js + ["verify", repo], None, None)]

    def prune(self, repo):
        return [(self.js + ["prune", repo], None, None)]


class Restic(Tool):
    def __init__(self, cache):
        super().__init__("restic", {"RESTIC_PASSWORD": "bench-passphrase", "XDG_CACHE_HOME": cache})

    def init(self, repo):
        return [(["restic", "-q", "init", "-r", repo], None, None)]

    def ingest(self, repo, src, n):
        return [(["restic", "-q", "-r", repo, "backup", "--stdin", "--stdin-filename", "data"], src, None)]

    def restore(self, repo, out):
        return [(["restic", "-q", "-r", repo, "dump", "latest", "data"], None, out)]

    def verify(self, repo):
        return [(["restic", "-q", "-r", repo, "check", "--read-data"], None, None)]

    def prune(self, repo):
        return [(["restic", "-q", "-r", repo, "forget", "--keep-last", "1", "--prune"], None, None)]

    def snapshots(self, repo):
        return [(["restic", "-q", "-r", repo, "snapshots"], None, None)]


class Borg(Tool):
    def __init__(self, home):
        super().__init__(
            "borg (zstd)",
            {"BORG_PASSPHRASE": "bench-passphrase", "BORG_BASE_DIR": home, "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes"},
        )
        self.last = None

    def init(self, repo):
        return [(["borg", "init", "-e", "repokey", repo], None, None)]

    def ingest(self, repo, src, n):
        self.last = f"{repo}::s{n}"
        return [(["borg", "create", "--compression", "zstd", self.last, "-"], src, None)]

    def restore(self, repo, out):
        return [(["borg", "extract", "--stdout", self.last], None, out)]

    def verify(self, repo):
        return [(["borg", "check", "--verify-data", repo], None, None)]

    def prune(self, repo):
        return [(["borg", "prune", "--keep-last", "1", repo], None, None), (["borg", "compact", repo], None, None)]


def repo_bytes(path):
    """The sum of the sizes of the files under `path`."""
    return sum(os.lstat(os.path.join(d, f)).st_size for d, _, fs in os.walk(path) for f in fs)


def same_bytes(a, b):
    """Whether two files hold the same bytes."""
    with open(a, "rb") as x, open(b, "rb") as y:
        while True:
            p, q = x.read(MiB), y.read(MiB)
            if p != q:
                return False
            if not p:
                return True


def warm(*paths):
    """Reads the files once, so every tool finds its input in the page cache."""
    for p in paths:
        with open(p, "rb") as f:
            while f.read(8 * MiB):
                pass


def best(ms):
    """The round least disturbed: the least wall time (its CPU and RSS with it)."""
    return min(ms, key=lambda m: m.wall)


def streams(tools, v1, v2, out, rounds, log):
    """The main campaign; {tool: {step: [Measure per round]}}."""
    results = {t.name: {s: [] for s in STEPS} for t in tools}
    for r in range(rounds):
        for t in tools[r % len(tools) :] + tools[: r % len(tools)]:
            print(f"round {r + 1}/{rounds}: {t.name}", file=sys.stderr)
            repo, restored = os.path.join(out, "repo"), os.path.join(out, "restored")
            shutil.rmtree(repo, ignore_errors=True)
            t.run(t.init(repo), log)
            for step, cmds in (
                ("ingest v1", lambda: t.ingest(repo, v1, 1)),
                ("ingest v2", lambda: t.ingest(repo, v2, 2)),
                ("restore v2", lambda: t.restore(repo, restored)),
                ("verify full", lambda: t.verify(repo)),
                ("prune --keep-last 1", lambda: t.prune(repo)),
            ):
                warm(v1, v2)
                m = t.run(cmds(), log)
                m.repo = repo_bytes(repo)
                results[t.name][step].append(m)
                if step == "restore v2":
                    if not same_bytes(restored, v2):
                        sys.exit(f"{t.name} restored v2 wrongly")
                    os.remove(restored)
            shutil.rmtree(repo)
    return results


def week(tools, days, out, log):
    """Seven nightly dumps into one repository per tool: {tool: (ingest, restore, verify)}."""
    results = {}
    for t in tools:
        print(f"week of dumps: {t.name}", file=sys.stderr)
        repo, restored = os.path.join(out, "repo"), os.path.join(out, "restored")
        shutil.rmtree(repo, ignore_errors=True)
        t.run(t.init(repo), log)
        ingest = Measure(0.0, 0.0, 0.0)
        for n, day in enumerate(days, 1):
            warm(day)
            m = t.run(t.ingest(repo, day, n), log)
            ingest.wall, ingest.cpu, ingest.rss = ingest.wall + m.wall, ingest.cpu + m.cpu, max(ingest.rss, m.rss)
        ingest.repo = repo_bytes(repo)
        restore = t.run(t.restore(repo, restored), log)
        if not same_bytes(restored, days[-1]):
            sys.exit(f"{t.name} restored the last dump wrongly")
        os.remove(restored)
        verify = t.run(t.verify(repo), log)
        verify.repo = ingest.repo
        results[t.name] = (ingest, restore, verify)
        shutil.rmtree(repo)
    return results


def start(tools, sample, out, log, times=5):
    """CPU seconds of listing the snapshots of a small repository: {tool: best Measure}."""
    results = {}
    for t in tools:
        repo = os.path.join(out, "repo")
        shutil.rmtree(repo, ignore_errors=True)
        t.run(t.init(repo), log)
        t.run(t.ingest(repo, sample, 1), log)
        results[t.name] = min((t.run(t.snapshots(repo), log) for _ in range(times)), key=lambda m: m.cpu)
        shutil.rmtree(repo)
    return results


def fmt_ratio(x):
    return f"{x:.2f}x" if x else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cairn", required=True)
    ap.add_argument("--data", required=True, help="directory with v1.bin and v2.bin")
    ap.add_argument("--week", help="directory of nightly SQL dumps (bench/corpus.sh)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-peers", action="store_true", help="leave out restic and borg")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    out = os.path.abspath(args.out)
    log = open(os.path.join(out, "log"), "w")
    v1, v2 = os.path.join(args.data, "v1.bin"), os.path.join(args.data, "v2.bin")
    cores = os.cpu_count() or 1
    plain = Cairn("cairn plain", args.cairn, False)
    enc = Cairn("cairn encrypted", args.cairn, True)
    scaling = [Cairn(f"cairn encrypted, {n} thread{'s' if n > 1 else ''}", args.cairn, True, n) for n in sorted({1, 2, cores}) if n < cores]
    node = Node("Node, encrypted", os.path.join(os.path.dirname(__file__), "js.mjs"))
    peers = [] if args.no_peers else [t for t in (Restic(os.path.join(out, "cache")), Borg(os.path.join(out, "borg"))) if shutil.which(t.init("r")[0][0][0])]
    tools = [enc, *peers[:1], plain, node, *scaling, *peers[1:]]
    results = streams(tools, v1, v2, out, args.rounds, log)
    restic = results.get("restic")

    mib1, mib2 = os.path.getsize(v1) / MiB, os.path.getsize(v2) / MiB
    print(f"# Cairn benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print(f"- machine: {cores} cores; data: bench/gen_data.py, v1 {mib1:.0f} MiB, v2 {mib2:.0f} MiB; best of {args.rounds} alternated rounds, fresh repositories")
    print("- MiB/s: input (or restored) MiB per wall second; for verify and prune, the repository's MiB before the step")
    print("- speed vs restic: restic's wall time over the tool's (above 1 is faster than restic); defaults everywhere: cairn zstd-1, restic 0.14 `auto`, borg `zstd` (level 3), encrypted unless plain\n")
    print("| tool | step | MiB | wall s | MiB/s | CPU s | max RSS MiB | repo MiB after | speed vs restic |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for t in tools:
        before = 0
        for step in STEPS:
            m = best(results[t.name][step])
            mib = {"ingest v1": mib1, "ingest v2": mib2, "restore v2": mib2}.get(step, before / MiB)
            ratio = best(restic[step]).wall / m.wall if restic else 0
            print(f"| {t.name} | {step} | {mib:.1f} | {m.wall:.2f} | {mib / m.wall:.0f} | {m.cpu:.2f} | {m.rss:.0f} | {m.repo / MiB:.1f} | {fmt_ratio(ratio)} |")
            before = m.repo

    print("\n## Threads (cairn encrypted, wall seconds)\n")
    print("| threads | " + " | ".join(STEPS) + " |")
    print("|---|" + "---:|" * len(STEPS))
    for t in scaling + [enc]:
        n = t.cli[2] if len(t.cli) > 1 else f"{cores} (all, the default)"
        print(f"| {n} | " + " | ".join(f"{best(results[t.name][s]).wall:.2f}" for s in STEPS) + " |")

    print("\n## Node package against the CLI (both encrypted, wall time Node / CLI)\n")
    print("| " + " | ".join(STEPS) + " |")
    print("|" + "---:|" * len(STEPS))
    print("| " + " | ".join(f"{best(results[node.name][s]).wall / best(results[enc.name][s]).wall:.2f}x" for s in STEPS) + " |")

    days = sorted(os.path.join(args.week, f) for f in os.listdir(args.week)) if args.week else []
    wk = week([enc, *peers], days, out, log) if days else {}
    if wk:
        total = sum(os.path.getsize(d) for d in days) / MiB
        print(f"\n## A week of SQL dumps ({len(days)} nightly pg_dump files, {total:.0f} MiB in all, bench/corpus.sh)\n")
        print("| tool | repo MiB | size vs restic | ingest MiB/s | restore MiB/s | verify full repo MiB/s | verify CPU s |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, (ing, res, ver) in wk.items():
            ratio = ing.repo / wk["restic"][0].repo if "restic" in wk else 0
            last = os.path.getsize(days[-1]) / MiB
            print(f"| {name} | {ing.repo / MiB:.1f} | {fmt_ratio(ratio)} | {total / ing.wall:.0f} | {last / res.wall:.0f} | {ver.repo / MiB / ver.wall:.0f} | {ver.cpu:.2f} |")

    sample = os.path.join(out, "sample.bin")
    with open(v1, "rb") as f, open(sample, "wb") as s:
        s.write(f.read(MiB))
    st = start([plain, *peers[:1]], sample, out, log)
    print("\n## Start-up: `snapshots` of a one-snapshot repository (best CPU seconds of 5)\n")
    print("| tool | CPU s | wall s |\n|---|---:|---:|")
    for name, m in st.items():
        print(f"| {name} | {m.cpu:.3f} | {m.wall:.3f} |")

    if restic:
        goals(results, enc, node, wk, st)


def goals(results, enc, node, wk, st):
    """The issue's goal table: encrypted CLI, defaults, against restic's defaults."""
    r, c = results["restic"], results[enc.name]
    b = lambda d, s: best(d[s])  # noqa: E731
    rate = lambda d, s, before: (best(d[before]).repo / best(d[s]).wall)  # noqa: E731
    rows = [
        ("stored bytes, a week of SQL dumps", wk[enc.name][0].repo / wk["restic"][0].repo if wk else 0, "≤ 1.0x"),
        ("stored bytes, v1 + v2", b(c, "ingest v2").repo / b(r, "ingest v2").repo, "≤ 0.8x"),
        ("ingest v1 (speed)", b(r, "ingest v1").wall / b(c, "ingest v1").wall, "≥ 1.5x"),
        ("ingest v2 after v1 (speed)", b(r, "ingest v2").wall / b(c, "ingest v2").wall, "≥ 2.5x"),
        ("restore (speed)", b(r, "restore v2").wall / b(c, "restore v2").wall, "≥ 2.5x"),
        ("restore, SQL dumps (speed)", wk["restic"][1].wall / wk[enc.name][1].wall if wk else 0, "≥ 2.5x"),
        ("full verify (repository MiB/s)", rate(c, "verify full", "restore v2") / rate(r, "verify full", "restore v2"), "≥ 2.0x"),
        ("full verify, SQL dumps (repository MiB/s)", (wk[enc.name][2].repo / wk[enc.name][2].wall) / (wk["restic"][2].repo / wk["restic"][2].wall) if wk else 0, "≥ 2.0x"),
        ("peak RSS, all steps", max(b(c, s).rss for s in STEPS) / max(b(r, s).rss for s in STEPS), "≤ 1.0x"),
        ("Node time / CLI time, worst step", max(b(results[node.name], s).wall / b(c, s).wall for s in STEPS), "≤ 1.25x"),
        ("`snapshots` CPU seconds, small plain repository", st["cairn plain"].cpu / st["restic"].cpu if "restic" in st else 0, "≤ 1.0x"),
    ]
    print("\n## Goals (cairn encrypted, default settings, against restic in this run)\n")
    print("| measure | this run | goal |\n|---|---:|---:|")
    for name, value, goal in rows:
        print(f"| {name} | {fmt_ratio(value)} | {goal} |")


if __name__ == "__main__":
    main()
