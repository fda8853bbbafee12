// Directory trees, Node only: names that are not UTF-8 (Deno's `node:fs` turns them into
// text), named pipes, and the CLI on the other side: a tree the CLI stored restored by
// Node, and one Node stored listed by the CLI (`cairn ls --json`).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";

import { SMALL, tempDir } from "./helpers.mjs";
import { describeTree, makeTree } from "./trees.mjs";

/** The CLI built by `cargo build --release` ($CAIRN_CLI overrides), or `undefined` when absent. */
const CLI = process.env.CAIRN_CLI ?? path.join(import.meta.dirname, "..", "..", "target", "release", "cairn");

function cli(...args) {
  const r = spawnSync(CLI, args, { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, `cairn ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

export function nodeTreeScenarios(test, { Repository }) {
  test("Node trees: a name that is not UTF-8 round-trips byte for byte, with its hex", async () => {
    const t = tempDir("tree-bytes");
    try {
      const src = Buffer.from(path.join(t.dir, "src"));
      fs.mkdirSync(src);
      const name = Buffer.from([0x66, 0xff, 0x6f]); // "f", an invalid byte, "o"
      fs.writeFileSync(Buffer.concat([src, Buffer.from("/"), name]), "bytes\n");
      fs.symlinkSync(name, Buffer.concat([src, Buffer.from("/to-it")]));
      const repo = await Repository.init(t.repo, SMALL);
      const snap = await repo.ingest({ directory: src.toString() });
      const steps = await repo.listTree(snap.id);
      const bad = steps.find((s) => s.entry.kind === "file");
      assert.equal(bad.entry.nameHex, "66ff6f");
      assert.equal(bad.pathHex, "66ff6f");
      assert.equal(steps.find((s) => s.entry.kind === "symlink").entry.targetHex, "66ff6f");
      const out = Buffer.from(path.join(t.dir, "out"));
      await repo.restoreTree(snap.id, out.toString());
      assert.deepEqual(fs.readdirSync(out, { encoding: "buffer" }).sort(Buffer.compare), [name, Buffer.from("to-it")]);
      assert.equal(fs.readFileSync(Buffer.concat([out, Buffer.from("/"), name]), "utf8"), "bytes\n");
      assert.ok(fs.readlinkSync(Buffer.concat([out, Buffer.from("/to-it")]), { encoding: "buffer" }).equals(name));
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("Node trees: progress and ingest:warning events; a path beyond PATH_MAX is a warning, not a failure", async () => {
    const t = tempDir("tree-events");
    const cwd = process.cwd();
    try {
      const src = path.join(t.dir, "src");
      fs.mkdirSync(src);
      fs.writeFileSync(path.join(src, "data"), new Uint8Array(3_000_000).fill(7));
      // Nested by relative steps: the walker names entries by full path, which the kernel
      // refuses beyond 4096 bytes (the CLI's walker, on descriptors, has no such limit).
      process.chdir(src);
      for (let i = 0; i < 24; i++) {
        fs.mkdirSync("d".repeat(200));
        process.chdir("d".repeat(200));
      }
      process.chdir(cwd);
      const repo = await Repository.init(t.repo, SMALL);
      const progress = [];
      const warnings = [];
      repo.on("ingest:progress", (e) => progress.push(e));
      repo.on("ingest:warning", (e) => warnings.push(e));
      const snap = await repo.ingest({ directory: src });
      assert.ok(warnings.length >= 1, "a warning event");
      assert.equal(typeof warnings[0].message, "string");
      assert.equal(warnings[0].dropped, false, "nothing was waiting for content");
      assert.equal(snap.warnings, warnings.length);
      assert.ok(progress.length >= 1 && progress.at(-1).bytesProcessed >= 3_000_000, JSON.stringify(progress.at(-1)));
      await repo.close();
    } finally {
      process.chdir(cwd);
      // Node's own `rmSync` names entries by full path too; GNU rm walks by descriptors.
      spawnSync("rm", ["-rf", t.dir]);
    }
  });

  test("Node trees: a named pipe is stored, and restoring it is a warning", async (ctx) => {
    const t = tempDir("tree-fifo");
    try {
      const src = path.join(t.dir, "src");
      fs.mkdirSync(src);
      if (spawnSync("mkfifo", [path.join(src, "pipe")]).status !== 0) return ctx.skip("no mkfifo");
      fs.writeFileSync(path.join(src, "file"), "x");
      const repo = await Repository.init(t.repo, SMALL);
      const snap = await repo.ingest({ directory: src });
      assert.deepEqual((await repo.listTree(snap.id)).map((s) => s.entry.kind), ["dir", "file", "fifo"]);
      const restored = await repo.restoreTree(snap.id, path.join(t.dir, "out"));
      assert.equal(restored.warnings.length, 1);
      assert.match(restored.warnings[0].message, /named pipe not restored/);
      assert.ok(restored.warnings[0].path.endsWith("/out/pipe"));
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("cross-runtime trees: the CLI's tree restored by Node; Node's tree listed and restored by the CLI", async (ctx) => {
    if (!fs.existsSync(CLI)) return ctx.skip(`no CLI at ${CLI} (cargo build --release -p cairn, or set CAIRN_CLI)`);
    const t = tempDir("tree-cli");
    try {
      const src = path.join(t.dir, "src");
      fs.mkdirSync(src);
      makeTree(src);
      cli("init", t.repo, "--json");
      cli("ingest", t.repo, src, "--json");
      const repo = await Repository.open(t.repo);
      const out = path.join(t.dir, "by-node");
      const restored = await repo.restoreTree("latest", out);
      assert.deepEqual(restored.warnings, []);
      assert.deepEqual(describeTree(out, 1000n), describeTree(src, 1000n));

      fs.writeFileSync(path.join(src, "added-by-node"), "new\n");
      const snap = await repo.ingest({ directory: src });
      assert.equal(snap.items[0].name, "src");
      const nodeList = (await repo.listTree(snap.id)).map((s) => s.path);
      await repo.close();
      const listed = JSON.parse(cli("ls", t.repo, snap.id, "--json", "-R"));
      const paths = (Array.isArray(listed) ? listed : listed.entries).map((s) => s.path);
      // `cairn ls --json` gives the engine's steps, as `listTree` does.
      assert.deepEqual(paths, nodeList);
      assert.ok(paths.includes("added-by-node"));
      cli("restore", t.repo, snap.id, "--target", path.join(t.dir, "by-cli"), "--json");
      assert.deepEqual(describeTree(path.join(t.dir, "by-cli"), 1000n), describeTree(src, 1000n));
    } finally {
      t.remove();
    }
  });
}
