// The package's host side, white-box (it imports internal modules by path): the file-system
// storage held to the engine's storage contract, with the same conformance suite
// (cairn_core::conformance) the CLI's storage passes; and the node:crypto intrinsics,
// which the engine checks against its own implementation when a repository is opened.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { SyncEngine, checkStorage, loadModule } from "../../js/dist/engine.js";
import { fsPlatform } from "../../js/dist/platform-fs.js";
import { toCairnError } from "../../js/dist/errors.js";
import { ERROR_CODES } from "../../js/dist/generated/api.js";
import { errorCodes, throwErrorExample } from "../../js/pkg/cairn_bindgen.js";
import { nodeIntrinsics } from "../../js/dist/intrinsics.js";
import { JobPool } from "../../js/dist/pool.js";
import { FsStorage } from "../../js/dist/storage.js";

import { tempDir } from "./scenarios.mjs";

/** Every file under `dir`, relative, sorted. */
function files(dir) {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

/** The engine's module, compiled, as a job pool gets it. */
const wasmModule = () => WebAssembly.compile(fs.readFileSync(new URL("../../js/pkg/cairn_bindgen_bg.wasm", import.meta.url)));

/** A framed share of no jobs, whose results are framed nothing too; and a malformed one. */
const EMPTY = () => Uint8Array.of(0, 0, 0, 0);
const MALFORMED = () => Uint8Array.of(1, 0, 0, 0);

/**
 * Defines the storage, intrinsics and job pool scenarios with `test(name, fn)`;
 * `jobWorkers` starts this runtime's job workers.
 */
export function internalScenarios(test, { jobWorkers }) {
  for (const limits of [{}, { pieceBytes: 3 }]) {
  test(`job pool: batches in flight together, collected in any order; a malformed share fails alone (${JSON.stringify(limits)})`, async () => {
    const pool = new JobPool(2, jobWorkers, await wasmModule(), limits);
    try {
      const t1 = pool.submit([EMPTY(), EMPTY()]);
      const t2 = pool.submit([EMPTY()]);
      const t3 = pool.submit([MALFORMED(), EMPTY()]);
      const t4 = pool.submit([EMPTY(), EMPTY()]);
      assert.deepEqual(pool.collect(t2), [EMPTY()]);
      assert.throws(() => pool.collect(t3), /a batch of jobs: .*truncated/);
      assert.deepEqual(pool.collect(t1), [EMPTY(), EMPTY()]);
      assert.deepEqual(pool.collect(t4), [EMPTY(), EMPTY()], "the worker that failed a share goes on");
      assert.throws(() => pool.collect(t4), /no batch has ticket/);
      const big = new Uint8Array(3 << 20);
      big.set([1, 0, 0, 0, 0xf8, 0xff, 0x2f, 0]); // one job of 3 MiB - 8 bytes, of no known kind
      assert.throws(() => pool.collect(pool.submit([big, EMPTY()])), /unknown job kind/);
    } finally {
      pool.close();
    }
    assert.throws(() => pool.submit([EMPTY()]), /closed/);
  });
  }

  test("job pool: a job worker that cannot start, never answers or dies is an error, not a hang", async () => {
    // Not the engine's module: the worker cannot make a JobRunner from it.
    const wrong = await WebAssembly.compile(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
    const broken = new JobPool(2, jobWorkers, wrong);
    try {
      assert.throws(() => broken.collect(broken.submit([EMPTY(), EMPTY()])), /could not start/);
    } finally {
      broken.close();
    }

    const silent = { spawn: () => ({ post() {}, terminate() {}, failure: () => undefined }), defaultThreads: () => 2 };
    const deaf = new JobPool(2, silent, await wasmModule(), { noProgressMs: 300 });
    const started = Date.now();
    assert.throws(() => deaf.collect(deaf.submit([EMPTY()])), /no progress/);
    assert.ok(Date.now() - started < 5000, "gave up after the pool's timeout");
    deaf.close();

    const spawned = [];
    const recorded = { spawn: () => spawned[spawned.push(jobWorkers.spawn()) - 1], defaultThreads: () => 2 };
    const pool = new JobPool(2, recorded, await wasmModule());
    try {
      assert.deepEqual(pool.collect(pool.submit([EMPTY(), EMPTY()])), [EMPTY(), EMPTY()]);
      const ticket = pool.submit([EMPTY(), EMPTY()]);
      spawned[1].terminate(); // Behind the pool's back.
      // Its share fails, unless the worker finished it before the termination took effect
      // (terminating a Node worker is asynchronous): both are right, a hang is not.
      try {
        pool.collect(ticket);
      } catch (e) {
        assert.match(e.message, /a job worker failed/);
      }
      assert.deepEqual(pool.collect(pool.submit([EMPTY(), EMPTY()])), [EMPTY(), EMPTY()], "a new worker took its place");
      assert.equal(spawned.length, 3);
    } finally {
      pool.close();
    }
  });

  test("errors: every engine code reaches JS under its own name, and the generated list is the engine's", async () => {
    await loadModule(fsPlatform);
    assert.deepEqual([...ERROR_CODES], errorCodes(), "js/src/generated/api.ts lists the codes of the wasm module");
    for (const code of ERROR_CODES) {
      let thrown;
      try {
        throwErrorExample(code);
      } catch (e) {
        thrown = e;
      }
      const e = toCairnError(thrown);
      assert.equal(e.code, code);
      assert.ok(e.message.length > 10, `${code} has a sentence`);
    }
    assert.equal(toCairnError({ code: "NoSuchCode", message: "m" }).code, "Internal", "an unknown code is a bug");
  });

  test("storage: passes the engine's conformance suite and leaves no temp files", async () => {
    await loadModule(fsPlatform);
    const t = tempDir("storage");
    try {
      fs.mkdirSync(t.repo);
      checkStorage(new FsStorage(t.repo));
      checkStorage(new FsStorage(t.repo));
      assert.deepEqual(files(t.repo), []);
    } finally {
      t.remove();
    }
  });

  test("storage: a putNew that overwrites fails the conformance suite", async () => {
    await loadModule(fsPlatform);
    const t = tempDir("storage-broken");
    try {
      fs.mkdirSync(t.repo);
      class Overwrites extends FsStorage {
        putNew(key, data) {
          this.put(key, data);
        }
      }
      assert.throws(() => checkStorage(new Overwrites(t.repo)), (e) => e.code === "Internal" && /AlreadyExists/.test(e.message));
    } finally {
      t.remove();
    }
  });

  test("storage: keys outside the repository grammar never reach the disk", async () => {
    await loadModule(fsPlatform);
    const t = tempDir("storage-escape");
    try {
      fs.mkdirSync(t.repo);
      fs.writeFileSync(path.join(t.dir, "secret"), "outside");
      const s = new FsStorage(t.repo);
      for (const bad of ["../secret", "/etc/passwd", "keys/../../secret", "config.json/../../secret", "locks/x"]) {
        for (const op of [() => s.get(bad), () => s.getRange(bad, 0, 1), () => s.put(bad, new Uint8Array(1)), () => s.putNew(bad, new Uint8Array(1)), () => s.delete(bad)]) {
          assert.throws(op, { code: "InvalidKey" }, bad);
        }
      }
      assert.throws(() => s.list("../"), { code: "InvalidKey" });
      assert.equal(fs.readFileSync(path.join(t.dir, "secret"), "utf8"), "outside");
      assert.deepEqual(files(t.dir), ["secret"]);
    } finally {
      t.remove();
    }
  });

  test("intrinsics: node:crypto's are used, and a wrong one is refused at open", async () => {
    await loadModule(fsPlatform);
    const t = tempDir("intrinsics");
    try {
      const engine = (intrinsics) => new SyncEngine({ location: { kind: "fs", root: t.repo }, platform: fsPlatform, onEvent: () => {}, intrinsics });
      const good = engine(nodeIntrinsics);
      assert.equal(good.call("init", { passphrase: "p", kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 } }).accelerated, true);
      good.close();
      const soft = engine(undefined);
      assert.equal(soft.call("open", { passphrase: "p" }).accelerated, false);
      soft.close();
      const wrong = {
        sha256: { ...nodeIntrinsics, sha256: (d) => nodeIntrinsics.sha256(d).map((b, i) => (i === 0 ? b ^ 1 : b)) },
        aesGcmOpen: { ...nodeIntrinsics, aesGcmOpen: (k, n, a, d) => nodeIntrinsics.aesGcmSeal(k, n, a, d) },
      };
      for (const [name, intrinsics] of Object.entries(wrong)) {
        const bad = engine(intrinsics);
        assert.throws(() => bad.call("open", { passphrase: "p" }), { code: "IntrinsicMismatch" }, name);
        bad.close();
      }
    } finally {
      t.remove();
    }
  });
}
