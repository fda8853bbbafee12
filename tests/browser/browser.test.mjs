// The JS package's browser entry in real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): repositories the CLI wrote are opened as a picked folder
// (the file input's files, set by the test) or by URL over HTTP, listed, verified and
// restored in the page.
//   CAIRN=target/release/cairn node --test browser.test.mjs   (tests/browser/run.sh)
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";

import { harnessPage, inPage as inPageOf, launch, root, serve } from "./harness.mjs";

const cairn = path.resolve(root, process.env.CAIRN ?? "target/release/cairn");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-browser-"));
const shots = path.join(root, "target/browser-shots");
const PASSPHRASE = "correct horse battery staple";

let server, browser, page, base;

/** A repository the CLI writes: two snapshots of pseudo-random text, small packs. */
function cliRepository(name, { encrypt = false, under = work } = {}) {
  const repo = path.join(under, name);
  const env = { ...process.env, CAIRN_PASSPHRASE: PASSPHRASE };
  const run = (...args) => execFileSync(cairn, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  run("init", repo, "--pack-size", "256K", "--chunking", "16K,64K,256K", "--parity", "3,1", ...(encrypt ? ["--encrypt"] : []));
  const items = [];
  for (const [i, size] of [1_500_000, 900_000].entries()) {
    const file = path.join(work, `${name}-${i}.txt`);
    let x = 2463534242 + size;
    const words = [];
    for (let length = 0; length < size; length += words.at(-1).length + 1) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      words.push(`w${x % 5000}`);
    }
    fs.writeFileSync(file, words.join(" ").slice(0, size));
    run("ingest", repo, "--item", `log=${file}`);
    items.push(createHash("sha256").update(fs.readFileSync(file)).digest("hex"));
  }
  return { repo, sha256s: items };
}

/** Sets the page's folder picker to `dir`. */
async function pick(dir) {
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  await page.setInputFiles("#pick", dir);
}

/** Runs `body(repo)` in the page on the picked folder; answers `{ ok }` or `{ error: {code, message} }`. */
const inPage = (options, body) => inPageOf(page, options, body);

before(async () => {
  // The demo's static server over the repository's root, so that the page imports js/dist
  // as is; it makes pages cross-origin isolated, so the engine runs job workers there too.
  server = await serve(root);
  base = server.base;
  browser = await launch();
  page = await harnessPage(browser, base);
  fs.mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test("a plain repository the CLI wrote, picked as a folder: listed, verified at full level, restored byte for byte", async () => {
  const { repo, sha256s } = cliRepository("plain");
  await pick(repo);
  const r = await inPage({}, async (repo, harness) => {
    const snaps = await repo.listSnapshots();
    const verified = await repo.verify({ level: "full" });
    const restored = [];
    for (const s of snaps) restored.push(await harness.sha256(await repo.restore(s.id, { item: "log" })));
    return { count: snaps.length, ok: verified.ok, errors: verified.errors, decoded: verified.stats.blobsDecoded, restored };
  });
  assert.deepEqual(r.error, undefined, JSON.stringify(r.error));
  assert.equal(r.ok.count, 2);
  assert.equal(r.ok.ok, true, JSON.stringify(r.ok.errors));
  assert.ok(r.ok.decoded > 10);
  assert.deepEqual(r.ok.restored.sort(), [...sha256s].sort());
  await page.screenshot({ path: path.join(shots, "harness-plain.png") });
});

test("an encrypted repository: full verify with the passphrase, keyless standard verify without it, a wrong one refused", async () => {
  const { repo, sha256s } = cliRepository("encrypted", { encrypt: true });
  await pick(repo);
  const keyed = await inPage({ passphrase: PASSPHRASE }, async (repo, harness) => {
    const verified = await repo.verify({ level: "full" });
    const [latest] = await repo.listSnapshots();
    return { ok: verified.ok, sha: await harness.sha256(await repo.restore(latest.id)) };
  });
  assert.deepEqual(keyed.error, undefined, JSON.stringify(keyed.error));
  assert.equal(keyed.ok.ok, true);
  assert.ok(sha256s.includes(keyed.ok.sha));
  const keyless = await inPage({ keyless: true }, async (repo) => {
    const v = await repo.verify({ level: "standard" });
    return { ok: v.ok, keyed: v.keyed, packs: v.stats.packsChecked };
  });
  assert.deepEqual(keyless.error, undefined, JSON.stringify(keyless.error));
  assert.deepEqual([keyless.ok.ok, keyless.ok.keyed], [true, false]);
  assert.ok(keyless.ok.packs > 3);
  const wrong = await inPage({ passphrase: "wrong" }, async (repo) => repo.listSnapshots());
  assert.equal(wrong.error?.code, "WrongPassphrase");
});

test("a corrupted pack and a lost pack are named by verify; writing is refused with ReadOnly", async () => {
  const { repo } = cliRepository("damaged");
  const packs = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith(".pack") && packs.push(path.join(d, e.name))));
  walk(path.join(repo, "packs/data"));
  const [bad, lost] = packs.sort();
  const bytes = fs.readFileSync(bad);
  bytes[100] ^= 0xff;
  fs.writeFileSync(bad, bytes);
  fs.rmSync(lost);
  await pick(repo);
  const r = await inPage({}, async (repo) => {
    const v = await repo.verify({ level: "full" });
    let refused;
    try {
      await repo.prune({ keepLast: 1 });
    } catch (e) {
      refused = e.code;
    }
    return { ok: v.ok, packs: v.errors.map((e) => e.pack).filter(Boolean), refused };
  });
  assert.deepEqual(r.error, undefined, JSON.stringify(r.error));
  assert.equal(r.ok.ok, false);
  const name = (file) => path.basename(file, ".pack");
  assert.ok(r.ok.packs.some((p) => p.includes(name(bad))), `the corrupted pack is named: ${r.ok.packs}`);
  assert.ok(r.ok.packs.some((p) => p.includes(name(lost))), `the lost pack is named: ${r.ok.packs}`);
  assert.equal(r.ok.refused, "ReadOnly");
});

