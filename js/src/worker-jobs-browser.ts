// @ts-self-types="./worker-jobs-browser.d.ts"
/**
 * A job worker in a web page (a module `Worker`); see `jobs-worker.ts`. It uses the
 * engine's own crypto: the browser has no synchronous WebCrypto.
 * @module
 */

import { serveJobs } from "./jobs-worker.js";
import { scopePort } from "./web-workers.js";

serveJobs(scopePort, {});
