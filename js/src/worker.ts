// @ts-self-types="./worker.d.ts"
/**
 * The engine in a worker (docs/DESIGN-js.md): the thread that owns a {@link Repository}
 * posts requests, the worker runs them on a {@link SyncEngine} with synchronous file
 * access, in order, and posts back answers and events. Both sides are here; each
 * runtime's entry supplies how a worker is spawned and how it talks (`WorkerPort`).
 * @module
 */

import { CairnError, toCairnError } from "./errors.js";
import { SyncEngine, loadModule } from "./engine.js";
import type { OperationName } from "./generated/api.js";
import type { EngineLink, StartOptions } from "./link.js";
import type { Location, Platform } from "./platform.js";
import type { JobWorkers } from "./pool.js";

/** One side of a worker's message channel. */
export interface WorkerPort {
  /** Sends a message, moving the buffers in `transfer`. */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Receives every message. */
  onMessage(handler: (message: unknown) => void): void;
}

/** The worker as its owner sees it: a port it can also stop and let the process exit around. */
export interface SpawnedWorker extends WorkerPort {
  /** Stops the worker. */
  terminate(): void;
  /** Whether the worker keeps the process alive (it must while a request is pending). */
  keepAlive(alive: boolean): void;
  /** Receives the worker's own failure (it could not start, or died). */
  onError(handler: (message: string) => void): void;
}

/** A request to the worker. */
type Request =
  | { id: number; kind: "start"; location: Location; intrinsics: boolean; threads: number }
  | { id: number; kind: "call"; op: OperationName; args: object }
  | { id: number; kind: "write"; session: number; bytes: Uint8Array }
  | { id: number; kind: "read"; session: number }
  | { id: number; kind: "close" };

/** A request before it is numbered. */
type Unnumbered<R> = R extends unknown ? Omit<R, "id"> : never;

/** What the worker posts back: an answer to request `id`, or an event. */
type Reply =
  | { id: number; ok: unknown }
  | { id: number; error: { code: string; message: string } }
  | { event: string; payload: unknown };

/** Restore blocks asked for before the reader wants them. */
const READ_AHEAD = 4;

/** Writes in flight before `write` waits: keeps the worker busy while the next block is read. */
const WRITE_WINDOW = 4;

/**
 * Serves requests in the worker until `close`, with `platform`'s storage and intrinsics;
 * the engine's job workers (if any) come from `jobWorkers`.
 */
export function serveEngine(port: WorkerPort, platform: Platform, jobWorkers: JobWorkers): void {
  let engine: SyncEngine | undefined;
  const run = async (r: Request): Promise<unknown> => {
    switch (r.kind) {
      case "start":
        await loadModule(platform);
        engine = new SyncEngine({
          location: r.location,
          platform,
          intrinsics: r.intrinsics ? platform.intrinsics : undefined,
          jobs: { threads: r.threads, workers: jobWorkers },
          onEvent: (event, payload) => port.post({ event, payload } satisfies Reply),
        });
        if (platform.warmJobWorkers) await engine.warm();
        return null;
      case "close":
        engine?.close();
        engine = undefined;
        return null;
    }
    if (engine === undefined) throw new CairnError("InvalidArgument", "invalid argument: this repository is closed");
    switch (r.kind) {
      case "call":
        return engine.call(r.op, r.args as never);
      case "write":
        return engine.write(r.session, r.bytes);
      case "read":
        return engine.read(r.session);
    }
  };
  // Requests run strictly in order, like calls on one thread.
  let queue: Promise<void> = Promise.resolve();
  port.onMessage((message) => {
    const r = message as Request;
    queue = queue.then(async () => {
      try {
        const ok = await run(r);
        port.post({ id: r.id, ok } satisfies Reply, ok instanceof Uint8Array ? [ok.buffer as ArrayBuffer] : []);
      } catch (e) {
        const { code, message } = toCairnError(e);
        port.post({ id: r.id, error: { code, message } } satisfies Reply);
      }
    });
  });
}

/** Starts an engine in `worker` and answers a link to it. */
export async function linkToWorker(worker: SpawnedWorker, options: StartOptions): Promise<EngineLink> {
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  worker.keepAlive(false);
  worker.onMessage((message) => {
    const m = message as Reply;
    if ("event" in m) {
      options.onEvent(m.event, m.payload);
      return;
    }
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (pending.size === 0) worker.keepAlive(false);
    if ("error" in m) p?.reject(new CairnError(m.error.code as CairnError["code"], m.error.message));
    else p?.resolve(m.ok);
  });
  worker.onError((message) => {
    closed = true;
    for (const p of pending.values()) p.reject(new CairnError("Internal", `internal error (a bug in Cairn, please report it): the engine's worker failed: ${message}`));
    pending.clear();
    worker.terminate();
  });
  const request = (r: Unnumbered<Request>, transfer: ArrayBuffer[] = []): Promise<unknown> => {
    if (closed) return Promise.reject(new CairnError("InvalidArgument", "invalid argument: this repository is closed"));
    const id = nextId++;
    if (pending.size === 0) worker.keepAlive(true);
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.post({ ...r, id }, transfer);
    });
  };
  // Writes do not wait for their answers up to WRITE_WINDOW; the first failure surfaces
  // at the next write or call (the engine refuses a session's writes after one failed).
  let writes: Promise<unknown>[] = [];
  const drain = async () => {
    const w = writes;
    writes = [];
    await Promise.all(w);
  };
  const ahead = new Map<number, Promise<unknown>[]>();
  const link: EngineLink = {
    async call(op, args) {
      await drain();
      if (op === "restore_end") ahead.delete((args as { session: number }).session);
      return (await request({ kind: "call", op, args })) as never;
    },
    async write(session, bytes) {
      // A copy of just the view, moved to the worker: posting `bytes` itself would clone the
      // whole buffer under it (a 1 MiB block of a 512 MiB Uint8Array clones 512 MiB).
      // (`new Uint8Array(view)` copies; `slice` would not on a Node Buffer.)
      const own = new Uint8Array(bytes);
      const answer = request({ kind: "write", session, bytes: own }, [own.buffer]);
      answer.catch(() => {}); // Observed through `writes`; no unhandled rejection meanwhile.
      writes.push(answer);
      if (writes.length >= WRITE_WINDOW) await writes.shift();
    },
    async read(session) {
      await drain();
      // Blocks are asked for ahead, so the worker restores while the reader writes.
      const queue = ahead.get(session) ?? [];
      ahead.set(session, queue);
      while (queue.length < READ_AHEAD) {
        const next = request({ kind: "read", session });
        next.catch(() => {}); // Observed by a later read, or dropped with the session.
        queue.push(next);
      }
      const block = (await queue.shift()) as Uint8Array;
      if (block.length === 0) ahead.delete(session);
      return block;
    },
    async close() {
      if (closed) return;
      try {
        await drain().catch(() => {});
        await request({ kind: "close" });
      } finally {
        closed = true;
        worker.terminate();
      }
    },
  };
  try {
    await request({
      kind: "start",
      location: options.location,
      intrinsics: options.intrinsics,
      threads: options.jobs.threads,
    });
  } catch (e) {
    closed = true;
    worker.terminate();
    throw e;
  }
  return link;
}
