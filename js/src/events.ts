// @ts-self-types="./events.d.ts"
/**
 * The events of a repository, on the runtime's own `EventTarget`.
 * @module
 */

import type { CairnEvents, Subscription } from "./types.js";

/** Delivers the engine's events to the handlers registered with `on`. */
export class Events {
  readonly #target = new EventTarget();

  /** Calls `handler` with each payload of `event` until unsubscribed. */
  on<E extends keyof CairnEvents>(event: E, handler: (payload: CairnEvents[E]) => void): Subscription {
    const listener = (e: Event) => handler((e as CustomEvent<CairnEvents[E]>).detail);
    this.#target.addEventListener(event, listener);
    return { unsubscribe: () => this.#target.removeEventListener(event, listener) };
  }

  /** Delivers one event to its handlers. */
  emit(name: string, payload: unknown): void {
    this.#target.dispatchEvent(new CustomEvent(name, { detail: payload }));
  }
}
