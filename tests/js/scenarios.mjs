// The scenarios of the JS package, written once and run by both runtimes' own test
// runners: node.test.mjs (node --test) and deno.test.mjs (deno test). Each runtime passes
// its `test` function, the package's exports and how to read what `restore` resolves to.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { SMALL, bytes, concat, files, onThread, readAll, rejectsWith, sameBytes, tempDir } from "./helpers.mjs";

export { SMALL, bytes, readAll, tempDir };

/** Defines every scenario twice, the engine in a worker and on the calling thread. */
export function scenarios(test, { Repository, ...rest }) {
  for (const thread of ["worker", "inline"]) {
    threadScenarios((name, fn) => test(`${thread}: ${name}`, fn), { Repository: onThread(Repository, thread), ...rest });
  }
}

/** Defines every scenario with `test(name, fn)`. */
function threadScenarios(test, { Repository, CairnError, streamInputs }) {
  test("init creates a repository that open opens; init refuses an existing one", async () => {
    const t = tempDir("init");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      assert.deepEqual(await repo.listSnapshots(), []);
      await repo.close();
      await rejectsWith(Repository.init(t.repo, SMALL), "RepositoryExists", CairnError);
      const again = await Repository.open(t.repo);
      assert.deepEqual(await again.listSnapshots(), []);
      await again.close();
      await rejectsWith(Repository.open(path.join(t.dir, "nothing-here")), "RepositoryNotFound", CairnError);
    } finally {
      t.remove();
    }
  });

  for (const encrypted of [false, true]) {
    const kind = encrypted ? "encrypted" : "plain";
    const options = encrypted ? { ...SMALL, passphrase: "correct horse" } : SMALL;
    const openOptions = encrypted ? { passphrase: "correct horse" } : {};

    test(`${kind}: one stream in, the same bytes out, after reopening`, async () => {
      const t = tempDir(kind);
      try {
        const data = bytes(300_000, 3);
        const repo = await Repository.init(t.repo, options);
        const snap = await repo.ingest(data, { tags: { db: "main" }, items: [{ name: "dump", type: "sql" }] });
        assert.match(snap.id, /^[0-9a-f]{64}$/);
        assert.equal(snap.originalSize, data.length);
        assert.deepEqual(snap.tags, { db: "main" });
        assert.equal(snap.items.length, 1);
        assert.equal(snap.items[0].name, "dump");
        assert.equal(snap.items[0].type, "sql");
        assert.equal(snap.items[0].size, data.length);
        assert.ok(snap.chunkCount > 3, `300 kB in 16 KiB chunks, got ${snap.chunkCount}`);
        assert.equal(snap.newChunks + snap.reusedChunks, snap.chunkCount);
        await repo.close();

        const reopened = await Repository.open(t.repo, openOptions);
        assert.deepEqual(await reopened.getSnapshot(snap.id), snap);
        assert.deepEqual(await reopened.getSnapshot("latest"), snap);
        assert.deepEqual(await reopened.getSnapshot(snap.id.slice(0, 8)), snap);
        sameBytes(await readAll(await reopened.restore(snap.id)), data, "restore");
        await reopened.close();
      } finally {
        t.remove();
      }
    });

    test(`${kind}: several named streams as one snapshot; restore all or one item`, async () => {
      const t = tempDir(`${kind}-multi`);
      try {
        const a = bytes(200_000, 5);
        const b = new TextEncoder().encode("CREATE TABLE t (id int);\n");
        const c = bytes(90_000, 6);
        const repo = await Repository.init(t.repo, options);
        const snap = await repo.ingestMulti([
          { name: "volume", type: "tar", stream: a },
          { name: "schema.sql", stream: b },
          { name: "empty", stream: new Uint8Array(0) },
          { name: "tail", stream: c },
        ]);
        assert.deepEqual(
          snap.items.map((i) => [i.name, i.type, i.size]),
          [["volume", "tar", a.length], ["schema.sql", undefined, b.length], ["empty", undefined, 0], ["tail", undefined, c.length]],
        );
        sameBytes(await readAll(await repo.restore(snap.id)), concat([a, b, c]), "whole snapshot");
        sameBytes(await readAll(await repo.restore(snap.id, { item: "schema.sql" })), b, "one item");
        sameBytes(await readAll(await repo.restore(snap.id, { item: "tail" })), c, "last item");
        sameBytes(await readAll(await repo.restore(snap.id, { item: "empty" })), new Uint8Array(0), "empty item");
        await rejectsWith(repo.restore(snap.id, { item: "nope" }), "ItemNotFound", CairnError);
        await repo.close();
      } finally {
        t.remove();
      }
    });

    test(`${kind}: a second, edited version reuses the first one's chunks`, async () => {
      const t = tempDir(`${kind}-dedup`);
      try {
        const v1 = bytes(1_000_000, 9);
        const v2 = concat([v1.subarray(0, 500_000), new TextEncoder().encode("an edit in the middle"), v1.subarray(500_000)]);
        const repo = await Repository.init(t.repo, options);
        const s1 = await repo.ingest(v1);
        const s2 = await repo.ingest(v2);
        assert.equal(s1.reusedChunks, 0);
        assert.ok(s2.reusedChunks >= s2.chunkCount - 3, `reused ${s2.reusedChunks} of ${s2.chunkCount}`);
        assert.ok(s2.newChunks >= 1 && s2.newChunks <= 3, `new chunks: ${s2.newChunks}`);
        assert.ok(s2.storedSize * 5 < s1.storedSize, `stored ${s2.storedSize} after ${s1.storedSize}`);
        sameBytes(await readAll(await repo.restore(s1.id)), v1, "v1");
        sameBytes(await readAll(await repo.restore(s2.id)), v2, "v2");
        await repo.close();
      } finally {
        t.remove();
      }
    });
  }

  test("job threads: a plain repository written with 1 and with 3 job threads has the same packs, byte for byte", async () => {
    const t = tempDir("threads-packs");
    try {
      // Two repositories with one config (its chunker key), as the CLI's test copies
      // config.json: plain sealing is deterministic, so only the thread count differs.
      const one = path.join(t.dir, "one");
      const three = path.join(t.dir, "three");
      await (await Repository.init(one, { ...SMALL, compressionLevel: 3 })).close();
      fs.cpSync(one, three, { recursive: true });
      const data = bytes(3_000_000, 31);
      for (const [repo, threads] of [[one, 1], [three, 3]]) {
        const r = await Repository.open(repo, { threads });
        await r.ingest(data);
        await r.close();
      }
      const packs = (repo) => files(path.join(repo, "packs"));
      assert.deepEqual(packs(three), packs(one), "the same pack, index and parity files");
      assert.ok(packs(one).filter((f) => f.endsWith(".pack")).length > 10, "many packs");
      for (const f of packs(one)) {
        sameBytes(fs.readFileSync(path.join(three, "packs", f)), fs.readFileSync(path.join(one, "packs", f)), f);
      }
    } finally {
      t.remove();
    }
  });

  for (const encrypted of [false, true]) {
    const kind = encrypted ? "encrypted" : "plain";
    const secret = encrypted ? { passphrase: "correct horse" } : {};
    test(`job threads (${kind}): restore and full verification answer the same with 1 and 3 job threads, damaged or not`, async () => {
      const t = tempDir(`threads-${kind}`);
      try {
        const v1 = bytes(1_500_000, 41);
        const v2 = concat([v1.subarray(0, 700_000), bytes(50_000, 42), v1.subarray(700_000)]);
        const repo = await Repository.init(t.repo, { ...SMALL, ...secret, threads: 3 });
        const s1 = await repo.ingest(v1);
        await repo.close();
        const again = await Repository.open(t.repo, { ...secret, threads: 1 });
        const s2 = await again.ingest(v2);
        await again.close();
        const answers = async (threads) => {
          const r = await Repository.open(t.repo, { ...secret, threads });
          try {
            sameBytes(await readAll(await r.restore(s1.id)), v1, `v1 with ${threads} threads`);
            sameBytes(await readAll(await r.restore(s2.id)), v2, `v2 with ${threads} threads`);
            return await r.verify({ level: "full" });
          } finally {
            await r.close();
          }
        };
        const clean = await answers(1);
        assert.equal(clean.ok, true, JSON.stringify(clean.errors));
        assert.ok(clean.stats.chunksChecked > 50, `${clean.stats.chunksChecked} chunks checked`);
        assert.deepEqual(await answers(3), clean);

        // A damaged pack: the same errors, whichever thread opens its blobs.
        const pack = files(path.join(t.repo, "packs")).find((f) => f.endsWith(".pack"));
        const damaged = fs.readFileSync(path.join(t.repo, "packs", pack));
        damaged[damaged.length >> 1] ^= 0xff;
        fs.writeFileSync(path.join(t.repo, "packs", pack), damaged);
        const verify = async (threads) => {
          const r = await Repository.open(t.repo, { ...secret, threads });
          try {
            return await r.verify({ level: "full" });
          } finally {
            await r.close();
          }
        };
        const found = await verify(1);
        assert.equal(found.ok, false);
        assert.deepEqual(await verify(3), found);
      } finally {
        t.remove();
      }
    });
  }

  test("job threads: `threads` must be a whole number of at least 1", async () => {
    const t = tempDir("threads-option");
    try {
      for (const threads of [0, -1, 1.5, Number.NaN]) {
        await rejectsWith(Repository.init(t.repo, { ...SMALL, threads }), "InvalidArgument", CairnError);
      }
      assert.equal(fs.existsSync(t.repo), false, "nothing was created");
    } finally {
      t.remove();
    }
  });

  test("every kind of stream input is accepted and stored byte for byte", async () => {
    const t = tempDir("inputs");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const data = bytes(2_500_000, 11);
      const inputs = {
        "Uint8Array": () => data,
        "web ReadableStream": () =>
          new ReadableStream({
            start(c) {
              for (let at = 0; at < data.length; at += 70_000) c.enqueue(data.slice(at, at + 70_000));
              c.close();
            },
          }),
        "AsyncIterable": () =>
          (async function* () {
            for (let at = 0; at < data.length; at += 3_000_000 / 7) yield data.slice(at, at + 3_000_000 / 7);
          })(),
        ...streamInputs(data),
      };
      const original = data.slice();
      for (const [name, make] of Object.entries(inputs)) {
        const input = make();
        const snap = await repo.ingest(input, { tags: { input: name } });
        assert.equal(snap.originalSize, data.length, name);
        if (input instanceof Uint8Array) sameBytes(input, original, `${name} is left as it was`);
        sameBytes(await readAll(await repo.restore(snap.id)), data, name);
      }
      const listed = await repo.listSnapshots();
      assert.equal(listed.length, Object.keys(inputs).length);
      assert.ok(listed.slice(1).every((s) => s.newChunks === 0), "the same bytes dedup whatever the input type");
      await rejectsWith(repo.ingest("a string"), "InvalidArgument", CairnError);
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("listSnapshots filters by tags and by date", async () => {
    const t = tempDir("filters");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const a = await repo.ingest(bytes(10_000, 1), { tags: { db: "a", env: "prod" } });
      await new Promise((r) => setTimeout(r, 5));
      const b = await repo.ingest(bytes(10_000, 2), { tags: { db: "b", env: "prod" } });
      const ids = (list) => list.map((s) => s.id).sort();
      assert.deepEqual(ids(await repo.listSnapshots()), ids([a, b]));
      assert.deepEqual(ids(await repo.listSnapshots({ tags: { env: "prod" } })), ids([a, b]));
      assert.deepEqual(ids(await repo.listSnapshots({ tags: { db: "b" } })), [b.id]);
      assert.deepEqual(ids(await repo.listSnapshots({ tags: { db: "b", env: "dev" } })), []);
      assert.ok(a.createdAt < b.createdAt);
      assert.deepEqual(ids(await repo.listSnapshots({ after: b.createdAt })), [b.id]);
      assert.deepEqual(ids(await repo.listSnapshots({ before: b.createdAt })), [a.id]);
      const today = a.createdAt.slice(0, 10);
      assert.deepEqual(ids(await repo.listSnapshots({ after: today })), ids([a, b]));
      assert.deepEqual(ids(await repo.listSnapshots({ before: today })), []);
      await rejectsWith(repo.listSnapshots({ after: "yesterday" }), "InvalidArgument", CairnError);
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("a wrong or missing passphrase is refused with its own code", async () => {
    const t = tempDir("passphrase");
    try {
      const repo = await Repository.init(t.repo, { ...SMALL, passphrase: "right" });
      await repo.ingest(bytes(1000));
      await repo.close();
      await rejectsWith(Repository.open(t.repo, { passphrase: "wrong" }), "WrongPassphrase", CairnError);
      await rejectsWith(Repository.open(t.repo), "PassphraseRequired", CairnError);
      const ok = await Repository.open(t.repo, { passphrase: "right" });
      assert.equal((await ok.listSnapshots()).length, 1);
      await ok.close();
    } finally {
      t.remove();
    }
  });

  test("keys: keyAdd, keyList and keyRemove, as the CLI's `key` commands", async () => {
    const t = tempDir("keys");
    try {
      const repo = await Repository.init(t.repo, { ...SMALL, passphrase: "first" });
      const [first] = await repo.keyList();
      assert.equal(first.current, true);
      const { id } = await repo.keyAdd("second");
      const listed = await repo.keyList();
      assert.deepEqual(listed.map((k) => k.id).sort(), [first.id, id].sort());
      assert.deepEqual(listed.filter((k) => k.current).map((k) => k.id), [first.id]);
      await repo.close();
      const other = await Repository.open(t.repo, { passphrase: "second" });
      await other.keyRemove(first.id.slice(0, 8));
      await rejectsWith(other.keyRemove(id), "LastKey", CairnError);
      await rejectsWith(other.keyRemove("ffffffff"), "KeyNotFound", CairnError);
      await other.close();
      await rejectsWith(Repository.open(t.repo, { passphrase: "first" }), "WrongPassphrase", CairnError);
    } finally {
      t.remove();
    }
  });

  test("a missing snapshot is SnapshotNotFound; a closed repository refuses calls", async () => {
    const t = tempDir("missing");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const missing = "ab".repeat(32);
      await rejectsWith(repo.getSnapshot(missing), "SnapshotNotFound", CairnError);
      await rejectsWith(repo.getSnapshot("latest"), "SnapshotNotFound", CairnError);
      await rejectsWith(repo.restore(missing), "SnapshotNotFound", CairnError);
      await repo.close();
      await rejectsWith(repo.listSnapshots(), "InvalidArgument", CairnError);
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("events: ingest:progress and ingest:complete, until unsubscribed", async () => {
    const t = tempDir("events");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const data = bytes(20_000_000, 4);
      const progress = [];
      const complete = [];
      const p = repo.on("ingest:progress", (e) => progress.push(e));
      const c = repo.on("ingest:complete", (e) => complete.push(e));
      const snap = await repo.ingest(data);
      // About one per 1 % (200 kB), but at most one per 1 MiB block written: 19 or more.
      assert.ok(progress.length >= 19, `${progress.length} progress events for 20 MB`);
      const last = progress.at(-1);
      assert.equal(last.operation, "ingest");
      assert.equal(last.bytesProcessed, data.length);
      assert.equal(last.totalBytes, data.length);
      assert.equal(last.percentage, 100);
      assert.equal(typeof last.message, "string");
      assert.ok(progress.every((e, i) => i === 0 || e.bytesProcessed >= progress[i - 1].bytesProcessed));
      assert.deepEqual(complete, [
        {
          snapshotId: snap.id,
          newChunks: snap.newChunks,
          reusedChunks: snap.reusedChunks,
          originalSize: snap.originalSize,
          storedSize: snap.storedSize,
        },
      ]);
      // A stream of unknown length has no total, unless `size` declares it.
      async function* gen() {
        yield data.subarray(0, 3_000_000);
      }
      progress.length = 0;
      await repo.ingest(gen());
      assert.ok(progress.every((e) => e.totalBytes === undefined && e.percentage === undefined));
      progress.length = 0;
      await repo.ingest(gen(), { size: 3_000_000 });
      assert.deepEqual([progress.at(-1).totalBytes, progress.at(-1).percentage], [3_000_000, 100]);
      p.unsubscribe();
      c.unsubscribe();
      await repo.ingest(bytes(1000));
      assert.equal(complete.length, 3, "no event after unsubscribe");
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("maintenance: verify finds damage (with verify:error events), repair rebuilds it, reindex, prune, unlock", async () => {
    const t = tempDir("maintenance");
    try {
      const repo = await Repository.init(t.repo, { ...SMALL, parity: { dataPacks: 4, parityPacks: 1 } });
      const versions = [bytes(400_000, 21), bytes(400_000, 22), bytes(400_000, 23)];
      const snaps = [];
      for (const v of versions) snaps.push(await repo.ingest(v));
      const clean = await repo.verify({ level: "full" });
      assert.equal(clean.ok, true, JSON.stringify(clean.errors));
      assert.deepEqual(clean.errors, []);
      assert.ok(clean.stats.packsChecked > 3 && clean.stats.chunksChecked > 10 && clean.stats.snapshotsChecked === 3);

      // Flip one byte of one pack: verify names the pack and the snapshot, and emits events.
      const packsDir = path.join(t.repo, "packs", "data");
      const packs = fs.readdirSync(packsDir).flatMap((d) =>
        fs.readdirSync(path.join(packsDir, d)).filter((f) => f.endsWith(".pack")).map((f) => path.join(packsDir, d, f)));
      const victim = packs[1];
      const damaged = fs.readFileSync(victim);
      damaged[100] ^= 0xff;
      fs.writeFileSync(victim, damaged);
      const events = [];
      const sub = repo.on("verify:error", (e) => events.push(e));
      const found = await repo.verify(); // standard by default
      sub.unsubscribe();
      assert.equal(found.ok, false);
      assert.ok(found.errors.some((e) => e.pack && victim.endsWith(e.pack.split("/").at(-1))), JSON.stringify(found.errors));
      assert.ok(found.errors.some((e) => snaps.some((s) => s.id === e.snapshot)), "names an affected snapshot");
      assert.deepEqual(events, found.errors, "one verify:error event per error");

      const repaired = await repo.repair();
      assert.equal(repaired.packsRepaired, 1, JSON.stringify(repaired));
      assert.deepEqual(repaired.errors, []);
      assert.equal(typeof repaired.indexRebuilt, "boolean");
      assert.equal(typeof repaired.locksRemoved, "number");
      assert.equal((await repo.verify({ level: "full" })).ok, true);

      for (const f of fs.readdirSync(path.join(t.repo, "index"))) fs.rmSync(path.join(t.repo, "index", f));
      assert.equal((await repo.verify({ level: "quick" })).ok, false);
      assert.deepEqual(await repo.reindex(), { errors: [] }, "reindex answers the packs it left out");
      assert.equal((await repo.verify({ level: "full" })).ok, true);

      const dry = await repo.prune({ keepLast: 1 }, true);
      assert.equal(dry.dryRun, true);
      assert.equal(dry.removedSnapshots, 2);
      const pruned = await repo.prune({ keepLast: 1 });
      assert.deepEqual(pruned, { ...dry, dryRun: false }, "the dry run said exactly what the real run did");
      assert.ok(pruned.removedPacks > 0 && pruned.freedBytes > 0);
      assert.deepEqual((await repo.listSnapshots()).map((s) => s.id), [snaps[2].id]);
      sameBytes(await readAll(await repo.restore(snaps[2].id)), versions[2], "kept snapshot");
      await rejectsWith(repo.prune({}), "InvalidArgument", CairnError);
      assert.equal((await repo.verify({ level: "full" })).ok, true);

      assert.deepEqual(await repo.unlock(), { locksRemoved: 0 });
      assert.deepEqual(await repo.unlock({ force: true }), { locksRemoved: 0 });
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("a lock left by a process gone from this host blocks nobody, and unlock removes it", async () => {
    const t = tempDir("dead-lock");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const lock = path.join(t.repo, "locks", "cd".repeat(32));
      fs.mkdirSync(path.dirname(lock), { recursive: true });
      const far = "2099-01-01T00:00:00.000Z";
      fs.writeFileSync(lock, JSON.stringify({ exclusive: true, operation: "prune", hostname: os.hostname(),
        pid: 999_999_999, user: "x", createdAt: far, heartbeatAt: far }));
      await repo.ingest(bytes(1000));
      await repo.unlock();
      assert.equal(fs.existsSync(lock), false, "the dead owner's lock is gone");
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("an abandoned restore stream ends its session; the repository stays usable", async () => {
    const t = tempDir("abandon");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const data = bytes(3_000_000, 8);
      const snap = await repo.ingest(data);
      const out = await repo.restore(snap.id);
      const locks = () => fs.readdirSync(path.join(t.repo, "locks"));
      assert.equal(locks().length, 1, "a restore holds a shared lock");
      for await (const part of out) {
        assert.ok(part.length > 0);
        break; // Stops reading: the stream is destroyed or cancelled.
      }
      // Ending the session happens as the stream is torn down, a few ticks later.
      for (let i = 0; i < 100 && locks().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(locks(), [], "the abandoned restore released its lock before close");
      sameBytes(await readAll(await repo.restore(snap.id)), data, "second restore");
      await repo.close();
    } finally {
      t.remove();
    }
  });
}
