// @ts-self-types="./tree-walk.d.ts"
/**
 * Reading a directory tree into an ingest session (Node and Deno, through `node:fs`), by
 * the rules of the CLI's walker (host/src/tree/walk.rs): depth first, the root first, each
 * directory's entries in increasing byte order of their names, every entry described from
 * `lstat`, symbolic links never followed below the root, and a file that vanishes or
 * changes while it is read reported with `tree_problem` (docs/DESIGN-js.md, "Directory trees").
 * @module
 */

import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import { basename, resolve } from "node:path";

import { CairnError } from "./errors.js";
import type { EngineLink } from "./link.js";
import type { Entry, EntryKind, TreeEntryAnswer } from "./generated/api.js";
import type { TreeSource } from "./types.js";

/** Bytes of a file read and written to the engine at a time at most. */
const BLOCK = 1 << 20;

/** The start of a `CACHEDIR.TAG` that marks a cache directory (bford.info/cachedir). */
const CACHEDIR_SIGNATURE = Buffer.from("Signature: 8a477f597d28d172789f06886806bc55");
const CACHEDIR_TAG = Buffer.from("CACHEDIR.TAG");

const NS = 1_000_000_000n;
const SLASH = Buffer.from("/");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `bytes` as the engine's text, with the exact bytes as hex when they are not UTF-8. */
export function textOf(bytes: Uint8Array): { text: string; hex?: string } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    return { text: Buffer.from(bytes).toString("utf8"), hex: Buffer.from(bytes).toString("hex") };
  }
}

/** What an `lstat` describes, or `undefined` for a socket (trees hold none). */
function kindOf(st: fs.BigIntStats): EntryKind | undefined {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  return undefined;
}

/** Seconds and nanoseconds of a time in nanoseconds, the nanoseconds in 0..1e9 also before 1970. */
function split(ns: bigint): [number, number] {
  let s = ns / NS;
  let rest = ns % NS;
  if (rest < 0n) {
    s -= 1n;
    rest += NS;
  }
  return [Number(s), Number(rest)];
}

/** The entry `lstat` describes; owners' names are left empty (the runtime cannot look them up). */
function entryOf(name: Uint8Array, kind: EntryKind, st: fs.BigIntStats): Entry {
  const { text, hex } = textOf(name);
  const [mtime, mtimeNs] = split(st.mtimeNs);
  const [ctime, ctimeNs] = split(st.ctimeNs);
  return {
    name: text,
    ...(hex === undefined ? {} : { nameHex: hex }),
    kind,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    user: "",
    group: "",
    mtime,
    mtimeNs,
    ctime,
    ctimeNs,
    dev: Number(st.dev),
    inode: Number(st.ino),
    links: Number(st.nlink),
    size: kind === "file" ? Number(st.size) : 0,
    rdev: kind === "char" || kind === "block" ? Number(st.rdev) : 0,
    xattrs: [],
  };
}

