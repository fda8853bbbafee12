// @ts-self-types="./streams.d.ts"
/**
 * Stream inputs and outputs: any accepted input as blocks for the engine, and a restore
 * session as an async generator that ends the session however the reader stops.
 * @module
 */

import { CairnError } from "./errors.js";
import type { StreamInput } from "./types.js";

/** Blocks handed to the engine are at least this long (except the last): fewer crossings. */
export const BLOCK = 1 << 20;

/**
 * The total length of `items`, for progress percentages: each item's declared `size`, a
 * `Uint8Array`'s length, or what the runtime's `sizeOf` knows (a file stream's size);
 * `undefined` as soon as one is unknown.
 */
export function knownLength(
  items: { stream: StreamInput; size?: number }[],
  sizeOf: (input: StreamInput) => number | undefined = () => undefined,
): number | undefined {
  let total = 0;
  for (const { stream, size } of items) {
    const n = size ?? (stream instanceof Uint8Array ? stream.length : sizeOf(stream));
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
}

/** The chunks of any accepted input, as they come. */
async function* chunks(input: StreamInput): AsyncGenerator<Uint8Array> {
  if (input instanceof Uint8Array) {
    for (let at = 0; at < input.length; at += BLOCK) yield input.subarray(at, at + BLOCK);
    return;
  }
  if (typeof (input as ReadableStream<Uint8Array>).getReader === "function") {
    const reader = (input as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  if (typeof (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
    yield* input as AsyncIterable<Uint8Array>;
    return;
  }
  throw new CairnError(
    "InvalidArgument",
    "invalid argument: a stream must be a Uint8Array, a ReadableStream, a Node Readable or an AsyncIterable of Uint8Array",
  );
}

/** The bytes of `input` in blocks of at least {@link BLOCK} bytes, the last one shorter. */
export async function* blocks(input: StreamInput): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks(input)) {
    if (!(chunk instanceof Uint8Array)) {
      throw new CairnError("InvalidArgument", "invalid argument: a stream yielded something other than bytes (a string? do not set an encoding)");
    }
    if (pending.length === 0 && chunk.length >= BLOCK) {
      yield chunk;
      continue;
    }
    pending.push(chunk);
    size += chunk.length;
    if (size >= BLOCK) {
      yield concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield concat(pending, size);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A web `ReadableStream` of `blocks` (Deno, browsers): pulled one block at a time, and
 * cancelling it returns the iterator, which ends the restore session.
 */
export function toReadableStream(blocks: AsyncIterableIterator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await blocks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await blocks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

