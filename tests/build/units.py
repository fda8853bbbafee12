#!/usr/bin/env python3
"""Fails when one native build of the test run would compile a crate twice.

`tests/run` builds everything natively with one command line (the whole workspace, its
dev-dependencies, the engine's TypeScript generator). Cargo still compiles a crate twice
when the CLI's build script (which runs wasmtime) and the CLI reach it with different
features: then wasmtime and cranelift, the longest part of a fresh build, are compiled
twice. host/Cargo.toml's build-dependencies line the two sides up (docs/DESIGN.md §31);
this check says which crate to add there when a change of dependencies breaks that.

It reads cargo's unit graph (an unstable flag, allowed here by RUSTC_BOOTSTRAP for this
one command, which compiles nothing) of `cargo test` with the selection given as arguments
(tests/run passes tests/lib/cargo.sh's).
"""
import json
import os
import subprocess
import sys
from collections import defaultdict

if len(sys.argv) < 2:
    sys.exit("usage: units.py CARGO_SELECTION... (tests/run passes tests/lib/cargo.sh's NATIVE)")
cmd = ["cargo", "test", *sys.argv[1:], "--unit-graph", "-Z", "unstable-options"]
out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "RUSTC_BOOTSTRAP": "1"})
if out.returncode != 0:
    sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
units = defaultdict(list)
for u in json.loads(out.stdout)["units"]:
    if u["mode"] == "build" and u["platform"] is None:
        units[(u["pkg_id"], u["target"]["name"], tuple(u["target"]["kind"]))].append(u)
twice = []
for (pkg, _, _), us in sorted(units.items()):
    if len(us) > 1:
        name = pkg.split("#")[-1]
        features = sorted({tuple(u["features"]) for u in us})
        twice.append(f"  {name}: features {[list(f) for f in features]}")
if twice:
    print("crates the native build compiles twice (give host/Cargo.toml's build-dependencies "
          "the features the other side has, docs/DESIGN.md §31):", *twice, sep="\n")
    sys.exit(1)
print(f"native build: {sum(len(v) for v in units.values())} compilations, none twice")
