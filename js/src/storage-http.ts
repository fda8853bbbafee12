// @ts-self-types="./storage-http.d.ts"
/**
 * A repository served over HTTP(S), read-only (docs/DESIGN.md §22, §27): the same
 * contract as the CLI's `host/src/storage/http.rs`, for the browser, Node and Deno alike.
 * Objects are fetched with GET, ranges with a `Range` header; a server that ignores it
 * (Python's `http.server` does) answers the whole object, which is sliced (and kept, for
 * the next ranges of the same pack). Listing reads the server's directory pages,
 * or S3 `ListObjectsV2` pages for a public bucket, parsed by the engine's own parser
 * (`core-wasm/engine/src/http_listing.rs`, exported by `core-wasm/bindgen`). Every write
 * fails with `ReadOnly`.
 *
 * The engine's storage calls are synchronous, so the requests go through a
 * {@link SyncFetch}: synchronous XHR in a browser's worker (`http-xhr.ts`), an `Atomics.wait`
 * bridge to `fetch` on another thread in Node and Deno (`http-bridge.ts`).
 * @module
 */

import {
  listObjectsV2Query,
  parseHtmlListing,
  parseListObjectsV2,
  percentEncode,
  validateKey,
  validatePrefix,
} from "../pkg/cairn_bindgen.js";
import { CairnError, StorageFailure } from "./errors.js";
import type { Location, SigningKeys, StorageMethods } from "./platform.js";

/** What one request answered: an HTTP status and body, or a failure before any answer. */
export type HttpAnswer = { status: number; body: Uint8Array } | { failure: string };

/** One HTTP request of a storage. */
export interface HttpRequest {
  /** `GET` when left out. */
  method?: "GET" | "HEAD" | "PUT" | "DELETE";
  /** The URL, query included. */
  url: string;
  /** Request headers (`Range`, `If-None-Match`). */
  headers?: Record<string, string>;
  /** The body of a `PUT`. */
  body?: Uint8Array;
  /** Signs the request for S3 with these keys (only where the transport can: Node and Deno). */
  sign?: SigningKeys;
}

/** One synchronous request, bounded by `timeoutMs`. */
export type SyncFetch = (request: HttpRequest, timeoutMs: number) => HttpAnswer;

/**
 * Asks the transport to make `reads` ahead (each bounded by `timeoutMs`), in order, for the
 * {@link SyncFetch} calls that follow, replacing what it asked before (docs/DESIGN.md §28).
 */
export type HintFetch = (reads: { request: HttpRequest; size: number }[], timeoutMs: number) => void;

/** How long one request may take in all (a pack is tens of MiB at most), as the CLI's. */
export const REQUEST_TIMEOUT_MS = 120_000;

/** Attempts of a request that failed transiently, the first included, as the CLI's. */
export const ATTEMPTS = 4;

/** The wait before the second attempt; it doubles for each later one. */
const FIRST_BACKOFF_MS = 200;

/** How deep the grammar's keys go (`packs/data/ab/<id>.pack`): listing descends no further. */
const MAX_DEPTH = 3;

/** Waits `ms` on this thread (a storage call may block: it runs in the engine's worker). */
export function sleepSync(ms: number): void {
  if (typeof SharedArrayBuffer !== "undefined" && typeof Atomics.wait === "function") {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    return;
  }
  // A page that is not cross-origin isolated has no SharedArrayBuffer; only retries wait.
  for (const end = Date.now() + ms; Date.now() < end; );
}

/** The wait before retry `n` (from 0): doubling, with up to a quarter more at random. */
function backoff(n: number): number {
  const base = FIRST_BACKOFF_MS * 2 ** Math.min(n, 10);
  return base + (base * Math.random()) / 4;
}

/** How a network storage retries and times out its requests. */
export interface NetPolicy {
  /** Attempts of a request that failed transiently, the first included (1 to {@link ATTEMPTS}). */
  attempts: number;
  /** How long one request may take in all. */
  timeoutMs: number;
  /** Whether announced reads are made ahead, where the transport can. */
  readAhead: boolean;
}

/** The policy of every storage unless the environment lowers it, as the CLI's. */
export const DEFAULT_POLICY: NetPolicy = { attempts: ATTEMPTS, timeoutMs: REQUEST_TIMEOUT_MS, readAhead: true };

