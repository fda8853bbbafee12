// Directory trees in the JS package (Repository.ingest({ directory }), listTree,
// restoreTree), shared by node.test.mjs and deno.test.mjs like scenarios.mjs: each runtime
// passes its `test`, its `Repository` and how precisely its `lstat` tells modification times.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { SMALL, bytes, onThread, tempDir } from "./helpers.mjs";

/** Fixed modification times (seconds, nanoseconds) given to the source tree. */
const TIMES = { file: [1_600_000_000, 123_456_789], dir: [1_500_000_000, 987_654_321], link: [1_400_000_000, 500_000_000] };

/**
 * A tree with nested directories, an empty file, a multi-MB file (with a run of zeros),
 * a symbolic link, two hard links to one file and an empty directory; modes and times set.
 */
export function makeTree(root) {
  fs.mkdirSync(path.join(root, "a", "b"), { recursive: true });
  fs.mkdirSync(path.join(root, "empty-dir"));
  fs.writeFileSync(path.join(root, "a", "b", "deep.txt"), "deep down\n");
  fs.writeFileSync(path.join(root, "empty"), "");
  const big = bytes(3_000_000, 21);
  big.fill(0, 1_000_000, 1_200_000);
  fs.writeFileSync(path.join(root, "big.bin"), big);
  fs.writeFileSync(path.join(root, "hard-1"), "linked twice\n");
  fs.linkSync(path.join(root, "hard-1"), path.join(root, "a", "hard-2"));
  fs.symlinkSync("a/b/deep.txt", path.join(root, "link"));
  fs.chmodSync(path.join(root, "a", "b", "deep.txt"), 0o640);
  fs.chmodSync(path.join(root, "big.bin"), 0o755);
  fs.chmodSync(path.join(root, "a"), 0o750);
  const at = ([s, ns]) => s + ns / 1e9;
  for (const f of ["empty", "big.bin", "hard-1", "a/b/deep.txt"]) fs.utimesSync(path.join(root, f), at(TIMES.file), at(TIMES.file));
  fs.lutimesSync(path.join(root, "link"), at(TIMES.link), at(TIMES.link));
  for (const d of ["a/b", "a", "empty-dir", "."]) fs.utimesSync(path.join(root, d), at(TIMES.dir), at(TIMES.dir));
}

/** Every path under `root`, relative, with what `lstat` says of it (and content, link target). */
export function describeTree(root, mtimePrecisionNs) {
  const out = {};
  const visit = (rel) => {
    const full = path.join(root, rel);
    const st = fs.lstatSync(full, { bigint: true });
    const d = {
      kind: st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : "other",
      // A link's own mode is not restored (Linux has no lchmod).
      mode: st.isSymbolicLink() ? undefined : Number(st.mode & 0o7777n),
      mtime: st.mtimeNs / mtimePrecisionNs,
    };
    if (d.kind === "file") {
      const data = fs.readFileSync(full);
      d.content = `${data.length} bytes, FNV-1a ${hash(data)}`;
    }
    if (d.kind === "symlink") d.target = fs.readlinkSync(full);
    if (d.kind === "file" && st.nlink > 1n) d.links = Number(st.nlink);
    out[rel] = d;
    if (d.kind === "dir") for (const n of fs.readdirSync(full).sort()) visit(rel === "" ? n : `${rel}/${n}`);
  };
  visit("");
  return out;
}

/** A cheap checksum of all bytes (FNV-1a), so file contents are compared entirely. */
function hash(data) {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16);
}

