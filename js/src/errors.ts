// @ts-self-types="./errors.d.ts"
/**
 * Errors of the Cairn package: every failure is a {@link CairnError} whose `.code` is one
 * of the engine's stable codes (DESIGN.md §7), never a bare string.
 * @module
 */

/** The engine's stable error codes (`cairn_core::error::ErrorCode`), the same names in every host. */
export type CairnErrorCode =
  | "InvalidArgument"
  | "RepositoryNotFound"
  | "RepositoryExists"
  | "UnsupportedVersion"
  | "PassphraseRequired"
  | "WrongPassphrase"
  | "SnapshotNotFound"
  | "AmbiguousSnapshot"
  | "ItemNotFound"
  | "RepositoryLocked"
  | "CorruptPack"
  | "CorruptIndex"
  | "CorruptSnapshot"
  | "CorruptConfig"
  | "CorruptKey"
  | "ChunkNotFound"
  | "KeyNotFound"
  | "LastKey"
  | "InvalidStorageKey"
  | "StorageError"
  | "IntrinsicMismatch"
  | "SessionNotFound"
  | "Internal";

/** An error of a Cairn operation; `code` says which kind, `message` what to do about it. */
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

/** What the engine or the package threw, as a {@link CairnError}: the engine throws `{code, message}` objects. */
export function toCairnError(thrown: unknown): CairnError {
  if (thrown instanceof CairnError) return thrown;
  if (typeof thrown === "object" && thrown !== null && "code" in thrown && "message" in thrown) {
    const { code, message } = thrown as { code: unknown; message: unknown };
    if (typeof code === "string" && typeof message === "string") {
      return new CairnError(code as CairnErrorCode, message);
    }
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new CairnError("Internal", `internal error (a bug in Cairn, please report it): ${message}`, { cause: thrown });
}

/** The codes a storage method throws to the engine (see `core-wasm/bindgen`). */
export type StorageFailureCode = "NotFound" | "AlreadyExists" | "InvalidKey" | "Io";

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
