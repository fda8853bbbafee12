// @ts-self-types="./jobs-worker.d.ts"
/**
 * A job worker (docs/DESIGN-js.md, "Jobs on a pool of workers"): runs the shares of
 * batches that a {@link JobPool} posts, on its own instance of the wasm module
 * (`JobRunner`), and hands each share's results back through the slot's shared memory
 * (the layout is in `pool.ts`). Each runtime's entry (`worker-jobs-node.ts`,
 * `worker-jobs-deno.ts`) supplies the message port and the crypto intrinsics.
 * @module
 */

import init, { JobRunner, takePanicMessage } from "../pkg/cairn_bindgen.js";
import { toCairnError } from "./errors.js";
import type { Intrinsics } from "./intrinsics.js";
import { Cell, State, Status, type JobMessage } from "./pool.js";
import type { WorkerPort } from "./worker.js";

/** `Atomics.waitAsync` (ES2024), missing from the ES2022 library. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };

/** `SharedArrayBuffer.prototype.grow` (ES2024), missing from the ES2022 library. */
type Growable = SharedArrayBuffer & { grow(length: number): void };

/** Waits, without blocking the event loop when the runtime can, until `array[index]` is not `value`. */
async function waitWhile(array: Int32Array, index: number, value: number): Promise<void> {
  const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
  while (Atomics.load(array, index) === value) {
    if (waitAsync === undefined) {
      Atomics.wait(array, index, value);
      continue;
    }
    const w = waitAsync(array, index, value);
    if (w.async) await w.value;
  }
}

/** Serves the pool's messages: `start` once, then shares, run and handed back in order. */
export function serveJobs(port: WorkerPort, intrinsics: Partial<Intrinsics>): void {
  let control: Int32Array | undefined;
  let data: Growable | undefined;
  let pieceBytes = 0;
  let runner: Promise<JobRunner> | undefined;
  let broken: string | undefined;
  let posted = 0;
  // Hand-offs go one at a time, in the order of the shares; shares run as they come.
  let handOffs: Promise<void> = Promise.resolve();

  /** Runs one share; its status and bytes (results, or why it failed). */
  const run = (r: JobRunner, share: Uint8Array): [Status, Uint8Array] => {
    if (broken !== undefined) return [Status.Broken, new TextEncoder().encode(broken)];
    try {
      return [Status.Ok, r.run(share)];
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        broken = `a job worker trapped (a bug in Cairn, please report it): ${takePanicMessage() ?? e.message}`;
        return [Status.Broken, new TextEncoder().encode(broken)];
      }
      return [Status.Failed, new TextEncoder().encode(toCairnError(e).message)];
    }
  };

  /** Writes one share's bytes into the slot, piece by piece, each once the pool took the last. */
  const handOff = async (status: Status, bytes: Uint8Array): Promise<void> => {
    const ctl = control!;
    const buf = data!;
    let at = 0;
    do {
      const n = Math.min(bytes.length - at, pieceBytes);
      await waitWhile(ctl, Cell.Taken, posted - 1);
      if (buf.byteLength < n) buf.grow(Math.min(pieceBytes, Math.max(n, 2 * buf.byteLength)));
      new Uint8Array(buf, 0, n).set(bytes.subarray(at, at + n));
      Atomics.store(ctl, Cell.Status, status);
      Atomics.store(ctl, Cell.Length, n);
      Atomics.store(ctl, Cell.Total, bytes.length);
      posted++;
      Atomics.store(ctl, Cell.Posted, posted);
      Atomics.notify(ctl, Cell.Posted);
      at += n;
    } while (at < bytes.length);
  };

  port.onMessage((message) => {
    const m = message as JobMessage;
    if (m.kind === "start") {
      control = new Int32Array(m.control);
      data = m.data as Growable;
      pieceBytes = m.pieceBytes;
      runner = init({ module_or_path: m.module }).then(() => new JobRunner(intrinsics));
      runner.then(
        () => Atomics.store(control!, Cell.State, State.Ready),
        () => Atomics.store(control!, Cell.State, State.Ready),
      );
      return;
    }
    const result = (runner ?? Promise.reject(new Error("a job worker got a share before it started"))).then(
      (r) => run(r, m.share),
      (e): [Status, Uint8Array] => [Status.Broken, new TextEncoder().encode(`a job worker could not start: ${toCairnError(e).message}`)],
    );
    handOffs = handOffs.then(async () => {
      const [status, bytes] = await result;
      await handOff(status, bytes);
    });
  });
}
