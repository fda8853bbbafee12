// @ts-self-types="./link.d.ts"
/**
 * How a {@link Repository} reaches its engine: an asynchronous link, so that the engine can
 * run on the calling thread or in a worker behind the same methods.
 * @module
 */

import { CairnError } from "./errors.js";
import { SyncEngine, loadModule, type EventSink } from "./engine.js";
import type { OperationName } from "./generated/api.js";
import type { JobWorkers } from "./pool.js";
import type { Location, Platform } from "./platform.js";
import type { Answer, Args } from "./types.js";

/** An engine seen from the thread that owns the repository. */
export interface EngineLink {
  /** Runs one operation of the engine's table with its typed arguments; answers its typed answer. */
  call<K extends OperationName>(op: K, args: Args<K>): Promise<Answer<K>>;
  /** Feeds bytes to an ingest session. */
  write(session: number, bytes: Uint8Array): Promise<void>;
  /** The next block of a restore session; empty at the end. */
  read(session: number): Promise<Uint8Array>;
  /** Closes the repository and stops the engine. */
  close(): Promise<void>;
}

/** What starting an engine needs, on whichever thread it runs; it crosses to a worker. */
export interface StartOptions {
  /** The repository's location. */
  location: Location;
  /** Receives events. */
  onEvent: EventSink;
  /** Whether the engine uses the platform's crypto intrinsics (else its own). */
  intrinsics: boolean;
  /** How many jobs run at once, and on which workers. */
  jobs: { threads: number; workers?: JobWorkers };
}

/** Starts an engine for a repository: on this thread or in a worker. */
export type StartEngine = (options: StartOptions) => Promise<EngineLink>;

/**
 * Starts engines on the calling thread of `platform`. Events are delivered on a microtask
 * after the engine call that raised them, so a handler may call the repository again.
 */
export const inline = (platform: Platform): StartEngine => async (options) => {
  await loadModule(platform);
  const onEvent = options.onEvent;
  const engine = new SyncEngine({
    ...options,
    platform,
    intrinsics: options.intrinsics ? platform.intrinsics : undefined,
    onEvent: (name, payload) => queueMicrotask(() => onEvent(name, payload)),
  });
  let open = true;
  const live = (): SyncEngine => {
    if (!open) throw new CairnError("InvalidArgument", "invalid argument: this repository is closed");
    return engine;
  };
  return {
    call: async (op, args) => live().call(op, args),
    write: async (session, bytes) => live().write(session, bytes),
    read: async (session) => live().read(session),
    close: async () => {
      if (open) {
        open = false;
        engine.close();
      }
    },
  };
};
