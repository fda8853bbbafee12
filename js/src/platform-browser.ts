// @ts-self-types="./platform-browser.d.ts"
/**
 * The platform of web pages: the engine runs in a module worker, reads a repository that
 * a person picked or dropped (a `FileList` from `<input type="file" webkitdirectory>`,
 * `File`s, or a `FileSystemDirectoryHandle`) synchronously with `FileReaderSync`, or one
 * served over HTTP(S) (an `http(s)://` URL, or one relative to the page) with synchronous
 * XHR (`storage-http.ts`, `http-xhr.ts`), and uses
 * its own SHA-256 and AES-GCM (the browser has no synchronous WebCrypto). The repository
 * is read-only: every write is refused with the storage status `ReadOnly`, so reading
 * operations take no lock (docs/DESIGN-js.md).
 * @module
 */

import { validateKey } from "../pkg/cairn_bindgen.js";
import { CairnError, StorageFailure } from "./errors.js";
import { xhrGet } from "./http-xhr.js";
import { MODULE_URL, type KeyedFile, type Locator, type Platform, type StorageMethods } from "./platform.js";
import { HttpStorage, httpLocation, ReadOnlyStorage } from "./storage-http.js";

/** `FileReaderSync`, which only workers have (missing from TypeScript's DOM library). */
declare const FileReaderSync: { new (): { readAsArrayBuffer(blob: Blob): ArrayBuffer } };

/**
 * What a page may open: a picked folder's files, the handle of a folder, or the URL of a
 * served repository (absolute, or relative to the page).
 */
export type BrowserSource = FileList | File[] | FileSystemDirectoryHandle | string;

/** Read-only storage over a folder's files, by repository-relative key. */
export class FilesStorage extends ReadOnlyStorage implements StorageMethods {
  readonly #files: Map<string, Blob>;
  readonly #name: string;

  /** Storage over `files` of the folder called `name`. */
  constructor(name: string, files: KeyedFile[]) {
    super();
    this.#name = name;
    this.#files = new Map(files.map(({ key, file }) => [key, file]));
  }

  #file(key: string): Blob {
    const file = this.#files.get(key);
    if (file === undefined) throw new StorageFailure("NotFound", `${this.#name} has no file ${key}`);
    return file;
  }

  #read(blob: Blob, key: string): Uint8Array {
    try {
      return new Uint8Array(new FileReaderSync().readAsArrayBuffer(blob));
    } catch (e) {
      // A file changed or removed on disk since it was picked cannot be read any more.
      throw new StorageFailure("Io", `cannot read ${key} of ${this.#name}: ${(e as Error).message}; pick the folder again`);
    }
  }

  /** The whole object. */
  get(key: string): Uint8Array {
    return this.#read(this.#file(key), key);
  }

  /** `len` bytes from `offset`, fewer at the end. */
  getRange(key: string, offset: number, len: number): Uint8Array {
    return this.#read(this.#file(key).slice(offset, offset + len), key);
  }

  /** Every key under `prefix`; files outside the repository layout are not listed. */
  list(prefix: string): string[] {
    return [...this.#files.keys()].filter((k) => k.startsWith(prefix) && validateKey(k));
  }

  /** Writes are refused naming the picked folder. */
  protected refusal(key: string): string {
    return `${this.#name} is read-only in a web page (writing ${key})`;
  }
}

/** The engine's side in a page's worker. */
export const browserPlatform: Platform = {
  moduleBytes: async () => (await fetch(MODULE_URL)).arrayBuffer(),
  storage(location) {
    if (location.kind === "http") return new HttpStorage(location.url, xhrGet);
    if (location.kind !== "files") throw new CairnError("InvalidArgument", `invalid argument: a web page cannot open ${location.kind} locations`);
    return new FilesStorage(location.name, location.files);
  },
  processAlive: () => undefined,
  warmJobWorkers: true,
};

/** A folder's files, by repository-relative key, as `Repository.open` reads them. */
export interface FolderFiles {
  /** The folder's name, for messages. */
  name: string;
  /** Every file, by its path below the folder. */
  files: KeyedFile[];
}

/** Files of a picked folder by key: the path below the folder itself. */
function fromList(files: ArrayLike<File>): FolderFiles {
  const all = Array.from(files);
  const name = all[0]?.webkitRelativePath.split("/")[0] || "the dropped files";
  const keyed = all.map((file) => {
    const parts = file.webkitRelativePath.split("/");
    return { key: parts.length > 1 ? parts.slice(1).join("/") : file.name, file };
  });
  return { name, files: keyed };
}

/** Every file below a directory handle, by its path below it. */
async function fromHandle(root: FileSystemDirectoryHandle): Promise<FolderFiles> {
  const files: KeyedFile[] = [];
  const walk = async (dir: FileSystemDirectoryHandle, prefix: string, depth: number): Promise<void> => {
    // The repository layout is at most four levels deep (packs/data/ab/ID.pack).
    if (depth > 4) return;
    for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (entry.kind === "file") files.push({ key: prefix + entry.name, file: await (entry as FileSystemFileHandle).getFile() });
      else await walk(entry as FileSystemDirectoryHandle, `${prefix}${entry.name}/`, depth + 1);
    }
  };
  await walk(root, "", 1);
  return { name: root.name, files };
}

/**
 * The files of what a page may open (see {@link BrowserSource}), by repository-relative
 * key; a page can look at them (`config.json`, pack sizes) before opening the repository.
 */
export async function folderFiles(source: unknown): Promise<FolderFiles> {
  if (typeof FileList !== "undefined" && source instanceof FileList) return fromList(source);
  if (Array.isArray(source) && source.every((f) => f instanceof File)) return fromList(source);
  if (typeof FileSystemDirectoryHandle !== "undefined" && source instanceof FileSystemDirectoryHandle) return fromHandle(source);
  throw new CairnError(
    "InvalidArgument",
    "invalid argument: open a repository from a FileList (an <input type=file webkitdirectory>), File objects, a FileSystemDirectoryHandle or an http(s):// URL",
  );
}

/** The owner's side in a page. */
export const browserLocator: Locator = {
  async locate(source) {
    if (typeof source === "string") {
      // A URL relative to the page (`repos/plain/`) names a repository beside it.
      let url: string;
      try {
        url = new URL(source, globalThis.location?.href).href;
      } catch {
        throw new CairnError("InvalidArgument", `invalid argument: \`${source}\` is not a URL`);
      }
      const location = httpLocation(url);
      if (location === undefined) throw new CairnError("InvalidArgument", `invalid argument: a web page opens http(s):// URLs, not \`${source}\``);
      return location;
    }
    return { kind: "files", ...(await folderFiles(source)) };
  },
  client: () => ({ hostname: globalThis.location?.hostname || "browser", pid: 0, user: "browser" }),
  // The page loads the worker scripts and the module by URL; a missing one fails the worker.
  checkFiles: () => {},
};
