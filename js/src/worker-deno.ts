// @ts-self-types="./worker-deno.d.ts"
/**
 * The engine's worker in Deno (a web `Worker` of type module); see `worker.ts`.
 * @module
 */

import { fsPlatform } from "./platform-fs.js";
import { denoJobWorkers } from "./pool-deno.js";
import { serveEngine } from "./worker.js";

/** The worker's global scope, as far as it is used here. */
const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
};
serveEngine({ post: (m, transfer) => scope.postMessage(m, transfer ?? []), onMessage: (h) => (scope.onmessage = (e) => h(e.data)) }, fsPlatform, denoJobWorkers);
