// @ts-self-types="./repository.d.ts"
/**
 * The `Repository` class, shared by the Node and Deno entries; each entry only says
 * what a restore resolves to (a Node `Readable`, a web `ReadableStream`) and where the
 * engine runs.
 * @module
 */

import type { EventSink } from "./engine.js";
import { CairnError } from "./errors.js";
import { Events } from "./events.js";
import type { EngineLink, StartEngine } from "./link.js";
import { describe, type Locator, type TreeFs } from "./platform.js";
import type { JobWorkers } from "./pool.js";
import { blocks, knownLength } from "./streams.js";
import { DEFAULT_ITEM_NAME } from "./generated/api.js";
import type {
  CairnEvents,
  CatWhat,
  CopyOptions,
  CopyResult,
  ForgetChoice,
  JsonValue,
  StatsOptions,
  StatsResult,
  TagChange,
  TagResult,
  FindOptions,
  Found,
  IngestItem,
  IngestStreamItem,
  IngestTreeItem,
  IngestMultiOptions,
  IngestOptions,
  InitOptions,
  IPruneResult,
  IRepairResult,
  IRetentionPolicy,
  ISnapshot,
  IVerifyResult,
  KeyAdded,
  KeyListing,
  ListTreeOptions,
  OpenOptions,
  ReindexResult,
  RestoredTree,
  RestoreOptions,
  RestoreTreeOptions,
  SnapshotFilter,
  StreamInput,
  Subscription,
  TreeSource,
  TreeStep,
  UnlockOptions,
  UnlockResult,
  VerifyOptions,
} from "./types.js";

export { DEFAULT_ITEM_NAME };

/** An engine with a repository open, and the events it raises. */
export interface Connection {
  /** The engine. */
  link: EngineLink;
  /** Its events. */
  events: Events;
}

/** How many jobs run at once: `threads`, or the runtime's default; an integer of at least 1. */
function jobThreads(threads: number | undefined, workers: JobWorkers): number {
  const n = threads ?? workers.defaultThreads();
  if (!Number.isInteger(n) || n < 1) {
    throw new CairnError("InvalidArgument", `invalid argument: \`threads\` must be a whole number of at least 1, not ${threads}`);
  }
  return n;
}

/**
 * Starts an engine on `repoPath` (in a worker with `runtime.startInWorker`, unless
 * `options.thread` says inline; with a pool of `options.threads` job workers) and runs
 * `init` or `open` there.
 */
export async function connect(
  runtime: Runtime,
  op: "init" | "open",
  repoPath: unknown,
  { thread, threads, s3, ...options }: InitOptions | OpenOptions = {},
): Promise<Connection> {
  runtime.locator.checkFiles(runtime.workerFiles);
  const start = thread === "inline" ? runtime.startInline : runtime.startInWorker;
  const jobs = { threads: jobThreads(threads, runtime.jobWorkers), workers: runtime.jobWorkers };
  const events = new Events();
  const onEvent: EventSink = (name, payload) => events.emit(name, payload);
  const location = await runtime.locator.locate(repoPath, s3);
  const link = await start({ location, onEvent, intrinsics: true, jobs });
  try {
    await link.call(op, { ...options, client: runtime.locator.client() } as never);
  } catch (e) {
    await link.close().catch(() => {});
    if (e instanceof CairnError && e.code === "RepositoryNotFound") {
      throw new CairnError(e.code, `${describe(location)}: ${e.message}`);
    }
    throw e;
  }
  return { link, events };
}

/** Whether `input` names a directory (`{ directory }`) rather than bytes. */
function isTree(input: unknown): input is TreeSource {
  return typeof input === "object" && input !== null && !(input instanceof Uint8Array) && typeof (input as TreeSource).directory === "string";
}

/** What a runtime supplies: how it starts the engine's worker, and job workers. */
export interface Runtime {
  /** Starts an engine in a worker of this runtime. */
  readonly startInWorker: StartEngine;
  /** Starts an engine on the calling thread (the `thread: "inline"` option). */
  readonly startInline: StartEngine;
  /** Turns paths into locations, and says who runs the engine. */
  readonly locator: Locator;
  /** Starts job workers in this runtime. */
  readonly jobWorkers: JobWorkers;
  /** The worker scripts this runtime starts, checked (with the wasm module) before anything starts. */
  readonly workerFiles: readonly URL[];
}

