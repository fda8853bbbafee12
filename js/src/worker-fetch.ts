// @ts-self-types="./worker-fetch.d.ts"
/**
 * The fetch worker of Node and Deno (`node:worker_threads`): performs the GETs that
 * `http-bridge.ts` blocks on.
 * @module
 */

import { parentPort } from "node:worker_threads";

import { serveFetches } from "./http-bridge.js";

const port = parentPort!;
serveFetches((h) => port.on("message", h));
