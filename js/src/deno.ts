// @ts-self-types="./deno.d.ts"
/**
 * Cairn for Deno: `Repository` (API.md) whose `restore` resolves to a web `ReadableStream`.
 * @module
 */

import { startInline } from "./link.js";
import { RepositoryCore, type Connection } from "./repository.js";

export { CairnError, type CairnErrorCode } from "./errors.js";
export { DEFAULT_ITEM_NAME } from "./repository.js";
export type * from "./types.js";

/** A Cairn repository on the local file system: `Repository.init(path)`, `Repository.open(path)`. */
export class Repository extends RepositoryCore<ReadableStream<Uint8Array>> {
  /** Where the engine runs (see docs/DESIGN-js.md). */
  static readonly startEngine = startInline;

  /** Used by `init` and `open`; not for applications. */
  static fromConnection(c: Connection): Repository {
    return new Repository(c);
  }

  /** A web `ReadableStream` of the restored bytes; cancelling it ends the restore. */
  protected override output(blocks: AsyncIterableIterator<Uint8Array>): ReadableStream<Uint8Array> {
    // `ReadableStream.from` (Deno, WHATWG Streams) is missing from TypeScript's DOM library.
    const from = (ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> }).from;
    return from.call(ReadableStream, blocks);
  }
}