/** What a runtime's entry supplies to the shared `init` / `open`. */
export interface RepositoryClass<T> extends Runtime {
  /** The entry's `Repository` over an open connection. */
  fromConnection(c: Connection): T;
}

/** A Cairn repository; `Restored` is what `restore` resolves to in this runtime. */
export abstract class RepositoryCore<Restored> {
  #link: EngineLink | undefined;
  readonly #events: Events;

  /** A repository over an open connection. */
  protected constructor(c: Connection) {
    this.#link = c.link;
    this.#events = c.events;
  }

  /** Creates a repository at `path` (fails if one exists) and opens it. */
  static async init<T>(this: RepositoryClass<T>, path: string, options: InitOptions = {}): Promise<T> {
    return this.fromConnection(await connect(this, "init", path, options));
  }

  /** Opens the repository at `path`; `passphrase` for an encrypted one. */
  static async open<T>(this: RepositoryClass<T>, path: string, options: OpenOptions = {}): Promise<T> {
    return this.fromConnection(await connect(this, "open", path, options));
  }

  /** The length of an input this runtime can tell without reading it (a file stream's). */
  protected sizeOf(_input: StreamInput): number | undefined {
    return undefined;
  }

  /** The absolute path an input is read from, when this runtime can tell (a Node file stream's). */
  protected sourcePath(_input: StreamInput): string | undefined {
    return undefined;
  }

  /** Directory trees on this runtime's file system; `undefined` where there is none (a page). */
  protected trees(): TreeFs | undefined {
    return undefined;
  }

  private requireTrees(): TreeFs {
    const trees = this.trees();
    if (trees === undefined) {
      throw new CairnError("InvalidArgument", "invalid argument: directory trees need a file system (Node or Deno); this runtime has none");
    }
    return trees;
  }

  /** Wraps a restore's blocks in this runtime's stream type. */
  protected abstract output(blocks: AsyncIterableIterator<Uint8Array>): Restored;

  private get link(): EngineLink {
    if (this.#link === undefined) {
      throw new CairnError("InvalidArgument", "invalid argument: this repository is closed");
    }
    return this.#link;
  }

  /**
   * Stores one stream, or one directory (`{ directory }`, Node and Deno) as a tree item
   * named after it, as one snapshot.
   */
  async ingest(input: StreamInput | TreeSource, options: IngestOptions = {}): Promise<ISnapshot> {
    const items = options.items ?? [isTree(input) ? {} : { name: DEFAULT_ITEM_NAME }];
    if (items.length !== 1) {
      throw new CairnError("InvalidArgument", "invalid argument: `ingest` names exactly one item; use `ingestMulti` for several");
    }
    const item: IngestItem = isTree(input)
      ? { ...items[0], ...input }
      : { name: DEFAULT_ITEM_NAME, ...items[0], stream: input, size: options.size, path: options.path };
    return this.ingestMulti([item], { tags: options.tags, host: options.host, user: options.user });
  }

  /** Stores several named streams and directories (Node and Deno), in order, as one snapshot. */
  async ingestMulti(items: IngestItem[], options: IngestMultiOptions = {}): Promise<ISnapshot> {
    const link = this.link;
    const trees = items.some(isTree) ? this.requireTrees() : undefined;
    const streams = items.filter((item): item is IngestStreamItem => !isTree(item));
    // A tree's size is not known before it is walked.
    const totalBytes = trees ? undefined : knownLength(streams, (input) => this.sizeOf(input));
    const here = this.trees()?.origin() ?? {};
    const { session } = await link.call("ingest_begin", {
      tags: options.tags ?? {},
      totalBytes,
      host: options.host ?? here.host,
      user: options.user ?? here.user,
    });
    try {
      for (const item of items) {
        if (isTree(item)) await this.ingestTree(session, item as IngestTreeItem, trees as TreeFs);
        else {
          const path = item.path ?? this.sourcePath(item.stream) ?? "-";
          await link.call("ingest_item", { session, name: item.name, type: item.type, path });
          for await (const block of blocks(item.stream)) await link.write(session, block);
        }
      }
      return await link.call("ingest_finish", { session });
    } catch (e) {
      // The error being reported matters more than one from the abort.
      await link.call("ingest_abort", { session }).catch(() => {});
      throw e;
    }
  }

