// The JS package in Node: the shared scenarios, plus what is Node's own (Readable in and
// out, .pipe()), and the host side against the engine's own checks.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";

import { CairnError, Repository } from "cairn";

import { SMALL, bytes, scenarios, tempDir } from "./scenarios.mjs";
import { internalScenarios } from "./internals.mjs";

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
internalScenarios(test);

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
