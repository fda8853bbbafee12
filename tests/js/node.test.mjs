// The JS package in Node: the shared scenarios, plus what is Node's own (Readable in and
// out, .pipe()), and the host side against the engine's own checks.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";

import { CairnError, Repository } from "@cairn-backup/cairn";

import { SMALL, bytes, scenarios, tempDir } from "./scenarios.mjs";
import { httpScenarios } from "./http.mjs";
import { internalScenarios } from "./internals.mjs";
import { treeScenarios } from "./trees.mjs";
import { nodeTreeScenarios } from "./trees-node.mjs";
import { snapshotScenarios } from "./snapshots.mjs";
import { nodeJobWorkers } from "../../js/dist/pool-node.js";

scenarios(test, {
  Repository,
  CairnError,
  streamInputs: (data) => ({
    "Node Buffer": () => Buffer.from(data),
    "Node Readable (64 KiB chunks)": () => Readable.from(chunksOf(data, 65_536)),
    "Node fs.ReadStream": () => {
      const t = tempDir("input-file");
      fs.writeFileSync(path.join(t.dir, "in"), data);
      const s = fs.createReadStream(path.join(t.dir, "in"));
      s.on("close", t.remove);
      return s;
    },
  }),
});
httpScenarios(test, { Repository, CairnError });
internalScenarios(test, { jobWorkers: nodeJobWorkers });
// Node's `lstat` with `bigint` tells nanoseconds; `utimes` sets microseconds.
treeScenarios(test, { Repository, mtimePrecisionNs: 1000n });
nodeTreeScenarios(test, { Repository });
snapshotScenarios(test, { Repository, CairnError, sourceStream: (p) => fs.createReadStream(p), recordsPath: true });

function* chunksOf(data, size) {
  for (let at = 0; at < data.length; at += size) yield Buffer.from(data.subarray(at, at + size));
}

test("Node: restore resolves to a Readable that pipes", async () => {
  const t = tempDir("pipe");
  try {
    const repo = await Repository.init(t.repo, SMALL);
    const data = bytes(1_234_567, 12);
    const snap = await repo.ingest(data);
    const out = await repo.restore(snap.id);
    assert.ok(out instanceof Readable);
    const file = path.join(t.dir, "restored");
    await pipeline(out, fs.createWriteStream(file));
    assert.ok(fs.readFileSync(file).equals(Buffer.from(data)));
    const sink = [];
    const piped = (await repo.restore(snap.id)).pipe(
      new Writable({
        write(chunk, _enc, done) {
          sink.push(chunk);
          done();
        },
      }),
    );
    await new Promise((resolve, reject) => piped.on("finish", resolve).on("error", reject));
    assert.ok(Buffer.concat(sink).equals(Buffer.from(data)));
    (await repo.restore(snap.id)).destroy();
    const locks = () => fs.readdirSync(path.join(t.repo, "locks"));
    for (let i = 0; i < 100 && locks().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(locks(), [], "destroying an unread restore ended it");
    await repo.close();
  } finally {
    t.remove();
  }
});

test("Node: ingest:progress of a file stream knows its total", async () => {
  const t = tempDir("file-progress");
  try {
    const repo = await Repository.init(t.repo, SMALL);
    const file = path.join(t.dir, "in");
    fs.writeFileSync(file, bytes(5_000_000, 3));
    const progress = [];
    repo.on("ingest:progress", (e) => progress.push(e));
    await repo.ingest(fs.createReadStream(file));
    assert.ok(progress.length >= 5, `${progress.length} events`);
    assert.ok(progress.every((e) => e.totalBytes === 5_000_000));
    assert.equal(progress.at(-1).percentage, 100);
    // A part of a file is not the file's size.
    progress.length = 0;
    await repo.ingest(fs.createReadStream(file, { start: 10 }));
    assert.ok(progress.every((e) => e.totalBytes === undefined));
    await repo.close();
  } finally {
    t.remove();
  }
});

test("Node: a failing input stream aborts the ingest with the stream's error", async () => {
  const t = tempDir("failing-input");
  try {
    const repo = await Repository.init(t.repo, SMALL);
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error("disk went away"), { code: "EIO" }));
      },
    });
    await assert.rejects(repo.ingest(failing), { code: "EIO", message: "disk went away" });
    assert.deepEqual(await repo.listSnapshots(), []);
    assert.deepEqual(fs.readdirSync(path.join(t.repo, "locks")), [], "the aborted ingest released its lock");
    await repo.close();
  } finally {
    t.remove();
  }
});

test("Node: a repository closed with its job workers running, or forgotten, lets the process exit", () => {
  const t = tempDir("exit");
  try {
    for (const thread of ["worker", "inline"]) {
      for (const close of [true, false]) {
        const repo = path.join(t.dir, `${thread}-${close}`);
        // The ingest starts the pool (3 job workers); the process must then end by itself.
        const script = `
          import { Repository } from "@cairn-backup/cairn";
          const data = new Uint8Array(2_000_000).map((_, i) => (i * 2654435761) >>> 24);
          const repo = await Repository.init(${JSON.stringify(repo)}, { thread: ${JSON.stringify(thread)}, threads: 3,
            chunking: { min: 4096, avg: 16384, max: 65536 }, packSize: 65536 });
          const snap = await repo.ingest(data);
          for await (const _ of await repo.restore(snap.id));
          ${close ? "await repo.close();" : ""}
          console.log("done");`;
        // A file beside this one, so that it imports the package as these tests do (and an
        // `--input-type` flag, which workers inherit and refuse, is not needed).
        const file = path.join(import.meta.dirname, `.exit-${thread}-${close}-${process.pid}.mjs`);
        fs.writeFileSync(file, script);
        const started = Date.now();
        let r;
        try {
          r = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 60_000 });
        } finally {
          fs.rmSync(file);
        }
        const what = `${thread}, ${close ? "closed" : "forgotten"}`;
        assert.equal(r.signal, null, `${what}: the process did not exit by itself (${r.stderr})`);
        assert.equal(r.status, 0, `${what}: ${r.stderr}`);
        assert.equal(r.stdout.trim(), "done", what);
        assert.ok(Date.now() - started < 30_000, what);
      }
    }
  } finally {
    t.remove();
  }
});
