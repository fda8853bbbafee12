// @ts-self-types="./worker-node.d.ts"
/**
 * The engine's worker in Node (`node:worker_threads`); see `worker.ts`.
 * @module
 */

import { parentPort } from "node:worker_threads";

import { fsPlatform } from "./platform-fs.js";
import { nodeJobWorkers } from "./pool-node.js";
import { serveEngine } from "./worker.js";

const port = parentPort!;
serveEngine({ post: (m, transfer) => port.postMessage(m, transfer), onMessage: (h) => port.on("message", h) }, fsPlatform, nodeJobWorkers);
