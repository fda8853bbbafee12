#!/usr/bin/env python3
"""Directory trees against restic, borg and casync (bench/trees.sh unpacks the tree, then runs this).

Each round gives each tool a fresh repository and runs its steps on the same tree: a first
backup, a second backup of the unchanged tree, a full restore into an empty directory, and a
listing of one directory of the snapshot; the tools take turns, and each figure is the best
of the rounds. Ratios compare figures of this run only. Prints a Markdown table on standard
output; progress goes to standard error. Tools and measuring come from bench/run.py.
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from run import MiB, Tool, best, repo_bytes  # noqa: E402

STEPS = ("backup 1", "backup 2 (unchanged)", "restore", "ls one directory")
ENV = {"RESTIC_PASSWORD": "bench-passphrase", "CAIRN_PASSPHRASE": "bench-passphrase", "BORG_PASSPHRASE": "bench-passphrase"}


class CairnTree(Tool):
    def __init__(self, cairn, name="cairn"):
        super().__init__(name, ENV)
        self.cli = [cairn]

    def init(self, repo):
        return [(self.cli + ["init", repo, "--encrypt"], None, None)]

    def backup(self, repo, src):
        return [(self.cli + ["ingest", repo, src], None, None)]

    def restore(self, repo, target):
        return [(self.cli + ["restore", repo, "latest", "--target", target], None, None)]

    def ls(self, repo, path):
        return [(self.cli + ["ls", repo, "latest", path], None, None)]


class ResticTree(Tool):
    def __init__(self, cache):
        super().__init__("restic", {**ENV, "XDG_CACHE_HOME": cache})

    def init(self, repo):
        return [(["restic", "-q", "init", "-r", repo], None, None)]

    def backup(self, repo, src):
        # From the tree's parent, so the paths in the snapshot are the tree's own.
        return [(["restic", "-q", "-r", repo, "backup", os.path.abspath(src)], None, None)]

    def restore(self, repo, target):
        return [(["restic", "-q", "-r", repo, "restore", "latest", "--target", target], None, None)]

    def ls(self, repo, path):
        return [(["restic", "-q", "-r", repo, "ls", "latest", path], None, None)]


class BorgTree(Tool):
    def __init__(self, home):
        super().__init__("borg", {**ENV, "BORG_BASE_DIR": home})
        self.n = 0

    def init(self, repo):
        self.n = 0
        return [(["borg", "init", "-e", "repokey", repo], None, None)]

    def backup(self, repo, src):
        self.n += 1
        return [(["borg", "create", "--compression", "zstd", f"{repo}::b{self.n}", os.path.abspath(src)], None, None)]

    def restore(self, repo, target):
        os.makedirs(target, exist_ok=True)
        # borg extracts into the working directory.
        return [(["sh", "-c", f'cd "{target}" && borg extract "{repo}::b{self.n}"'], None, None)]

    def ls(self, repo, path):
        return [(["borg", "list", f"{repo}::b{self.n}", path.lstrip("/")], None, None)]


class CasyncTree(Tool):
    """casync (Debian's): a chunk store and one .caidx index per backup. It has no
    encryption and no metadata-based skipping, and lists a snapshot only whole."""

    def __init__(self):
        super().__init__("casync", ENV)
        self.n = 0

    def init(self, repo):
        self.n = 0
        os.makedirs(repo, exist_ok=True)
        return []

    def backup(self, repo, src):
        self.n += 1
        index = os.path.join(repo, f"b{self.n}.caidx")
        return [(["casync", "make", "--compression=zstd", f"--store={repo}/store", index, os.path.abspath(src)], None, None)]

    def restore(self, repo, target):
        index = os.path.join(repo, f"b{self.n}.caidx")
        return [(["casync", "extract", f"--store={repo}/store", index, target], None, None)]

    def ls(self, repo, path):
        index = os.path.join(repo, f"b{self.n}.caidx")
        return [(["casync", "list", f"--store={repo}/store", index], None, None)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cairn", required=True)
    ap.add_argument("--tree", required=True, help="the directory to back up")
    ap.add_argument("--ls", required=True, help="a directory of the tree to list, relative to it")
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--tools", default="cairn,restic,borg,casync", help="which tools, comma-separated")
    ap.add_argument("--cairn-base", help="another cairn binary to run beside --cairn (say, main's), as `cairn (base)`")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)
    tree = os.path.abspath(args.tree)
    known = {
        "cairn": lambda: CairnTree(args.cairn),
        "restic": lambda: ResticTree(os.path.join(args.out, "cache")),
        "borg": lambda: BorgTree(os.path.join(args.out, "borg-home")),
        "casync": lambda: CasyncTree(),
    }
    names = [n.strip() for n in args.tools.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"unknown tools {unknown}: choose among {', '.join(known)}")
    tools = [known[n]() for n in names]
    if args.cairn_base:
        tools.insert(1, CairnTree(args.cairn_base, "cairn (base)"))
    files = sum(len(fs) for _, _, fs in os.walk(tree))
    size = sum(os.lstat(os.path.join(d, f)).st_size for d, _, fs in os.walk(tree) for f in fs)
    results = {t.name: {s: [] for s in STEPS} for t in tools}
    repo_after = {}
    log = open(os.path.join(args.out, "trees.log"), "w")
    for r in range(args.rounds):
        for t in tools[r % len(tools):] + tools[: r % len(tools)]:
            print(f"round {r + 1}: {t.name}", file=sys.stderr)
            slug = t.name.replace(" ", "-").strip("()").replace("(", "").replace(")", "")
            repo = os.path.join(args.out, f"repo-{slug}")
            target = os.path.join(args.out, f"restored-{slug}")
            shutil.rmtree(repo, ignore_errors=True)
            shutil.rmtree(target, ignore_errors=True)
            t.run(t.init(repo), log)
            results[t.name]["backup 1"].append(t.run(t.backup(repo, tree), log))
            repo_after[t.name] = repo_bytes(repo)
            results[t.name]["backup 2 (unchanged)"].append(t.run(t.backup(repo, tree), log))
            results[t.name]["restore"].append(t.run(t.restore(repo, target), log))
            own_paths = isinstance(t, (CairnTree, CasyncTree))
            ls_path = args.ls if own_paths else os.path.join(tree, args.ls)
            results[t.name]["ls one directory"].append(t.run(t.ls(repo, ls_path), log))
            restored = target if own_paths else os.path.join(target, tree.lstrip("/"))
            diff = subprocess.run(["diff", "-rq", "--no-dereference", tree, restored], capture_output=True, text=True)
            if diff.returncode != 0:
                sys.exit(f"{t.name} restored a different tree:\n{diff.stdout[:2000]}")
            shutil.rmtree(target, ignore_errors=True)
    print(f"Tree: {files} files, {size / MiB:.0f} MiB; best of {args.rounds} rounds, tools alternating; "
          "encrypted everywhere but casync (which cannot); speed vs restic = restic's wall time over the tool's (above 1 is faster).\n")
    print("| tool | step | wall s | CPU s | max RSS MiB | speed vs restic | wall s, every round |")
    print("|---|---|---:|---:|---:|---:|---|")
    for t in tools:
        for step in STEPS:
            m = best(results[t.name][step])
            ratio = best(results["restic"][step]).wall / m.wall if "restic" in results else 0
            walls = ", ".join(f"{x.wall:.2f}" for x in results[t.name][step])
            print(f"| {t.name} | {step} | {m.wall:.2f} | {m.cpu:.2f} | {m.rss:.0f} | {ratio:.2f}x | {walls} |")
    print("\n| tool | repository MiB after backup 1 | size vs restic |")
    print("|---|---:|---:|")
    for t in tools:
        ratio = repo_after[t.name] / repo_after["restic"] if "restic" in repo_after else 0
        print(f"| {t.name} | {repo_after[t.name] / MiB:.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