/** Defines the tree scenarios twice, the engine in a worker and on the calling thread. */
export function treeScenarios(test, { Repository, mtimePrecisionNs }) {
  for (const thread of ["worker", "inline"]) {
    const Repo = onThread(Repository, thread);
    test(`${thread}: a directory tree round-trips: ingest, listTree, restoreTree; a second ingest stores nothing`, async () => {
      const t = tempDir("tree");
      try {
        const src = path.join(t.dir, "src");
        fs.mkdirSync(src);
        makeTree(src);
        const repo = await Repo.init(t.repo, SMALL);
        const snap = await repo.ingest({ directory: src }, { tags: { kind: "tree" } });
        assert.equal(snap.items.length, 1);
        assert.equal(snap.items[0].name, "src", "named after the directory");
        // The engine leaves `warnings` out when it is 0.
        assert.equal(snap.warnings ?? 0, 0);
        assert.ok(snap.newChunks > 0);

        const steps = await repo.listTree(snap.id);
        assert.deepEqual(
          steps.map((s) => [s.depth, s.path, s.entry.kind]),
          [
            [0, "", "dir"],
            [1, "a", "dir"],
            [2, "a/b", "dir"],
            [3, "a/b/deep.txt", "file"],
            [2, "a/hard-2", "file"],
            [1, "big.bin", "file"],
            [1, "empty", "file"],
            [1, "empty-dir", "dir"],
            [1, "hard-1", "file"],
            [1, "link", "symlink"],
          ],
        );
        const byPath = Object.fromEntries(steps.map((s) => [s.path, s.entry]));
        assert.equal(byPath["big.bin"].size, 3_000_000);
        assert.equal(byPath["big.bin"].mode, 0o755);
        assert.equal(byPath["a"].mode, 0o750);
        assert.equal(byPath["link"].target, "a/b/deep.txt");
        assert.equal(byPath["hard-1"].links, 2);
        assert.equal(byPath["hard-1"].inode, byPath["a/hard-2"].inode);
        assert.equal(byPath["a/b/deep.txt"].mtime, TIMES.file[0]);
        const one = await repo.listTree("latest", { path: "a", recursive: false });
        assert.deepEqual(one.map((s) => s.path), ["", "b", "hard-2"], "a path, one level: paths below the start");

        const out = path.join(t.dir, "out");
        const restored = await repo.restoreTree(snap.id, out);
        assert.equal(restored.snapshot, snap.id);
        assert.equal(restored.item, "src");
        assert.deepEqual([restored.files, restored.links, restored.others], [4, 1, 1]);
        assert.deepEqual(restored.warnings, []);
        assert.ok(restored.bytes < 3_000_000, `the zeros became a hole: ${restored.bytes} bytes written`);
        assert.deepEqual(describeTree(out, mtimePrecisionNs), describeTree(src, mtimePrecisionNs));
        assert.equal(fs.statSync(path.join(out, "hard-1")).ino, fs.statSync(path.join(out, "a", "hard-2")).ino, "a hard link again");

        // A second restore over the first replaces what is there, following no link found in it.
        fs.rmSync(path.join(out, "a", "b", "deep.txt"));
        fs.symlinkSync(path.join(t.dir, "outside"), path.join(out, "a", "b", "deep.txt"));
        const part = await repo.restoreTree(snap.id, path.join(t.dir, "part"), { path: "a/b" });
        assert.deepEqual(fs.readdirSync(path.join(t.dir, "part")), ["b"]);
        assert.equal(part.files, 1);
        await repo.restoreTree(snap.id, out);
        assert.ok(!fs.existsSync(path.join(t.dir, "outside")), "nothing written through a link in the target");
        assert.deepEqual(describeTree(out, mtimePrecisionNs), describeTree(src, mtimePrecisionNs));

        const again = await repo.ingest({ directory: src });
        assert.deepEqual([again.newChunks, again.storedSize], [0, 0], "an unchanged tree stores nothing new");
        const reread = await repo.ingestMulti([{ name: "copy", directory: src, noParent: true }, { name: "note", stream: new Uint8Array([1, 2]) }]);
        assert.deepEqual(reread.items.map((i) => i.name), ["copy", "note"]);
        assert.equal(reread.storedSize < 1000, true, "read again, deduplicated");
        await repo.close();
      } finally {
        t.remove();
      }
    });
  }

  test("trees: a root that is not a directory is refused; excludeCaches keeps only the tag", async () => {
    const t = tempDir("tree-refuse");
    try {
      const repo = await Repository.init(t.repo, SMALL);
      fs.writeFileSync(path.join(t.dir, "file"), "x");
      await assert.rejects(repo.ingest({ directory: path.join(t.dir, "file") }), (e) => e.code === "InvalidArgument");
      const src = path.join(t.dir, "src");
      fs.mkdirSync(path.join(src, "cache"), { recursive: true });
      fs.writeFileSync(path.join(src, "cache", "CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55\n");
      fs.writeFileSync(path.join(src, "cache", "junk"), "junk");
      const snap = await repo.ingest({ directory: src, excludeCaches: true });
      assert.deepEqual((await repo.listTree(snap.id)).map((s) => s.path), ["", "cache", "cache/CACHEDIR.TAG"]);
      const all = await repo.ingest({ directory: src });
      assert.deepEqual((await repo.listTree(all.id)).map((s) => s.path), ["", "cache", "cache/CACHEDIR.TAG", "cache/junk"]);
      // Exclude patterns are the engine's, as the CLI's --exclude.
      const some = await repo.ingest({ directory: src, exclude: ["junk", "!nothing"] });
      assert.deepEqual((await repo.listTree(some.id)).map((s) => s.path), ["", "cache", "cache/CACHEDIR.TAG"]);
      await repo.close();
    } finally {
      t.remove();
    }
  });

  test("trees: restoreTree takes include and exclude patterns; find lists matches across snapshots; a tree item alone restores as a tar", async () => {
    const t = tempDir("tree-parts");
    try {
      const src = path.join(t.dir, "src");
      fs.mkdirSync(src);
      makeTree(src);
      const repo = await Repository.init(t.repo, SMALL);
      const first = await repo.ingest({ directory: src });
      fs.writeFileSync(path.join(src, "a", "later.txt"), "only in the second\n");
      const second = await repo.ingest({ directory: src });

      const some = path.join(t.dir, "some");
      const taken = await repo.restoreTree(first.id, some, { include: ["deep.txt"], exclude: ["nothing"] });
      assert.equal(taken.files, 1);
      assert.deepEqual(fs.readdirSync(some), ["a"], "only the way to what was included");
      assert.equal(fs.readFileSync(path.join(some, "a", "b", "deep.txt"), "utf8"), "deep down\n");
      const none = await repo.restoreTree(first.id, path.join(t.dir, "none"), { include: ["no-such-name"] });
      assert.equal(none.files, 0);
      const steps = await repo.listTree(first.id, { exclude: ["/a", "*.bin"] });
      assert.deepEqual(steps.map((s) => s.path), ["", "empty", "empty-dir", "hard-1", "link"]);

      const found = await repo.find(["*.txt"]);
      assert.deepEqual(
        found.map((f) => [f.snapshot, f.item, f.matches.map((m) => m.path)]),
        [
          [first.id, "src", ["a/b/deep.txt"]],
          [second.id, "src", ["a/b/deep.txt", "a/later.txt"]],
        ],
      );
      assert.deepEqual((await repo.find(["/a/b"], { snapshots: [first.id] })).map((f) => f.matches.length), [1]);
      await assert.rejects(repo.find([]), (e) => e.code === "InvalidArgument");

      const parts = [];
      for await (const part of await repo.restore(first.id)) parts.push(Buffer.from(part));
      const tar = Buffer.concat(parts);
      assert.equal(tar.length % 512, 0);
      assert.equal(tar.subarray(257, 262).toString(), "ustar", "a POSIX tar archive");
      assert.equal(tar.subarray(0, 2).toString(), "./");
      await repo.close();
    } finally {
      t.remove();
    }
  });
}
