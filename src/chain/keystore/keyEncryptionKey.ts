import { hkdfSync, randomBytes, scrypt } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { KeystoreKeyFileError } from "./errors";

/** scrypt cost. The default (N = 2^17, r = 8, p = 1: 128 MiB, about half a second) is OWASP's. */
export type ScryptParameters = { N: number; r: number; p: number };
export const DEFAULT_SCRYPT: ScryptParameters = { N: 2 ** 17, r: 8, p: 1 };

/** The key-encryption key from the operator's passphrase. Runs once per start: deliberately slow. */
export function deriveFromPassphrase(passphrase: string, salt: Buffer, cost: ScryptParameters): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize("NFKC"), salt, 32, { ...cost, maxmem: 256 * cost.N * cost.r + 16 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** The key-encryption key from a key file's 32 bytes (HKDF, so the file's bytes are not used as is). */
export function deriveFromKeyFile(fileKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", fileKey, Buffer.alloc(0), "firstmile keystore kek v1", 32));
}

/**
 * The key that seals private records (farmers' fields, document keys): HKDF of the KEK under its
 * own label, so a record and a custodial key are never sealed under the same key.
 */
export function deriveRecordsKey(kek: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", kek, Buffer.alloc(0), "firstmile private records v1", 32));
}

export function newSalt(): Buffer {
  return randomBytes(16);
}

export type ReadKeyFileReturnType = {
  key: Buffer;
  /** True if this call generated the file. */
  created: boolean;
  warnings: string[];
};

/**
 * Reads a key file: 64 hex characters (optionally `0x`, surrounding whitespace) or exactly 32
 * raw bytes. With `create`, a missing file is generated from 32 random bytes, mode 0600 (its
 * folder 0700), never overwriting one that appeared meanwhile.
 */
export function readKeyFile(file: string, options: { create: boolean }): ReadKeyFileReturnType {
  const warnings: string[] = [];
  let created = false;
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new KeystoreKeyFileError(`Cannot read the keystore key file ${file}`, { details: (error as NodeJS.ErrnoException).code });
    }
    if (!options.create) {
      throw new KeystoreKeyFileError(`The keystore key file ${file} does not exist`, {
        metaMessages: ["Point FIRSTMILE_KEYSTORE_KEY_FILE at the file the keystore was created with."],
      });
    }
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const text = `${randomBytes(32).toString("hex")}\n`;
    try {
      fs.writeFileSync(file, text, { flag: "wx", mode: 0o600 });
      created = true;
    } catch (writeError) {
      if ((writeError as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new KeystoreKeyFileError(`Cannot create the keystore key file ${file}`, { details: (writeError as NodeJS.ErrnoException).code });
      }
    }
    content = fs.readFileSync(file);
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) warnings.push(`keystore key file ${file} is readable by others (mode ${mode.toString(8)}): chmod 600 it`);
  return { key: parseKeyFile(file, content), created, warnings };
}

function parseKeyFile(file: string, content: Buffer): Buffer {
  const text = content.toString("latin1").trim().replace(/^0x/i, "");
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  if (content.length === 32) return Buffer.from(content);
  throw new KeystoreKeyFileError(`The keystore key file ${file} does not hold a 32-byte key`, {
    metaMessages: ["Expected 64 hexadecimal characters (or exactly 32 raw bytes)."],
  });
}
