import type { RecordSealer } from "../chain/keystore";
import { FarmerRecordCorruptError } from "./errors";

/**
 * One personal field sealed on its own (AES-256-GCM through the keystore's record sealer). The
 * associated data names the record and the field, so a sealed value copied to another farmer or
 * another column does not open. The plaintext is the value's JSON padded with spaces to a multiple
 * of 32 bytes: the ciphertext's length then tells nothing about short values ("male" and "female",
 * a 1- or 2-digit household).
 */
const PAD_TO = 32;

const aadOf = (recordId: string, field: string) => Buffer.from(`firstmile private field v1|${recordId}|${field}`, "utf8");

export type FieldValue = string | number | boolean;

export function sealField(sealer: RecordSealer, recordId: string, field: string, value: FieldValue | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  const json = Buffer.from(JSON.stringify(value), "utf8");
  const padded = Buffer.alloc(Math.ceil((json.length + 1) / PAD_TO) * PAD_TO, 0x20);
  json.copy(padded);
  return sealer.seal(padded, aadOf(recordId, field));
}

/** @throws {FarmerRecordCorruptError} the blob does not open for this record and field. */
export function openField(sealer: RecordSealer, recordId: string, field: string, blob: Buffer | null): FieldValue | null {
  if (blob === null) return null;
  const plaintext = sealer.open(blob, aadOf(recordId, field));
  if (!plaintext) throw new FarmerRecordCorruptError(`field ${field} of ${recordId} does not open under the keystore's key`);
  return JSON.parse(plaintext.toString("utf8")) as FieldValue;
}

/** Opens a field with `from` and seals it again with `to` (key rotation). */
export function resealField(from: RecordSealer, to: RecordSealer, recordId: string, field: string, blob: Buffer | null): Buffer | null {
  if (blob === null) return null;
  const aad = aadOf(recordId, field);
  const plaintext = from.open(blob, aad);
  if (!plaintext) throw new FarmerRecordCorruptError(`field ${field} of ${recordId} does not open under the current key; nothing was re-encrypted`);
  return to.seal(plaintext, aad);
}
