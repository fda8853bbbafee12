// @ts-self-types="./storage-s3.d.ts"
/**
 * A repository in an S3-compatible bucket, read-write, in Node and Deno (docs/DESIGN.md
 * §22, §29): the same contract as the CLI's `host/src/storage/s3.rs`. Requests go through
 * the same synchronous transport, retries and time-outs as the HTTP storage
 * (`sendRetrying` of `storage-http.ts`) and are signed (SigV4) by `aws4fetch` on the fetch
 * worker (`http-bridge.ts`). `put` is one PUT, which S3 makes atomic; `putNew` (what locks
 * are made of) is a conditional PUT with `If-None-Match: *`, and a service that cannot do
 * it makes `putNew` fail rather than race (docs/FORMAT.md §10). Listing pages through
 * `ListObjectsV2` with continuation tokens, parsed by the engine's own parser. No message
 * carries a secret: only S3's error code of an answer is shown, and the keys are blanked
 * out of everything else.
 * @module
 */

import { listObjectsV2Query, parseListObjectsV2, percentEncode, validateKey, validatePrefix } from "../pkg/cairn_bindgen.js";
import { CairnError, StorageFailure } from "./errors.js";
import type { Location, SigningKeys, StorageMethods } from "./platform.js";
import { DEFAULT_POLICY, parsePlanned, rangeHeader, sendRetrying } from "./storage-http.js";
import type { HintFetch, HttpRequest, NetPolicy, SyncFetch } from "./storage-http.js";
import type { S3Options } from "./types.js";

/** An `s3://` location, as it crosses to the engine's worker. */
export type S3Location = Extract<Location, { kind: "s3" }>;

/** The region when neither the options nor the environment name one, as the CLI's. */
const DEFAULT_REGION = "us-east-1";

/**
 * The location of an `s3://BUCKET/PREFIX` URL by the CLI's rules (`host/src/location.rs`),
 * with endpoint, region and credentials from `options`, else from the standard variables
 * that `env` reads. `undefined` when `given` is not an s3 URL.
 */
