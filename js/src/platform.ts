// @ts-self-types="./platform.d.ts"
/**
 * What a runtime supplies so that the runtime-neutral parts of the package (the engine,
 * its worker, the `Repository` class) run on it: where the wasm module comes from, the
 * storage of a repository location, crypto intrinsics, and the facts locks record. Node
 * and Deno share one implementation (`platform-fs.ts`); another runtime adds its own
 * without touching the engine or the `Repository` logic.
 * @module
 */

import type { Client, WalkBegun } from "./generated/api.js";
import type { Intrinsics } from "./intrinsics.js";
import type { EngineLink } from "./link.js";
import type { RestoredTree, S3Options, TreeSource } from "./types.js";

/** The engine's wasm module, beside the package's `dist/`. */
export const MODULE_URL = new URL("../pkg/cairn_bindgen_bg.wasm", import.meta.url);

/** A file of a repository read in place, with its storage key. */
export interface KeyedFile {
  /** The file's storage key (`packs/data/ab/….pack`). */
  key: string;
  /** Its bytes. */
  file: Blob;
}

/**
 * Where a repository is, in a form that crosses to the engine's worker (structured
 * clone): a directory of the local file system (Node, Deno), the files of a folder a
 * person picked in a web page, the URL of a repository served over HTTP(S) (read-only,
 * everywhere), or a prefix of an S3 bucket (Node, Deno).
 */
export type Location =
  | {
      /** A directory of the local file system. */
      kind: "fs";
      /** Its absolute path. */
      root: string;
    }
  | {
      /** Files read in place (a picked or dropped folder): read-only. */
      kind: "files";
      /** The folder's name, for messages. */
      name: string;
      /** Every file, by its repository-relative key. */
      files: KeyedFile[];
    }
  | {
      /** A repository served over HTTP(S): read-only. */
      kind: "http";
      /** The URL of its root directory, ending in `/`. */
      url: string;
    }
  | {
      /** Objects under a prefix of an S3-compatible bucket (`s3://BUCKET/PREFIX`). */
      kind: "s3";
      /** The bucket. */
      bucket: string;
      /** The prefix: `""`, or plain names each ending in `/`. */
      prefix: string;
      /** The bucket's URL, ending in `/`: `ENDPOINT/BUCKET/` (path-style) with an endpoint, else AWS's virtual-hosted one. */
      bucketUrl: string;
      /** What requests are signed with; left out for a public bucket (`AWS_SKIP_SIGNATURE=true`). */
      keys?: SigningKeys;
    };

/** The credentials and region an S3 request is signed (SigV4) with. */
export interface SigningKeys {
  /** The access key ID. */
  accessKeyId: string;
  /** The secret access key: never in a message. */
  secretAccessKey: string;
  /** The session token of temporary credentials: never in a message. */
  sessionToken?: string;
  /** The region signed for. */
  region: string;
}

/** How a location is named in messages. */
export function describe(location: Location): string {
  if (location.kind === "http") return location.url;
  if (location.kind === "s3") return `s3://${location.bucket}/${location.prefix}`;
  return location.kind === "fs" ? location.root : `the folder ${location.name}`;
}

/** The storage methods of the engine's JS host object (see `core-wasm/bindgen`), synchronous. */
export interface StorageMethods {
  /** The whole object. */
  get(key: string): Uint8Array;
  /** `len` bytes from `offset`, fewer at the end. */
  getRange(key: string, offset: number, len: number): Uint8Array;
  /** Creates or replaces the object, atomically. */
  put(key: string, data: Uint8Array): void;
  /** Creates the object; fails with `AlreadyExists` if it exists. */
  putNew(key: string, data: Uint8Array): void;
  /** Every key under `prefix`. */
  list(prefix: string): string[];
  /** Removes the object; a missing one is not an error. */
  delete(key: string): void;
  /** Optional: the reads that follow, one per line (`get KEY SIZE`, `range KEY OFFSET LEN`), to make ahead (docs/DESIGN.md §28). */
  willRead?(reads: string): void;
}

/** The engine's side of a runtime: what the thread that runs the engine needs. */
export interface Platform {
  /** The wasm module's bytes. */
  moduleBytes(): BufferSource | Promise<BufferSource>;
  /** Storage on `location`; nothing is touched until it is used. */
  storage(location: Location): StorageMethods;
  /** Crypto intrinsics of this runtime, or `undefined` for the engine's own. */
  intrinsics?: Intrinsics;
  /** Whether process `pid` runs on this host; `undefined` when the runtime cannot say. */
  processAlive(pid: number): boolean | undefined;
  /**
   * Whether job workers must be started when the engine starts, not at its first batch:
   * a browser starts workers a worker creates only while that worker's event loop runs.
   */
  warmJobWorkers?: boolean;
}

/** The host and user a snapshot records, each when known. */
export interface Origin {
  /** The machine's name. */
  host?: string;
  /** The user's name. */
  user?: string;
}

/** The owner's side of a runtime: what `init` and `open` need before an engine starts. */
export interface Locator {
  /**
   * The location of what the user gave (a path, a picked folder, a URL; `s3` settings for
   * an `s3://` one); throws `InvalidArgument` for anything else.
   */
  locate(source: unknown, s3?: S3Options): Location | Promise<Location>;
  /** Who runs the engine, recorded in locks. */
  client(): Client;
  /** Throws `EngineUnavailable` when a file the engine starts from is missing. */
  checkFiles(workerFiles: readonly URL[]): void;
}

/**
 * Directory trees on a runtime's file system (Node and Deno: `platform-fs.ts`), driving
 * the engine's tree operations from the thread that owns the repository.
 */
export interface TreeFs {
  /** The item name of a directory stored without one: its last path component. */
  itemName(directory: string): string;
  /** The path a snapshot records of a directory: absolute. */
  sourcePath(directory: string): string;
  /** The host and user snapshots taken here record (each left out where the runtime refuses it). */
  origin(): Origin;
  /** Walks `source` into the tree item just begun (`ingest_tree`) of ingest `session`. */
  walkInto(link: EngineLink, session: number, source: TreeSource): Promise<unknown>;
  /**
   * Writes walk `begun` under `target`; with `below` the walk starts inside the tree and
   * the target stands for its root. Ends the walk session.
   */
  restoreInto(link: EngineLink, begun: WalkBegun, target: string, below: boolean): Promise<RestoredTree>;
}
