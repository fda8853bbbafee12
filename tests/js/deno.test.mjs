// The JS package in Deno: the shared scenarios, plus what is Deno's own (web streams in
// and out, Deno files), and the host side against the engine's own checks.
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { CairnError, Repository } from "@cairn-backup/cairn";

import { SMALL, bytes, readAll, scenarios, tempDir } from "./scenarios.mjs";
import { httpScenarios } from "./http.mjs";
import { internalScenarios } from "./internals.mjs";
import { treeScenarios } from "./trees.mjs";
import { snapshotScenarios } from "./snapshots.mjs";
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
httpScenarios(test, { Repository, CairnError });
internalScenarios(test, { jobWorkers: denoJobWorkers });
snapshotScenarios(test, { Repository, CairnError, sourceStream: (p) => Deno.openSync(p).readable, recordsPath: false });
// Deno's `node:fs` tells modification times in milliseconds.
treeScenarios(test, { Repository, mtimePrecisionNs: 1_000_000n });

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

test("Deno: a permission Deno refuses is a CairnError naming the flag; no env or sys permission is needed, for streams or trees", async () => {
  const t = tempDir("permissions");
  try {
    const pkg = path.dirname(path.dirname(new URL(import.meta.resolve("@cairn-backup/cairn")).pathname));
    const script = path.join(t.dir, "init.mjs");
    Deno.writeTextFileSync(
      script,
      `import { CairnError, Repository } from ${JSON.stringify(import.meta.resolve("@cairn-backup/cairn"))};
       try {
         const repo = await Repository.init(${JSON.stringify(t.repo)}, {});
         await repo.ingest(new Uint8Array(1000));
         // Directory trees need no other permission either.
         const src = ${JSON.stringify(path.join(t.dir, "src"))};
         Deno.mkdirSync(src + "/a", { recursive: true });
         Deno.writeTextFileSync(src + "/a/f", "tree");
         const tree = await repo.ingest({ directory: src });
         const back = await repo.restoreTree(tree.id, ${JSON.stringify(path.join(t.dir, "out"))});
         if (back.files !== 1 || Deno.readTextFileSync(${JSON.stringify(path.join(t.dir, "out", "a", "f"))}) !== "tree") throw new Error("tree not restored");
         await repo.close();
         console.log("ok");
       } catch (e) {
         console.log(e instanceof CairnError ? e.code + ": " + e.message : "not a CairnError: " + e);
       }`,
    );
    const run = async (...flags) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", `--allow-read=${pkg},${t.dir}`, ...flags, script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(out.stdout).trim() + new TextDecoder().decode(out.stderr).trim();
    };
    const refused = await run();
    assert.match(refused, /^StorageError: .*--allow-write/);
    assert.deepEqual([...Deno.readDirSync(t.dir)].map((e) => e.name), ["init.mjs"], "nothing was written");
    assert.equal(await run(`--allow-write=${t.dir}`), "ok");
  } finally {
    t.remove();
  }
});
