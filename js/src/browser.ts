// @ts-self-types="./browser.d.ts"
/**
 * Cairn in a web page: `Repository.open(source)` on a folder a person picked or dropped,
 * or on the URL of a served repository, read-only, with the engine in a module worker so the page never waits on it. It is the
 * same `Repository` as in Node and Deno (`repository.ts`); `restore` resolves to a web
 * `ReadableStream`, and every method that would write rejects with `ReadOnly` (the
 * engine's refusal: the folder's storage refuses every write).
 * Import it from a page with no bundler: `import { Repository } from ".../dist/browser.js"`.
 * @module
 */

import { CairnError } from "./errors.js";
import type { StartEngine } from "./link.js";
import type { OpenOptions } from "./types.js";
import { browserLocator, type BrowserSource } from "./platform-browser.js";
import type { JobWorkers } from "./pool.js";
import { connect, RepositoryCore, type Connection } from "./repository.js";
import { toReadableStream } from "./streams.js";
import { webEngineWorker, webJobWorkers } from "./web-workers.js";

export { CairnError, type CairnErrorCode } from "./errors.js";
export { ANY_OP_ERRORS, DEFAULT_ITEM_NAME, ERROR_CODES } from "./generated/api.js";
export type * from "./types.js";
export { folderFiles, type BrowserSource, type FolderFiles } from "./platform-browser.js";

/** A Cairn repository opened in a web page, read-only: `Repository.open(source)`. */
export class Repository extends RepositoryCore<ReadableStream<Uint8Array>> {
  /** How `open` starts a worker; not for applications. */
  static readonly startInWorker: StartEngine = webEngineWorker(new URL("./worker-browser.js", import.meta.url));

  /** A page's thread cannot read files synchronously: `thread: "inline"` is refused. */
  static readonly startInline: StartEngine = () =>
    Promise.reject(new CairnError("InvalidArgument", "invalid argument: in a web page the engine runs in a worker only (`thread: \"inline\"` cannot read files)"));

  /** How `open` starts job workers; not for applications. */
  static readonly jobWorkers: JobWorkers = webJobWorkers(new URL("./worker-jobs-browser.js", import.meta.url));

  /** How `open` finds repositories; not for applications. */
  static readonly locator = browserLocator;

  /** The page loads its workers by URL; nothing to check beforehand. */
  static readonly workerFiles: readonly URL[] = [];

  /** Used by `open`; not for applications. */
  static fromConnection(c: Connection): Repository {
    return new Repository(c);
  }

  /**
   * Opens the repository in `source`: a `FileList` from `<input type="file" webkitdirectory>`,
   * `File`s with their `webkitRelativePath`, a `FileSystemDirectoryHandle`
   * (`showDirectoryPicker()`, drag and drop), or the `http(s)://` URL of a repository a
   * static server or public bucket serves (relative to the page, too; another origin must
   * allow it with CORS). `passphrase` for an encrypted one; without
   * it, `verify({ level: "standard", keyless: true })` still checks every pack.
   */
  static override async open<T>(this: { fromConnection(c: Connection): T }, source: BrowserSource, options: OpenOptions = {}): Promise<T> {
    return this.fromConnection(await connect(Repository, "open", source, options));
  }

  /** A web `ReadableStream` of the restored bytes; cancelling it ends the restore. */
  protected override output(blocks: AsyncIterableIterator<Uint8Array>): ReadableStream<Uint8Array> {
    return toReadableStream(blocks);
  }
}
