// @ts-self-types="./files.d.ts"
/**
 * The files the package starts its engine from: worker scripts and the wasm module, found
 * by URL beside the package's own code. A bundler that inlines the package's JavaScript
 * leaves them behind; checking them before anything starts turns that into an
 * `EngineUnavailable` error naming the file, not a failed worker.
 * @module
 */

import * as fs from "node:fs";
import { fileURLToPath } from "node:url";

import { CairnError } from "./errors.js";

/** Throws `EngineUnavailable` naming the first of `files` (local `file:` URLs) that is missing. */
export function checkPackageFiles(files: readonly URL[]): void {
  for (const url of files) {
    if (url.protocol !== "file:") continue;
    const file = fileURLToPath(url);
    if (!fs.existsSync(file)) {
      throw new CairnError(
        "EngineUnavailable",
        `the engine cannot start: ${file} is missing. It is a file of @cairn-backup/cairn, which starts ` +
          "workers and loads its wasm module from its own directory: if a bundler inlined the package, " +
          "mark it external (esbuild: --external:@cairn-backup/cairn) and ship node_modules/@cairn-backup/cairn with the bundle",
      );
    }
  }
}
