import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressWord, concat, fromHex, toHex, utf8, word } from "./hex";

/**
 * The device key and what it signs, all on the phone: secp256k1 (as Ethereum accounts), the
 * ForwardRequest's EIP-712 digest under the forwarder's domain (chain id + forwarder address), and
 * EIP-191 `personal_sign` for private records. The key itself is kept encrypted under the agent's
 * PIN (see pinVault.ts) and is never sent anywhere.
 */
export type ForwardRequest = { from: string; to: string; value: string; gas: string; nonce: string; deadline: string; data: string };
export type Domain = { name: string; version: string; chainId: string; verifyingContract: string };

export const keccak = (bytes: Uint8Array) => keccak_256(bytes);

export function newSecretKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

export function addressOf(secretKey: Uint8Array): string {
  const publicKey = secp256k1.getPublicKey(secretKey, false);
  return checksum(toHex(keccak(publicKey.slice(1)).slice(12)));
}

/** EIP-55 mixed-case address. */
export function checksum(address: string): string {
  const lower = address.toLowerCase().slice(2);
  const hash = toHex(keccak(utf8(lower))).slice(2);
  let out = "0x";
  for (let i = 0; i < 40; i++) out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i];
  return out;
}

const DOMAIN_TYPEHASH = keccak(utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
const REQUEST_TYPEHASH = keccak(utf8("ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)"));

export function domainSeparator(domain: Domain): Uint8Array {
  return keccak(concat(DOMAIN_TYPEHASH, keccak(utf8(domain.name)), keccak(utf8(domain.version)), word(BigInt(domain.chainId)), addressWord(domain.verifyingContract)));
}

export function forwardRequestDigest(domain: Domain, request: ForwardRequest): Uint8Array {
  const struct = keccak(
    concat(
      REQUEST_TYPEHASH,
      addressWord(request.from),
      addressWord(request.to),
      word(BigInt(request.value)),
      word(BigInt(request.gas)),
      word(BigInt(request.nonce)),
      word(BigInt(request.deadline)),
      keccak(fromHex(request.data)),
    ),
  );
  return keccak(concat(new Uint8Array([0x19, 0x01]), domainSeparator(domain), struct));
}

/** A 65-byte r‖s‖v signature (v 27 or 28) of a 32-byte digest. */
export function signDigest(digest: Uint8Array, secretKey: Uint8Array): string {
  const recovered = secp256k1.sign(digest, secretKey, { prehash: false, format: "recovered" });
  return toHex(concat(recovered.slice(1, 65), new Uint8Array([27 + recovered[0]!])));
}

export function signForwardRequest(domain: Domain, request: ForwardRequest, secretKey: Uint8Array): string {
  return signDigest(forwardRequestDigest(domain, request), secretKey);
}

/** EIP-191 personal_sign of a text (what ethers' verifyMessage checks). */
export function signMessage(message: string, secretKey: Uint8Array): string {
  const bytes = utf8(message);
  return signDigest(keccak(concat(utf8(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes)), secretKey);
}

/** Whether `signature` is this key's signature of the request as stored now (a tampered request is not). */
export function signedByKey(domain: Domain, request: ForwardRequest, signature: string, secretKey: Uint8Array): boolean {
  try {
    const bytes = fromHex(signature);
    return secp256k1.verify(bytes.slice(0, 64), forwardRequestDigest(domain, request), secp256k1.getPublicKey(secretKey), { prehash: false });
  } catch {
    return false;
  }
}
