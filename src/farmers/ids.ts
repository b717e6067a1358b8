import { randomBytes } from "node:crypto";

const LOWER_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** An opaque record id: `prefix` and 128 random bits as 26 lower-case base32 symbols, e.g. `f_3k9...`. */
export function newRecordId(prefix: "f" | "c"): string {
  let value = BigInt(`0x${randomBytes(16).toString("hex")}`);
  let symbols = "";
  for (let i = 0; i < 26; i++) {
    symbols = LOWER_CROCKFORD[Number(value & 31n)] + symbols;
    value >>= 5n;
  }
  return `${prefix}_${symbols}`;
}

export const FARMER_ID_PATTERN = /^f_[0-9a-z]{16,40}$/;
export const CONSENT_ID_PATTERN = /^c_[0-9a-z]{16,40}$/;