/**
 * The policy `env` asks for, as in the CLI (for tests of failure): `CAIRN_STORAGE_ATTEMPTS`
 * lowers the attempts (at least 1), `CAIRN_STORAGE_TIMEOUT` shortens the time-out to its
 * seconds (at least 1); neither can raise them. `CAIRN_READ_AHEAD=0` turns fetching ahead off.
 */
export function policyFrom(env: (name: string) => string | undefined): NetPolicy {
  const number = (name: string) => {
    const n = Number(env(name) ?? Number.NaN);
    return Number.isInteger(n) ? Math.max(1, n) : Number.POSITIVE_INFINITY;
  };
  return {
    attempts: Math.min(ATTEMPTS, number("CAIRN_STORAGE_ATTEMPTS")),
    timeoutMs: Math.min(REQUEST_TIMEOUT_MS, number("CAIRN_STORAGE_TIMEOUT") * 1000),
    readAhead: env("CAIRN_READ_AHEAD") !== "0",
  };
}

/**
 * Sends `request` through `send` until it gets an answer that is not transient: no answer
 * at all, 429 and 5xx (and the statuses in `alsoTransient`) are tried again, as often as
 * `policy` says, with backoff, each bounded by its time-out; then it fails with `Io`,
 * naming `what` and `hint`. The one request, retry and time-out path of the network
 * storages (HTTP and S3).
 */
export function sendRetrying(
  send: SyncFetch,
  request: HttpRequest,
  policy: NetPolicy,
  what: string,
  hint: string,
  alsoTransient: readonly number[] = [],
): { status: number; body: Uint8Array } {
  let last = "";
  const attempts = Math.max(1, Math.min(ATTEMPTS, policy.attempts));
  for (let n = 0; n < attempts; n++) {
    if (n > 0) sleepSync(backoff(n - 1));
    const a = send(request, policy.timeoutMs);
    if ("failure" in a) {
      last = a.failure;
      continue;
    }
    const { status } = a;
    if (status === 429 || (status >= 500 && status <= 599 && status !== 501) || alsoTransient.includes(status)) {
      last = `the server answered ${status} (busy or failing)`;
      continue;
    }
    return a;
  }
  throw new StorageFailure("Io", `${what}: ${last} (after ${attempts} attempts): ${hint}`);
}

/** A read the engine announced (a line of `cairn_core::wire::encode_planned`). */
export type Planned = { key: string; offset: number; len: number } | { key: string; size: number };

/** The reads of a hint's text; a line that does not parse is left out (a hint changes no answer). */
export function parsePlanned(text: string): Planned[] {
  const out: Planned[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const n = f.slice(2).map(Number);
    if (!n.every((x) => Number.isSafeInteger(x) && x >= 0)) continue;
    if (f[0] === "get" && f.length === 3) out.push({ key: f[1]!, size: n[0]! });
    else if (f[0] === "range" && f.length === 4 && n[1]! > 0) out.push({ key: f[1]!, offset: n[0]!, len: n[1]! });
  }
  return out;
}

/** The `Range` header value of `len` (> 0) bytes from `offset`. */
export function rangeHeader(offset: number, len: number): string {
  return `bytes=${offset}-${offset + len - 1}`;
}

/**
 * The location of an `http(s)://` URL, by the CLI's rules (`host/src/location.rs`): no
 * credentials, a host, no query or fragment, a trailing `/` added. `undefined` when `given`
 * is not an http(s) URL.
 */
