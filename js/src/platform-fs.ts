// @ts-self-types="./platform-fs.d.ts"
/**
 * The platform of Node and Deno (Deno through its `node:` built-ins): the wasm module read
 * from the package's directory, file-system storage, `node:crypto` intrinsics, signal 0
 * for process liveness, and the host and user for locks.
 * @module
 */

import * as fs from "node:fs";
import * as os from "node:os";
import { basename, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

import { CairnError } from "./errors.js";
import { checkPackageFiles } from "./files.js";
import type { Client } from "./generated/api.js";
import { nodeIntrinsics } from "./intrinsics.js";
import { MODULE_URL, type Location, type Locator, type Origin, type Platform, type TreeFs } from "./platform.js";
import { bridgeFetch, bridgeHint } from "./http-bridge.js";
import { FsStorage } from "./storage.js";
import { HttpStorage, httpLocation, policyFrom } from "./storage-http.js";
import { S3Storage, s3Location } from "./storage-s3.js";
import type { S3Options } from "./types.js";
import { restoreInto } from "./tree-restore.js";
import { walkInto } from "./tree-walk.js";

/**
 * Whether process `pid` runs on this host, so that maintenance can remove the locks of
 * dead processes: signal 0 tests without signalling. `undefined` when the runtime cannot say.
 */
function processAlive(pid: number): boolean | undefined {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === "ESRCH" ? false : code === "EPERM" ? true : undefined;
  }
}

/**
 * What `read` answers, or `undefined` when the runtime refuses it: Deno throws `NotCapable`
 * for an environment variable or system fact outside `--allow-env`/`--allow-sys`, and a lock
 * is still written without it.
 */
function permitted<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Environment variable `name`, or `undefined` where the runtime refuses it (Deno without `--allow-env`). */
const env = (name: string) => permitted(() => process.env[name]);

/**
 * The host and user this runtime may name, each `undefined` where it is refused (Deno
 * without `--allow-sys=hostname` or `--allow-env=USER`): what snapshots record.
 */
export function origin(): Origin {
  // No passwd entry for this uid (containers) leaves what the environment says.
  const user = permitted(() => os.userInfo().username) ?? env("USER") ?? env("USERNAME") ?? env("LOGNAME");
  return { host: permitted(() => os.hostname()), user };
}

/**
 * Who runs the engine, recorded in locks. Each fact is optional: under Deno without
 * `--allow-env=USER` or `--allow-sys=hostname` the lock says `unknown`, and maintenance
 * then cannot tell whether its owner is gone (the heartbeat rule still applies).
 */
export function client(): Client {
  const { host, user } = origin();
  return { hostname: host ?? "unknown", pid: process.pid, user: user ?? "unknown" };
}

/** The engine's side in Node and Deno. */
export const fsPlatform: Platform = {
  moduleBytes: () => fs.readFileSync(MODULE_URL),
  storage(location) {
    // CAIRN_STORAGE_ATTEMPTS and CAIRN_STORAGE_TIMEOUT lower the attempts and time-outs,
    // as in the CLI (for tests of failure).
    // CAIRN_READ_AHEAD=0 turns fetching ahead off, as in the CLI (to measure what it gains).
    if (location.kind === "http") return new HttpStorage(location.url, bridgeFetch, policyFrom(env), bridgeHint);
    if (location.kind === "s3") return new S3Storage(location, bridgeFetch, policyFrom(env), bridgeHint);
    if (location.kind !== "fs") throw new CairnError("InvalidArgument", `invalid argument: ${location.kind} locations are the browser's`);
    return new FsStorage(location.root);
  },
  intrinsics: nodeIntrinsics,
  processAlive,
};

/**
 * The location a string names, as in the CLI (`host/src/location.rs`): a path or
 * `file:///PATH`, an `http(s)://` URL (read-only), or `s3://BUCKET/PREFIX` (with `s3`
 * settings, else the environment's).
 */
export function fsLocation(given: string, s3?: S3Options): Location {
  const http = httpLocation(given) ?? s3Location(given, s3, env);
  if (http !== undefined) return http;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(given)?.[1]?.toLowerCase();
  if (scheme === "file") {
    try {
      return { kind: "fs", root: fileURLToPath(given) };
    } catch (e) {
      throw new CairnError("InvalidArgument", `invalid argument: \`${given}\`: ${(e as Error).message}; a file:// location is file:///ABSOLUTE/PATH`);
    }
  }
  if (scheme !== undefined) throw new CairnError("InvalidArgument", `invalid argument: unknown repository location scheme \`${scheme}://\`: use a path, file://, s3:// or http(s)://`);
  return { kind: "fs", root: resolve(given) };
}

/** The owner's side in Node and Deno: a directory path, a `file://`, `s3://` or `http(s)://` URL. */
export const fsLocator: Locator = {
  locate(given, s3) {
    if (typeof given !== "string") throw new CairnError("InvalidArgument", "invalid argument: a repository is a directory path or a URL (a string)");
    return fsLocation(given, s3);
  },
  client,
  checkFiles: (workerFiles) => checkPackageFiles([MODULE_URL, ...workerFiles]),
};

/** Directory trees in Node and Deno, through `node:fs` (docs/DESIGN-js.md, "Directory trees"). */
export const fsTrees: TreeFs = {
  itemName: (directory) => basename(resolve(directory)) || "root",
  sourcePath: (directory) => resolve(directory),
  origin,
  walkInto,
  restoreInto,
};
