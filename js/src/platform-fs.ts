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

import { CairnError } from "./errors.js";
import { checkPackageFiles } from "./files.js";
import type { Client } from "./generated/api.js";
import { nodeIntrinsics } from "./intrinsics.js";
import { MODULE_URL, type Locator, type Platform, type TreeFs } from "./platform.js";
import { FsStorage } from "./storage.js";
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
    if (location.kind !== "fs") throw new CairnError("InvalidArgument", `invalid argument: ${location.kind} locations are the browser's`);
    return new FsStorage(location.root);
  },
  intrinsics: nodeIntrinsics,
  processAlive,
};

/** The owner's side in Node and Deno: repository paths are directories. */
export const fsLocator: Locator = {
  locate(path) {
    if (typeof path !== "string") throw new CairnError("InvalidArgument", "invalid argument: a repository is a directory path (a string)");
    return { kind: "fs", root: resolve(path) };
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
