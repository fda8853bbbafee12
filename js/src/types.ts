// @ts-self-types="./types.d.ts"
/**
 * The shapes of the `Repository` API. Every shape the engine defines (options, results,
 * events, codes) comes from `./generated/api.ts`, which is generated from the engine's
 * Rust types; this file only names them as the package has always named them
 * (`ISnapshot`, `IVerifyResult`, ...) and adds what exists in JS alone (streams, where
 * the engine runs). Field names are the engine's JSON names, which the CLI's `--json`
 * output uses too.
 * @module
 */

import type {
  ExportArgs,
  FindArgs,
  ForgetOptions,
  IngestBeginArgs,
  TagOptions,
  IngestComplete,
  InitArgs,
  OperationName,
  Operations,
  Progress,
  PruneResult,
  RepairResult,
  RetentionPolicy,
  Snapshot,
  SnapshotFilter as EngineSnapshotFilter,
  SnapshotItem,
  VerifyError,
  VerifyOptions as EngineVerifyOptions,
  VerifyResult,
  WalkArgs,
} from "./generated/api.js";

export type * from "./generated/api.js";

/** The arguments of engine operation `K`. */
export type Args<K extends OperationName> = Operations[K]["args"];
/** The answer of engine operation `K`. */
export type Answer<K extends OperationName> = Operations[K]["answer"];

/** A stored snapshot. */
export type ISnapshot = Snapshot;
/** One named stream inside a snapshot. */
export type ISnapshotItem = SnapshotItem;
/** Which snapshots to keep when pruning. */
export type IRetentionPolicy = RetentionPolicy;
/** One problem that verification found. */
export type IVerifyError = VerifyError;
/** What `verify` found. */
export type IVerifyResult = VerifyResult;
/** What `prune` removed (or would remove, with `dryRun`). */
export type IPruneResult = PruneResult;
/** What `repair` did. */
export type IRepairResult = RepairResult;
/** The filter of `listSnapshots`. */
export type SnapshotFilter = EngineSnapshotFilter;
/** Options of `verify`. */
export type VerifyOptions = EngineVerifyOptions;
/** Payload of `ingest:progress`. */
export type IngestProgressEvent = Progress;
/** Payload of `ingest:complete`. */
export type IngestCompleteEvent = IngestComplete;

/** Options of `Repository.open`. */
export interface OpenOptions {
  /** The passphrase of an encrypted repository. */
  passphrase?: string;
  /**
   * Where the engine runs: in a worker (default), so the event loop never waits on its
   * synchronous file I/O and compression, or on the calling thread (less memory, no
   * worker start-up). See docs/DESIGN-js.md.
   */
  thread?: "worker" | "inline";
  /**
   * How many jobs (compressing and encrypting blobs on ingest, decrypting, decompressing
   * and checking them on restore and full verification) run at once, each on a job worker
   * with its own instance of the engine's module. Default: the machine's logical cores
   * (`os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in Deno); `1`
   * runs them all on the engine's own thread and starts no job worker. Job workers start
   * with the first batch of jobs, so operations that run none start none, and they stop
   * at `close()`. What is stored does not depend on it. See docs/DESIGN-js.md.
   */
  threads?: number;
  /**
   * Settings of an `s3://BUCKET/PREFIX` repository (Node and Deno); each one left out comes
   * from the standard environment variable, as in the CLI. See {@link S3Options}.
   */
  s3?: S3Options;
}

/**
 * Endpoint, region and credentials of an `s3://` repository (docs/DESIGN.md §29). Each
 * field left out is read from the environment: `AWS_ENDPOINT_URL`, `AWS_REGION` (or
 * `AWS_DEFAULT_REGION`; default `us-east-1`), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`. No secret is ever part of an error message.
 */
export interface S3Options {
  /** A self-hosted service's URL (`http://127.0.0.1:8333`): requests are then path-style. Without it, AWS itself. */
  endpoint?: string;
  /** The region requests are signed for. */
  region?: string;
  /** The access key ID. */
  accessKeyId?: string;
  /** The secret access key. */
  secretAccessKey?: string;
  /** The session token of temporary credentials. */
  sessionToken?: string;
}

/**
 * Options of `Repository.init`: the engine's `init` options (absent fields take the
 * defaults), and where the engine runs.
 */
export type InitOptions = Omit<InitArgs, "client" | "passphrase"> & OpenOptions;

/** Bytes in any of the forms the package accepts (a Node `Readable` is an `AsyncIterable`). */
export type StreamInput =
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** Options of `ingest`. */
export interface IngestOptions extends IngestMultiOptions {
  /** Names the single item (default `DEFAULT_ITEM_NAME`, the name the CLI gives standard input). */
  items?: ItemName[];
  /**
   * The stream's length in bytes, when the caller knows it: `ingest:progress` then carries
   * `totalBytes` and `percentage`. Known without it for a `Uint8Array` and, in Node, for a
   * `fs.createReadStream` of a regular file.
   */
  size?: number;
  /** The stream's source path, recorded in the snapshot (see `IngestStreamItem.path`). */
  path?: string;
}

