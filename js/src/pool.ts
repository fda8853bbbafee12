// @ts-self-types="./pool.d.ts"
/**
 * The pool of job workers (docs/DESIGN-js.md, "Jobs on a pool of workers"): the engine
 * hands its host batches of pure jobs (sealing and opening blobs, docs/DESIGN.md §18)
 * through `submitJobs` and `collectJobs`, which this pool serves with job workers, each
 * running its own instance of the same wasm module (`JobRunner`).
 *
 * The engine calls both from inside a synchronous wasm call, so results cannot come back
 * as messages: the thread is blocked and its event loop does not run. Shares go to the
 * job workers by `postMessage` (their event loops are free); each job worker writes its
 * results into a `SharedArrayBuffer` it shares with the pool and wakes it with
 * `Atomics.notify`, and the pool waits with `Atomics.wait`. The layout of that hand-off
 * is defined here, once, for both sides (`jobs-worker.ts` is the other).
 * @module
 */

/** One job worker as the pool sees it. */
export interface JobWorker {
  /** Sends a message, moving the buffers in `transfer`. */
  post(message: unknown, transfer: ArrayBuffer[]): void;
  /** Stops the worker. */
  terminate(): void;
  /** Why the worker failed, once its runtime has said so (it could not start, or died). */
  failure(): string | undefined;
}

/** How a runtime starts job workers, and how many it runs by default. */
export interface JobWorkers {
  /** Starts a job worker (the runtime's `worker-jobs-*.js`); it must not keep the process alive. */
  spawn(): JobWorker;
  /** The pool size when the options name none: the machine's logical cores. */
  defaultThreads(): number;
}

/** The cells of a slot's control array (an `Int32Array` over a `SharedArrayBuffer`). */
export const enum Cell {
  /** Pieces the job worker has posted (counts up). */
  Posted,
  /** Pieces the pool has taken (counts up); the worker writes the next once it equals `Posted`. */
  Taken,
  /** The posted piece's {@link Status}. */
  Status,
  /** Bytes of the posted piece, at the start of the data buffer. */
  Length,
  /** Bytes of the whole result the piece belongs to (read as unsigned). */
  Total,
  /** The worker's {@link State}. */
  State,
}

/** How many cells a control array has. */
export const CELLS = 6;

/** What a posted piece is. */
export const enum Status {
  /** (Part of) a share's framed results. */
  Ok,
  /** A share failed (UTF-8 message); the worker goes on. */
  Failed,
  /** The worker's instance trapped (UTF-8 message); it can run nothing more. */
  Broken,
}

/** A job worker's state. */
export const enum State {
  /** Loading its module. */
  Starting,
  /** Running shares (or, if it could not load its module, failing each with why). */
  Ready,
}

/** What the pool posts to a job worker: its module and slot, then shares. */
export type JobMessage =
  | { kind: "start"; module: WebAssembly.Module; control: SharedArrayBuffer; data: SharedArrayBuffer; pieceBytes: number }
  | { kind: "share"; share: Uint8Array };

/** How a pool hands results over and how long it waits; the defaults are for real use. */
export interface PoolLimits {
  /** How long a job worker may show no progress before its shares fail (default 10 minutes). */
  noProgressMs?: number;
  /** The largest piece of a result (default 64 MiB); larger results come in pieces. */
  pieceBytes?: number;
}

/** How long a job worker may take to load its module. */
const START_MS = 60_000;

/** `SharedArrayBuffer` with the growable form (ES2024), missing from the ES2022 library. */
type GrowableSharedArrayBuffer = new (length: number, options: { maxByteLength: number }) => SharedArrayBuffer;

/** One share in flight: where it runs, and once taken, its results or why it failed. */
interface Share {
  slot: Slot;
  result?: Uint8Array;
  error?: string;
}

