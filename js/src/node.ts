// @ts-self-types="./node.d.ts"
/**
 * Cairn for Node: `Repository` whose `restore` resolves to a Node `Readable`.
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { Worker } from "node:worker_threads";

import { FETCH_WORKER_URL } from "./http-bridge.js";
import { inline, type StartEngine } from "./link.js";
import { fsLocator, fsPlatform, fsTrees } from "./platform-fs.js";
import type { TreeFs } from "./platform.js";
import type { JobWorkers } from "./pool.js";
import { JOB_WORKER_URL, nodeJobWorkers } from "./pool-node.js";
import { RepositoryCore, type Connection } from "./repository.js";
import type { StreamInput } from "./types.js";
import { linkToWorker } from "./worker.js";

export { CairnError, type CairnErrorCode } from "./errors.js";
export { ANY_OP_ERRORS, DEFAULT_ITEM_NAME, ERROR_CODES } from "./generated/api.js";
export type * from "./types.js";
export type { KeyedFile, Location, Locator, Platform, SigningKeys, StorageMethods } from "./platform.js";

/** The script of the engine's worker. */
const ENGINE_WORKER_URL = new URL("./worker-node.js", import.meta.url);

/** Starts the engine in a `node:worker_threads` worker. */
const engineInWorker: StartEngine = (options) => {
  const w = new Worker(ENGINE_WORKER_URL);
  return linkToWorker(
    {
      post: (m, transfer) => w.postMessage(m, transfer),
      onMessage: (h) => w.on("message", h),
      onError: (h) => w.on("error", (e) => h(e.message)),
      terminate: () => void w.terminate(),
      keepAlive: (alive) => (alive ? w.ref() : w.unref()),
    },
    options,
  );
};

/**
 * A Cairn repository on the local file system (`Repository.init(path)`, `Repository.open(path)`),
 * or served over HTTP(S), read-only (`Repository.open("https://…/repo/")`).
 */
export class Repository extends RepositoryCore<Readable> {
  /** How `init` and `open` start a worker; not for applications. */
  static readonly startInWorker: StartEngine = engineInWorker;

  /** How `init` and `open` start job workers; not for applications. */
  static readonly jobWorkers: JobWorkers = nodeJobWorkers;

  /** How `init` and `open` start an engine on the calling thread; not for applications. */
  static readonly startInline: StartEngine = inline(fsPlatform);

  /** How `init` and `open` find repositories; not for applications. */
  static readonly locator = fsLocator;

  /** The worker scripts `init` and `open` check for before starting; not for applications. */
  static readonly workerFiles: readonly URL[] = [ENGINE_WORKER_URL, JOB_WORKER_URL, FETCH_WORKER_URL];

  /** Used by `init` and `open`; not for applications. */
  static fromConnection(c: Connection): Repository {
    return new Repository(c);
  }

  /** The size of a `fs.createReadStream` of a whole regular file, for progress percentages. */
  protected override sizeOf(input: StreamInput): number | undefined {
    if (!(input instanceof fs.ReadStream) || typeof input.path !== "string") return undefined;
    const { start, end } = input as unknown as { start?: number; end?: number };
    // Node leaves `start` undefined and sets `end` to Infinity for a whole file.
    if ((start ?? 0) !== 0 || (end ?? Infinity) !== Infinity) return undefined;
    try {
      const st = fs.statSync(input.path);
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  }

  /** The absolute path of a `fs.createReadStream`, recorded in the snapshot. */
  protected override sourcePath(input: StreamInput): string | undefined {
    return input instanceof fs.ReadStream && typeof input.path === "string" ? path.resolve(input.path) : undefined;
  }

  /** Directory trees through `node:fs`. */
  protected override trees(): TreeFs {
    return fsTrees;
  }

  /** A Node `Readable` of the restored bytes (`.pipe()` works). */
  protected override output(blocks: AsyncIterableIterator<Uint8Array>): Readable {
    return Readable.from(blocks, { objectMode: false });
  }
}
