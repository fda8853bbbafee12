// @ts-self-types="./tree-restore.d.ts"
/**
 * Writing a stored directory tree under a target directory (Node and Deno, through
 * `node:fs`), by the rules of the CLI's applier (host/src/tree/apply.rs): every name is
 * checked again, nothing found in the target is followed (it is `lstat`ed and removed
 * before an entry is created in its place), hard links are made by (dev, inode) when an
 * entry has more than one link, all-zero blocks become holes, owners are set only when
 * running as root, and a directory gets its metadata after its contents.
 * @module
 */

import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import { resolve } from "node:path";
import process from "node:process";

import { CairnError } from "./errors.js";
import type { EngineLink } from "./link.js";
import type { Entry, TreeStep } from "./generated/api.js";
import { errorCode, messageOf } from "./tree-walk.js";
import type { RestoredTree, RestoreWarning } from "./types.js";

/** An aligned all-zero block of this size is not written (a hole). */
const HOLE = 4096;
const SLASH = Buffer.from("/");
/**
 * Whether `node:fs` takes a path's exact bytes. Node does; Deno's `node:fs` turns a
 * `Buffer` path into text, so a name that is not UTF-8 would be created under another
 * name (with U+FFFD in it): such entries are left out there, with a warning.
 */
const BYTE_PATHS = !("Deno" in globalThis);


/** This process's user and group ids; -1 where the runtime does not tell (Deno without `--allow-sys`). */
function ids(): [number, number] {
  const id = (read: (() => number) | undefined) => {
    try {
      return read?.() ?? -1;
    } catch {
      return -1;
    }
  };
  return [id(process.getuid), id(process.getgid)];
}

/** The exact bytes of an entry's name or link target, from the hex when it is given. */
function bytesOf(text: string | null | undefined, hex: string | null | undefined): Buffer {
  return hex ? Buffer.from(hex, "hex") : Buffer.from(text ?? "", "utf8");
}

/** A directory on the current path, its metadata applied when it is left. */
interface Level {
  path: Buffer;
  entry: Entry | undefined;
}

/**
 * An entry's modification time as the fractional seconds `utimes` takes. A double holds
 * today's times to about 0.2 µs and the runtime truncates it to whole microseconds, so
 * the time is aimed at the middle of its microsecond: the microsecond set is the
 * recorded one, and the nanoseconds below it are lost.
 */
function seconds(entry: Entry): number {
  return (entry.mtime ?? 0) + (Math.floor((entry.mtimeNs ?? 0) / 1000) + 0.5) / 1e6;
}

/**
 * Writes the walk `session` (answered by `walk_begin`) under `target`, which is created if
 * missing. With `below` (the walk starts at a path inside the tree), the target stands for
 * the tree's root and keeps its own metadata. Ends the session.
 */
export async function restoreInto(
  link: EngineLink,
  begun: { session: number; snapshot: string; item: string },
  targetDir: string,
  below: boolean,
): Promise<RestoredTree> {
  const target = resolve(targetDir);
  const applier = new Applier(target);
  let taken = 0;
  try {
    if (below) applier.started = true;
    for (;;) {
      const step = await link.call("walk_next", { session: begun.session });
      if (step === null) break;
      taken += 1;
      const wants = applier.entry(step, below ? step.depth + 1 : step.depth);
      if (wants !== undefined) {
        try {
          for (;;) {
            const block = await link.read(begun.session);
            if (block.length === 0) break;
            wants.write(block);
          }
        } finally {
          applier.closeFile(wants);
        }
      }
    }
  } finally {
    await link.call("restore_end", { session: begun.session }).catch(() => {});
  }
  if (taken === 0 && !below) {
    // Include patterns that match nothing take nothing, not even the tree's root.
    return { snapshot: begun.snapshot, item: begun.item, target, files: 0, dirs: 0, links: 0, others: 0, bytes: 0, warnings: [] };
  }
  const summary = applier.finish();
  return { snapshot: begun.snapshot, item: begun.item, target, ...summary };
}

/** A regular file being restored, with holes for aligned all-zero blocks. */
class OpenFile {
  offset = 0;
  written = 0;
  #pending = Buffer.alloc(0);

  constructor(
    readonly fd: number,
    readonly path: Buffer,
    readonly entry: Entry,
  ) {}

