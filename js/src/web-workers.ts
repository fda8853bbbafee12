// @ts-self-types="./web-workers.d.ts"
/**
 * Web `Worker`s of type module, as Deno and browsers start them: the engine's worker, job
 * workers for a {@link JobPool} (as many as `navigator.hardwareConcurrency` by default),
 * and the port of a worker's own scope. A web worker has no `unref`, so a program must
 * `close()` its repositories, which stops their workers.
 * @module
 */

import type { StartEngine } from "./link.js";
import type { JobWorkers } from "./pool.js";
import { linkToWorker } from "./worker.js";

/** Starts engines in module workers running the script at `url`. */
export function webEngineWorker(url: URL): StartEngine {
  return (options) => {
    const w = new Worker(url, { type: "module" });
    return linkToWorker(
      {
        post: (m, transfer) => w.postMessage(m, transfer ?? []),
        onMessage: (h) => (w.onmessage = (e) => h(e.data)),
        onError: (h) =>
          (w.onerror = (e) => {
            e.preventDefault();
            h(e.message);
          }),
        terminate: () => w.terminate(),
        keepAlive: () => {}, // A web worker has no unref: close() ends it.
      },
      options,
    );
  };
}

/** Job workers started from the module script at `url`. */
export function webJobWorkers(url: URL): JobWorkers {
  return {
    spawn() {
      const w = new Worker(url, { type: "module" });
      let failure: string | undefined;
      w.onerror = (e) => {
        // Reported by the pool (the worker's shares fail), never as an uncaught error here.
        e.preventDefault();
        failure ??= e.message;
      };
      return {
        post: (m, transfer) => w.postMessage(m, transfer),
        terminate: () => {
          failure ??= "it was stopped";
          w.terminate();
        },
        failure: () => failure,
      };
    },
    // Job workers share memory with the pool: a page that is not cross-origin isolated
    // (no COOP/COEP headers) has no SharedArrayBuffer, and runs every job in the engine.
    defaultThreads: () => (typeof SharedArrayBuffer === "undefined" ? 1 : (globalThis.navigator?.hardwareConcurrency ?? 1)),
  };
}

/** The global scope of a web worker, as far as the package's workers use it. */
export const workerScope = globalThis as unknown as {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
};

/** The port of a web worker's own scope, for `serveEngine` and `serveJobs`. */
export const scopePort = {
  post: (m: unknown, transfer?: ArrayBuffer[]) => workerScope.postMessage(m, transfer ?? []),
  onMessage: (h: (message: unknown) => void) => (workerScope.onmessage = (e) => h(e.data)),
};
