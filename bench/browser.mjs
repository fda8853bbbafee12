// Full verification and restore of one repository in headless Chromium (the JS package's
// browser entry, the repository picked as a folder) next to the CLI's, alternated over
// rounds; prints a Markdown table. Run by bench/browser.sh.
//   node bench/browser.mjs CAIRN REPO ITEM ROUNDS
import { execFileSync, spawn } from "node:child_process";
import * as path from "node:path";

import { chromium } from "../tests/browser/node_modules/playwright-core/index.mjs";

const [cairn, repo, item, rounds = "2"] = process.argv.slice(2);
const root = path.resolve(import.meta.dirname, "..");
const server = spawn("python3", [path.join(root, "web-demo/serve.py"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise((resolve) => server.stdout.on("data", (b) => resolve(Number(/port (\d+)/.exec(b.toString())[1]))));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${port}/tests/browser/harness.html`);
await page.waitForFunction(() => window.harnessReady === true);
await page.setInputFiles("#pick", repo);

/** Seconds of `step` in the page (the repository opened once per step, not timed). */
const inPage = (step, threads) =>
  page.evaluate(
    async ({ step, item, threads }) => {
      const r = await window.harness.withRepository({ threads }, async (repo) => {
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
    { step, item, threads },
  );

const cli = (step) => {
  const t0 = performance.now();
  const args = step === "verify" ? ["verify", repo, "--level", "full"] : ["restore", repo, "latest", "--item", item, "-o", "/dev/null"];
  execFileSync(cairn, args, { stdio: "ignore" });
  return (performance.now() - t0) / 1000;
};

const best = {};
const note = (k, s) => (best[k] = Math.min(best[k] ?? Infinity, s));
for (let r = 0; r < Number(rounds); r++) {
  for (const step of ["verify", "restore"]) {
    note(`cli ${step}`, cli(step));
    note(`page ${step}`, await inPage(step, undefined));
    note(`page1 ${step}`, await inPage(step, 1));
  }
}
const mib = Number(execFileSync("du", ["-sm", repo]).toString().split("\t")[0]);
console.log(`| runner | full verify s | restore s | verify / CLI | restore / CLI |`);
console.log(`|---|---:|---:|---:|---:|`);
for (const [name, key] of [["CLI (wasmtime)", "cli"], ["Chromium page, job workers", "page"], ["Chromium page, 1 thread", "page1"]]) {
  const v = best[`${key} verify`], s = best[`${key} restore`];
  console.log(`| ${name} | ${v.toFixed(2)} | ${s.toFixed(2)} | ${(v / best["cli verify"]).toFixed(2)}x | ${(s / best["cli restore"]).toFixed(2)}x |`);
}
console.log(`\nRepository: ${mib} MiB on disk; best of ${rounds} alternated rounds.`);
await browser.close();
server.kill();
