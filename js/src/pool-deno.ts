// @ts-self-types="./pool-deno.d.ts"
/**
 * How Deno starts job workers for a {@link JobPool}: web `Worker`s of type module, as
 * many as `navigator.hardwareConcurrency` by default. A web worker has no `unref`, so a
 * Deno program must `close()` its repositories, which stops their pools.
 * @module
 */

import type { JobWorkers } from "./pool.js";

/** The script of a job worker. */
export const JOB_WORKER_URL = new URL("./worker-jobs-deno.js", import.meta.url);

/** Job workers as web `Worker`s. */
export const denoJobWorkers: JobWorkers = {
  spawn() {
    const w = new Worker(JOB_WORKER_URL, { type: "module" });
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
  defaultThreads: () => globalThis.navigator?.hardwareConcurrency ?? 1,
};
