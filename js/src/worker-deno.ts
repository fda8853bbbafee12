// @ts-self-types="./worker-deno.d.ts"
/**
 * The engine's worker in Deno (a web `Worker` of type module); see `worker.ts`.
 * @module
 */

import { fsPlatform } from "./platform-fs.js";
import { denoJobWorkers } from "./pool-deno.js";
import { scopePort } from "./web-workers.js";
import { serveEngine } from "./worker.js";

serveEngine(scopePort, fsPlatform, denoJobWorkers);
