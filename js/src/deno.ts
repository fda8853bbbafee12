// @ts-self-types="./deno.d.ts"
/**
 * Cairn for Deno: `Repository` whose `restore` resolves to a web `ReadableStream`.
 * @module
 */

import { FETCH_WORKER_URL } from "./http-bridge.js";
import { inline, type StartEngine } from "./link.js";
import { fsLocator, fsPlatform, fsTrees } from "./platform-fs.js";
import type { TreeFs } from "./platform.js";
import type { JobWorkers } from "./pool.js";
import { JOB_WORKER_URL, denoJobWorkers } from "./pool-deno.js";
import { RepositoryCore, type Connection } from "./repository.js";
import { toReadableStream } from "./streams.js";
import { webEngineWorker } from "./web-workers.js";

export { CairnError, type CairnErrorCode } from "./errors.js";
export { ANY_OP_ERRORS, DEFAULT_ITEM_NAME, ERROR_CODES } from "./generated/api.js";
export type * from "./types.js";
export type { KeyedFile, Location, Locator, Platform, SigningKeys, StorageMethods } from "./platform.js";

/** The script of the engine's worker. */
const ENGINE_WORKER_URL = new URL("./worker-deno.js", import.meta.url);

/**
 * A Cairn repository on the local file system (`Repository.init(path)`, `Repository.open(path)`),
 * or served over HTTP(S), read-only (`Repository.open("https://…/repo/")`).
 */
export class Repository extends RepositoryCore<ReadableStream<Uint8Array>> {
  /** How `init` and `open` start a worker; not for applications. */
  static readonly startInWorker: StartEngine = webEngineWorker(ENGINE_WORKER_URL);

  /** How `init` and `open` start job workers; not for applications. */
  static readonly jobWorkers: JobWorkers = denoJobWorkers;

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

  /** Directory trees through `node:fs`. */
  protected override trees(): TreeFs {
    return fsTrees;
  }

  /** A web `ReadableStream` of the restored bytes; cancelling it ends the restore. */
  protected override output(blocks: AsyncIterableIterator<Uint8Array>): ReadableStream<Uint8Array> {
    return toReadableStream(blocks);
  }
}
