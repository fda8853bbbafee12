// @ts-self-types="./http-bridge.d.ts"
/**
 * Synchronous HTTP requests in Node and Deno, which have no synchronous HTTP client: the calling
 * thread (the engine's worker) posts the request to a fetch worker and blocks in
 * `Atomics.wait` on a `SharedArrayBuffer` until that worker's `fetch` has put the answer
 * into shared memory (docs/DESIGN.md §27). One fetch worker per thread,
 * started at the first request, `unref()`ed so that it never keeps a process alive.
 *
 * Requests to S3 are signed (SigV4) on the fetch worker by `aws4fetch`, whose signing is
 * asynchronous (WebCrypto) and so could not run on the blocked thread (docs/DESIGN.md §29);
 * it is imported at the first signed request, so that nothing else depends on resolving it.
 *
 * The protocol, on a control array `[state, status, length]`: the caller sets `state` 0,
 * posts `{request, timeoutMs, ctrl, data}` and waits while `state` is 0; the worker
 * answers `state` 1 with `status` (−1: no answer; the body is then the reason) and the
 * body's `length` in `data`, or first `state` 2 when the body does not fit, and the caller
 * posts a buffer of at least `length` bytes (`{data}`) before it waits again.
 * @module
 */

import { Worker } from "node:worker_threads";

import type { HttpAnswer, HttpRequest, SyncFetch } from "./storage-http.js";

/** The script of the fetch worker. */
export const FETCH_WORKER_URL = new URL("./worker-fetch.js", import.meta.url);

/** How long a request may wait for its first answer (headers): a host that never answers is given up on. */
const FIRST_ANSWER_MS = 30_000;

/** What the caller allows beyond a request's own time-out before it gives up on the worker. */
const GRACE_MS = 5_000;

/** The control array's states. */
const PENDING = 0;
const DONE = 1;
const NEED_BUFFER = 2;

/** The fetch worker of this thread and what it shares with it. */
let bridge: { worker: Worker; ctrl: Int32Array; data: SharedArrayBuffer } | undefined;

function started(): NonNullable<typeof bridge> {
  if (bridge === undefined) {
    const worker = new Worker(FETCH_WORKER_URL);
    worker.unref();
    bridge = { worker, ctrl: new Int32Array(new SharedArrayBuffer(12)), data: new SharedArrayBuffer(1 << 20) };
  }
  return bridge;
}

/** One synchronous request, performed by `fetch` on the fetch worker. */
export const bridgeFetch: SyncFetch = (request, timeoutMs): HttpAnswer => {
  const b = started();
  const { ctrl } = b;
  Atomics.store(ctrl, 0, PENDING);
  b.worker.postMessage({ request, timeoutMs, ctrl: ctrl.buffer, data: b.data });
  for (;;) {
    if (Atomics.wait(ctrl, 0, PENDING, timeoutMs + GRACE_MS) === "timed-out") {
      // The worker is stuck or gone: a new one serves the next request.
      void b.worker.terminate();
      bridge = undefined;
      return { failure: `no answer within ${timeoutMs / 1000} s` };
    }
    if (Atomics.load(ctrl, 0) === DONE) break;
    // NEED_BUFFER: the body is larger than the shared buffer; grow it by doubling.
    let size = b.data.byteLength;
    while (size < ctrl[2]!) size *= 2;
    b.data = new SharedArrayBuffer(size);
    Atomics.store(ctrl, 0, PENDING);
    b.worker.postMessage({ data: b.data });
  }
  const status = ctrl[1]!;
  const body = new Uint8Array(b.data, 0, ctrl[2]!).slice();
  return status < 0 ? { failure: new TextDecoder().decode(body) } : { status, body };
};

/** SigV4 signing keys derived once per day, region and secret (what `aws4fetch` caches). */
const signingKeys = new Map<string, ArrayBuffer>();

/** Performs `r` with `fetch`, signed first when it says so. */
async function send(r: HttpRequest, signal: AbortSignal): Promise<Response> {
  // A clone's body is a view of its own (non-shared) ArrayBuffer.
  const init = { method: r.method ?? "GET", headers: r.headers ?? {}, body: r.body as Uint8Array<ArrayBuffer> | undefined };
  if (r.sign === undefined) return fetch(r.url, { ...init, signal });
  const { accessKeyId, secretAccessKey, sessionToken, region } = r.sign;
  const { AwsV4Signer } = await import("aws4fetch");
  const signed = await new AwsV4Signer({ ...init, url: r.url, accessKeyId, secretAccessKey, sessionToken, region, service: "s3", cache: signingKeys }).sign();
  return fetch(signed.url, { method: signed.method, headers: signed.headers, body: init.body, signal });
}

/** Why a `fetch` failed, for people: the cause's code where there is one (`ECONNREFUSED`). */
function reason(e: unknown, timeoutMs: number, answered: boolean): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") {
    return answered ? `the answer did not arrive within ${timeoutMs / 1000} s` : `no answer within ${Math.min(timeoutMs, FIRST_ANSWER_MS) / 1000} s`;
  }
  const cause = err?.cause?.code ?? err?.cause?.message;
  return `cannot reach the server: ${cause ? `${err?.message} (${cause})` : (err?.message ?? String(e))}`;
}

/** A request as the fetch worker receives it. */
interface Request {
  request: HttpRequest;
  timeoutMs: number;
  ctrl: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

/** Serves requests in the fetch worker: `onMessage` receives every message from the caller. */
export function serveFetches(onMessage: (handler: (message: unknown) => void) => void): void {
  let moreRoom: ((data: SharedArrayBuffer) => void) | undefined;
  onMessage((message) => {
    const m = message as Request | { data: SharedArrayBuffer };
    if (!("request" in m)) {
      moreRoom?.(m.data);
      return;
    }
    void (async () => {
      const ctrl = new Int32Array(m.ctrl);
      let status: number;
      let body: Uint8Array;
      const abort = new AbortController();
      let answered = false;
      const timers = [
        setTimeout(() => answered || abort.abort(new DOMException("no first answer", "TimeoutError")), Math.min(m.timeoutMs, FIRST_ANSWER_MS)),
        setTimeout(() => abort.abort(new DOMException("too slow", "TimeoutError")), m.timeoutMs),
      ];
      try {
        const res = await send(m.request, abort.signal);
        answered = true;
        body = new Uint8Array(await res.arrayBuffer());
        status = res.status;
      } catch (e) {
        status = -1;
        body = new TextEncoder().encode(reason(e, m.timeoutMs, answered));
      } finally {
        timers.forEach(clearTimeout);
      }
      let data = m.data;
      if (body.length > data.byteLength) {
        ctrl[2] = body.length;
        data = await new Promise<SharedArrayBuffer>((resolve) => {
          moreRoom = resolve;
          Atomics.store(ctrl, 0, NEED_BUFFER);
          Atomics.notify(ctrl, 0);
        });
      }
      new Uint8Array(data).set(body);
      ctrl[1] = status;
      ctrl[2] = body.length;
      Atomics.store(ctrl, 0, DONE);
      Atomics.notify(ctrl, 0);
    })();
  });
}
