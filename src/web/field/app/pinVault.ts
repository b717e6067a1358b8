import { fromHex, toHex, utf8 } from "./hex";

/**
 * The device key at rest: AES-GCM under a key derived from the agent's PIN with PBKDF2-SHA-256
 * (WebCrypto), so IndexedDB holds only ciphertext. A wrong PIN fails the GCM tag check.
 */
export type SealedKey = { salt: string; iv: string; ciphertext: string; iterations: number };

const ITERATIONS = 210_000;

async function pinKey(pin: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", utf8(pin) as BufferSource, "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations }, material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

export async function sealKey(secretKey: Uint8Array, pin: string): Promise<SealedKey> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await pinKey(pin, salt, ITERATIONS);
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: iv as BufferSource }, key, secretKey as BufferSource));
  return { salt: toHex(salt), iv: toHex(iv), ciphertext: toHex(ciphertext), iterations: ITERATIONS };
}

/** The secret key, or null for a wrong PIN. */
export async function openKey(sealed: SealedKey, pin: string): Promise<Uint8Array | null> {
  const key = await pinKey(pin, fromHex(sealed.salt), sealed.iterations);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromHex(sealed.iv) as BufferSource }, key, fromHex(sealed.ciphertext) as BufferSource));
  } catch {
    return null;
  }
}
