// @ts-self-types="./intrinsics.d.ts"
/**
 * Crypto intrinsics from `node:crypto` (docs/DESIGN.md §4), which Node and Deno both provide:
 * SHA-256, HMAC-SHA-256 and AES-256-GCM run natively instead of in wasm. The engine checks
 * each of them against its own implementation on known test vectors when a repository is
 * opened, and refuses a host whose answer differs (`IntrinsicMismatch`).
 * @module
 */

import { Buffer } from "node:buffer";
import * as crypto from "node:crypto";

/** The length of an AES-GCM tag. */
const TAG_LEN = 16;

/** The optional crypto methods of the JS host object (see `core-wasm/bindgen`). */
export interface Intrinsics {
  /** SHA-256 of `data`. */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA-256 of `data` under `key`. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Uint8Array;
  /** The plaintext, or `null` when the tag does not verify. */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array): Uint8Array | null;
}

/** The intrinsics of `node:crypto`. */
export const nodeIntrinsics: Intrinsics = {
  sha256: (data) => crypto.createHash("sha256").update(data).digest(),
  hmacSha256: (key, data) => crypto.createHmac("sha256", key).update(data).digest(),
  aesGcmSeal(key, nonce, aad, data) {
    const c = crypto.createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_LEN });
    c.setAAD(aad);
    return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  },
  aesGcmOpen(key, nonce, aad, data) {
    if (data.length < TAG_LEN) return null;
    const d = crypto.createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_LEN });
    d.setAAD(aad);
    d.setAuthTag(data.subarray(data.length - TAG_LEN));
    const plain = d.update(data.subarray(0, data.length - TAG_LEN));
    try {
      return Buffer.concat([plain, d.final()]);
    } catch {
      return null;
    }
  },
};
