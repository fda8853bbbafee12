// Full verification and restore of one repository in headless Chromium (the JS package's
// browser entry: the repository picked as a folder, and opened by URL over HTTP) next to
// the CLI's and Node's, from disk and over HTTP (web-demo/serve.py, which honours Range,
// and `python3 -m http.server`, which does not), alternated over rounds; prints a Markdown
// table. Run by bench/browser.sh.
//   node bench/browser.mjs CAIRN REPO ITEM ROUNDS
import { execFileSync } from "node:child_process";
import * as path from "node:path";

import { Repository } from "../js/dist/node.js";
import { harnessPage, launch, root, serve } from "../tests/browser/harness.mjs";

const [cairn, repo, item, rounds = "2"] = process.argv.slice(2);
const ranged = await serve(root);
const plain = await serve(root, { plain: true });
const rel = `/${path.relative(root, repo)}/`;
const browser = await launch();
const page = await harnessPage(browser, ranged.base);
await page.setInputFiles("#pick", repo);
// Python's server sends no COOP/COEP: that page has no SharedArrayBuffer (one thread).
const plainPage = await harnessPage(browser, plain.base);

/** Seconds of `step` in `p` (the repository opened once per step, not timed). */
const inPage = (p, step, options) =>
  p.evaluate(
    async ({ step, item, options }) => {
      const r = await window.harness.withRepository(options, async (repo) => {
        const t0 = performance.now();
        if (step === "verify") {
          const v = await repo.verify({ level: "full" });
          if (!v.ok) throw new Error("verify found errors");
        } else {
          const [latest] = await repo.listSnapshots();
          const reader = (await repo.restore(latest.id, { item })).getReader();
          while (!(await reader.read()).done);
        }
        return (performance.now() - t0) / 1000;
      });
      if (r.error) throw new Error(r.error.message);
      return r.ok;
    },
    { step, item, options },
  );

/** Seconds of `step` by the CLI on `location`. */
const cli = (location) => (step) => {
  const t0 = performance.now();
  const args = step === "verify" ? ["verify", location, "--level", "full"] : ["restore", location, "latest", "--item", item, "-o", "/dev/null"];
  execFileSync(cairn, args, { stdio: "ignore" });
  return (performance.now() - t0) / 1000;
};

/** Seconds of `step` by the JS package in Node on `location` (opened, not timed). */
const node = (location) => async (step) => {
  const r = await Repository.open(location);
  try {
    const t0 = performance.now();
    if (step === "verify") {
      if (!(await r.verify({ level: "full" })).ok) throw new Error("verify found errors");
    } else {
      const [latest] = await r.listSnapshots();
      for await (const _ of await r.restore(latest.id, { item }));
    }
    return (performance.now() - t0) / 1000;
  } finally {
    await r.close();
  }
};

const runners = [
  ["CLI (wasmtime), disk", cli(repo)],
  ["CLI, HTTP with ranges", cli(`${ranged.base}${rel}`)],
  ["Chromium page, picked folder, job workers", (s) => inPage(page, s, {})],
  ["Chromium page, picked folder, 1 thread", (s) => inPage(page, s, { threads: 1 })],
  ["Chromium page, HTTP with ranges, job workers", (s) => inPage(page, s, { url: `${ranged.base}${rel}` })],
  ["Chromium page, HTTP with ranges, 1 thread", (s) => inPage(page, s, { url: `${ranged.base}${rel}`, threads: 1 })],
  ["Chromium page, python3 -m http.server (no ranges), 1 thread", (s) => inPage(plainPage, s, { url: `${plain.base}${rel}` })],
  ["Node, disk", node(repo)],
  ["Node, HTTP with ranges", node(`${ranged.base}${rel}`)],
  ["Node, python3 -m http.server (no ranges)", node(`${plain.base}${rel}`)],
];
const best = {};
for (let r = 0; r < Number(rounds); r++) {
  for (const step of ["verify", "restore"]) {
    for (const [name, run] of runners) best[`${name} ${step}`] = Math.min(best[`${name} ${step}`] ?? Infinity, await run(step));
  }
}
const mib = Number(execFileSync("du", ["-sm", repo]).toString().split("\t")[0]);
const [first] = runners[0];
console.log(`| runner | full verify s | restore s | verify / CLI | restore / CLI |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const [name] of runners) {
  const v = best[`${name} verify`], s = best[`${name} restore`];
  console.log(`| ${name} | ${v.toFixed(2)} | ${s.toFixed(2)} | ${(v / best[`${first} verify`]).toFixed(2)}x | ${(s / best[`${first} restore`]).toFixed(2)}x |`);
}
console.log(`\nRepository: ${mib} MiB on disk; best of ${rounds} alternated rounds.`);
await browser.close();
ranged.stop();
plain.stop();
