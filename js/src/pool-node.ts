// @ts-self-types="./pool-node.d.ts"
/**
 * How Node starts job workers for a {@link JobPool}: `node:worker_threads` workers,
 * `unref()`ed so that a pool never keeps the process alive, as many as the machine has
 * logical cores by default.
 * @module
 */

import * as os from "node:os";
import { Worker } from "node:worker_threads";

import type { JobWorkers } from "./pool.js";

/** The script of a job worker. */
export const JOB_WORKER_URL = new URL("./worker-jobs-node.js", import.meta.url);

/** Job workers in `node:worker_threads`. */
export const nodeJobWorkers: JobWorkers = {
  spawn() {
    const w = new Worker(JOB_WORKER_URL);
    w.unref();
    let failure: string | undefined;
    // Reported by the pool (the worker's shares fail), never as an uncaught error here.
    w.on("error", (e) => (failure ??= e.message));
    w.on("exit", (code) => (failure ??= `it exited with code ${code}`));
    return {
      post: (m, transfer) => w.postMessage(m, transfer),
      terminate: () => {
        failure ??= "it was stopped";
        void w.terminate();
      },
      failure: () => failure,
    };
  },
  defaultThreads: () => os.availableParallelism(),
};
