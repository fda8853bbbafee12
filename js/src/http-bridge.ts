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
 *
 * Between requests the caller may post a hint, `{hint, timeoutMs}`: the reads the engine
 * announced it makes next (docs/DESIGN.md §28). The worker fetches them ahead, up to
 * {@link IN_FLIGHT} at once within {@link BUDGET} bytes, as the CLI's
 * `host/src/storage/ahead.rs` does, and answers the request that follows from what it
 * fetched. A fetch ahead that failed or answered anything but 2xx is dropped, and the
 * request is made again, so every answer and error is the request's own.
 * @module
 */

import { Worker } from "node:worker_threads";

import type { HintFetch, HttpAnswer, HttpRequest, SyncFetch } from "./storage-http.js";

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

/** Asks the fetch worker to fetch `reads` ahead, replacing what an earlier hint asked for. */
export const bridgeHint: HintFetch = (reads, timeoutMs) => {
  started().worker.postMessage({ hint: reads, timeoutMs });
};

/** Requests fetched ahead at once, at most (the CLI's `IN_FLIGHT`). */
export const IN_FLIGHT = 6;
/** Bytes fetched ahead and being fetched, at most (a read larger than this alone still goes). */
export const BUDGET = 64 << 20;

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

/** A hint as the fetch worker receives it. */
interface Hint {
  hint: { request: HttpRequest; size: number }[];
  timeoutMs: number;
}

/** What one request answered: status and body, status −1 with the reason as body when there was no answer. */
type Answer = { status: number; body: Uint8Array };

/** Performs `request` with `fetch`, bounded by `timeoutMs` (and the first answer by {@link FIRST_ANSWER_MS}). */
async function perform(request: HttpRequest, timeoutMs: number): Promise<Answer> {
  const abort = new AbortController();
  let answered = false;
  const timers = [
    setTimeout(() => answered || abort.abort(new DOMException("no first answer", "TimeoutError")), Math.min(timeoutMs, FIRST_ANSWER_MS)),
    setTimeout(() => abort.abort(new DOMException("too slow", "TimeoutError")), timeoutMs),
  ];
  try {
    const res = await send(request, abort.signal);
    answered = true;
    const body = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, body };
  } catch (e) {
    return { status: -1, body: new TextEncoder().encode(reason(e, timeoutMs, answered)) };
  } finally {
    timers.forEach(clearTimeout);
  }
}

/** What identifies a request for fetching ahead: method, URL and range. */
function keyOf(r: HttpRequest): string {
  return `${r.method ?? "GET"} ${r.url} ${r.headers?.["Range"] ?? ""}`;
}

/** A read fetched ahead or being fetched. */
interface Slot {
  answer: Promise<Answer>;
  /** Its share of {@link BUDGET}. */
  cost: number;
  /** False once a later hint left it out: dropped when its fetch ends. */
  keep: boolean;
  /** Whether its fetch ended. */
  done: boolean;
}

/** The reads the fetch worker fetches ahead (see the module docs). */
class Ahead {
  #queue: { request: HttpRequest; size: number }[] = [];
  #timeoutMs = 0;
  readonly #slots = new Map<string, Slot>();
  #held = 0;
  #running = 0;

  /** Replaces what to fetch ahead with `hint`. */
  hint(h: Hint): void {
    const wanted = new Set(h.hint.map((r) => keyOf(r.request)));
    for (const [key, slot] of this.#slots) {
      slot.keep = wanted.has(key);
      if (!slot.keep && slot.done) this.#drop(key);
    }
    this.#queue = h.hint.filter((r) => !this.#slots.has(keyOf(r.request)));
    this.#timeoutMs = h.timeoutMs;
    this.#pump();
  }

  /** The answer to `request` if it was fetched ahead or is being fetched; `undefined` when it must be made. */
  take(request: HttpRequest): Promise<Answer> | undefined {
    const key = keyOf(request);
    const method = request.method ?? "GET";
    if (method !== "GET") {
      // A write or delete: forget what was fetched of the object.
      for (const k of [...this.#slots.keys()]) if (k.split(" ")[1] === request.url) this.#drop(k);
      this.#queue = this.#queue.filter((r) => r.request.url !== request.url);
      return undefined;
    }
    this.#queue = this.#queue.filter((r) => keyOf(r.request) !== key);
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    this.#drop(key);
    return slot.answer;
  }

  #drop(key: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined) return;
    this.#slots.delete(key);
    this.#held -= slot.cost;
    this.#pump();
  }

  #pump(): void {
    while (this.#running < IN_FLIGHT && this.#queue.length > 0) {
      const next = this.#queue[0]!;
      const cost = Math.max(next.size, 64 << 10);
      if (this.#held > 0 && this.#held + cost > BUDGET) return;
      this.#queue.shift();
      const key = keyOf(next.request);
      this.#running++;
      this.#held += cost;
      const slot: Slot = { cost, keep: true, done: false, answer: perform(next.request, this.#timeoutMs) };
      this.#slots.set(key, slot);
      void slot.answer.then((a) => {
        this.#running--;
        slot.done = true;
        // Failed, not wanted any more: dropped (a request that took it makes its own).
        if (this.#slots.get(key) === slot && (!slot.keep || a.status < 200 || a.status > 299)) this.#drop(key);
        this.#pump();
      });
    }
  }
}

/** Serves requests in the fetch worker: `onMessage` receives every message from the caller. */
export function serveFetches(onMessage: (handler: (message: unknown) => void) => void): void {
  let moreRoom: ((data: SharedArrayBuffer) => void) | undefined;
  const ahead = new Ahead();
  onMessage((message) => {
    const m = message as Request | Hint | { data: SharedArrayBuffer };
    if ("hint" in m) {
      ahead.hint(m);
      return;
    }
    if (!("request" in m)) {
      moreRoom?.(m.data);
      return;
    }
    void (async () => {
      const ctrl = new Int32Array(m.ctrl);
      const early = ahead.take(m.request);
      let a = early === undefined ? undefined : await early;
      // Fetched ahead and failed: made again, so that the answer is the request's own.
      if (a === undefined || a.status < 200 || a.status > 299) a = await perform(m.request, m.timeoutMs);
      const { status, body } = a;
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
