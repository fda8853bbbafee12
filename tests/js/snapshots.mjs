// Snapshots as restic users handle them (issue 15), in Node and Deno alike: what a
// snapshot records (host, user, item paths), filters and `latest`, forget, tag, stats,
// cat and copy between repositories (plain to encrypted, two passphrases).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { SMALL, bytes, readAll, rejectsWith, sameBytes, tempDir } from "./helpers.mjs";

/**
 * Defines the scenarios with `test(name, fn)`; `sourceStream(path)` opens a file as this
 * runtime's stream, whose path a snapshot records when `recordsPath`.
 */
export function snapshotScenarios(test, { Repository, CairnError, sourceStream, recordsPath }) {
  test("snapshots record host, user and paths; filters narrow listings and latest", async () => {
    const t = tempDir("snap-filters");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const file = path.join(t.dir, "orders.sql");
      fs.writeFileSync(file, bytes(50_000, 1));
      const orders = await repo.ingest(sourceStream(file), { tags: { db: "orders" }, items: [{ name: "dump" }], host: "db1" });
      const users = await repo.ingest(bytes(40_000, 2), { tags: { db: "users" }, items: [{ name: "dump" }] });
      assert.equal(orders.host, "db1");
      assert.equal(users.host, os.hostname(), "the machine's name by default");
      assert.equal(typeof users.user, "string");
      assert.equal(orders.items[0].path, recordsPath ? path.resolve(file) : "-");
      assert.equal(users.items[0].path, "-", "a stream without a path");
      const dir = path.join(t.dir, "etc");
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "a.conf"), "a");
      const tree = await repo.ingest({ directory: dir });
      assert.equal(tree.items[0].path, path.resolve(dir));

      const ids = (list) => list.map((s) => s.id);
      assert.deepEqual(ids(await repo.listSnapshots({ host: "db1" })), [orders.id]);
      assert.deepEqual(ids(await repo.listSnapshots({ item: "dump" })), [orders.id, users.id]);
      assert.deepEqual(ids(await repo.listSnapshots({ path: path.resolve(dir) })), [tree.id]);
      assert.equal((await repo.getSnapshot("latest", { tags: { db: "orders" } })).id, orders.id);
      sameBytes(await readAll(await repo.restore("latest", { item: "dump", filter: { host: "db1" } })), bytes(50_000, 1), "narrowed latest");
      sameBytes(await readAll(await repo.restore("latest", { item: "dump" })), bytes(40_000, 2), "the newest with the item");
      await rejectsWith(repo.getSnapshot(users.id, { tags: { db: "orders" } }), "SnapshotNotFound", CairnError);
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("forget, tag, stats and cat", async () => {
    const t = tempDir("snap-ops");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      const data = bytes(120_000, 3);
      const a = await repo.ingest(data, { tags: { n: "1" } });
      const b = await repo.ingest(data, { tags: { n: "2" } });
      const stats = await repo.stats();
      assert.equal(stats.snapshots, 2);
      assert.equal(stats.logicalSize, 240_000);
      assert.equal(stats.uniqueSize, 120_000);
      assert.equal(stats.dedupRatio, 2);
      assert.equal((await repo.stats({ snapshots: [a.id] })).logicalSize, 120_000);

      const tagged = await repo.tag([a.id.slice(0, 10)], { add: { keep: "yes" }, remove: ["n"] });
      const renamed = tagged.changed[0].to;
      const now = await repo.getSnapshot(renamed);
      assert.deepEqual(now.tags, { keep: "yes" });
      assert.equal(now.original, a.id);

      const dry = await repo.forget([b.id], { dryRun: true });
      assert.deepEqual(dry.removedSnapshotIds, [b.id]);
      assert.equal((await repo.listSnapshots()).length, 2);
      const forgot = await repo.forget({ keepTags: ["keep"] });
      assert.deepEqual(forgot.removedSnapshotIds, [b.id]);
      assert.equal(forgot.pruned, false);
      const freed = await repo.forget([], { prune: true });
      assert.equal(freed.removedSnapshots, 0);

      const config = await repo.cat("config");
      assert.equal(config.format, "cairn");
      const manifest = await repo.cat("snapshot", "latest");
      assert.ok(Array.isArray(manifest.items[0].lists));
      await rejectsWith(repo.tag([renamed], {}), "InvalidArgument", CairnError);
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("copy between repositories: plain to encrypted, two passphrases, only what is missing", async () => {
    const t = tempDir("snap-copy");
    try {
      const src = await Repository.init(t.repo, SMALL);
      const one = await Repository.init(path.join(t.dir, "one"), { ...SMALL, passphrase: "one" });
      const two = await Repository.init(path.join(t.dir, "two"), { ...SMALL, passphrase: "two" });
      const data = bytes(200_000, 4);
      const dir = path.join(t.dir, "tree");
      fs.mkdirSync(path.join(dir, "sub"), { recursive: true });
      fs.writeFileSync(path.join(dir, "sub", "b.bin"), bytes(30_000, 5));
      const s1 = await src.ingest(data, { tags: { db: "orders" }, items: [{ name: "dump" }] });
      const s2 = await src.ingest({ directory: dir });
      const first = await src.copy(one);
      assert.deepEqual(first.copied.map((c) => c.from), [s1.id, s2.id]);
      assert.deepEqual(first.skipped, []);
      const copied = await one.getSnapshot(first.copied[0].to);
      assert.equal(copied.createdAt, s1.createdAt);
      assert.deepEqual(copied.tags, s1.tags);
      assert.equal(copied.original, s1.id);
      sameBytes(await readAll(await one.restore(copied.id, { item: "dump" })), data, "copied stream");
      assert.deepEqual((await src.copy(one)).skipped, [s1.id, s2.id], "copied already");
      // Between two passphrases, one snapshot by filter.
      const second = await one.copy(two, { snapshots: ["latest"], filter: { tags: { db: "orders" } } });
      assert.equal(second.copied.length, 1);
      const tree = await one.copy(two);
      assert.equal(tree.copied.length, 1, "the tree; the stream is there");
      const listed = await two.listTree("latest", { path: "sub" });
      assert.deepEqual(listed.map((s) => s.path), ["", "b.bin"]);
      const more = new Uint8Array([...data, ...bytes(5_000, 6)]);
      await src.ingest(more, { items: [{ name: "dump" }] });
      const third = await src.copy(two);
      const last = await two.getSnapshot(third.copied[0].to);
      // Each repository draws its own chunker key, so where the cuts fall
      // varies from run to run. Appending 5,000 bytes can rewrite only the
      // old last chunk (which ended at the end of the stream, not at a cut)
      // and whatever follows it: at most three chunks of at most 64 KiB.
      assert.ok(last.newChunks >= 1 && last.newChunks <= 3, `only the new end is stored: ${JSON.stringify(last)}`);
      assert.equal(last.reusedChunks, last.chunkCount - last.newChunks);
      for (const r of [src, one, two]) await r.close();
    } finally {
      t.remove();
    }
  });
}