export function s3Location(given: string, options: S3Options | undefined, env: (name: string) => string | undefined): S3Location | undefined {
  const m = /^s3:\/\/(.*)$/i.exec(given);
  if (m === null) return undefined;
  const rest = m[1] ?? "";
  const bad = (why: string) => new CairnError("InvalidArgument", `invalid argument: ${why}`);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket.includes("@")) {
    throw bad(`an s3:// location carries credentials (\`…@\`): leave them out of the URL and give them in the \`s3\` option or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  }
  if (!/^[A-Za-z0-9._-]+$/.test(bucket)) throw bad(`\`s3://${rest}\` names no valid bucket: write s3://BUCKET/PREFIX (letters, digits, \`-\`, \`.\`, \`_\`)`);
  const parts = (slash < 0 ? "" : rest.slice(slash + 1)).split("/").filter((p) => p !== "");
  if (!parts.every((p) => p !== "." && p !== ".." && /^[A-Za-z0-9._~-]+$/.test(p))) {
    throw bad(`the prefix of \`s3://${rest}\` must be plain names separated by \`/\` (letters, digits, \`-\`, \`_\`, \`.\`, \`~\`; not \`.\` or \`..\`)`);
  }
  const prefix = parts.map((p) => `${p}/`).join("");
  const setting = (option: keyof S3Options, ...vars: string[]) => {
    const given = options?.[option];
    if (given !== undefined && given !== "") return given;
    for (const v of vars) {
      const value = env(v);
      if (value !== undefined && value !== "") return value;
    }
    return undefined;
  };
  const region = setting("region", "AWS_REGION", "AWS_DEFAULT_REGION") ?? DEFAULT_REGION;
  const endpoint = setting("endpoint", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3");
  let bucketUrl: string;
  if (endpoint === undefined) {
    // AWS itself, virtual-hosted as the CLI.
    bucketUrl = `https://${bucket}.s3.${region}.amazonaws.com/`;
  } else {
    if (!/^https?:\/\/[^/?#@]+/i.test(endpoint) || /[?#]/.test(endpoint)) {
      throw bad(`the S3 endpoint \`${endpoint}\` is not an http(s):// URL of a host: check AWS_ENDPOINT_URL or the \`s3.endpoint\` option`);
    }
    // A self-hosted service (SeaweedFS, MinIO): path-style, ENDPOINT/BUCKET/KEY.
    bucketUrl = `${endpoint.replace(/\/+$/, "")}/${bucket}/`;
  }
  const accessKeyId = setting("accessKeyId", "AWS_ACCESS_KEY_ID");
  const secretAccessKey = setting("secretAccessKey", "AWS_SECRET_ACCESS_KEY");
  let keys: SigningKeys | undefined;
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    const sessionToken = setting("sessionToken", "AWS_SESSION_TOKEN");
    keys = { accessKeyId, secretAccessKey, region, ...(sessionToken === undefined ? {} : { sessionToken }) };
  } else if (env("AWS_SKIP_SIGNATURE") !== "true") {
    throw bad(
      `s3://${bucket}/${prefix}: no credentials: give \`s3: { accessKeyId, secretAccessKey }\` or set AWS_ACCESS_KEY_ID and ` +
        `AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or AWS_SKIP_SIGNATURE=true for a public bucket`,
    );
  }
  return { kind: "s3", bucket, prefix, bucketUrl, ...(keys === undefined ? {} : { keys }) };
}

/** S3's error code in an error answer's XML (`NoSuchBucket`, `SignatureDoesNotMatch`), if any. */
function s3Code(body: Uint8Array): string | undefined {
  return /<Code>([A-Za-z0-9.]{1,64})<\/Code>/.exec(new TextDecoder().decode(body.subarray(0, 4096)))?.[1];
}

/** [`StorageMethods`] on the objects under a prefix of an S3 bucket. */
export class S3Storage implements StorageMethods {
  readonly #at: S3Location;
  readonly #send: SyncFetch;
  readonly #policy: NetPolicy;
  readonly #hint: HintFetch | undefined;

  /**
   * Storage on `location`, through `send`; announced reads are made ahead through `hint`
   * where the policy allows. Nothing is contacted until the first call.
   */
  constructor(location: S3Location, send: SyncFetch, policy = DEFAULT_POLICY, hint?: HintFetch) {
    this.#at = location;
    this.#send = send;
    this.#policy = policy;
    this.#hint = policy.readAhead ? hint : undefined;
  }

  /** `request`, signed when the location has keys. */
  #signed(request: Omit<HttpRequest, "sign">): HttpRequest {
    return { ...request, ...(this.#at.keys ? { sign: this.#at.keys } : {}) };
  }

  /** How `key` is named in messages. */
  #name(key: string): string {
    return `s3://${this.#at.bucket}/${this.#at.prefix}${key}`;
  }

  /** `message` with every secret blanked out. */
  #scrub(message: string): string {
    const { secretAccessKey, sessionToken } = this.#at.keys ?? {};
    let out = message;
    for (const s of [secretAccessKey, sessionToken]) if (s !== undefined && s.length >= 4) out = out.split(s).join("***");
    return out;
  }

  /**
   * Sends one request (retrying transient failures), answering its status and body for the
   * caller to judge; statuses every operation treats alike (403, a missing bucket) fail here.
   */
  #request(op: string, key: string, request: Omit<HttpRequest, "sign">, alsoTransient: readonly number[] = []): { status: number; body: Uint8Array } {
    const what = `${op} ${this.#name(key)}`;
    let a: { status: number; body: Uint8Array };
    try {
      a = sendRetrying(this.#send, this.#signed(request), this.#policy, what, "check the S3 endpoint (AWS_ENDPOINT_URL or the `s3.endpoint` option) and the network", alsoTransient);
    } catch (e) {
      throw new StorageFailure("Io", this.#scrub((e as Error).message));
    }
    const code = s3Code(a.body);
    if (code === "NoSuchBucket") {
      throw new StorageFailure("Io", `${what}: the bucket ${this.#at.bucket} does not exist: create it, or check the bucket name and the S3 endpoint`);
    }
    if (a.status === 401 || a.status === 403) {
      throw new StorageFailure(
        "Io",
        `${what}: access denied (${code ?? a.status}): check the access key ID and secret access key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or the \`s3\` option) and the bucket's permissions`,
      );
    }
    return a;
  }

  /** A failure for an answer the operation did not expect. */
  #unexpected(op: string, key: string, a: { status: number; body: Uint8Array }): StorageFailure {
    const code = s3Code(a.body);
    return new StorageFailure("Io", `${op} ${this.#name(key)}: the service answered ${a.status}${code ? ` (${code})` : ""}: check the S3 endpoint, the credentials and that the bucket exists`);
  }

  #url(key: string): string {
    if (!validateKey(key)) throw new StorageFailure("InvalidKey", `storage key \`${key}\` is outside the repository layout`);
    return this.#at.bucketUrl + percentEncode(this.#at.prefix + key);
  }

  /** The whole object. */
  get(key: string): Uint8Array {
    const a = this.#request("get", key, { url: this.#url(key) });
    if (a.status === 200) return a.body;
    if (a.status === 404) throw new StorageFailure("NotFound", `${this.#name(key)} does not exist`);
    throw this.#unexpected("get", key, a);
  }

  /** `len` bytes from `offset`, fewer at the end. */
  getRange(key: string, offset: number, len: number): Uint8Array {
    const url = this.#url(key);
    const op = `get from byte ${offset} of`;
    if (len === 0) {
      // Nothing to read: only whether the object exists.
      const a = this.#request(op, key, { method: "HEAD", url });
      if (a.status === 200) return new Uint8Array(0);
      if (a.status === 404) throw new StorageFailure("NotFound", `${this.#name(key)} does not exist`);
      throw this.#unexpected(op, key, a);
    }
    const a = this.#request(op, key, { url, headers: { Range: rangeHeader(offset, len) } });
    if (a.status === 206) return a.body.subarray(0, len);
    // A service that ignores `Range` sends the whole object.
    if (a.status === 200) return a.body.slice(offset, offset + len);
    // A range that starts past the end.
    if (a.status === 416) return new Uint8Array(0);
    if (a.status === 404) throw new StorageFailure("NotFound", `${this.#name(key)} does not exist`);
    throw this.#unexpected(op, key, a);
  }

  /** Makes the announced reads ahead, the same requests `get` and `getRange` make (docs/DESIGN.md §28). */
  willRead(reads: string): void {
    if (this.#hint === undefined) return;
    const requests = parsePlanned(reads).flatMap((r) => {
      if (!validateKey(r.key)) return [];
      const url = this.#at.bucketUrl + percentEncode(this.#at.prefix + r.key);
      if ("size" in r) return [{ request: this.#signed({ url }), size: r.size }];
      return [{ request: this.#signed({ url, headers: { Range: rangeHeader(r.offset, r.len) } }), size: r.len }];
    });
    this.#hint(requests, this.#policy.timeoutMs);
  }

  /** Creates or replaces the object: one PUT, atomic on S3. */
  put(key: string, data: Uint8Array): void {
    const a = this.#request("put", key, { method: "PUT", url: this.#url(key), body: data });
    if (a.status !== 200 && a.status !== 201 && a.status !== 204) throw this.#unexpected("put", key, a);
  }

  /** Creates the object only if it is absent (`If-None-Match: *`); `AlreadyExists` if it exists. */
  putNew(key: string, data: Uint8Array): void {
    // 409: AWS's answer to a conditional write racing another on the same key; try again.
    const a = this.#request("create", key, { method: "PUT", url: this.#url(key), headers: { "If-None-Match": "*" }, body: data }, [409]);
    if (a.status === 200 || a.status === 201 || a.status === 204) return;
    if (a.status === 412) throw new StorageFailure("AlreadyExists", `\`${key}\` already exists`);
    if (a.status === 501 || s3Code(a.body) === "NotImplemented") {
      throw new StorageFailure(
        "Io",
        `create ${this.#name(key)}: this S3 service cannot create objects exclusively (If-None-Match: *), which Cairn's locks need; it refuses to write rather than risk two writers`,
      );
    }
    throw this.#unexpected("create", key, a);
  }

  /** Every key under `prefix` in the repository grammar, from `ListObjectsV2` pages. */
  list(prefix: string): string[] {
    if (!validatePrefix(prefix)) throw new StorageFailure("InvalidKey", `\`${prefix}\` is not a directory of the repository layout`);
    const root = this.#at.prefix;
    const keys: string[] = [];
    for (let token: string | undefined; ; ) {
      const a = this.#request("list", prefix, { url: `${this.#at.bucketUrl}?${listObjectsV2Query(root + prefix, token)}` });
      if (a.status !== 200) throw this.#unexpected("list", prefix, a);
      let page: { keys: string[]; nextToken?: string };
      try {
        page = parseListObjectsV2(new TextDecoder().decode(a.body));
      } catch (e) {
        throw new StorageFailure("Io", `list ${this.#name(prefix)}: ${(e as Error).message}`);
      }
      for (const k of page.keys) {
        const key = k.slice(root.length);
        if (k.startsWith(root + prefix) && validateKey(key)) keys.push(key);
      }
      if (page.nextToken === undefined) return keys;
      token = page.nextToken;
    }
  }

  /** Removes the object; a missing one is not an error. */
  delete(key: string): void {
    const a = this.#request("delete", key, { method: "DELETE", url: this.#url(key) });
    if (a.status !== 200 && a.status !== 204 && a.status !== 404) throw this.#unexpected("delete", key, a);
  }
}
