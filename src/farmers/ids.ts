import { randomBytes } from "node:crypto";

const LOWER_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** An opaque record id: `prefix` and 128 random bits as 26 lower-case base32 symbols, e.g. `f_3k9...`. */
export function newRecordId(prefix: "f" | "c" | "pm" | "pc"): string {
  const bytes = randomBytes(16);
  let symbols = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      symbols += LOWER_CROCKFORD[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  // 128 bits leave 3: the 26th symbol.
  return `${prefix}_${symbols}${LOWER_CROCKFORD[buffer << (5 - bits)]}`;
}

export const FARMER_ID_PATTERN = /^f_[0-9a-z]{16,40}$/;
export const CONSENT_ID_PATTERN = /^c_[0-9a-z]{16,40}$/;