  private async ingestTree(session: number, item: IngestTreeItem, trees: TreeFs): Promise<void> {
    const name = item.name ?? trees.itemName(item.directory);
    await this.link.call("ingest_tree", {
      session,
      name,
      type: item.type,
      parent: item.parent,
      noParent: item.noParent,
      exclude: item.exclude,
      path: trees.sourcePath(item.directory),
    });
    await trees.walkInto(this.link, session, item);
  }

  /**
   * The entries of a snapshot's tree item, depth first, each directory's entries in byte
   * order of their names: everything below `path` (default the root), or with
   * `recursive: false` the start and its direct entries.
   */
  async listTree(snapshotId: string, options: ListTreeOptions = {}): Promise<TreeStep[]> {
    const link = this.link;
    const { session } = await link.call("walk_begin", { snapshot: snapshotId, ...options });
    const steps: TreeStep[] = [];
    try {
      for (let step = await link.call("walk_next", { session }); step !== null; step = await link.call("walk_next", { session })) {
        steps.push(step);
      }
    } finally {
      await link.call("restore_end", { session }).catch(() => {});
    }
    return steps;
  }

  /**
   * Writes a snapshot's tree item (or the entry at `path` in it, created inside the target)
   * under `targetDir`, created if missing, with modes, times, links and, when running as
   * root, owners (Node and Deno). Never writes outside `targetDir`.
   */
  async restoreTree(snapshotId: string, targetDir: string, options: RestoreTreeOptions = {}): Promise<RestoredTree> {
    const trees = this.requireTrees();
    const link = this.link;
    const begun = await link.call("walk_begin", { snapshot: snapshotId, ...options });
    const below = (options.path ?? "").replace(/^\/+|\/+$/g, "") !== "" || (options.pathHex ?? "") !== "";
    return trees.restoreInto(link, begun, targetDir, below);
  }

  /**
   * The entries of snapshots' tree items that any of `patterns` matches (gitignore's
   * syntax: a name such as `*.conf` at any depth, or a path from the item's root such as
   * `/etc/hosts`), per snapshot and item, oldest snapshot first: what `cairn find` lists.
   */
  async find(patterns: string[], options: FindOptions = {}): Promise<Found[]> {
    return this.link.call("find", { ...options, patterns });
  }

  /**
   * The bytes of a whole snapshot, or of one item with `{ item }` (a tree item comes as a
   * tar archive). `latest` is the newest snapshot that has the item and passes `filter`.
   */
  async restore(snapshotId: string, options: RestoreOptions = {}): Promise<Restored> {
    const link = this.link;
    const { session } = await link.call("restore_begin", { snapshot: snapshotId, item: options.item, filter: options.filter });
    return this.output(new RestoreBlocks(link, session));
  }

  /**
   * The snapshots that pass `filter`: tags all present, the host, an item of that name or
   * read from that path; `after` inclusive, `before` exclusive.
   */
  async listSnapshots(filter: SnapshotFilter = {}): Promise<ISnapshot[]> {
    return this.link.call("list_snapshots", filter);
  }

  /** One snapshot, by id, unique id prefix, or `latest` (the newest that passes `filter`). */
  async getSnapshot(id: string, filter: SnapshotFilter = {}): Promise<ISnapshot> {
    return this.link.call("get_snapshot", { id, filter });
  }

  /**
   * Forgets snapshots, by ids (full, unique prefixes or `latest`) or by a retention
   * policy, leaving their data for a prune; `{ prune: true }` frees it at once, as
   * `cairn forget` does. `filter` narrows `latest`, or the snapshots a policy decides among.
   */
  async forget(which: string[] | IRetentionPolicy, options: ForgetChoice = {}): Promise<IPruneResult> {
    const chosen = Array.isArray(which) ? { snapshots: which } : { retention: which };
    return this.link.call("forget", { ...options, ...chosen });
  }

  /**
   * Changes the tags of snapshots (`set` replaces them all, then `remove` takes away
   * `key` or `key=value`, then `add` adds): each changed snapshot gets a new id, which
   * the answer gives, and records the one it came from as `original`.
   */
  async tag(snapshots: string[], change: TagChange): Promise<TagResult> {
    return this.link.call("tag", { ...change, snapshots });
  }

  /** What snapshots (all, or those named or `filter` passes) hold and what storing them costs. */
  async stats(options: StatsOptions = {}): Promise<StatsResult> {
    return this.link.call("stats", options);
  }

