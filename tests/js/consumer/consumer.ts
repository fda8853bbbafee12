// A consumer of the packed package, type-checked under `strict` (tsconfig.json here) and
// run in Node (compiled by tsc) and Deno (as TypeScript), by tests/js/package.sh.
//   consumer.js|ts REPO_DIR
import * as fs from "node:fs";
import process from "node:process";

import {
  CairnError,
  Repository,
  type CairnErrorCode,
  type CopyResult,
  type IngestProgressEvent,
  type ISnapshot,
  type IVerifyResult,
  type RestoredTree,
  type StatsResult,
  type TreeStep,
} from "@cairn-backup/cairn";

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`consumer: ${what}`);
}

const dir = process.argv[2];
check(typeof dir === "string", "usage: consumer REPO_DIR");

// A missing repository is a typed error code, not a message to parse.
let code: CairnErrorCode | undefined;
try {
  await Repository.open(dir);
} catch (e) {
  if (!(e instanceof CairnError)) throw e;
  code = e.code;
}
check(code === "RepositoryNotFound", `open of nothing answered ${code}`);

const repo = await Repository.init(dir, { passphrase: "correct horse battery staple" });
const progress: IngestProgressEvent[] = [];
repo.on("ingest:progress", (e) => progress.push(e));
const data = new TextEncoder().encode("a line of a log file\n".repeat(200_000));
const snap: ISnapshot = await repo.ingest(data, {
  tags: { app: "consumer" },
  items: [{ name: "app.log", type: "text" }],
});
check(progress.at(-1)?.percentage === 100, "the last progress event is at 100 %");
// Deno run without --allow-sys records no host rather than failing; Node, this machine's.
const deno = "Deno" in globalThis;
check(deno ? snap.host === undefined : typeof snap.host === "string", `the host recorded is ${snap.host}`);

let restored = 0;
for await (const block of await repo.restore(snap.id, { item: "app.log" })) {
  restored += (block as Uint8Array).length;
}
check(restored === data.length, `restored ${restored} of ${data.length} bytes`);

const verified: IVerifyResult = await repo.verify({ level: "full" });
check(verified.ok, "full verify is clean");
const tagged = await repo.listSnapshots({ tags: { app: "consumer" } });
check(tagged.length === 1 && tagged[0].id === snap.id, "listSnapshots finds the snapshot by tag");

// A directory as a tree item, listed and written back, typed from the engine's TreeStep.
const tree = `${dir}-tree`;
fs.mkdirSync(`${tree}/sub`, { recursive: true });
fs.writeFileSync(`${tree}/sub/file.txt`, "in a tree\n");
const treeSnap = await repo.ingest({ directory: tree });
const steps: TreeStep[] = await repo.listTree(treeSnap.id);
check(steps.map((s) => `${s.path}:${s.entry.kind}`).join(",") === ":dir,sub:dir,sub/file.txt:file", "listTree lists the tree");
const back: RestoredTree = await repo.restoreTree(treeSnap.id, `${tree}-restored`);
check(back.files === 1 && fs.readFileSync(`${tree}-restored/sub/file.txt`, "utf8") === "in a tree\n", "restoreTree writes it back");

// Snapshots as restic users handle them: what they cost, a copy into a plain repository.
const stats: StatsResult = await repo.stats({ filter: { tags: { app: "consumer" } } });
check(stats.snapshots === 1 && stats.logicalSize === data.length, "stats counts the tagged snapshot");
const mirror = await Repository.init(`${dir}-mirror`);
const copied: CopyResult = await repo.copy(mirror);
check(copied.copied.length === 2 && copied.skipped.length === 0, "copy copies both snapshots");
check((await mirror.getSnapshot("latest", { item: "app.log" })).original === snap.id, "the copy records its original");
await mirror.close();
await repo.close();
console.log(`consumer: ok (${snap.id.slice(0, 8)}, ${progress.length} progress events)`);
