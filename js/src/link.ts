// @ts-self-types="./link.d.ts"
/**
 * How a {@link Repository} reaches its engine: an asynchronous link, so that the engine can
 * run on the calling thread or in a worker behind the same methods.
 * @module
 */

import { CairnError } from "./errors.js";
import { SyncEngine, loadModule, type EngineOptions } from "./engine.js";
import type { OperationName } from "./generated/api.js";
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

/** Starts an engine for a repository: on this thread or in a worker. */
export type StartEngine = (options: EngineOptions) => Promise<EngineLink>;

/**
 * The engine on the calling thread. Events are delivered on a microtask after the engine
 * call that raised them, so a handler may call the repository again.
 */
export async function startInline(options: EngineOptions): Promise<EngineLink> {
  await loadModule();
  const onEvent = options.onEvent;
  const engine = new SyncEngine({
    ...options,
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
}
