// A small command-line face of the JS package, for the cross-runtime matrix
// (tests/cross-runtime/run.sh). The same file runs in Node and in Deno: the package's
// conditional exports pick each runtime's entry. The passphrase comes from
// CAIRN_PASSPHRASE, as with the CLI.
//   tool.mjs write REPO DATA_DIR     init, then the two snapshots the matrix expects
//   tool.mjs ingest REPO FILE N      one snapshot of FILE as item `data`, tagged n=N
//   tool.mjs list REPO               the snapshots, as JSON (as `cairn snapshots --json`)
//   tool.mjs restore REPO SNAPSHOT OUT [ITEM]
//   tool.mjs verify REPO             full verification, as JSON (as `cairn verify --json`)
//   tool.mjs tree-write REPO DIR     init, then one snapshot of the directory as a tree item
//   tool.mjs tree-restore REPO SNAPSHOT TARGET   that tree restored into TARGET
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";

import { Repository } from "@cairn-backup/cairn";

const passphrase = process.env.CAIRN_PASSPHRASE || undefined;
const [command, repoPath, ...rest] = process.argv.slice(2);

/** The parameters of every matrix repository (the CLI gets the same as flags). */
const small = { chunking: { min: 4096, avg: 16384, max: 65536 }, packSize: 65536 };

async function write(dataDir) {
  const repo = await Repository.init(repoPath, { ...small, passphrase });
  const file = (name) => fs.readFileSync(path.join(dataDir, name));
  await repo.ingest(file("v1.bin"), { tags: { n: "1" }, items: [{ name: "v1.bin" }] });
  await repo.ingestMulti(
    [
      { name: "data", stream: fs.createReadStream(path.join(dataDir, "v2.bin")) },
      { name: "schema.sql", type: "sql", stream: file("schema.sql") },
    ],
    { tags: { n: "2" } },
  );
  await repo.close();
}

async function ingest(file, n) {
  const repo = await Repository.open(repoPath, { passphrase });
  await repo.ingest(fs.readFileSync(file), { tags: { n }, items: [{ name: "data" }] });
  await repo.close();
}

async function list() {
  const repo = await Repository.open(repoPath, { passphrase });
  const snapshots = await repo.listSnapshots();
  await repo.close();
  process.stdout.write(JSON.stringify(snapshots, null, 2) + "\n");
}

async function restore(snapshot, out, item) {
  const repo = await Repository.open(repoPath, { passphrase });
  const fd = fs.openSync(out, "w");
  try {
    for await (const block of await repo.restore(snapshot, { item })) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
    await repo.close();
  }
}

async function verify() {
  const repo = await Repository.open(repoPath, { passphrase });
  const result = await repo.verify({ level: "full" });
  await repo.close();
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
}

async function treeWrite(dir) {
  const repo = await Repository.init(repoPath, { ...small, passphrase });
  await repo.ingest({ directory: dir }, { tags: { n: "tree" } });
  await repo.close();
}

async function treeRestore(snapshot, target) {
  const repo = await Repository.open(repoPath, { passphrase });
  try {
    const restored = await repo.restoreTree(snapshot, target);
    for (const w of restored.warnings) console.error(`warning: ${w.path}: ${w.message}`);
  } finally {
    await repo.close();
  }
}

const commands = {
  write: () => write(rest[0]),
  ingest: () => ingest(rest[0], rest[1]),
  list,
  restore: () => restore(rest[0], rest[1], rest[2]),
  verify,
  "tree-write": () => treeWrite(rest[0]),
  "tree-restore": () => treeRestore(rest[0], rest[1]),
};
if (!(command in commands) || !repoPath) {
  console.error("usage: tool.mjs write REPO DATA_DIR | ingest REPO FILE N | list REPO | restore REPO SNAPSHOT OUT [ITEM] | verify REPO | tree-write REPO DIR | tree-restore REPO SNAPSHOT TARGET");
  process.exit(2);
}
try {
  await commands[command]();
} catch (e) {
  console.error(`${e.code ?? "Error"}: ${e.message}`);
  process.exit(1);
}