  write(data: Uint8Array): void {
    let bytes = this.#pending.length > 0 ? Buffer.concat([this.#pending, data]) : Buffer.from(data.buffer, data.byteOffset, data.length);
    const whole = bytes.length - (bytes.length % HOLE);
    for (let at = 0; at < whole; ) {
      const block = bytes.subarray(at, at + HOLE);
      if (block.every((b) => b === 0)) {
        at += HOLE;
        continue;
      }
      // A run of blocks that are not all zero goes in one write.
      let end = at + HOLE;
      while (end < whole && !bytes.subarray(end, end + HOLE).every((b) => b === 0)) end += HOLE;
      this.put(bytes.subarray(at, end), this.offset + at);
      at = end;
    }
    this.offset += whole;
    bytes = bytes.subarray(whole);
    this.#pending = Buffer.from(bytes);
  }

  put(bytes: Uint8Array, at: number): void {
    for (let done = 0; done < bytes.length; ) done += fs.writeSync(this.fd, bytes, done, bytes.length - done, at + done);
    this.written += bytes.length;
  }

  /** Writes what is pending and answers the file's length. */
  flush(): number {
    if (this.#pending.some((b) => b !== 0)) this.put(this.#pending, this.offset);
    this.offset += this.#pending.length;
    this.#pending = Buffer.alloc(0);
    return this.offset;
  }
}

class Applier {
  started = false;
  readonly #stack: Level[];
  readonly #links = new Map<string, Buffer>();
  readonly #ids = ids();
  readonly #root = this.#ids[0] === 0;
  #ownersKept = 0;
  /** The depth of a directory left out: entries below it are left out too. */
  #skipBelow: number | undefined;
  readonly counts = { files: 0, dirs: 1, links: 0, others: 0, bytes: 0 };
  readonly warnings: RestoreWarning[] = [];

  constructor(private readonly target: string) {
    fs.mkdirSync(target, { recursive: true });
    // The target itself may be a link to a directory; anything else that is not one is refused.
    if (!fs.statSync(target).isDirectory()) throw new CairnError("InvalidArgument", `invalid argument: ${target} is not a directory`);
    this.#stack = [{ path: Buffer.from(target), entry: undefined }];
  }

  warn(path: Buffer, message: string): void {
    this.warnings.push({ path: path.toString("utf8"), message });
  }

