// The JS package in Deno: the shared scenarios, plus what is Deno's own (web streams in
// and out, Deno files), and the host side against the engine's own checks.
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { CairnError, Repository } from "cairn";

import { SMALL, bytes, readAll, scenarios, tempDir } from "./scenarios.mjs";
import { internalScenarios } from "./internals.mjs";
import { denoJobWorkers } from "../../js/dist/pool-deno.js";

const test = (name, fn) => Deno.test(name, fn);

scenarios(test, {
  Repository,
  CairnError,
  streamInputs: (data) => ({
    "Deno file readable": () => {
      const t = tempDir("input-file");
      Deno.writeFileSync(path.join(t.dir, "in"), data);
      const file = Deno.openSync(path.join(t.dir, "in"));
      t.remove();
      return file.readable;
    },
  }),
});
internalScenarios(test, { jobWorkers: denoJobWorkers });

test("Deno: restore resolves to a web ReadableStream that pipes to a file", async () => {
  const t = tempDir("pipe");
  try {
    const repo = await Repository.init(t.repo, SMALL);
    const data = bytes(1_234_567, 12);
    const snap = await repo.ingest(data);
    const out = await repo.restore(snap.id);
    assert.ok(out instanceof ReadableStream);
    const file = path.join(t.dir, "restored");
    const sink = await Deno.open(file, { write: true, create: true });
    await out.pipeTo(sink.writable);
    assert.deepEqual(Deno.readFileSync(file), data);
    const cancelled = await repo.restore(snap.id);
    await cancelled.cancel();
    assert.deepEqual([...Deno.readDirSync(path.join(t.repo, "locks"))], [], "cancel ended the restore");
    assert.deepEqual(await readAll(await repo.restore(snap.id, { item: "data" })), data);
    await repo.close();
  } finally {
    t.remove();
  }
});
