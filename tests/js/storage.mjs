// The JS file-system storage held to the engine's storage contract: the same conformance
// suite (cairn_core::conformance) the CLI's storage passes, run through the wasm module.
// White-box: it imports the package's internal modules by path.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { checkStorage, loadModule } from "../../js/dist/engine.js";
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

/** Defines the storage scenarios with `test(name, fn)`. */
export function storageScenarios(test) {
  test("storage: passes the engine's conformance suite and leaves no temp files", async () => {
    await loadModule();
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
    await loadModule();
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
    await loadModule();
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
}