/** The name and type of an item. */
export interface ItemName {
  /** The item's name, unique in its snapshot. */
  name: string;
  /** Its optional free-form type. */
  type?: string;
}

/**
 * A directory to store as a tree item (Node and Deno): `ingest({ directory })`, or an
 * item of `ingestMulti` with `directory` instead of `stream`. Extended attributes are not
 * recorded (`node:fs` has no API for them), nor owners' names (only uid and gid).
 */
export interface TreeSource {
  /** The directory's path; followed if it is a symbolic link, nothing below it is. */
  directory: string;
  /**
   * A snapshot (id, prefix or `latest`) whose item of the same name is this tree's parent:
   * its unchanged files are not read again. Left out, the newest snapshot with a tree item
   * of this name.
   */
  parent?: string;
  /** Read every file, reusing no parent's. */
  noParent?: boolean;
  /** Do not descend into directories on another device than the root's (they are kept, empty). */
  oneFileSystem?: boolean;
  /** Keep only the `CACHEDIR.TAG` of a directory that holds a valid one. */
  excludeCaches?: boolean;
  /**
   * Entries to leave out, as gitignore patterns applied by the engine (the same as the
   * CLI's `--exclude`): `*.o`, `/build` (at the root), `cache/` (directories), `!keep.o`.
   */
  exclude?: string[];
}

/** A directory item of `ingestMulti`: its name (default: the directory's name) and the directory. */
export type IngestTreeItem = Partial<ItemName> & TreeSource;

/** One item of `ingestMulti`: a named stream, or a directory stored as a tree. */
export type IngestItem = IngestStreamItem | IngestTreeItem;

/** One named stream of `ingestMulti`. */
export interface IngestStreamItem {
  /** The item's name. */
  name: string;
  /** Its optional type. */
  type?: string;
  /** Its bytes. */
  stream: StreamInput;
  /** Its length in bytes, when known (see `IngestOptions.size`). */
  size?: number;
  /**
   * Where its bytes come from, recorded in the snapshot as the item's `path`: default the
   * absolute path of a Node `fs.createReadStream`, else `-` (a stream without a path).
   */
  path?: string;
}

/**
 * Options of `ingestMulti`: the snapshot's tags, and the host and user it records
 * (default: the machine's name and the user running, each left out where the runtime
 * refuses it, as Deno without `--allow-sys=hostname` or `--allow-env=USER`).
 */
export type IngestMultiOptions = Partial<Pick<IngestBeginArgs, "tags" | "host" | "user">>;

/** Options of `restore`. */
export interface RestoreOptions {
  /** Restore only this item (`latest` is then the newest snapshot that has it). */
  item?: string;
  /** Which snapshot `latest` names (the newest that passes), or an id must name. */
  filter?: SnapshotFilter;
}

/** Options of `forget` besides which snapshots: `filter`, `dryRun` and `prune`. */
export type ForgetChoice = Omit<ForgetOptions, "snapshots" | "retention">;

/** How `tag` changes tags: the engine's `tag` arguments but the snapshots. */
export type TagChange = Omit<TagOptions, "snapshots">;

/** Options of `copy`: the snapshots (default: all) and a filter. */
export type CopyOptions = Omit<ExportArgs, "skip">;

/**
 * Options of `listTree`: the engine's `walk_begin` arguments but the snapshot (the item,
 * where to start, how deep, and `include`/`exclude` patterns in gitignore's syntax).
 */
export type ListTreeOptions = Omit<WalkArgs, "snapshot">;

/**
 * Options of `restoreTree`: the item, the `path` to restore (created inside the target),
 * and `include`/`exclude` patterns, as `cairn restore --target` takes them.
 */
export type RestoreTreeOptions = Omit<WalkArgs, "snapshot" | "recursive" | "matchesOnly">;

/** Options of `find`: the engine's `find` arguments but the patterns. */
export type FindOptions = Omit<FindArgs, "patterns">;

/** Something `restoreTree` did not restore as recorded, which did not stop it. */
export interface RestoreWarning {
  /** The path in the target. */
  path: string;
  /** What was not restored, and why. */
  message: string;
}

/** What `restoreTree` wrote (the CLI's `restore --target --json` report, with the warnings). */
export interface RestoredTree {
  /** The full id of the snapshot restored. */
  snapshot: string;
  /** The tree item restored. */
  item: string;
  /** The directory written, absolute. */
  target: string;
  /** Regular files created. */
  files: number;
  /** Directories created or reused, the target included. */
  dirs: number;
  /** Hard links made. */
  links: number;
  /** Symbolic links created. */
  others: number;
  /** Bytes of file content written (holes not included). */
  bytes: number;
  /** Entries not restored as recorded: pipes and devices, owners of a restore not run as root, ... */
  warnings: RestoreWarning[];
}

/** Options of `unlock`. */
export interface UnlockOptions {
  /** Remove live locks too, not only stale ones. */
  force?: boolean;
}

/** What `on` returns. */
export interface Subscription {
  /** Stops delivering events to the handler. */
  unsubscribe(): void;
}
