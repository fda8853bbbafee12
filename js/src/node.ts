// @ts-self-types="./node.d.ts"
/**
 * Cairn for Node: `Repository` whose `restore` resolves to a Node `Readable`.
 * @module
 */

import { Readable } from "node:stream";
import { Worker } from "node:worker_threads";

import type { StartEngine } from "./link.js";
import type { JobWorkers } from "./pool.js";
import { nodeJobWorkers } from "./pool-node.js";
import { RepositoryCore, type Connection } from "./repository.js";
import { linkToWorker } from "./worker.js";

export { CairnError, type CairnErrorCode } from "./errors.js";
export { ANY_OP_ERRORS, DEFAULT_ITEM_NAME, ERROR_CODES } from "./generated/api.js";
export type * from "./types.js";

/** Starts the engine in a `node:worker_threads` worker. */
const engineInWorker: StartEngine = (options) => {
  const w = new Worker(new URL("./worker-node.js", import.meta.url));
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

/** A Cairn repository on the local file system: `Repository.init(path)`, `Repository.open(path)`. */
export class Repository extends RepositoryCore<Readable> {
  /** How `init` and `open` start a worker; not for applications. */
  static readonly startInWorker: StartEngine = engineInWorker;

  /** How `init` and `open` start job workers; not for applications. */
  static readonly jobWorkers: JobWorkers = nodeJobWorkers;

  /** Used by `init` and `open`; not for applications. */
  static fromConnection(c: Connection): Repository {
    return new Repository(c);
  }

  /** A Node `Readable` of the restored bytes (`.pipe()` works). */
  protected override output(blocks: AsyncIterableIterator<Uint8Array>): Readable {
    return Readable.from(blocks, { objectMode: false });
  }
}