/** What `read` then `fstat` must still show for a file's content to be the one described. */
function sameFile(a: fs.BigIntStats, b: fs.BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** The `code` of a `node:fs` error (`ENOENT`, ...). */
export const errorCode = (e: unknown): string | undefined => (e as { code?: string }).code;
/** The message of anything thrown. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The open flags of a constant that a runtime may lack (0 then). */
function flag(name: "O_NOFOLLOW" | "O_NONBLOCK" | "O_NOCTTY"): number {
  return (fs.constants as Record<string, number | undefined>)[name] ?? 0;
}

/** What the walk counted. */
export interface WalkCounts {
  /** Calls of `tree_problem`. */
  problems: number;
}

/**
 * Walks `source.directory` into the current tree item of ingest `session` (`ingest_tree`
 * was called). Fails only when the root cannot be read or the engine fails; every problem
 * below the root goes to `tree_problem` and the walk goes on.
 */
export async function walkInto(link: EngineLink, session: number, source: TreeSource): Promise<WalkCounts> {
  const root = resolve(source.directory);
  let st: fs.BigIntStats;
  try {
    // The root is followed if it is a link: the user named it.
    st = fs.statSync(root, { bigint: true });
  } catch (e) {
    throw new CairnError("InvalidArgument", `invalid argument: cannot read the directory ${root}: ${messageOf(e)}`, { cause: e });
  }
  if (!st.isDirectory()) throw new CairnError("InvalidArgument", `invalid argument: ${root} is not a directory`);
  const walker = new Walker(link, session, source, st.dev);
  await walker.entry(root, entryOf(Buffer.from(basename(root) || "root"), "dir", st));
  await walker.dir(Buffer.from(root), root);
  return { problems: walker.problems };
}

class Walker {
  problems = 0;
  /** The file given last whose content the engine asked for: the only entry a problem may drop. */
  #waiting: string | undefined;
  readonly #buf = Buffer.alloc(BLOCK);

  constructor(
    private readonly link: EngineLink,
    private readonly session: number,
    private readonly options: TreeSource,
    private readonly rootDev: bigint,
  ) {}

  /** Describes an entry to the engine; answers whether to read it (`content`) or leave it out (`excluded`). */
  async entry(path: string, entry: Entry): Promise<TreeEntryAnswer> {
    const answer = await this.link.call("tree_entry", { session: this.session, entry });
    this.#waiting = answer.content ? path : undefined;
    return answer;
  }

  async problem(path: string, message: string, drop: boolean): Promise<void> {
    // A path that vanished before it was described has no entry to leave out.
    const dropped = drop && this.#waiting === path;
    if (dropped) this.#waiting = undefined;
    this.problems += 1;
    await this.link.call("tree_problem", { session: this.session, path, message, drop: dropped });
  }

  async leave(): Promise<void> {
    this.#waiting = undefined;
    await this.link.call("tree_leave", { session: this.session });
  }

  /** Gives the entries of the directory at `dir` (described already), then leaves it. */
  async dir(dir: Buffer, shown: string): Promise<void> {
    let names: Buffer[];
    try {
      names = fs.readdirSync(dir, { encoding: "buffer" });
    } catch (e) {
      await this.problem(shown, `cannot list this directory, recorded as empty: ${messageOf(e)}`, false);
      return this.leave();
    }
    names.sort(Buffer.compare);
    if (this.options.excludeCaches && isCache(dir, names)) names = names.filter((n) => n.equals(CACHEDIR_TAG));
    for (const name of names) {
      const path = Buffer.concat([dir, SLASH, name]);
      await this.visit(path, name, `${shown}/${textOf(name).text}`);
    }
    await this.leave();
  }

  async visit(path: Buffer, name: Buffer, shown: string): Promise<void> {
    let st: fs.BigIntStats;
    try {
      st = fs.lstatSync(path, { bigint: true });
    } catch (e) {
      const message = errorCode(e) === "ENOENT" ? "vanished before it was read, left out" : `cannot be read, left out: ${messageOf(e)}`;
      return this.problem(shown, message, true);
    }
    const kind = kindOf(st);
    if (kind === undefined) return; // a socket
    const entry = entryOf(name, kind, st);
    if (kind === "symlink") {
      try {
        const target = fs.readlinkSync(path, { encoding: "buffer" });
        const { text, hex } = textOf(target);
        entry.size = target.length;
        entry.target = text;
        if (hex !== undefined) entry.targetHex = hex;
      } catch (e) {
        return this.problem(shown, `cannot read the link, left out: ${messageOf(e)}`, true);
      }
    }
    const { content, excluded } = await this.entry(shown, entry);
    if (excluded) return; // an exclude pattern: neither read nor entered
    if (kind === "file" && content) return this.read(path, shown, st);
    if (kind !== "dir") return;
    if (this.options.oneFileSystem && st.dev !== this.rootDev) return this.leave();
    let now: fs.BigIntStats | undefined;
    try {
      now = fs.lstatSync(path, { bigint: true });
    } catch (e) {
      await this.problem(shown, `cannot open this directory, recorded as empty: ${messageOf(e)}`, false);
      return this.leave();
    }
    if (!now.isDirectory() || now.dev !== st.dev || now.ino !== st.ino) {
      await this.problem(shown, "was replaced while it was read, recorded as empty", false);
      return this.leave();
    }
    await this.dir(path, shown);
  }

  /** Streams a regular file's content and checks it did not change meanwhile. */
  async read(path: Buffer, shown: string, seen: fs.BigIntStats): Promise<void> {
    let fd: number;
    try {
      // NONBLOCK: if a pipe took the file's place since `lstat`, opening must not hang.
      fd = fs.openSync(path, fs.constants.O_RDONLY | flag("O_NOFOLLOW") | flag("O_NONBLOCK") | flag("O_NOCTTY"));
    } catch (e) {
      const message = errorCode(e) === "ENOENT" ? "vanished before it was read, left out" : `cannot be read, left out: ${messageOf(e)}`;
      return this.problem(shown, message, true);
    }
    try {
      const opened = fs.fstatSync(fd, { bigint: true });
      if (!opened.isFile() || opened.ino !== seen.ino) return await this.problem(shown, "was replaced while it was read, left out", true);
      let total = 0n;
      for (;;) {
        let n: number;
        try {
          n = fs.readSync(fd, this.#buf, 0, BLOCK, null);
        } catch (e) {
          if (errorCode(e) === "EINTR" || errorCode(e) === "EAGAIN") continue;
          return await this.problem(shown, `reading failed, left out: ${messageOf(e)}`, true);
        }
        if (n === 0) break;
        total += BigInt(n);
        // The link copies the bytes before it returns, so the buffer is reused.
        await this.link.write(this.session, this.#buf.subarray(0, n));
      }
      const after = fs.fstatSync(fd, { bigint: true });
      if (!sameFile(after, seen) || total !== seen.size) await this.problem(shown, "changed while it was read", false);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** True when the directory holds a `CACHEDIR.TAG` file that starts with the signature. */
function isCache(dir: Buffer, names: Buffer[]): boolean {
  if (!names.some((n) => n.equals(CACHEDIR_TAG))) return false;
  let fd: number | undefined;
  try {
    fd = fs.openSync(Buffer.concat([dir, SLASH, CACHEDIR_TAG]), fs.constants.O_RDONLY | flag("O_NOFOLLOW") | flag("O_NONBLOCK"));
    if (!fs.fstatSync(fd).isFile()) return false;
    const start = Buffer.alloc(CACHEDIR_SIGNATURE.length);
    return fs.readSync(fd, start, 0, start.length, 0) === start.length && start.equals(CACHEDIR_SIGNATURE);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
