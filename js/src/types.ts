// @ts-self-types="./types.d.ts"
/**
 * The shapes of API.md: options, results and events of {@link Repository}. Field names are
 * the engine's JSON names, which the CLI's `--json` output uses too.
 * @module
 */

/** One named stream inside a snapshot. */
export interface ISnapshotItem {
  /** The item's name, unique in its snapshot. */
  name: string;
  /** Free text such as a MIME type or `sql`. */
  type?: string;
  /** Its length in bytes. */
  size: number;
  /** How many chunks it was cut into. */
  chunkCount: number;
}

/** A stored snapshot. */
export interface ISnapshot {
  /** The snapshot id (64 hex digits). */
  id: string;
  /** The manifest's format version. */
  version: number;
  /** When it was made (RFC 3339, UTC). */
  createdAt: string;
  /** Its tags. */
  tags: Record<string, string>;
  /** Bytes of input. */
  originalSize: number;
  /** Bytes the new chunks took in packs. */
  storedSize: number;
  /** Chunks of all items. */
  chunkCount: number;
  /** Chunks that were not in the repository before. */
  newChunks: number;
  /** Chunks found already stored (deduplicated). */
  reusedChunks: number;
  /** The items, in the order they were stored. */
  items: ISnapshotItem[];
}

/** Which snapshots to keep when pruning. */
export interface IRetentionPolicy {
  /** The newest N. */
  keepLast?: number;
  /** The newest of each of the last N days. */
  keepDays?: number;
  /** The newest of each of the last N weeks. */
  keepWeeks?: number;
  /** The newest of each of the last N months. */
  keepMonths?: number;
}

/** One problem that verification found. */
export interface IVerifyError {
  /** The pack concerned. */
  pack?: string;
  /** The chunk concerned. */
  chunk?: string;
  /** The snapshot concerned. */
  snapshot?: string;
  /** What is wrong. */
  error: string;
}

/** What `verify` found. */
export interface IVerifyResult {
  /** True when nothing is wrong. */
  ok: boolean;
  /** Every problem found. */
  errors: IVerifyError[];
  /** How much was checked. */
  stats: { packsChecked: number; chunksChecked: number; snapshotsChecked: number };
}

/** What `prune` removed (or would remove, with `dryRun`). */
export interface IPruneResult {
  /** Snapshots forgotten. */
  removedSnapshots: number;
  /** Packs deleted. */
  removedPacks: number;
  /** Packs rewritten without their unused chunks. */
  rewrittenPacks: number;
  /** Bytes freed. */
  freedBytes: number;
  /** True when nothing was changed. */
  dryRun: boolean;
}

/** What `repair` did. */
export interface IRepairResult {
  /** Whether the global index was rebuilt. */
  indexRebuilt: boolean;
  /** Packs rebuilt from parity. */
  packsRepaired: number;
  /** Stale locks removed. */
  locksRemoved: number;
  /** What could not be repaired. */
  errors: string[];
}

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
}

/** Options of `Repository.init`; absent fields take API.md's defaults. */
export interface InitOptions extends OpenOptions {
  /** Chunk codec (default gzip). */
  compression?: "gzip" | "zstd" | "none";
  /** Codec level (gzip 1-9, default 1; zstd 1). */
  compressionLevel?: number;
  /** Content-defined chunk sizes in bytes (default 64 KiB / 256 KiB / 1 MiB). */
  chunking?: { min: number; avg: number; max: number };
  /** Target pack size in bytes (default 8 MiB). */
  packSize?: number;
  /** Parity packs per group of data packs (default 20 and 1). */
  parity?: { dataPacks: number; parityPacks: number };
  /** Argon2id cost of the first key (default 64 MiB, 3 passes); lower only for tests. */
  kdf?: { memoryKiB: number; iterations: number; parallelism: number };
}

/** Bytes in any of the forms the package accepts (a Node `Readable` is an `AsyncIterable`). */
export type StreamInput =
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** Options of `ingest`. */
export interface IngestOptions {
  /** Tags of the new snapshot. */
  tags?: Record<string, string>;
  /** Names the single item (default `stdin`, as the CLI). */
  items?: { name: string; type?: string }[];
}

/** One named stream of `ingestMulti`. */
export interface IngestItem {
  /** The item's name. */
  name: string;
  /** Its optional type. */
  type?: string;
  /** Its bytes. */
  stream: StreamInput;
}

/** Options of `ingestMulti`. */
export interface IngestMultiOptions {
  /** Tags of the new snapshot. */
  tags?: Record<string, string>;
}

/** Options of `restore`. */
export interface RestoreOptions {
  /** Restore only this item. */
  item?: string;
}

/** The filter of `listSnapshots`. */
export interface SnapshotFilter {
  /** Tags that must all be present with these values. */
  tags?: Record<string, string>;
  /** Only snapshots created at or after this date (ISO 8601). */
  after?: string;
  /** Only snapshots created before this date (ISO 8601). */
  before?: string;
}

/** Options of `verify`. */
export interface VerifyOptions {
  /** quick, standard (default) or full (API.md). */
  level?: "quick" | "standard" | "full";
  /** Verify only a part of the repository (engine-defined). */
  subset?: string;
}

/** Options of `unlock`. */
export interface UnlockOptions {
  /** Remove live locks too, not only stale ones. */
  force?: boolean;
}

/** Payload of `ingest:progress`. */
export interface IngestProgressEvent {
  /** The operation (`ingest`). */
  operation: string;
  /** Bytes read so far. */
  bytesProcessed: number;
  /** Bytes expected, when known. */
  totalBytes?: number;
  /** Progress in percent, when the total is known. */
  percentage?: number;
  /** A line for people. */
  message: string;
}

/** Payload of `ingest:complete`. */
export interface IngestCompleteEvent {
  /** The new snapshot's id. */
  snapshotId: string;
  /** Chunks stored. */
  newChunks: number;
  /** Chunks deduplicated. */
  reusedChunks: number;
  /** Bytes of input. */
  originalSize: number;
  /** Bytes stored. */
  storedSize: number;
}

/** Every event and its payload. */
export interface CairnEvents {
  /** Progress of an ingest. */
  "ingest:progress": IngestProgressEvent;
  /** An ingest finished. */
  "ingest:complete": IngestCompleteEvent;
  /** Verification found a problem. */
  "verify:error": IVerifyError;
}

/** What `on` returns. */
export interface Subscription {
  /** Stops delivering events to the handler. */
  unsubscribe(): void;
}
