// Repositories served over HTTP, read-only, in Node and Deno (run by node.test.mjs and
// deno.test.mjs): written by the package, served by `python3 -m http.server` (which
// ignores Range: every range is answered with the whole file and sliced) and by
// web-demo/serve.py (which honours it), then opened by URL, listed, verified at full level
// and restored, with the engine in a worker and on the calling thread.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

import { serve } from "../browser/serve.mjs";
import { SMALL, bytes, onThread, readAll, rejectsWith, sameBytes, tempDir } from "./helpers.mjs";

/** The servers a repository is served by. */
const SERVERS = {
  "python3 -m http.server (ignores Range)": { plain: true },
  "web-demo/serve.py (honours Range)": { plain: false },
};

/** Starts a server of `kind` over `dir`; answers its base URL and a `stop()`. */
async function serveAs(kind, dir) {
  const { base, stop } = await serve(dir, SERVERS[kind]);
  return { url: base, stop };
}

/** A port nothing listens on (bound, then released). */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Defines the HTTP scenarios with `test(name, fn)` for this runtime's `Repository`. */
export function httpScenarios(test, { Repository, CairnError }) {
  for (const kind of Object.keys(SERVERS)) {
    for (const encrypted of [false, true]) {
      const passphrase = encrypted ? "served passphrase" : undefined;
      test(`http: a${encrypted ? "n encrypted" : " plain"} repository served by ${kind}: listed, verified full, restored, read-only`, async () => {
        const t = tempDir("http");
        const data = [bytes(700_000, 31), bytes(400_000, 32)];
        const server = await (async () => {
          const repo = await Repository.init(t.repo, { ...SMALL, passphrase });
          for (const d of data) await repo.ingest(d, { tags: { n: String(d.length) } });
          await repo.close();
          return serveAs(kind, t.dir);
        })();
        try {
          const url = `${server.url}/repo`;
          for (const thread of ["worker", "inline"]) {
            const repo = await onThread(Repository, thread).open(url, { passphrase });
            try {
              const snaps = await repo.listSnapshots();
              assert.equal(snaps.length, 2, thread);
              const v = await repo.verify({ level: "full" });
              assert.equal(v.ok, true, JSON.stringify(v.errors));
              assert.ok(v.stats.blobsDecoded > 10, thread);
              for (const s of snaps) {
                const want = data.find((d) => String(d.length) === s.tags.n);
                sameBytes(await readAll(await repo.restore(s.id)), want, `${thread} restore ${s.tags.n}`);
              }
              await rejectsWith(repo.ingest(bytes(10, 1)), "ReadOnly", CairnError);
            } finally {
              await repo.close();
            }
          }
          if (encrypted) {
            const keyless = await Repository.open(`${url}/`, { keyless: true });
            try {
              const v = await keyless.verify({ level: "standard" });
              assert.deepEqual([v.ok, v.keyed], [true, false]);
              assert.ok(v.stats.packsChecked > 3);
            } finally {
              await keyless.close();
            }
            await rejectsWith(Repository.open(url, { passphrase: "not it" }), "WrongPassphrase", CairnError);
          }
        } finally {
          server.stop();
          t.remove();
        }
      });
    }
  }

  test("http: a URL with no repository, a server that is not there, and URLs the CLI refuses", async () => {
    const t = tempDir("http-missing");
    fs.mkdirSync(path.join(t.dir, "empty"));
    const server = await serveAs(Object.keys(SERVERS)[0], t.dir);
    try {
      await rejectsWith(Repository.open(`${server.url}/empty/`), "RepositoryNotFound", CairnError);
      await assert.rejects(Repository.open(`${server.url}/empty/`), /http:\/\/127\.0\.0\.1:\d+\/empty\//);
      const gone = `http://127.0.0.1:${await closedPort()}/repo/`;
      const started = Date.now();
      await assert.rejects(Repository.open(gone), (e) => {
        assert.ok(e instanceof CairnError);
        assert.equal(e.code, "StorageError", e.message);
        assert.match(e.message, /cannot reach the server.*after 4 attempts/);
        return true;
      });
      assert.ok(Date.now() - started < 20_000, "retries end in seconds");
      await rejectsWith(Repository.open("http://user:pw@127.0.0.1/repo"), "InvalidArgument", CairnError);
      await rejectsWith(Repository.open("https://example.org/repo?x=1"), "InvalidArgument", CairnError);
      await rejectsWith(Repository.open("s3://key:secret@bucket/repo"), "InvalidArgument", CairnError);
      await rejectsWith(Repository.init(`${server.url}/new/`, SMALL), "ReadOnly", CairnError);
      // file:// names a directory, as in the CLI.
      await (await Repository.init(pathToFileURL(t.repo).href, SMALL)).close();
      assert.ok(fs.existsSync(path.join(t.repo, "config.json")));
      await (await Repository.open(pathToFileURL(t.repo).href)).close();
    } finally {
      server.stop();
      t.remove();
    }
  });
}