  /** Creates the entry at `depth`; answers the file to write its content to, if any. */
  entry(step: TreeStep, depth: number): OpenFile | undefined {
    const entry = step.entry;
    if (depth === 0 || !this.started) {
      if (this.started || depth !== 0 || entry.kind !== "dir") throw this.bad("the tree does not start with its root directory, alone at depth 0");
      this.started = true;
      this.#stack[0].entry = entry;
      return undefined;
    }
    if (this.#skipBelow !== undefined) {
      if (depth > this.#skipBelow) return undefined;
      this.#skipBelow = undefined;
    }
    if (depth > this.#stack.length) throw this.bad(`an entry at depth ${depth} follows one at depth ${this.#stack.length - 1}`);
    while (this.#stack.length > depth) this.leave();
    const name = bytesOf(entry.name, entry.nameHex);
    if (name.length === 0 || name.includes(0) || name.includes(SLASH[0]) || name.equals(Buffer.from(".")) || name.equals(Buffer.from(".."))) {
      throw this.bad(`the entry name ${JSON.stringify(entry.name)} is not a plain name`);
    }
    const path = Buffer.concat([this.#stack[this.#stack.length - 1].path, SLASH, name]);
    if (!BYTE_PATHS && (entry.nameHex || entry.targetHex)) {
      const what = entry.nameHex ? "its name is" : "its link target is";
      this.warn(path, `not restored: ${what} not UTF-8, which this runtime cannot create; restore it with the CLI or in Node`);
      if (entry.kind === "dir") this.#skipBelow = depth;
      return undefined;
    }
    const key = `${entry.dev ?? 0}:${entry.inode ?? 0}`;
    const linked = entry.kind !== "dir" && (entry.links ?? 1) > 1;
    const first = linked ? this.#links.get(key) : undefined;
    if (first !== undefined) {
      if (!this.clear(path)) return undefined;
      try {
        fs.linkSync(first, path);
        this.counts.links += 1;
        return undefined;
      } catch (e) {
        this.warn(path, `not restored as a hard link, restored as a copy: ${messageOf(e)}`);
      }
    }
    const file = this.create(entry, path);
    // Later links go to the first one actually created (not to a pipe left out).
    if (linked && !this.#links.has(key) && this.exists(path)) this.#links.set(key, path);
    return file;
  }

  bad(reason: string): CairnError {
    return new CairnError("CorruptSnapshot", `the stored tree cannot be restored into ${this.target}: ${reason}`);
  }

  exists(path: Buffer): boolean {
    try {
      fs.lstatSync(path);
      return true;
    } catch {
      return false;
    }
  }

  /** Makes room for `path`: removes a non-directory (never following a link) or an empty directory. */
  clear(path: Buffer): boolean {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path);
    } catch (e) {
      if (errorCode(e) === "ENOENT") return true;
      throw e;
    }
    if (!st.isDirectory()) {
      fs.unlinkSync(path);
      return true;
    }
    try {
      fs.rmdirSync(path);
      return true;
    } catch (e) {
      if (errorCode(e) !== "ENOTEMPTY" && errorCode(e) !== "EEXIST") throw e;
      this.warn(path, "not restored: a directory that is not empty is in its place");
      return false;
    }
  }

  create(entry: Entry, path: Buffer): OpenFile | undefined {
    if (entry.kind === "dir") {
      this.makeDir(entry, path);
      return undefined;
    }
    if (entry.kind === "char" || entry.kind === "block" || entry.kind === "fifo") {
      // Neither Node nor Deno can make a device or a named pipe (there is no mknod).
      this.warn(path, `${entry.kind === "fifo" ? "named pipe" : "device"} not restored: this runtime cannot create one`);
      return undefined;
    }
    if (!this.clear(path)) return undefined;
    if (entry.kind === "symlink") {
      fs.symlinkSync(bytesOf(entry.target, entry.targetHex), path);
      this.counts.others += 1;
      this.setMeta(entry, path, undefined);
      return undefined;
    }
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0);
    return new OpenFile(fs.openSync(path, flags, 0o600), path, entry);
  }

  /** Creates (or reuses) a directory and enters it; it stays writable until it is left. */
  makeDir(entry: Entry, path: Buffer): void {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(path);
    } catch (e) {
      if (errorCode(e) !== "ENOENT") throw e;
    }
    if (st !== undefined && !st.isDirectory()) fs.unlinkSync(path);
    if (st === undefined || !st.isDirectory()) fs.mkdirSync(path, 0o700);
    const now = fs.lstatSync(path);
    if (!now.isDirectory()) throw new CairnError("InvalidArgument", `invalid argument: ${path.toString()} changed while it was restored`);
    if ((now.mode & 0o700) !== 0o700) fs.chmodSync(path, (now.mode & 0o7777) | 0o700);
    this.counts.dirs += 1;
    this.#stack.push({ path, entry });
  }

  /** Completes the file written last: its length, then its metadata. */
  closeFile(file: OpenFile): void {
    try {
      const len = file.flush();
      fs.ftruncateSync(file.fd, len);
      if (len !== (file.entry.size ?? 0)) this.warn(file.path, `${len} bytes were restored, ${file.entry.size ?? 0} recorded`);
      this.counts.files += 1;
      this.counts.bytes += file.written;
      this.setMeta(file.entry, file.path, file.fd);
    } finally {
      fs.closeSync(file.fd);
    }
  }

  /** Sets owner (as root), mode (not of links) and times, with a warning for what could not be set. */
  setMeta(entry: Entry, path: Buffer, fd: number | undefined): void {
    const link = entry.kind === "symlink";
    const [uid, gid] = [entry.uid ?? 0, entry.gid ?? 0];
    const attempt = (what: string, f: () => void) => {
      try {
        f();
      } catch (e) {
        this.warn(path, `${what} not restored: ${messageOf(e)}`);
      }
    };
    if (this.#root) {
      attempt("owner", () => (fd !== undefined ? fs.fchownSync(fd, uid, gid) : fs.lchownSync(path, uid, gid)));
    } else if (uid !== this.#ids[0] || gid !== this.#ids[1]) {
      this.#ownersKept += 1;
    }
    if (!link) attempt("mode", () => (fd !== undefined ? fs.fchmodSync(fd, entry.mode) : fs.chmodSync(path, entry.mode)));
    const t = seconds(entry);
    attempt("times", () => (fd !== undefined ? fs.futimesSync(fd, t, t) : link ? fs.lutimesSync(path, t, t) : fs.utimesSync(path, t, t)));
  }

  /** Pops the innermost directory and applies its metadata. */
  leave(): void {
    const level = this.#stack.pop();
    if (level?.entry !== undefined) this.setMeta(level.entry, level.path, undefined);
  }

  finish(): Omit<RestoredTree, "snapshot" | "item" | "target"> {
    if (!this.started) throw this.bad("the tree has no root entry");
    while (this.#stack.length > 0) this.leave();
    if (this.#ownersKept > 0) {
      this.warn(
        Buffer.from(this.target),
        `${this.#ownersKept} entries keep the restoring user as owner: owners are restored only when running as root`,
      );
    }
    return { ...this.counts, warnings: this.warnings };
  }
}