/** One job worker and its end of the hand-off. */
class Slot {
  readonly control = new Int32Array(new SharedArrayBuffer(CELLS * 4));
  readonly data: SharedArrayBuffer;
  readonly worker: JobWorker;
  readonly started = Date.now();
  /** Pieces taken so far (the pool's copy of `Cell.Taken`). */
  taken = 0;
  /** The last piece was handed on as a view of `data`: acknowledged at the next pool call. */
  unacked = false;
  /** Shares posted and not taken, in order. */
  readonly waiting: Share[] = [];
  /** Why the worker can run nothing more. */
  broken: string | undefined;

  constructor(workers: JobWorkers, module: WebAssembly.Module, pieceBytes: number) {
    // Grown by the worker up to the largest piece it hands over.
    // Referenced only here: a page that is not cross-origin isolated has no SharedArrayBuffer.
    this.data = new (SharedArrayBuffer as unknown as GrowableSharedArrayBuffer)(0, { maxByteLength: pieceBytes });
    this.worker = workers.spawn();
    const control = this.control.buffer as SharedArrayBuffer;
    const start: JobMessage = { kind: "start", module, control, data: this.data, pieceBytes };
    this.worker.post(start, []);
  }

  /** Lets the worker write its next piece. */
  ack(): void {
    this.unacked = false;
    this.taken++;
    Atomics.store(this.control, Cell.Taken, this.taken);
    Atomics.notify(this.control, Cell.Taken);
  }

  /** Marks the worker unusable and stops it; its waiting shares fail with `why`. */
  break(why: string): void {
    this.broken ??= why;
    this.worker.terminate();
    for (const s of this.waiting.splice(0)) s.error ??= this.broken;
  }
}

/** Job workers started on the first batch, each with its own instance of the module. */
export class JobPool {
  readonly #slots: (Slot | undefined)[];
  readonly #tickets = new Map<number, Share[]>();
  #nextTicket = 1;
  #closed = false;
  readonly #noProgressMs: number;
  readonly #pieceBytes: number;

  /**
   * A pool of `threads` job workers of `module` (the module this thread's engine runs),
   * started by `workers` when the first batch comes.
   */
  constructor(
    readonly threads: number,
    private readonly workers: JobWorkers,
    private readonly module: WebAssembly.Module,
    { noProgressMs = 10 * 60_000, pieceBytes = 64 << 20 }: PoolLimits = {},
  ) {
    this.#slots = new Array<Slot | undefined>(threads).fill(undefined);
    this.#noProgressMs = noProgressMs;
    this.#pieceBytes = pieceBytes;
  }

