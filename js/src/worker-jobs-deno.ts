// @ts-self-types="./worker-jobs-deno.d.ts"
/**
 * A job worker in Deno (a web `Worker` of type module); see `jobs-worker.ts`.
 * @module
 */

import { nodeIntrinsics } from "./intrinsics.js";
import { serveJobs } from "./jobs-worker.js";

/** The worker's global scope, as far as it is used here. */
const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
};
serveJobs({ post: (m, transfer) => scope.postMessage(m, transfer ?? []), onMessage: (h) => (scope.onmessage = (e) => h(e.data)) }, nodeIntrinsics);
