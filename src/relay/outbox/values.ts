import { createHash } from "node:crypto";
import { isAddress, isHexString } from "ethers";
import { canonicalJson } from "../../encoding/canonicalJson";
import { RelayInvalidRequestError } from "../errors";
import type { ForwardRequest } from "./schema";

/** Values given to the outbox, checked and put in the form its columns store them in. */

const UINT256_MAX = 2n ** 256n - 1n;
const UINT48_MAX = 2n ** 48n - 1n;

export function checkKey(memberId: bigint, idempotencyKey: string): void {
  if (memberId <= 0n) throw new RelayInvalidRequestError(`Not a member id: ${memberId}`);
  if (idempotencyKey.length < 1 || idempotencyKey.length > 255) throw new RelayInvalidRequestError("The idempotency key must be 1 to 255 characters");
}

export function hashRequest(kind: string, payload: unknown, signed: { forwardRequest: ForwardRequest; signature: string } | undefined): Buffer {
  return createHash("sha256")
    .update(canonicalJson({ kind, payload, forwardRequest: signed?.forwardRequest ?? null, signature: signed?.signature.toLowerCase() ?? null }))
    .digest();
}

/** `from, to, value, gas, nonce, deadline, data, signature` as stored: lower-case addresses, decimal uints, bytes. */
export function callColumns(request: ForwardRequest, signature: string): [string, string, string, string, string, bigint, Buffer, Buffer] {
  for (const [name, address] of [["from", request.from], ["to", request.to]] as const) {
    if (!isAddress(address)) throw new RelayInvalidRequestError(`ForwardRequest.${name} is not an address`);
  }
  for (const [name, value, max] of [["value", request.value, UINT256_MAX], ["gas", request.gas, UINT256_MAX], ["nonce", request.nonce, UINT256_MAX], ["deadline", request.deadline, UINT48_MAX]] as const) {
    if (typeof value !== "bigint" || value < 0n || value > max) throw new RelayInvalidRequestError(`ForwardRequest.${name} is out of range`);
  }
  if (!isHexString(request.data) || request.data.length % 2 !== 0) throw new RelayInvalidRequestError("ForwardRequest.data is not 0x hex bytes");
  if (!isHexString(signature, 65)) throw new RelayInvalidRequestError("The signature is not 65 bytes of 0x hex");
  return [
    request.from.toLowerCase(),
    request.to.toLowerCase(),
    request.value.toString(),
    request.gas.toString(),
    request.nonce.toString(),
    request.deadline,
    Buffer.from(request.data.slice(2), "hex"),
    Buffer.from(signature.slice(2), "hex"),
  ];
}

export function hash32(txHash: string): string {
  if (!isHexString(txHash, 32)) throw new RelayInvalidRequestError("The transaction hash is not 32 bytes of 0x hex");
  return txHash.toLowerCase();
}