test("web-demo: a picked folder is listed, verified healthy or damaged, and a wrong passphrase is a message", async () => {
  const demo = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  demo.on("pageerror", (e) => console.error("demo:", e.message));
  await demo.goto(`${base}/web-demo/index.html`);
  const status = () => demo.locator("#status").textContent();
  await demo.screenshot({ path: path.join(shots, "demo-nothing-open.png") });

  const { repo } = cliRepository("demo-plain");
  await demo.setInputFiles("#pick", repo);
  await demo.waitForFunction(() => /^Open: 2 snapshots/.test(document.getElementById("status").textContent));
  assert.equal(await demo.locator("#snap-rows tr").count(), 2);
  await demo.screenshot({ path: path.join(shots, "demo-open.png") });
  await demo.selectOption("#level", "full");
  await demo.click("#run-verify");
  await demo.waitForFunction(() => /^Verified/.test(document.getElementById("status").textContent));
  assert.match(await demo.locator("#verify-result").textContent(), /^Healthy/);
  await demo.screenshot({ path: path.join(shots, "demo-healthy.png"), fullPage: true });

  const packs = [];
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.endsWith(".pack") && packs.push(path.join(d, e.name))));
  walk(path.join(repo, "packs/data"));
  fs.rmSync(packs[0]);
  await demo.setInputFiles("#pick", repo);
  await demo.waitForFunction(() => /^Open/.test(document.getElementById("status").textContent));
  await demo.click("#run-verify");
  await demo.waitForFunction(() => /^Verified/.test(document.getElementById("status").textContent));
  const result = await demo.locator("#verify-result").textContent();
  assert.match(result, /^Damaged/);
  assert.ok(result.includes(path.basename(packs[0], ".pack")), result);
  await demo.screenshot({ path: path.join(shots, "demo-damaged.png"), fullPage: true });

  const encrypted = cliRepository("demo-encrypted", { encrypt: true });
  await demo.setInputFiles("#pick", encrypted.repo);
  await demo.waitForSelector("#unlock:not([hidden])");
  await demo.fill("#passphrase", "not it");
  await demo.click("#unlock button[type=submit]");
  await demo.waitForFunction(() => /Wrong passphrase/.test(document.getElementById("status").textContent));
  assert.match(await status(), /^Wrong passphrase/);
  await demo.screenshot({ path: path.join(shots, "demo-wrong-passphrase.png") });
  await demo.close();
});

/** Repositories served over HTTP live under the root the servers serve (removed at the end). */
const served = fs.mkdtempSync(path.join(root, "target", "browser-http-"));
const servedPath = (dir) => `/${path.relative(root, dir).split(path.sep).join("/")}/`;
after(() => fs.rmSync(served, { recursive: true, force: true }));

