// @ts-self-types="./node.d.ts"
/**
 * Cairn for Node: `Repository` (API.md) whose `restore` resolves to a Node `Readable`.
 * @module
 */

import { Readable } from "node:stream";

import { startInline } from "./link.js";
import { RepositoryCore, type Connection } from "./repository.js";

export { CairnError, type CairnErrorCode } from "./errors.js";
export { DEFAULT_ITEM_NAME } from "./repository.js";
export type * from "./types.js";

/** A Cairn repository on the local file system: `Repository.init(path)`, `Repository.open(path)`. */
export class Repository extends RepositoryCore<Readable> {
  /** Where the engine runs (see docs/DESIGN-js.md). */
  static readonly startEngine = startInline;

  /** Used by `init` and `open`; not for applications. */
  static fromConnection(c: Connection): Repository {
    return new Repository(c);
  }

  /** A Node `Readable` of the restored bytes (`.pipe()` works). */
  protected override output(blocks: AsyncIterableIterator<Uint8Array>): Readable {
    return Readable.from(blocks, { objectMode: false });
  }
}
