// @ts-self-types="./worker-jobs-deno.d.ts"
/**
 * A job worker in Deno (a web `Worker` of type module); see `jobs-worker.ts`.
 * @module
 */

import { nodeIntrinsics } from "./intrinsics.js";
import { serveJobs } from "./jobs-worker.js";
import { scopePort } from "./web-workers.js";

serveJobs(scopePort, nodeIntrinsics);
