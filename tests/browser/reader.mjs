// Chromium as a reader of the cross-runtime matrix (tests/cross-runtime/run.sh): each
// repository is served over HTTP (web-demo/serve.py) and opened by URL in harness.html,
// then listed, restored and fully verified in the page; what it read is written beside
// OUT for the matrix to compare, as tests/js/tool.mjs writes it. The passphrase comes from
// CAIRN_PASSPHRASE.
//   node tests/browser/reader.mjs OUT REPO...
//   writes OUT/NAME.json (listing), OUT/NAME.1, OUT/NAME.2, OUT/NAME.schema (restores of
//   snapshot n=1, item data and item schema.sql of n=2) and OUT/NAME.verify.json (full verify)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { harnessPage, inPage, launch, root, serve } from "./harness.mjs";

const [out, ...repos] = process.argv.slice(2);
const passphrase = process.env.CAIRN_PASSPHRASE || undefined;
// The server's root: the package and the harness, and each repository, by symbolic link.
const site = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-reader-"));
for (const d of ["js", "tests"]) fs.symlinkSync(path.join(root, d), path.join(site, d));
fs.mkdirSync(path.join(site, "repos"));
for (const repo of repos) fs.symlinkSync(path.resolve(repo), path.join(site, "repos", path.basename(repo)));
const server = await serve(site);
const browser = await launch();
let failed = false;
try {
  const page = await harnessPage(browser, server.base);
  for (const repo of repos) {
    const name = path.basename(repo);
    const r = await inPage(page, { url: `${server.base}/repos/${name}/`, passphrase }, async (repo, harness) => {
      const listing = await repo.listSnapshots();
      const [s1, s2] = [...listing].sort((a, b) => a.tags.n.localeCompare(b.tags.n));
      return {
        listing,
        restored: {
          1: await harness.base64(await repo.restore(s1.id)),
          2: await harness.base64(await repo.restore(s2.id, { item: "data" })),
          schema: await harness.base64(await repo.restore(s2.id, { item: "schema.sql" })),
        },
        verify: await repo.verify({ level: "full" }),
      };
    });
    if (r.error) {
      console.error(`chromium: ${name}: ${r.error.code}: ${r.error.message}`);
      failed = true;
      continue;
    }
    fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(r.ok.listing, null, 2) + "\n");
    for (const [suffix, b64] of Object.entries(r.ok.restored)) fs.writeFileSync(path.join(out, `${name}.${suffix}`), Buffer.from(b64, "base64"));
    fs.writeFileSync(path.join(out, `${name}.verify.json`), JSON.stringify(r.ok.verify, null, 2) + "\n");
  }
} finally {
  await browser.close();
  server.stop();
  fs.rmSync(site, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
