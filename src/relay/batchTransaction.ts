import { keccak256, type Signature } from "ethers";
import { forwarderInterface } from "../chain/contracts";
import { RelayInvalidRequestError } from "./errors";
import type { ForwardRequest } from "./outbox";

/**
 * The relayer's `executeBatch` transaction, written with Buffers: the ABI calldata of the
 * forwarder call and the signed EIP-1559 envelope. A coalesced mintBatch makes a call of 64 KB;
 * ethers' general encoders convert such data between hex and bytes several times per
 * transaction (tens of milliseconds each). The unit tests compare every byte with ethers. A value
 * these encoders cannot write (not hex bytes, not a 20-byte address, not a uint256) is refused with
 * RelayInvalidRequestError, never written as a shorter or garbled transaction.
 */
const EXECUTE_BATCH = Buffer.from(forwarderInterface.getFunction("executeBatch")!.selector.slice(2), "hex");
const UINT256_LIMIT = 2n ** 256n;

/** `executeBatch(ForwardRequestData[] requests, address refundReceiver)` calldata. */
export function encodeExecuteBatch(calls: ReadonlyArray<{ forwardRequest: ForwardRequest; signature: string }>, refundReceiver: string): Buffer {
  const tuples = calls.map(({ forwardRequest: request, signature }) => {
    const data = hexBytes(request.data);
    const sig = hexBytes(signature);
    const dataPadded = pad32(data.length);
    const head = Buffer.concat([
      addressWord(request.from),
      addressWord(request.to),
      uintWord(request.value),
      uintWord(request.gas),
      uintWord(request.deadline),
      uintWord(7n * 32n),
      uintWord(BigInt(7 * 32 + 32 + dataPadded)),
    ]);
    return Buffer.concat([head, uintWord(BigInt(data.length)), data, Buffer.alloc(dataPadded - data.length), uintWord(BigInt(sig.length)), sig, Buffer.alloc(pad32(sig.length) - sig.length)]);
  });
  const offsets: Buffer[] = [];
  let offset = 32 * calls.length;
  for (const tuple of tuples) {
    offsets.push(uintWord(BigInt(offset)));
    offset += tuple.length;
  }
  return Buffer.concat([EXECUTE_BATCH, uintWord(64n), addressWord(refundReceiver), uintWord(BigInt(calls.length)), ...offsets, ...tuples]);
}

export type Eip1559Transaction = {
  chainId: bigint;
  nonce: bigint;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gasLimit: bigint;
  to: string;
  value: bigint;
  data: Buffer;
};

/** The hash the sender signs: keccak256(0x02 || rlp([chainId, nonce, tip, maxFee, gas, to, value, data, []])). */
export function unsignedTransactionHash(tx: Eip1559Transaction): string {
  return keccak256(envelope(fields(tx)));
}

/** The signed transaction (for eth_sendRawTransaction) and its hash. */
export function signedTransaction(tx: Eip1559Transaction, signature: Signature): { raw: string; hash: string } {
  const encoded = envelope([...fields(tx), integer(BigInt(signature.yParity)), integer(BigInt(signature.r)), integer(BigInt(signature.s))]);
  return { raw: `0x${encoded.toString("hex")}`, hash: keccak256(encoded) };
}

function fields(tx: Eip1559Transaction): Buffer[] {
  return [
    integer(tx.chainId),
    integer(tx.nonce),
    integer(tx.maxPriorityFeePerGas),
    integer(tx.maxFeePerGas),
    integer(tx.gasLimit),
    bytes(addressBytes(tx.to)),
    integer(tx.value),
    bytes(tx.data),
    list([]),
  ];
}

function envelope(items: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([2]), list(items)]);
}

// RLP: a byte string is itself below 0x80 when one byte long, else its length prefix and it; a list is
// the length prefix of its items' encodings and them.
function integer(value: bigint): Buffer {
  checkUint(value);
  if (value === 0n) return bytes(Buffer.alloc(0));
  const hex = value.toString(16);
  return bytes(Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex"));
}

function bytes(value: Buffer): Buffer {
  if (value.length === 1 && value[0]! < 0x80) return value;
  return Buffer.concat([lengthPrefix(0x80, value.length), value]);
}

function list(items: Buffer[]): Buffer {
  const payload = Buffer.concat(items);
  return Buffer.concat([lengthPrefix(0xc0, payload.length), payload]);
}

function lengthPrefix(base: number, length: number): Buffer {
  if (length <= 55) return Buffer.from([base + length]);
  const hex = length.toString(16);
  const encoded = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  return Buffer.concat([Buffer.from([base + 55 + encoded.length]), encoded]);
}

/** @throws {RelayInvalidRequestError} not whole bytes of hex (Buffer.from would stop silently at the first bad digit). */
function hexBytes(hex: string): Buffer {
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  const decoded = Buffer.from(digits, "hex");
  if (decoded.length * 2 !== digits.length) throw new RelayInvalidRequestError(`Not 0x hex bytes: ${JSON.stringify(hex.slice(0, 24))}`);
  return decoded;
}

function uintWord(value: bigint): Buffer {
  checkUint(value);
  return Buffer.from(value.toString(16).padStart(64, "0"), "hex");
}

function addressWord(address: string): Buffer {
  return Buffer.concat([Buffer.alloc(12), addressBytes(address)]);
}

function addressBytes(address: string): Buffer {
  const decoded = hexBytes(address);
  if (decoded.length !== 20) throw new RelayInvalidRequestError(`Not a 20-byte address: ${JSON.stringify(address)}`);
  return decoded;
}

function pad32(length: number): number {
  return Math.ceil(length / 32) * 32;
}

function checkUint(value: bigint): void {
  if (value < 0n || value >= UINT256_LIMIT) throw new RelayInvalidRequestError(`Not a uint256: ${value}`);
}
