// @ts-self-types="./storage.d.ts"
/**
 * Repository storage on the local file system (docs/DESIGN.md §2), the same contract as the
 * CLI's `host/src/fs_storage.rs`: every key and prefix is checked by the engine's own
 * grammar (`validateKey` / `validatePrefix` from the wasm module) before any file is
 * touched; `put` writes a temp file beside the target, fsyncs it and renames it into
 * place; `putNew` hard-links the temp file, which creates the name exclusively and with
 * its whole content at once; changed directories are fsynced. Temp names start with `.`,
 * so they are outside the grammar and never listed.
 * @module
 */

import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";

import { validateKey, validatePrefix } from "../pkg/cairn_bindgen.js";
import { StorageFailure } from "./errors.js";
import type { StorageMethods } from "./platform.js";

/** How deep the grammar's keys go (`packs/data/ab/<id>.pack`): listing descends no further. */
const MAX_DEPTH = 3;

/** Makes temp names unique within this thread; pid and thread make them unique across them. */
let tempCounter = 0;

/** Tells threads of one process apart in temp names (the engine may run in a worker). */
const threadTag = globalThis.crypto.randomUUID().slice(0, 8);

/** The Node-style error code of a thrown value, if it has one. */
function errno(e: unknown): string | undefined {
  return (e as { code?: unknown })?.code as string | undefined;
}

/** `e` as the engine expects it; `ENOENT` means "no such object" only where `notFound` says so. */
function failure(e: unknown, notFound: boolean): StorageFailure {
  const code = errno(e);
  if (notFound && code === "ENOENT") return new StorageFailure("NotFound", (e as Error).message);
  return new StorageFailure("Io", e instanceof Error ? e.message : String(e));
}

/** Makes a directory's entries (a rename, a new link, a removal) durable. */
function syncDir(dir: string): void {
  // Directories cannot be opened for fsync on Windows; the rename is atomic there anyway.
  if (process.platform === "win32") return;
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The storage methods of the JS host object (see `core-wasm/bindgen`) on one directory. */
export class FsStorage implements StorageMethods {
  /** Storage rooted at `root`, the repository directory. Nothing is touched until used. */
  constructor(readonly root: string) {}

  private path(key: string): string {
    if (!validateKey(key)) {
      throw new StorageFailure("InvalidKey", `storage key \`${key}\` is outside the repository layout`);
    }
    return path.join(this.root, key);
  }

  /** The whole object. */
  get(key: string): Uint8Array {
    const p = this.path(key);
    try {
      return fs.readFileSync(p);
    } catch (e) {
      throw failure(e, true);
    }
  }

  /** `len` bytes from `offset`, fewer at the end. */
  getRange(key: string, offset: number, len: number): Uint8Array {
    const p = this.path(key);
    let fd: number;
    try {
      fd = fs.openSync(p, "r");
    } catch (e) {
      throw failure(e, true);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (offset >= size) return new Uint8Array(0);
      const buf = Buffer.allocUnsafe(Math.min(len, size - offset));
      let filled = 0;
      while (filled < buf.length) {
        const n = fs.readSync(fd, buf, filled, buf.length - filled, offset + filled);
        if (n === 0) break;
        filled += n;
      }
      return buf.subarray(0, filled);
    } catch (e) {
      throw failure(e, false);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Creates or replaces the object, atomically and durably. */
  put(key: string, data: Uint8Array): void {
    const p = this.path(key);
    const temp = this.writeTemp(p, data);
    try {
      fs.renameSync(temp, p);
      syncDir(path.dirname(p));
    } catch (e) {
      fs.rmSync(temp, { force: true });
      throw failure(e, false);
    }
  }

  /** Creates the object; fails with `AlreadyExists` if the key exists (what locks are made of). */
  putNew(key: string, data: Uint8Array): void {
    const p = this.path(key);
    const temp = this.writeTemp(p, data);
    try {
      fs.linkSync(temp, p);
      syncDir(path.dirname(p));
    } catch (e) {
      if (errno(e) === "EEXIST") throw new StorageFailure("AlreadyExists", `\`${key}\` already exists`);
      throw failure(e, false);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }

  /** Every key under `prefix` that is in the grammar. */
  list(prefix: string): string[] {
    if (!validatePrefix(prefix)) {
      throw new StorageFailure("InvalidKey", `\`${prefix}\` is not a directory of the repository layout`);
    }
    const keys: string[] = [];
    try {
      this.walk(path.join(this.root, prefix), prefix.split("/").length - 1, keys);
    } catch (e) {
      throw failure(e, false);
    }
    return keys.filter((k) => k.startsWith(prefix));
  }

  /** Removes the object; a missing object is not an error. */
  delete(key: string): void {
    const p = this.path(key);
    try {
      fs.unlinkSync(p);
    } catch (e) {
      if (errno(e) === "ENOENT") return;
      throw failure(e, false);
    }
    try {
      syncDir(path.dirname(p));
    } catch (e) {
      throw failure(e, false);
    }
  }

  /** Writes `data` to a new temp file beside `target` and fsyncs it; answers its path. */
  private writeTemp(target: string, data: Uint8Array): string {
    const dir = path.dirname(target);
    const temp = path.join(dir, `.${path.basename(target)}.tmp-${process.pid}-${threadTag}-${tempCounter++}`);
    try {
      this.ensureDir(dir);
      const fd = fs.openSync(temp, "wx");
      try {
        fs.writeFileSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      fs.rmSync(temp, { force: true });
      throw failure(e, false);
    }
    return temp;
  }

  /** Creates `dir` and its missing ancestors, fsyncing each parent whose entries changed. */
  private ensureDir(dir: string): void {
    const first = fs.mkdirSync(dir, { recursive: true });
    if (first === undefined) return;
    for (let d = dir; ; d = path.dirname(d)) {
      syncDir(path.dirname(d));
      if (d === first || d === path.dirname(d)) break;
    }
  }

  /** Collects the keys of the files under `dir`, following symbolic links like the CLI. */
  private walk(dir: string, depth: number, out: string[]): void {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (e) {
      if (errno(e) === "ENOENT") return;
      throw e;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      const stat = fs.statSync(p, { throwIfNoEntry: false });
      if (stat === undefined) continue;
      if (stat.isDirectory()) {
        if (depth < MAX_DEPTH) this.walk(p, depth + 1, out);
        continue;
      }
      const key = path.relative(this.root, p).split(path.sep).join("/");
      if (validateKey(key)) out.push(key);
    }
  }
}