  /**
   * Starts every job worker now and resolves once each has loaded its module (or failed,
   * or the start time-out passed), yielding to the event loop meanwhile. A browser starts a
   * worker that another worker creates only while its creator's event loop runs, so an
   * engine there warms its pool before it ever blocks in `Atomics.wait`.
   */
  async warm(): Promise<void> {
    const slots = Array.from({ length: this.threads }, (_, i) => this.#slot(i));
    const starting = () =>
      slots.some((s) => Atomics.load(s.control, Cell.State) === State.Starting && s.worker.failure() === undefined);
    for (const t0 = Date.now(); starting() && Date.now() - t0 < START_MS; ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Starts the shares of a batch, share `i` on worker `i`; a ticket for {@link collect}. */
  submit(shares: Uint8Array[]): number {
    this.#settle();
    if (this.#closed) throw new Error("the job pool is closed");
    const refs = shares.map((bytes, i) => {
      const slot = this.#slot(i % this.threads);
      const share: Share = { slot };
      if (slot.broken !== undefined) {
        share.error = slot.broken;
        return share;
      }
      // A share that is a whole buffer of its own (as the wasm glue makes them) is moved.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      slot.waiting.push(share);
      try {
        slot.worker.post({ kind: "share", share: own } satisfies JobMessage, [own.buffer as ArrayBuffer]);
      } catch (e) {
        slot.break(`a job worker cannot be reached: ${e instanceof Error ? e.message : String(e)}`);
      }
      return share;
    });
    const ticket = this.#nextTicket++;
    this.#tickets.set(ticket, refs);
    return ticket;
  }

  /**
   * Waits for a submitted batch; each share's framed results, in order. A share that
   * failed, a worker that trapped or died, or one that shows no progress for the pool's
   * timeout, throws.
   */
  collect(ticket: number): Uint8Array[] {
    this.#settle();
    const refs = this.#tickets.get(ticket);
    if (refs === undefined) throw new Error(`no batch has ticket ${ticket}`);
    this.#tickets.delete(ticket);
    // One share per worker at most: the last piece of each can be handed on as a view.
    const asView = new Set(refs.map((r) => r.slot)).size === refs.length;
    for (const ref of refs) {
      while (ref.result === undefined && ref.error === undefined) this.#takeNext(ref.slot, asView ? ref : undefined);
    }
    const failed = refs.find((r) => r.error !== undefined);
    if (failed) throw new Error(failed.error);
    return refs.map((r) => r.result!);
  }

  /** Stops every job worker; the pool takes no more batches. */
  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) slot?.worker.terminate();
    this.#slots.fill(undefined);
    this.#tickets.clear();
  }

  /** The live slot `i`, started (again, after a failure) if need be. */
  #slot(i: number): Slot {
    let slot = this.#slots[i];
    const failure = slot?.worker.failure();
    if (slot !== undefined && failure !== undefined) slot.break(`a job worker failed: ${failure}`);
    if (slot === undefined || slot.broken !== undefined) {
      slot = new Slot(this.workers, this.module, this.#pieceBytes);
      this.#slots[i] = slot;
    }
    return slot;
  }

  /** Acknowledges pieces handed on as views: whoever took them has copied them by now. */
  #settle(): void {
    for (const slot of this.#slots) if (slot?.unacked) slot.ack();
  }

  /** Takes the next share of `slot`, whichever batch it belongs to; `view` may get a view. */
  #takeNext(slot: Slot, view: Share | undefined): void {
    const share = slot.waiting[0];
    if (share === undefined) throw new Error("a job worker owes no share (a bug in the job pool)");
    try {
      const { status, bytes } = this.#receive(slot, share === view);
      slot.waiting.shift();
      if (status === Status.Ok) share.result = bytes;
      else share.error = new TextDecoder().decode(bytes);
      if (status === Status.Broken) slot.break(share.error!);
    } catch (e) {
      slot.break(e instanceof Error ? e.message : String(e));
    }
  }

  /** One share's results (or failure), in as many pieces as it takes. */
  #receive(slot: Slot, asView: boolean): { status: Status; bytes: Uint8Array } {
    const first = this.#piece(slot);
    const status = Atomics.load(slot.control, Cell.Status) as Status;
    const total = Atomics.load(slot.control, Cell.Total) >>> 0;
    if (first === total && asView && status === Status.Ok) {
      slot.unacked = true;
      return { status, bytes: new Uint8Array(slot.data, 0, first) };
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (let n = first; ; n = this.#piece(slot)) {
      bytes.set(new Uint8Array(slot.data, 0, n), at);
      at += n;
      slot.ack();
      if (at >= total) return { status, bytes };
    }
  }

  /** Waits for the next piece of `slot`; its length. */
  #piece(slot: Slot): number {
    if (slot.unacked) slot.ack();
    let deadline = Date.now() + this.#noProgressMs;
    while (Atomics.load(slot.control, Cell.Posted) === slot.taken) {
      const failure = slot.worker.failure();
      if (failure !== undefined) throw new Error(`a job worker failed: ${failure}`);
      const now = Date.now();
      if (Atomics.load(slot.control, Cell.State) === State.Starting && now - slot.started > START_MS) {
        throw new Error(`a job worker did not start within ${START_MS / 1000} s`);
      }
      if (now >= deadline) {
        throw new Error(`a job worker showed no progress for ${Math.round(this.#noProgressMs / 1000)} s`);
      }
      if (Atomics.wait(slot.control, Cell.Posted, slot.taken, Math.min(deadline - now, 1000)) !== "timed-out") {
        deadline = Date.now() + this.#noProgressMs;
      }
    }
    return Atomics.load(slot.control, Cell.Length);
  }
}
