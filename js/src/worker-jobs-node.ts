// @ts-self-types="./worker-jobs-node.d.ts"
/**
 * A job worker in Node (`node:worker_threads`); see `jobs-worker.ts`.
 * @module
 */

import { parentPort } from "node:worker_threads";

import { nodeIntrinsics } from "./intrinsics.js";
import { serveJobs } from "./jobs-worker.js";

const port = parentPort!;
serveJobs({ post: (m, transfer) => port.postMessage(m, transfer), onMessage: (h) => port.on("message", h) }, nodeIntrinsics);
