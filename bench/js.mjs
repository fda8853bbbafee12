// One timed step of the JS package in Node, for bench/js.sh:
//   node bench/js.mjs ingest REPO FILE      (a fresh gzip repository unless REPO exists)
//   node bench/js.mjs restore REPO OUT      (the latest snapshot)
//   node bench/js.mjs verify REPO           (level full)
//   node bench/js.mjs prune REPO            (keep the last snapshot)
// Prints one JSON line: wall seconds, MiB/s, and how long Node's event loop was blocked
// (max and p99 of perf_hooks' event-loop delay), the measure of the worker decision
// (docs/DESIGN-js.md). CAIRN_JS_THREAD=inline runs the engine on the calling thread.
import * as fs from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pipeline } from "node:stream/promises";

import { Repository } from "../js/dist/node.js";

const [step, repoPath, file] = process.argv.slice(2);
const passphrase = process.env.CAIRN_PASSPHRASE || undefined;
const thread = process.env.CAIRN_JS_THREAD === "inline" ? "inline" : "worker";
const delay = monitorEventLoopDelay({ resolution: 5 });

const t0 = performance.now();
delay.enable();
let bytes;
if (step === "ingest") {
  const repo = fs.existsSync(repoPath) ? await Repository.open(repoPath, { passphrase, thread }) : await Repository.init(repoPath, { passphrase, thread });
  const snap = await repo.ingest(fs.createReadStream(file, { highWaterMark: 1 << 20 }));
  await repo.close();
  bytes = snap.originalSize;
} else if (step === "restore") {
  const repo = await Repository.open(repoPath, { passphrase, thread });
  await pipeline(await repo.restore("latest"), fs.createWriteStream(file));
  await repo.close();
  bytes = fs.statSync(file).size;
} else if (step === "verify") {
  const repo = await Repository.open(repoPath, { passphrase, thread });
  const result = await repo.verify({ level: "full" });
  await repo.close();
  if (result.errors.length) {
    console.error(JSON.stringify(result.errors));
    process.exit(1);
  }
  bytes = 0;
} else if (step === "prune") {
  const repo = await Repository.open(repoPath, { passphrase, thread });
  await repo.prune({ keepLast: 1 });
  await repo.close();
  bytes = 0;
} else {
  console.error("usage: js.mjs ingest REPO FILE | restore REPO OUT | verify REPO | prune REPO");
  process.exit(2);
}
delay.disable();
const wall = (performance.now() - t0) / 1000;
const ms = (ns) => Math.round(ns / 1e6);
console.log(
  JSON.stringify({
    step,
    thread,
    mib: bytes / 2 ** 20,
    wall: +wall.toFixed(2),
    mibPerS: Math.round(bytes / 2 ** 20 / wall),
    loopMaxMs: ms(delay.max),
    loopP99Ms: ms(delay.percentile(99)),
  }),
);
