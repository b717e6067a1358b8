import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM sealed box: `version (1 byte, 0x01) || nonce (12) || ciphertext || tag (16)`.
 * A fresh random nonce per seal; `associatedData` (for a custodial key: its address) is
 * authenticated but not stored, so a blob moved to another row no longer opens.
 */
const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function seal(key: Buffer, plaintext: Buffer, associatedData: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, ciphertext, cipher.getAuthTag()]);
}

/** The plaintext, or null if the blob is malformed or fails authentication (wrong key, tampered). */
export function open(key: Buffer, blob: Buffer, associatedData: Buffer): Buffer | null {
  if (blob.length < 1 + NONCE_BYTES + TAG_BYTES || blob[0] !== VERSION) return null;
  const nonce = blob.subarray(1, 1 + NONCE_BYTES);
  const ciphertext = blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES);
  const tag = blob.subarray(blob.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return null;
  }
}