test("over HTTP: a plain repository the CLI wrote, served by web-demo/serve.py (ranges) and python3 -m http.server (no ranges): verified full, restored byte for byte", async () => {
  const { repo, sha256s } = cliRepository("plain", { under: served });
  // Python's own server ignores Range and sends no COOP/COEP: the page is not isolated and
  // runs every job in the engine's worker.
  const plain = await serve(root, { plain: true });
  try {
    for (const [server, threads] of [[base, undefined], [plain.base, 1]]) {
      const p = await harnessPage(browser, server);
      const r = await inPageOf(p, { url: `${server}${servedPath(repo)}`, threads }, async (repo, harness) => {
        const snaps = await repo.listSnapshots();
        const verified = await repo.verify({ level: "full" });
        const restored = [];
        for (const s of snaps) restored.push(await harness.sha256(await repo.restore(s.id, { item: "log" })));
        let refused;
        await repo.prune({ keepLast: 1 }).catch((e) => (refused = e.code));
        return { count: snaps.length, ok: verified.ok, errors: verified.errors, restored, refused, isolated: self.crossOriginIsolated };
      });
      await p.close();
      assert.deepEqual(r.error, undefined, JSON.stringify(r.error));
      assert.equal(r.ok.count, 2);
      assert.equal(r.ok.ok, true, JSON.stringify(r.ok.errors));
      assert.deepEqual(r.ok.restored.sort(), [...sha256s].sort());
      assert.equal(r.ok.refused, "ReadOnly");
      assert.equal(r.ok.isolated, server === base);
    }
  } finally {
    plain.stop();
  }
});

test("over HTTP: an encrypted repository with its passphrase (full) and without (keyless standard); 404, unreachable and cross-origin URLs are clear errors", async () => {
  const { repo, sha256s } = cliRepository("encrypted", { encrypt: true, under: served });
  const url = `${base}${servedPath(repo)}`;
  const keyed = await inPage({ url, passphrase: PASSPHRASE }, async (repo, harness) => {
    const v = await repo.verify({ level: "full" });
    const [latest] = await repo.listSnapshots();
    return { ok: v.ok, sha: await harness.sha256(await repo.restore(latest.id)) };
  });
  assert.deepEqual(keyed.error, undefined, JSON.stringify(keyed.error));
  assert.equal(keyed.ok.ok, true);
  assert.ok(sha256s.includes(keyed.ok.sha));
  const keyless = await inPage({ url, keyless: true }, async (repo) => {
    const v = await repo.verify({ level: "standard" });
    return { ok: v.ok, keyed: v.keyed, packs: v.stats.packsChecked };
  });
  assert.deepEqual(keyless.error, undefined, JSON.stringify(keyless.error));
  assert.deepEqual([keyless.ok.ok, keyless.ok.keyed], [true, false]);
  assert.ok(keyless.ok.packs > 3);

  const missing = await inPage({ url: `${base}${servedPath(served)}nothing-here/` }, (repo) => repo.listSnapshots());
  assert.equal(missing.error?.code, "RepositoryNotFound", JSON.stringify(missing));
  assert.match(missing.error.message, /nothing-here/);
  // A port that was just free: nothing listens there.
  const gone = await serve(root, { plain: true });
  gone.stop();
  await new Promise((r) => setTimeout(r, 300));
  const unreachable = await inPage({ url: `${gone.base}/repo/` }, (repo) => repo.listSnapshots());
  assert.equal(unreachable.error?.code, "StorageError", JSON.stringify(unreachable));
  assert.match(unreachable.error.message, /cannot reach the server.*after 4 attempts/);
  // Another origin that sends no Access-Control-Allow-Origin: the browser refuses the read.
  const other = await serve(root, { plain: true });
  try {
    const refused = await inPage({ url: `${other.base}${servedPath(repo)}`, keyless: true }, (repo) => repo.verify());
    assert.equal(refused.error?.code, "StorageError", JSON.stringify(refused));
    assert.match(refused.error.message, /Access-Control-Allow-Origin/);
  } finally {
    other.stop();
  }
});

test("web-demo: ?repo=URL opens a served repository, verifies it healthy; a URL with no repository is a message", async () => {
  const { repo } = cliRepository("demo-http", { under: served });
  const demo = await browser.newPage({ viewport: { width: 390, height: 800 } });
  demo.on("pageerror", (e) => console.error("demo:", e.message));
  await demo.goto(`${base}/web-demo/index.html?repo=${encodeURIComponent(servedPath(repo))}`);
  await demo.waitForFunction(() => /^Open: 2 snapshots/.test(document.getElementById("status").textContent));
  assert.equal(await demo.locator("#snap-rows tr").count(), 2);
  assert.equal(await demo.inputValue("#repo-url"), `${base}${servedPath(repo)}`);
  await demo.selectOption("#level", "full");
  await demo.click("#run-verify");
  await demo.waitForFunction(() => /^Verified/.test(document.getElementById("status").textContent));
  assert.match(await demo.locator("#verify-result").textContent(), /^Healthy/);
  await demo.screenshot({ path: path.join(shots, "demo-url-healthy-phone.png"), fullPage: true });
  await demo.fill("#repo-url", `${base}/no-such-repository/`);
  await demo.press("#repo-url", "Enter");
  await demo.waitForFunction(() => /holds no Cairn repository/.test(document.getElementById("status").textContent));
  assert.match(new URL(demo.url()).searchParams.get("repo"), /no-such-repository/);
  await demo.screenshot({ path: path.join(shots, "demo-url-not-found.png") });
  await demo.close();
});
