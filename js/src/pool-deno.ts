// @ts-self-types="./pool-deno.d.ts"
/**
 * How Deno starts job workers for a {@link JobPool}: web `Worker`s (`pool-web.ts`) running
 * `worker-jobs-deno.js`.
 * @module
 */

import type { JobWorkers } from "./pool.js";
import { webJobWorkers } from "./web-workers.js";

/** The script of a job worker. */
export const JOB_WORKER_URL = new URL("./worker-jobs-deno.js", import.meta.url);

/** Job workers as web `Worker`s. */
export const denoJobWorkers: JobWorkers = webJobWorkers(JOB_WORKER_URL);
