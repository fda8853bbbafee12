// Repositories in S3 (SeaweedFS, started by tests/js/s3.sh) from the JS package, in Node
// and Deno (run by s3-node.test.mjs and s3-deno.test.mjs): the engine's storage
// conformance suite on the S3 storage, listing past one page, then init, ingest,
// restore byte-identical, list, verify full, prune and repair on s3://, plain and
// encrypted, two writers at once, the bad inputs (missing bucket, bad or no credentials,
// unreachable endpoint) with their CairnError codes and no secret shown, and the network
// failing through tests/storage/s3_proxy.py (storms, a cut connection, a stalled service).
import * as assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import process from "node:process";

import { checkStorage, loadModule } from "../../js/dist/engine.js";
import { bridgeFetch, bridgeHint } from "../../js/dist/http-bridge.js";
import { fsPlatform } from "../../js/dist/platform-fs.js";
import { DEFAULT_POLICY } from "../../js/dist/storage-http.js";
import { S3Storage, s3Location } from "../../js/dist/storage-s3.js";

import { SMALL, bytes, onThread, readAll, rejectsWith, sameBytes } from "./helpers.mjs";

/** The bucket tests/js/s3.sh creates. */
const BUCKET = "cairn-js";

/** A fresh prefix of the test bucket for `name`, in `runtime`. */
function fresh(runtime, name) {
  return `s3://${BUCKET}/${runtime}/${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** The storage of `url` with the environment's settings. */
function storageOf(url) {
  return new S3Storage(s3Location(url, undefined, (k) => process.env[k]), bridgeFetch);
}

/** The failing proxy of tests/storage/s3_proxy.py that tests/js/s3.sh starts: `set(query)`, `stat(name)`. */
function proxy() {
  const at = process.env.CAIRN_TEST_PROXY;
  assert.ok(at, "CAIRN_TEST_PROXY is not set: run these tests with tests/js/s3.sh, which starts the proxy");
  const control = async (path) => {
    const r = await fetch(`${at}/__proxy/${path}`);
    assert.equal(r.status, 200, path);
    return r.json().catch(() => undefined);
  };
  return { url: at, set: (query) => control(`set?${query}`), stat: async (name) => (await control("stats"))[name] };
}

/** Runs `f` with environment variable `name` unset. */
async function without(name, f) {
  const kept = process.env[name];
  delete process.env[name];
  try {
    return await f();
  } finally {
    process.env[name] = kept;
  }
}

/** Defines the S3 scenarios with `test(name, fn)` for this runtime's `Repository`; `runtime` names it in prefixes. */
export function s3Scenarios(test, { Repository, CairnError, runtime }) {
  if (!process.env.CAIRN_TEST_S3) throw new Error("CAIRN_TEST_S3 is not set: run these tests with tests/js/s3.sh, which starts SeaweedFS");
  const secret = process.env.AWS_SECRET_ACCESS_KEY;

  test("s3: the S3 storage passes the engine's storage conformance suite, twice on one prefix", async () => {
    await loadModule(fsPlatform);
    const url = fresh(runtime, "conformance");
    checkStorage(storageOf(url));
    checkStorage(storageOf(url));
    assert.deepEqual(storageOf(url).list(""), []);
  });

  test("s3: listing pages through ListObjectsV2 with continuation tokens (more than 1000 keys)", async () => {
    await loadModule(fsPlatform);
    const s = storageOf(fresh(runtime, "paging"));
    const keys = [];
    for (let i = 0; i < 1030; i++) keys.push(`snapshots/${i.toString(16).padStart(64, "0")}`);
    for (const k of keys) s.put(k, Uint8Array.of(1));
    s.put("config.json", Uint8Array.of(2));
    assert.deepEqual(s.list("snapshots/").sort(), keys);
    assert.equal(s.list("").length, keys.length + 1);
    sameBytes(s.getRange(keys[7], 0, 10), Uint8Array.of(1), "a range past the end is answered short");
    assert.equal(s.getRange(keys[7], 5, 10).length, 0);
    assert.throws(() => s.putNew(keys[7], Uint8Array.of(3)), (e) => e.code === "AlreadyExists");
    assert.throws(() => s.get("snapshots/" + "f".repeat(64)), (e) => e.code === "NotFound");
    assert.throws(() => s.get("../x"), (e) => e.code === "InvalidKey");
  });

  for (const encrypted of [false, true]) {
    const passphrase = encrypted ? "s3 passphrase" : undefined;
    test(`s3: a${encrypted ? "n encrypted" : " plain"} repository: init, ingest, list, restore byte-identical, verify full, prune, repair`, async () => {
      const url = fresh(runtime, encrypted ? "enc" : "plain");
      const data = [bytes(900_000, 41), bytes(300_000, 42), bytes(1_500_000, 43)];
      const repo = await Repository.init(url, { ...SMALL, passphrase });
      const snaps = [];
      try {
        for (const d of data) snaps.push(await repo.ingest(d, { tags: { n: String(d.length) } }));
        assert.equal((await repo.listSnapshots()).length, 3);
      } finally {
        await repo.close();
      }
      for (const thread of ["worker", "inline"]) {
        const r = await onThread(Repository, thread).open(`${url}/`, { passphrase });
        try {
          for (const [i, s] of snaps.entries()) sameBytes(await readAll(await r.restore(s.id)), data[i], `${thread}: restore ${i}`);
          const v = await r.verify({ level: "full" });
          assert.equal(v.ok, true, JSON.stringify(v.errors));
          assert.ok(v.stats.blobsDecoded > 10);
        } finally {
          await r.close();
        }
      }
      const r = await Repository.open(url, { passphrase });
      try {
        const pruned = await r.prune({ keepLast: 1 });
        assert.equal(pruned.removedSnapshots, 2);
        assert.ok(pruned.removedPacks > 0);
        const repaired = await r.repair();
        assert.deepEqual(repaired.errors, []);
        assert.equal((await r.verify({ level: "full" })).ok, true);
        assert.deepEqual((await r.listSnapshots()).map((s) => s.id), [snaps[2].id]);
        sameBytes(await readAll(await r.restore(snaps[2].id)), data[2], "kept snapshot");
      } finally {
        await r.close();
      }
      if (encrypted) await rejectsWith(Repository.open(url, { passphrase: "not it" }), "WrongPassphrase", CairnError);
    });
  }

  test("s3: two writers at once: concurrent ingests into one repository both land and verify clean", async () => {
    const url = fresh(runtime, "two-writers");
    await (await Repository.init(url, SMALL)).close();
    const data = [bytes(1_200_000, 51), bytes(1_100_000, 52)];
    const [a, b] = await Promise.all([Repository.open(url), Repository.open(url)]);
    try {
      const snaps = await Promise.all([a.ingest(data[0]), b.ingest(data[1])]);
      const listed = (await a.listSnapshots()).map((s) => s.id).sort();
      assert.deepEqual(listed, snaps.map((s) => s.id).sort());
      assert.equal((await b.verify({ level: "full" })).ok, true);
      for (const [i, s] of snaps.entries()) sameBytes(await readAll(await a.restore(s.id)), data[i], `writer ${i}`);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("s3: settings from the `s3` option override the environment", async () => {
    const url = fresh(runtime, "options");
    const s3 = { endpoint: process.env.AWS_ENDPOINT_URL, region: "us-east-1", accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: secret };
    await without("AWS_ENDPOINT_URL", () =>
      without("AWS_ACCESS_KEY_ID", () =>
        without("AWS_SECRET_ACCESS_KEY", async () => {
          const repo = await Repository.init(url, { ...SMALL, s3 });
          const snap = await repo.ingest(bytes(100_000, 61));
          sameBytes(await readAll(await repo.restore(snap.id)), bytes(100_000, 61), "restore");
          await repo.close();
        }),
      ),
    );
  });

  test("s3: announced reads are made ahead, several at once, each once; CAIRN_READ_AHEAD=0 makes one at a time", async () => {
    await loadModule(fsPlatform);
    const { url: through, set, stat } = proxy();
    const url = fresh(runtime, "ahead");
    const settings = s3Location(url, { endpoint: through }, (k) => process.env[k]);
    const s = new S3Storage(settings, bridgeFetch, DEFAULT_POLICY, bridgeHint);
    const keys = [0, 1, 2, 3, 4, 5].map((i) => `snapshots/${String(i).repeat(64)}`);
    keys.forEach((k, i) => s.put(k, bytes(1000 + i, i)));
    await set("delay_ms=100");
    try {
      s.willRead(keys.map((k, i) => `get ${k} ${1000 + i}\nrange ${k} 10 20`).join("\n"));
      keys.forEach((k, i) => {
        sameBytes(s.get(k), bytes(1000 + i, i), `get ${i}`);
        sameBytes(s.getRange(k, 10, 20), bytes(1000 + i, i).subarray(10, 30), `range ${i}`);
      });
      assert.equal(await stat("passed"), 12, "each announced read made once");
      assert.ok((await stat("most_in_flight")) > 1, "reads made ahead, several at once");
      // Through the engine: a restore announces its reads.
      await set("delay_ms=0");
      const data = bytes(600_000, 81);
      const repoUrl = fresh(runtime, "ahead-repo");
      const repo = await Repository.init(repoUrl, { ...SMALL, s3: { endpoint: through } });
      const snap = await repo.ingest(data);
      await repo.close();
      const restored = async () => {
        const r = await Repository.open(repoUrl, { s3: { endpoint: through } });
        try {
          await set("delay_ms=20");
          sameBytes(await readAll(await r.restore(snap.id)), data, "restore");
          return await stat("most_in_flight");
        } finally {
          await r.close();
        }
      };
      assert.ok((await restored()) > 1, "a restore keeps several reads in flight");
      process.env.CAIRN_READ_AHEAD = "0";
      assert.equal(await restored(), 1, "without reading ahead, one read at a time");
    } finally {
      delete process.env.CAIRN_READ_AHEAD;
      await set("delay_ms=0");
    }
  });

  test("s3: the network failing: 503 and 429 storms ridden out; a permanent storm, a cut connection, a stalled service end in StorageError in seconds; the repository still verifies", async () => {
    const { url: through, set, stat } = proxy();
    const url = fresh(runtime, "faults");
    const via = { s3: { endpoint: through } };
    const data = [bytes(500_000, 71), bytes(500_000, 72), bytes(500_000, 73)];
    const options = { ...SMALL, packSize: 400_000 };
    await (await Repository.init(url, options)).close();
    await set("");
    let repo = await Repository.open(url, via);
    const first = await repo.ingest(data[0]);
    await repo.close();
    const n = await stat("passed");

    // A share of the requests fails, some twice in a row: retries ride it out.
    await set("fail=503&first=2&every=6");
    repo = await Repository.open(url, via);
    const second = await repo.ingest(data[1]);
    assert.ok((await stat("failed")) > 0, "the proxy answered no 503");
    await set("fail=429&first=1&every=3");
    sameBytes(await readAll(await repo.restore(second.id)), data[1], "restore through a 429 storm");
    assert.ok((await stat("failed")) > 0, "the proxy answered no 429");
    await repo.close();

    const fails = async (what, query, counted, pattern, timeout) => {
      await set("");
      if (timeout !== undefined) process.env.CAIRN_STORAGE_TIMEOUT = timeout;
      const r = await Repository.open(url, via);
      await set(query);
      const started = Date.now();
      await assert.rejects(r.ingest(data[2]), (e) => {
        assert.ok(e instanceof CairnError, String(e));
        assert.equal(e.code, "StorageError", e.message);
        assert.match(e.message, pattern);
        assert.ok(!e.message.includes(secret), "the secret key is in the message");
        return true;
      }, what);
      assert.ok(Date.now() - started < 60_000, `${what}: took ${Date.now() - started} ms`);
      assert.ok((await stat(counted)) > 0, `${what}: the proxy let every request through`);
      await set("");
      await r.close();
    };
    // A service without conditional writes: no lock, no config, rather than a race.
    await set("fail=501&first=all&conditional=1");
    await assert.rejects(Repository.init(fresh(runtime, "no-conditional"), { ...SMALL, ...via }), (e) => {
      assert.equal(e.code, "StorageError", e.message);
      assert.match(e.message, /cannot create objects exclusively/);
      return true;
    });
    process.env.CAIRN_STORAGE_ATTEMPTS = "2";
    try {
      await fails("a permanent 503 storm", "fail=503&first=all", "failed", /answered 503.*after 2 attempts/);
      await fails("a connection cut mid-ingest", `cut_after=${Math.floor(n / 2)}`, "cut", /s3:\/\/cairn-js\/.*after 2 attempts/);
      await fails("a stalled service", `stall_after=${Math.floor(n / 2)}`, "stalled", /within 1 s.*after 2 attempts/, "1");
    } finally {
      delete process.env.CAIRN_STORAGE_ATTEMPTS;
      delete process.env.CAIRN_STORAGE_TIMEOUT;
    }

    const r = await Repository.open(url);
    try {
      assert.deepEqual((await r.listSnapshots()).map((s) => s.id).sort(), [first.id, second.id].sort(), "no snapshot of a failed ingest");
      assert.equal((await r.verify({ level: "full" })).ok, true);
      const third = await r.ingest(data[2]);
      sameBytes(await readAll(await r.restore(third.id)), data[2], "the next ingest");
      assert.equal((await r.verify({ level: "full" })).ok, true);
    } finally {
      await r.close();
    }
    // Nothing secret in any object: the locks the failed ingests left, snapshots, keys, packs.
    const store = storageOf(url);
    const keys = store.list("");
    assert.ok(keys.some((k) => k.startsWith("locks/")), "a failed ingest left its lock");
    const needle = new TextEncoder().encode(secret);
    for (const k of keys) assert.equal(Buffer.from(store.get(k)).indexOf(needle), -1, `${k} holds the secret key`);
  });

  test("s3: a missing bucket, bad or no credentials, an unreachable endpoint, a prefix with no repository: clear codes, no secret", async () => {
    const noSecret = (e) => {
      assert.ok(e instanceof CairnError, String(e));
      assert.ok(!e.message.includes(secret), "the secret key is in the message");
      assert.ok(!e.message.includes("wrong-secret-value"), "the given secret is in the message");
      return e;
    };
    const fails = async (promise, code, pattern) => {
      await assert.rejects(promise, (e) => {
        noSecret(e);
        assert.equal(e.code, code, e.message);
        assert.match(e.message, pattern);
        return true;
      });
    };
    await fails(Repository.open(fresh(runtime, "nothing")), "RepositoryNotFound", /s3:\/\/cairn-js\/.*nothing.*config\.json is missing/);
    await fails(Repository.open("s3://cairn-no-such-bucket/x"), "StorageError", /bucket cairn-no-such-bucket does not exist/);
    await fails(Repository.init("s3://cairn-no-such-bucket/x", SMALL), "StorageError", /does not exist/);
    await fails(Repository.open(`s3://${BUCKET}/x`, { s3: { secretAccessKey: "wrong-secret-value" } }), "StorageError", /access denied.*check the access key ID and secret access key/);
    await fails(Repository.open(`s3://${BUCKET}/x`, { s3: { accessKeyId: "no-such-key" } }), "StorageError", /access denied/);
    await without("AWS_ACCESS_KEY_ID", () => fails(Repository.open(`s3://${BUCKET}/x`), "InvalidArgument", /no credentials.*AWS_ACCESS_KEY_ID/));
    await fails(Repository.open(`s3://key:${secret}@${BUCKET}/x`), "InvalidArgument", /carries credentials/);
    await fails(Repository.open("s3://bad bucket/x"), "InvalidArgument", /no valid bucket/);
    await fails(Repository.open(`s3://${BUCKET}/a/../b`), "InvalidArgument", /plain names/);
    await fails(Repository.open(`s3://${BUCKET}/x`, { s3: { endpoint: "ftp://x" } }), "InvalidArgument", /endpoint/);
    const started = Date.now();
    process.env.CAIRN_STORAGE_ATTEMPTS = "2";
    try {
      await fails(Repository.open(`s3://${BUCKET}/x`, { s3: { endpoint: "http://127.0.0.1:1" } }), "StorageError", /cannot reach the server.*after 2 attempts.*S3 endpoint/);
    } finally {
      delete process.env.CAIRN_STORAGE_ATTEMPTS;
    }
    assert.ok(Date.now() - started < 20_000, "an unreachable endpoint fails in seconds");
  });
}
