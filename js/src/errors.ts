// @ts-self-types="./errors.d.ts"
/**
 * Errors of the Cairn package: every failure is a {@link CairnError} whose `.code` is one
 * of the engine's stable codes (`ERROR_CODES`, generated from the engine), never a bare
 * string.
 * @module
 */

import { ERROR_CODES, type CairnErrorCode, type StorageFailureCode } from "./generated/api.js";

export type { CairnErrorCode, StorageFailureCode };

/**
 * An error of a Cairn operation; `code` says which kind, `message` what to do about it.
 * A failure of the storage itself (no space, permission denied, I/O error, a network
 * storage error) is `StorageError`, never `Internal`: it is not a bug and nothing stored
 * was changed, so fix the cause and retry (the CLI exits 5 for it).
 */
export class CairnError extends Error {
  /** The engine's stable code. */
  readonly code: CairnErrorCode;

  /** An error with the engine's `code` and a sentence for people. */
  constructor(code: CairnErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CairnError";
    this.code = code;
  }
}

/** True for one of the engine's codes. */
export function isErrorCode(code: unknown): code is CairnErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(code);
}

/** What the engine or the package threw, as a {@link CairnError}: the engine throws `{code, message}` objects. */
export function toCairnError(thrown: unknown): CairnError {
  if (thrown instanceof CairnError) return thrown;
  if (typeof thrown === "object" && thrown !== null && "code" in thrown && "message" in thrown) {
    const { code, message } = thrown as { code: unknown; message: unknown };
    if (isErrorCode(code) && typeof message === "string") {
      return new CairnError(code, message);
    }
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new CairnError("Internal", `internal error (a bug in Cairn, please report it): ${message}`, { cause: thrown });
}

/** What the file-system storage throws to the engine; the bindgen face maps `code`. */
export class StorageFailure extends Error {
  /** `NotFound`, `AlreadyExists`, `InvalidKey`, or `Io` for everything else. */
  readonly code: StorageFailureCode;

  /** A failure of kind `code`, described by `message`. */
  constructor(code: StorageFailureCode, message: string) {
    super(message);
    this.name = "StorageFailure";
    this.code = code;
  }
}
