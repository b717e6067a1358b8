import { Signature, concat, getAddress, keccak256, recoverAddress, toUtf8Bytes, type TypedDataDomain, type TypedDataField } from "ethers";
import type { ForwardRequest } from "./outbox";

/**
 * EIP-712 for OpenZeppelin's ERC2771Forwarder (5.x), the way the relay signs and checks requests
 * by the thousand: the domain separator is computed once per forwarder, and a request's struct
 * hash is one fixed-width encoding and two keccaks, not ethers' general typed-data encoder (about
 * 1 ms per request on this hardware, most of the cost of a signature).
 *
 * The forwarder's domain is `{ name: "firstmile", version: "1", chainId, verifyingContract }`.
 * A member signing on its own phone uses the same types with any EIP-712 library:
 * `FORWARD_REQUEST_TYPES` below, e.g. `wallet.signTypedData(domain, FORWARD_REQUEST_TYPES, request)`.
 */
export const FORWARD_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  ForwardRequest: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "gas", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint48" },
    { name: "data", type: "bytes" },
  ],
};

export const FORWARD_REQUEST_TYPEHASH = keccak256(
  toUtf8Bytes("ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,uint48 deadline,bytes data)"),
);
const DOMAIN_TYPEHASH = keccak256(toUtf8Bytes("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));

/** The forwarder's EIP-712 domain name (deploy/001_forwarder.ts). */
export const FORWARDER_DOMAIN_NAME = "firstmile";

export type ForwarderDomain = { name: string; version: string; chainId: bigint; verifyingContract: string };

export function forwarderDomain(chainId: bigint, forwarder: string): ForwarderDomain {
  return { name: FORWARDER_DOMAIN_NAME, version: "1", chainId, verifyingContract: getAddress(forwarder) };
}

export function domainSeparator(domain: ForwarderDomain): string {
  const words = Buffer.alloc(5 * 32);
  hexInto(words, 0, DOMAIN_TYPEHASH);
  hexInto(words, 32, keccak256(toUtf8Bytes(domain.name)));
  hexInto(words, 64, keccak256(toUtf8Bytes(domain.version)));
  uintInto(words, 96, domain.chainId);
  addressInto(words, 128, domain.verifyingContract);
  return keccak256(words);
}

/** `hashStruct(ForwardRequest)`: `keccak256(abi.encode(TYPEHASH, from, to, value, gas, nonce, deadline, keccak256(data)))`. */
export function forwardRequestStructHash(request: ForwardRequest): string {
  const words = Buffer.alloc(8 * 32);
  hexInto(words, 0, FORWARD_REQUEST_TYPEHASH);
  addressInto(words, 32, request.from);
  addressInto(words, 64, request.to);
  uintInto(words, 96, request.value);
  uintInto(words, 128, request.gas);
  uintInto(words, 160, request.nonce);
  uintInto(words, 192, request.deadline);
  hexInto(words, 224, keccak256(request.data));
  return keccak256(words);
}

/** The digest the member's key signs: `keccak256(0x1901 || domainSeparator || hashStruct(request))`. */
export function forwardRequestDigest(separator: string, request: ForwardRequest): string {
  return keccak256(concat(["0x1901", separator, forwardRequestStructHash(request)]));
}

/** The address that signed `request` under `separator` (what the forwarder will recover). */
export function recoverForwardRequestSigner(separator: string, request: ForwardRequest, signature: string): string | null {
  try {
    return recoverAddress(forwardRequestDigest(separator, request), Signature.from(signature));
  } catch {
    return null;
  }
}

function hexInto(buffer: Buffer, offset: number, hex: string): void {
  buffer.write(hex.slice(2), offset, 32, "hex");
}

function addressInto(buffer: Buffer, offset: number, address: string): void {
  buffer.write(address.slice(2).toLowerCase(), offset + 12, 20, "hex");
}

function uintInto(buffer: Buffer, offset: number, value: bigint): void {
  if (value < 0n || value >= 2n ** 256n) throw new RangeError("uint256 out of range");
  buffer.write(value.toString(16).padStart(64, "0"), offset, 32, "hex");
}
