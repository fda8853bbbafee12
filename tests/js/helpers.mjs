// Helpers of the JS package's scenarios (scenarios.mjs) and internals (internals.mjs):
// test data, temp directories, reading streams, comparing bytes and expected errors.
import * as assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Cheap key derivation and small chunks and packs, so small data makes many of each. */
export const SMALL = {
  chunking: { min: 4096, avg: 16384, max: 65536 },
  packSize: 65536,
  kdf: { memoryKiB: 1024, iterations: 1, parallelism: 1 },
};

/** Deterministic bytes that do not compress to nothing (xorshift32, seeded). */
export function bytes(length, seed = 1) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // Mostly a small alphabet, so gzip has something to do, but no long repeats.
    out[i] = (x & 0xff) < 192 ? 97 + ((x >>> 8) % 16) : x >>> 24;
  }
  return out;
}

/** A new empty directory, removed by the returned function. */
export function tempDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cairn-${name}-`));
  return { dir, repo: path.join(dir, "repo"), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every byte of a Node Readable, a web ReadableStream or any async iterable. */
export async function readAll(stream) {
  const parts = [];
  for await (const part of stream) parts.push(part);
  return concat(parts);
}

/** Every file under `dir`, relative, sorted. */
export function files(dir) {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

export function sameBytes(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${what}: bytes differ`);
}

/** Rejects with a CairnError of `code`. */
export async function rejectsWith(promise, code, CairnError) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof CairnError, `expected a CairnError, got ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.length > 0);
    return true;
  });
}

/** `Repository` with every `init` and `open` running the engine on `thread`. */
export function onThread(Repository, thread) {
  return {
    init: (p, options = {}) => Repository.init(p, { ...options, thread }),
    open: (p, options = {}) => Repository.open(p, { ...options, thread }),
  };
}
