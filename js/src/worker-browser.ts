// @ts-self-types="./worker-browser.d.ts"
/**
 * The engine's worker in a web page (a module `Worker`); see `worker.ts`.
 * @module
 */

import { browserPlatform } from "./platform-browser.js";
import { scopePort, webJobWorkers } from "./web-workers.js";
import { serveEngine } from "./worker.js";

serveEngine(scopePort, browserPlatform, webJobWorkers(new URL("./worker-jobs-browser.js", import.meta.url)));
