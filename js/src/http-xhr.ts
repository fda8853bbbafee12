// @ts-self-types="./http-xhr.d.ts"
/**
 * Synchronous GETs in a browser's worker: `XMLHttpRequest` with `async` false, which a
 * worker may use with `responseType` `arraybuffer` and a `timeout` (a page's own thread may
 * not). The engine's worker then reads a served repository without any other thread
 * (docs/DESIGN.md §27).
 * @module
 */

import type { HttpAnswer, SyncFetch } from "./storage-http.js";

/** What a browser says when a request got no answer it may show: it does not tell a refused connection from a refused cross-origin read. */
const UNREACHABLE =
  "cannot reach the server, or it does not let this page read it (a repository on another origin must be served with Access-Control-Allow-Origin)";

/** One synchronous request with `XMLHttpRequest` (unsigned: a page reads served repositories only). */
export const xhrGet: SyncFetch = ({ method, url, headers, body }, timeoutMs): HttpAnswer => {
  const xhr = new XMLHttpRequest();
  xhr.open(method ?? "GET", url, false);
  xhr.responseType = "arraybuffer";
  xhr.timeout = timeoutMs;
  for (const [name, value] of Object.entries(headers ?? {})) xhr.setRequestHeader(name, value);
  try {
    xhr.send(body as Uint8Array<ArrayBuffer> | undefined);
  } catch (e) {
    const name = (e as Error).name;
    if (name === "TimeoutError") return { failure: `no answer within ${timeoutMs / 1000} s` };
    return { failure: UNREACHABLE };
  }
  if (xhr.status === 0) return { failure: UNREACHABLE };
  return { status: xhr.status, body: new Uint8Array(xhr.response as ArrayBuffer) };
};