  /** The configuration, a snapshot's manifest, the index or a pack's entry table, as JSON. */
  async cat(what: CatWhat, id?: string): Promise<JsonValue> {
    return this.link.call("cat", { what, id });
  }

  /**
   * Copies snapshots (all, or those named or `filter` passes) into the repository
   * `target`, which may be of another kind, encrypted or not: only what `target` lacks
   * is stored, and snapshots it has (or copied before) are skipped.
   */
  async copy(target: RepositoryCore<unknown>, options: CopyOptions = {}): Promise<CopyResult> {
    const [src, dst] = [this.link, target.link];
    const skip = await dst.call("known_originals", {});
    const begun = await src.call("export_begin", { ...options, skip });
    try {
      const { session } = await dst.call("import_begin", {});
      try {
        for (let block = await src.read(begun.session); block.length > 0; block = await src.read(begun.session)) {
          await dst.write(session, block);
        }
      } catch (e) {
        // The error being reported matters more than one from the abort.
        await dst.call("ingest_abort", { session }).catch(() => {});
        throw e;
      }
      return { copied: await dst.call("import_finish", { session }), skipped: begun.skipped };
    } finally {
      await src.call("restore_end", { session: begun.session }).catch(() => {});
    }
  }

  /** Checks the repository; problems also arrive as `verify:error` events. */
  async verify(options: VerifyOptions = {}): Promise<IVerifyResult> {
    return this.link.call("verify", options);
  }

  /** Forgets snapshots outside `retention` and frees the space only they used. */
  async prune(retention: IRetentionPolicy, dryRun?: boolean): Promise<IPruneResult> {
    return this.link.call("prune", { retention, dryRun });
  }

  /** Rebuilds the index, removes stale locks and rebuilds lost or corrupt packs from parity. */
  async repair(): Promise<IRepairResult> {
    return this.link.call("repair", {});
  }

  /** Rebuilds the global index from the packs' `.idx` files; answers the packs left out. */
  async reindex(): Promise<ReindexResult> {
    return this.link.call("reindex", {});
  }

  /** Removes stale locks (`{ force: true }`: live ones too); answers how many. */
  async unlock(options: UnlockOptions = {}): Promise<UnlockResult> {
    return this.link.call("unlock", options);
  }

  /**
   * Adds a key file that opens the repository with `passphrase` (encrypted repositories):
   * the same master key, wrapped again. Answers the new key's id.
   */
  async keyAdd(passphrase: string): Promise<KeyAdded> {
    return this.link.call("key_add", { passphrase });
  }

  /** The repository's key files, with the one it was opened with marked. */
  async keyList(): Promise<KeyListing[]> {
    return this.link.call("key_list", {});
  }

  /** Removes the key file with this id (or unique prefix); the last key cannot be removed (`LastKey`). */
  async keyRemove(id: string): Promise<void> {
    await this.link.call("key_remove", { id });
  }

  /** Calls `handler` with every `event` until `unsubscribe()`. */
  on<E extends keyof CairnEvents>(event: E, handler: (payload: CairnEvents[E]) => void): Subscription {
    return this.#events.on(event, handler);
  }

  /** Ends open ingests and restores, releases the repository's locks and stops the engine. */
  async close(): Promise<void> {
    const link = this.#link;
    this.#link = undefined;
    await link?.close();
  }
}

/**
 * The blocks of a restore session as an async iterator whose `return()` (what a destroyed
 * Node stream or a cancelled web stream calls) ends the session, even before the first read.
 */
class RestoreBlocks implements AsyncIterableIterator<Uint8Array> {
  #ended = false;

  constructor(
    private readonly link: EngineLink,
    private readonly session: number,
  ) {}

  /** The next block, or the end (which ends the session). */
  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.#ended) return { done: true, value: undefined };
    let block: Uint8Array;
    try {
      block = await this.link.read(this.session);
    } catch (e) {
      await this.return();
      throw e;
    }
    if (block.length > 0) return { done: false, value: block };
    return this.return();
  }

  /** Ends the session (once); the reader wants no more. */
  async return(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (!this.#ended) {
      this.#ended = true;
      // Fails only when the repository was closed first, which ended the session already.
      await this.link.call("restore_end", { session: this.session }).catch(() => {});
    }
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
