#!/usr/bin/env python3
"""The project's documents are true where code cites them: every `docs/DESIGN.md §N` and
`FORMAT.md §N` cited in a tracked file names a section that exists, and nothing cites
documents the repository does not hold (`API.md`, a bare `DESIGN.md`)."""
import re
import subprocess
import sys

root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()


def sections(path, pattern):
    text = open(f"{root}/{path}", encoding="utf-8").read()
    return set(re.findall(pattern, text, re.M))


design = sections("docs/DESIGN.md", r"^## §(\d+)\b")
fmt = sections("docs/FORMAT.md", r"^## (\d+[a-z]?)\.")
problems = []
cited = 0
for f in files:
    if not f.endswith((".rs", ".ts", ".mjs", ".sh", ".py", ".md", ".toml", ".json")) or f.startswith("tests/golden/"):
        continue
    for n, line in enumerate(open(f"{root}/{f}", encoding="utf-8", errors="replace"), 1):
        for m in re.finditer(r"(docs/)?DESIGN\.md(?: §(\d+))?", line):
            if "DESIGN.md" in line and "DESIGN-js" in line[m.start() - 8 : m.start()]:
                continue
            if f.startswith("docs/DESIGN") or f == "tests/docs/check.py":
                continue
            cited += 1
            if not m.group(1):
                problems.append(f"{f}:{n}: cites DESIGN.md without docs/: {line.strip()}")
            elif m.group(2) and m.group(2) not in design:
                problems.append(f"{f}:{n}: docs/DESIGN.md §{m.group(2)} does not exist")
        for m in re.finditer(r"FORMAT\.md[, ]+§(\d+[a-z]?)", line):
            cited += 1
            if m.group(1) not in fmt:
                problems.append(f"{f}:{n}: FORMAT.md §{m.group(1)} does not exist")
        if re.search(r"\bAPI\.md\b", line) and f != "tests/docs/check.py" and not f.startswith("bench/"):
            problems.append(f"{f}:{n}: cites API.md, which is not in the repository")
if problems:
    sys.exit("\n".join(problems))
print(f"documents: {cited} citations of docs/DESIGN.md and FORMAT.md sections, all present")