export function httpLocation(given: string): Location | undefined {
  const m = /^(https?):\/\/(.*)$/i.exec(given);
  if (m === null) return undefined;
  const [, scheme, rest] = m as unknown as [string, string, string];
  const authority = rest.split("/")[0]!;
  const bad = (why: string) => new CairnError("InvalidArgument", `invalid argument: \`${given}\` ${why}`);
  if (authority.includes("@")) throw bad("carries credentials (`…@`): leave them out; a served repository is read anonymously");
  if (authority === "") throw bad("names no host");
  if (/[?#]/.test(rest)) throw bad("has a query or fragment: give the URL of the repository's root directory");
  const url = `${scheme.toLowerCase()}://${rest}`;
  return { kind: "http", url: url.endsWith("/") ? url : `${url}/` };
}

/** How the server lists a directory, found out on the first listing. */
type Lister = { kind: "html" } | { kind: "s3"; bucketUrl: string; keyPrefix: string };

/** A GET's outcome worth telling apart. */
type Got = { status: number; body: Uint8Array } | "missing" | "pastEnd";

/**
 * The writes of a read-only storage (a repository over HTTP, a folder picked in a page):
 * each is refused with the storage status `ReadOnly`, in the words of `refusal`, so that
 * commands that only read work and every other one fails before it changes anything.
 */
export abstract class ReadOnlyStorage {
  /** Why writing `key` is refused, naming the storage (a storage that checks keys may throw for a bad one instead). */
  protected abstract refusal(key: string): string;

  /** Refused: the storage is read-only. */
  put(key: string): void {
    throw new StorageFailure("ReadOnly", this.refusal(key));
  }

  /** Refused: the storage is read-only. */
  putNew(key: string): void {
    throw new StorageFailure("ReadOnly", this.refusal(key));
  }

  /** Refused: the storage is read-only. */
  delete(key: string): void {
    throw new StorageFailure("ReadOnly", this.refusal(key));
  }
}

/** [`StorageMethods`] over HTTP(S), read-only. */
export class HttpStorage extends ReadOnlyStorage implements StorageMethods {
  readonly #base: string;
  readonly #get: SyncFetch;
  readonly #policy: NetPolicy;
  readonly #hint: HintFetch | undefined;
  /** Whether the server answered a range with 206: only then are ranges fetched ahead. */
  #ranges = false;
  #lister: Lister | undefined;
  /** The last whole pack a server sent for a range (it ignores `Range`): its next ranges come from here. */
  #whole: { key: string; body: Uint8Array } | undefined;

  /**
   * Storage over the repository whose root is at `base` (ending in `/`), through `get`;
   * announced reads are made ahead through `hint` where the policy allows.
   */
  constructor(base: string, get: SyncFetch, policy = DEFAULT_POLICY, hint?: HintFetch) {
    super();
    this.#base = base;
    this.#get = get;
    this.#policy = policy;
    this.#hint = policy.readAhead ? hint : undefined;
  }

  /** GETs `url`, retrying transient failures (no answer, 429, 5xx) with backoff. */
  #fetch(what: string, url: string, range?: string): Got {
    const request = { url, headers: range === undefined ? undefined : { Range: range } };
    const a = sendRetrying(this.#get, request, this.#policy, `${what}: ${url}`, "check the URL and the network");
    const { status } = a;
    if (status === 200 || status === 206) return a;
    if (status === 404) return "missing";
    if (status === 416) return "pastEnd";
    if (status === 401 || status === 403) {
      throw new StorageFailure("Io", `${what}: ${url} answered ${status} (access denied): check the URL and that the server lets anyone read it`);
    }
    throw new StorageFailure("Io", `${what}: ${url} answered ${status}: check the URL`);
  }

  #url(key: string): string {
    if (!validateKey(key)) throw new StorageFailure("InvalidKey", `storage key \`${key}\` is outside the repository layout`);
    return this.#base + percentEncode(key);
  }

  /** The whole object. */
  get(key: string): Uint8Array {
    const got = this.#fetch(`get ${key}`, this.#url(key));
    if (got === "missing") throw new StorageFailure("NotFound", `${this.#base} has no ${key}`);
    return got === "pastEnd" ? new Uint8Array(0) : got.body;
  }

  /** `len` bytes from `offset`, fewer at the end. */
  getRange(key: string, offset: number, len: number): Uint8Array {
    const url = this.#url(key);
    const whole = this.#whole?.key === key ? this.#whole.body : undefined;
    if (whole !== undefined) return whole.slice(offset, offset + len);
    const range = len > 0 ? rangeHeader(offset, len) : undefined;
    const got = this.#fetch(`get ${key} from byte ${offset}`, url, range);
    if (got === "missing") throw new StorageFailure("NotFound", `${this.#base} has no ${key}`);
    if (got === "pastEnd") return new Uint8Array(0);
    // The server sent the range asked for.
    if (got.status === 206 && range !== undefined) {
      this.#ranges = true;
      return got.body.subarray(0, len);
    }
    // The server ignored the range and sent the whole object: slice it, and keep a pack
    // (named by its hash, so it cannot change) for the reads of its next blobs.
    if (range !== undefined && key.startsWith("packs/")) this.#whole = { key, body: got.body };
    return got.body.slice(offset, offset + len);
  }

  /**
   * Makes the announced reads ahead: whole objects always, ranges once the server has
   * answered one with 206 (a server that ignores ranges would send the whole pack for each).
   */
  willRead(reads: string): void {
    if (this.#hint === undefined) return;
    const requests = parsePlanned(reads).flatMap((r) => {
      if (!validateKey(r.key)) return [];
      const url = this.#base + percentEncode(r.key);
      if ("size" in r) return [{ request: { url }, size: r.size }];
      return this.#ranges ? [{ request: { url, headers: { Range: rangeHeader(r.offset, r.len) } }, size: r.len }] : [];
    });
    this.#hint(requests, this.#policy.timeoutMs);
  }

  /** Every key under `prefix` in the repository grammar, from listings. */
  list(prefix: string): string[] {
    if (!validatePrefix(prefix)) throw new StorageFailure("InvalidKey", `\`${prefix}\` is not a directory of the repository layout`);
    this.#lister ??= this.#findLister();
    const lister = this.#lister;
    let keys: string[];
    if (lister.kind === "html") {
      keys = [];
      this.#listHtml(prefix, prefix.split("/").length - 1, keys);
    } else {
      keys = this.#listS3(lister.bucketUrl, lister.keyPrefix, prefix);
    }
    return keys.filter((k) => k.startsWith(prefix));
  }

  /** HTML pages when the root URL answers one; else the first bucket URL (path-style, then virtual-hosted) whose `ListObjectsV2` answers. */
  #findLister(): Lister {
    const root = this.#fetch("list", this.#base);
    if (typeof root === "object" && text(root.body).toLowerCase().includes("<html")) return { kind: "html" };
    const [scheme, rest] = this.#base.split("://") as [string, string];
    const slash = rest.indexOf("/");
    const host = rest.slice(0, slash);
    const path = rest.slice(slash + 1);
    const candidates: [string, string][] = [];
    const inner = path.indexOf("/");
    if (inner >= 0) candidates.push([`${scheme}://${host}/${path.slice(0, inner)}/`, path.slice(inner + 1)]);
    candidates.push([`${scheme}://${host}/`, path]);
    let reason = "it serves no directory listing";
    for (const [bucketUrl, keyPrefix] of candidates) {
      const got = this.#fetch("list", `${bucketUrl}?${listObjectsV2Query(keyPrefix)}`);
      if (typeof got !== "object") continue;
      try {
        parseListObjectsV2(text(got.body));
        return { kind: "s3", bucketUrl, keyPrefix };
      } catch (e) {
        reason = (e as Error).message;
      }
    }
    throw new StorageFailure(
      "Io",
      `cannot list ${this.#base}: ${reason}; serve the repository's directory with listings on (e.g. nginx \`autoindex on\`) or give a public bucket's URL`,
    );
  }

  /** The keys of the grammar under directory `dir` (`""` or ending in `/`), from HTML pages. */
  #listHtml(dir: string, depth: number, out: string[]): void {
    const got = this.#fetch(`list ${dir}`, this.#base + percentEncode(dir));
    if (typeof got !== "object") return;
    for (const name of parseHtmlListing(text(got.body))) {
      if (name.endsWith("/")) {
        if (depth < MAX_DEPTH) this.#listHtml(dir + name, depth + 1, out);
      } else if (validateKey(dir + name)) {
        out.push(dir + name);
      }
    }
  }

  /** The keys of the grammar under `prefix`, from `ListObjectsV2` pages. */
  #listS3(bucketUrl: string, keyPrefix: string, prefix: string): string[] {
    const keys: string[] = [];
    for (let token: string | undefined; ; ) {
      const url = `${bucketUrl}?${listObjectsV2Query(keyPrefix + prefix, token)}`;
      const got = this.#fetch(`list ${prefix}`, url);
      if (typeof got !== "object") throw new StorageFailure("Io", `list ${prefix}: ${url} answered 404: is the bucket gone?`);
      let page: { keys: string[]; nextToken?: string };
      try {
        page = parseListObjectsV2(text(got.body));
      } catch (e) {
        throw new StorageFailure("Io", `list ${prefix} at ${bucketUrl}: ${(e as Error).message}`);
      }
      for (const k of page.keys) if (k.startsWith(keyPrefix) && validateKey(k.slice(keyPrefix.length))) keys.push(k.slice(keyPrefix.length));
      if (page.nextToken === undefined) return keys;
      token = page.nextToken;
    }
  }

  /** Writes are refused naming the server. */
  protected refusal(key: string): string {
    this.#url(key);
    return `${this.#base} is served over HTTP, which is read-only (writing ${key})`;
  }
}

/** `bytes` as text, lossily. */
function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
