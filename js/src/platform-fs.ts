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
import { MODULE_URL, type Location, type Locator, type Platform, type TreeFs } from "./platform.js";
import { bridgeGet } from "./http-bridge.js";
import { FsStorage } from "./storage.js";
import { ATTEMPTS, HttpStorage, httpLocation } from "./storage-http.js";
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

/**
 * Who runs the engine, recorded in locks. Each fact is optional: under Deno without
 * `--allow-env=USER` or `--allow-sys=hostname` the lock says `unknown`, and maintenance
 * then cannot tell whether its owner is gone (the heartbeat rule still applies).
 */
export function client(): Client {
  const env = (name: string) => permitted(() => process.env[name]);
  // No passwd entry for this uid (containers) leaves what the environment says.
  const user = permitted(() => os.userInfo().username) ?? env("USER") ?? env("USERNAME") ?? env("LOGNAME");
  return { hostname: permitted(() => os.hostname()) ?? "unknown", pid: process.pid, user: user ?? "unknown" };
}

/** The engine's side in Node and Deno. */
export const fsPlatform: Platform = {
  moduleBytes: () => fs.readFileSync(MODULE_URL),
  storage(location) {
    if (location.kind === "http") {
      // CAIRN_STORAGE_ATTEMPTS lowers the attempts, as in the CLI (for tests of failure).
      const attempts = Number(permitted(() => process.env.CAIRN_STORAGE_ATTEMPTS) ?? ATTEMPTS);
      return new HttpStorage(location.url, bridgeGet, Number.isInteger(attempts) ? attempts : ATTEMPTS);
    }
    if (location.kind !== "fs") throw new CairnError("InvalidArgument", `invalid argument: ${location.kind} locations are the browser's`);
    return new FsStorage(location.root);
  },
  intrinsics: nodeIntrinsics,
  processAlive,
};

/**
 * The location a string names, as in the CLI (`host/src/location.rs`): a path or
 * `file:///PATH`, or an `http(s)://` URL (read-only).
 */
export function fsLocation(given: string): Location {
  const http = httpLocation(given);
  if (http !== undefined) return http;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(given)?.[1]?.toLowerCase();
  if (scheme === "file") {
    try {
      return { kind: "fs", root: fileURLToPath(given) };
    } catch (e) {
      throw new CairnError("InvalidArgument", `invalid argument: \`${given}\`: ${(e as Error).message}; a file:// location is file:///ABSOLUTE/PATH`);
    }
  }
  if (scheme === "s3") throw new CairnError("InvalidArgument", `invalid argument: \`${given}\`: the JS package does not open s3:// locations yet (the CLI does)`);
  if (scheme !== undefined) throw new CairnError("InvalidArgument", `invalid argument: unknown repository location scheme \`${scheme}://\`: use a path, file:// or http(s)://`);
  return { kind: "fs", root: resolve(given) };
}

/** The owner's side in Node and Deno: a directory path, a `file://` or an `http(s)://` URL. */
export const fsLocator: Locator = {
  locate(given) {
    if (typeof given !== "string") throw new CairnError("InvalidArgument", "invalid argument: a repository is a directory path or a URL (a string)");
    return fsLocation(given);
  },
  client,
  checkFiles: (workerFiles) => checkPackageFiles([MODULE_URL, ...workerFiles]),
};

/** Directory trees in Node and Deno, through `node:fs` (docs/DESIGN-js.md, "Directory trees"). */
export const fsTrees: TreeFs = {
  itemName: (directory) => basename(resolve(directory)) || "root",
  walkInto,
  restoreInto,
};
