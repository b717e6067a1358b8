/** Bytes and 0x hex, big-endian words: the little ABI and EIP-712 encoding the phone needs. */
export function toHex(bytes: Uint8Array): string {
  let out = "0x";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`not hex: ${hex.slice(0, 20)}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A uint as one 32-byte ABI word. */
export function word(value: bigint | number): Uint8Array {
  let v = BigInt(value);
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** An address (or any 20 or 32 bytes) left-padded to a word. */
export function addressWord(address: string): Uint8Array {
  const bytes = fromHex(address);
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

export const utf8 = (text: string) => new TextEncoder().encode(text);

export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A random lower-case base32 id with a prefix, as the gateway's ids look (f_..., p_...). */
export function randomId(prefix: string, symbols = 26): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const bytes = crypto.getRandomValues(new Uint8Array(symbols));
  let out = `${prefix}_`;
  for (const byte of bytes) out += alphabet[byte & 31];
  return out;
}
