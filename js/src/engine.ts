// @ts-self-types="./engine.d.ts"
/**
 * One engine instance on one repository: the wasm module loaded once per thread, a host
 * object (the platform's storage, randomness, clock, events, crypto intrinsics, a
 * {@link JobPool} when it runs jobs on several workers), and synchronous `call` / `write`
 * / `read` that turn whatever the engine throws into a {@link CairnError}. Nothing here is
 * specific to a runtime: a {@link Platform} supplies that.
 * @module
 */

import init, { Engine, checkStorage as runStorageSuite, takePanicMessage } from "../pkg/cairn_bindgen.js";
import { CairnError, toCairnError } from "./errors.js";
import type { OperationName } from "./generated/api.js";
import type { Answer, Args } from "./types.js";
import type { Intrinsics } from "./intrinsics.js";
import type { Location, Platform, StorageMethods } from "./platform.js";
import { JobPool, type JobWorkers } from "./pool.js";

/** Receives the engine's events: name and parsed payload. */
export type EventSink = (name: string, payload: unknown) => void;

let loaded: Promise<unknown> | undefined;
let compiled: WebAssembly.Module | undefined;

/** Compiles and instantiates the wasm module once per thread, from `platform`'s bytes. */
export function loadModule(platform: Platform): Promise<unknown> {
  loaded ??= Promise.resolve(platform.moduleBytes())
    .then((bytes) => WebAssembly.compile(bytes))
    .then((m) => {
      compiled = m;
      return init({ module_or_path: m });
    });
  return loaded;
}

/** The compiled module, which job workers instantiate too (once {@link loadModule} resolved). */
function compiledModule(): WebAssembly.Module {
  if (compiled === undefined) throw new CairnError("Internal", "internal error (a bug in Cairn, please report it): the module is not loaded");
  return compiled;
}

/** What an engine is built from. */
export interface EngineOptions {
  /** The repository's location, which `platform` turns into storage. */
  location: Location;
  /** The runtime's engine side: storage, process liveness. */
  platform: Platform;
  /** Receives events. */
  onEvent: EventSink;
  /** Crypto intrinsics; `undefined` runs the engine's pure-Rust implementations. */
  intrinsics?: Intrinsics;
  /**
   * How many jobs (sealing, opening blobs) run at once, on a pool of job workers started by
   * `workers`; absent, or `threads` 1, runs every job on the engine's own instance.
   */
  jobs?: { threads: number; workers?: JobWorkers };
}

/** What the host object is made of. */
type HostParts = Pick<EngineOptions, "onEvent" | "intrinsics"> & Partial<Pick<Platform, "processAlive">>;

/** The JS host object of `core-wasm/bindgen`: storage plus randomness, clock, events, crypto, jobs. */
function hostObject(o: HostParts, storage: StorageMethods, pool?: JobPool): object {
  const jobs = pool && {
    jobThreads: () => pool.threads,
    submitJobs: (shares: Uint8Array[]) => pool.submit(shares),
    collectJobs: (ticket: number) => pool.collect(ticket),
  };
  return {
    get: (key: string) => storage.get(key),
    getRange: (key: string, offset: number, len: number) => storage.getRange(key, offset, len),
    put: (key: string, data: Uint8Array) => storage.put(key, data),
    putNew: (key: string, data: Uint8Array) => storage.putNew(key, data),
    list: (prefix: string) => storage.list(prefix),
    delete: (key: string) => storage.delete(key),
    ...(storage.willRead === undefined ? {} : { willRead: (reads: string) => storage.willRead?.(reads) }),
    random: (buf: Uint8Array) => globalThis.crypto.getRandomValues(buf),
    nowMs: () => Date.now(),
    processAlive: o.processAlive ?? (() => undefined),
    event: (name: string, payload: string) => o.onEvent(name, JSON.parse(payload)),
    ...o.intrinsics,
    ...jobs,
  };
}

/** The engine on the calling thread, synchronous; errors are {@link CairnError}s. */
export class SyncEngine {
  readonly #engine: Engine;
  readonly #pool: JobPool | undefined;

  /**
   * Starts an engine; the module must be loaded ({@link loadModule}). Its job workers, if
   * `options.jobs` asks for several, start with the first batch.
   */
  constructor(options: EngineOptions) {
    const { threads = 1, workers } = options.jobs ?? {};
    if (threads > 1 && typeof SharedArrayBuffer === "undefined") {
      throw new CairnError(
        "InvalidArgument",
        "invalid argument: `threads` above 1 needs SharedArrayBuffer, which a page has only when it is served cross-origin isolated (headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp); use `threads: 1` or serve it so",
      );
    }
    const pool = threads > 1 && workers ? new JobPool(threads, workers, compiledModule()) : undefined;
    const { platform, location } = options;
    const storage = platform.storage(location);
    this.#engine = guard(() => new Engine(hostObject({ ...options, processAlive: platform.processAlive }, storage, pool)));
    this.#pool = pool;
  }

  /** Starts the job workers now, where the platform needs that (see {@link JobPool.warm}). */
  async warm(): Promise<void> {
    await this.#pool?.warm();
  }

  /** Runs one operation of the engine's table; answers its typed answer. */
  call<K extends OperationName>(op: K, args: Args<K>): Answer<K> {
    return JSON.parse(guard(() => this.#engine.call(op, JSON.stringify(args)))) as Answer<K>;
  }

  /** Feeds bytes to an ingest session. */
  write(session: number, bytes: Uint8Array): void {
    guard(() => this.#engine.write(session, bytes));
  }

  /** The next block of a restore session; empty at the end. */
  read(session: number): Uint8Array {
    return guard(() => this.#engine.read(session));
  }

  /** Closes the repository (releasing locks), frees the instance and stops its job workers. */
  close(): void {
    try {
      guard(() => this.#engine.close());
    } finally {
      this.#engine.free();
      this.#pool?.close();
    }
  }
}

/**
 * Runs the engine's storage conformance suite (`cairn_core::conformance`, the one the CLI's
 * storage passes) against `storage`, which must be empty; throws a {@link CairnError}
 * naming the first failed check. The module must be loaded ({@link loadModule}).
 */
export function checkStorage(storage: StorageMethods): void {
  guard(() => runStorageSuite(hostObject({ onEvent: () => {} }, storage)));
}

/** Runs `f`, turning what the engine throws (and a trap, with its panic message) into a {@link CairnError}. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      const message = takePanicMessage() ?? e.message;
      throw new CairnError("Internal", `internal error (a bug in Cairn, please report it): ${message}`, { cause: e });
    }
    throw toCairnError(e);
  }
}
