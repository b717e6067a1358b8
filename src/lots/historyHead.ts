import { getAddress, ZeroHash } from "ethers";
import { keccak256Hex } from "../chain/nativeKeccak";

/** Event kinds as the contract numbers them (contracts/lots/LotHistory.sol). */
export const LotEventKind = {
  minted: 1,
  offered: 2,
  cancelled: 3,
  rejected: 4,
  accepted: 5,
  split: 6,
  merged: 7,
  transformed: 8,
  derived: 9,
  evidence: 10,
} as const;

export type Hex = `0x${string}`;

/** One event in a lot's life, with exactly the fields the head commits to. */
export type LotHistoryEvent =
  | { kind: "minted"; lotId: bigint; custodian: string; form: number; grams: bigint; quality: number; metadata: string; origin: string }
  | { kind: "offered" | "cancelled"; lotId: bigint; custodian: string; receiver: string }
  | { kind: "rejected"; lotId: bigint; custodian: string; receiver: string; reason: number }
  | {
      kind: "accepted";
      lotId: bigint;
      previousCustodian: string;
      custodian: string;
      gramsSent: bigint;
      gramsReceived: bigint;
      /** The lot's quality after acceptance (the receiver's measurement, or the one it had). */
      quality: number;
    }
  | { kind: "split" | "merged" | "transformed"; lotId: bigint; firstOutputId: bigint; outputCount: bigint }
  | {
      kind: "derived";
      lotId: bigint;
      custodian: string;
      form: number;
      grams: bigint;
      quality: number;
      metadata: string;
      /** {@link ingredientsDigest} of the call's declared ingredients (zero when none). */
      ingredients: string;
      inputIds: readonly bigint[];
      inputHeads: readonly string[];
    }
  | { kind: "evidence"; lotId: bigint; by: string; evidence: string };

/** A declared non-traced ingredient of a transform, as `LotsDerived` lists it (name: bytes32, UTF-8). */
export type DeclaredIngredient = { outputForm: number; grams: bigint; name: string };

/** The events do not form a valid history (wrong first event, mixed lots). */
export class HistoryHeadError extends Error {
  override name = "HistoryHeadError";
}

/**
 * keccak256 of the event's ABI encoding: `digest` in `head' = keccak256(abi.encode(head, digest))`.
 *
 * The encoding is written out word by word (every field is a static 32-byte word; DERIVED's two
 * arrays follow as offset, length, items), exactly as `abi.encode` lays it out: the indexer
 * recomputes a head for every lot event it reads, and ethers' general-purpose ABI coder costs
 * far more than the hash. Values are range-checked as the coder checks them.
 */
export function eventDigest(event: LotHistoryEvent): Hex {
  const kind = uint(LotEventKind[event.kind], 8);
  const lotId = uint(event.lotId, 256);
  switch (event.kind) {
    case "minted":
      return hash([kind, lotId, address(event.custodian), uint(event.form, 8), uint(event.grams, 64), uint(event.quality, 16), bytes32(event.metadata), bytes32(event.origin)]);
    case "offered":
    case "cancelled":
      return hash([kind, lotId, address(event.custodian), address(event.receiver)]);
    case "rejected":
      return hash([kind, lotId, address(event.custodian), address(event.receiver), uint(event.reason, 16)]);
    case "accepted":
      return hash([kind, lotId, address(event.previousCustodian), address(event.custodian), uint(event.gramsSent, 64), uint(event.gramsReceived, 64), uint(event.quality, 16)]);
    case "split":
    case "merged":
    case "transformed":
      return hash([kind, lotId, uint(event.firstOutputId, 256), uint(event.outputCount, 256)]);
    case "derived": {
      // 10 head words (8 fields, 2 offsets), then each array as length + items.
      const idsOffset = 10 * 32;
      const headsOffset = idsOffset + 32 * (1 + event.inputIds.length);
      return hash([
        kind,
        lotId,
        address(event.custodian),
        uint(event.form, 8),
        uint(event.grams, 64),
        uint(event.quality, 16),
        bytes32(event.metadata),
        bytes32(event.ingredients),
        uint(idsOffset, 256),
        uint(headsOffset, 256),
        uint(event.inputIds.length, 256),
        ...event.inputIds.map((inputId) => uint(inputId, 256)),
        uint(event.inputHeads.length, 256),
        ...event.inputHeads.map(bytes32),
      ]);
    }
    case "evidence":
      return hash([kind, lotId, address(event.by), bytes32(event.evidence)]);
  }
}

/**
 * What a DERIVED event commits to of a transform's declared ingredients:
 * `keccak256(abi.encode(Ingredient[]))` (offset 0x20, length, then outputForm, grams, name for each),
 * or 32 zero bytes when there are none (split, merge, a transform without ingredients).
 */
export function ingredientsDigest(ingredients: readonly DeclaredIngredient[]): Hex {
  if (ingredients.length === 0) return ZeroHash as Hex;
  return hash([
    uint(32, 256),
    uint(ingredients.length, 256),
    ...ingredients.flatMap((item) => [uint(item.outputForm, 8), uint(item.grams, 64), bytes32(item.name)]),
  ]);
}

/** One fold step. */
export function foldHead(head: string, digest: string): Hex {
  return hash([bytes32(head), bytes32(digest)]);
}

/**
 * Recomputes a lot's history head from its events in order. The first event must be the lot's
 * genesis (minted or derived) and every event must be about the same lot.
 */
export function computeHistoryHead(events: readonly LotHistoryEvent[]): Hex {
  if (events.length === 0) throw new HistoryHeadError("a lot's history starts with a minted or derived event");
  const [genesis] = events;
  let head: Hex = ZeroHash as Hex;
  events.forEach((event, index) => {
    const isGenesis = event.kind === "minted" || event.kind === "derived";
    if (isGenesis !== (index === 0)) {
      throw new HistoryHeadError(`event ${index} (${event.kind}) cannot stand there: only the first event is a genesis`);
    }
    if (event.lotId !== genesis.lotId) {
      throw new HistoryHeadError(`event ${index} is about lot ${event.lotId}, not lot ${genesis.lotId}`);
    }
    head = foldHead(head, eventDigest(event));
  });
  return head;
}

/** Reused for every hash (hashing is synchronous): events with up to 120 words hash without allocating. */
const SCRATCH = Buffer.alloc(120 * 32);

/**
 * keccak256 of 32-byte words (64 hex characters each, no prefix), concatenated: each word written
 * into bytes by Node, which also checks it (a word with a character that is not hex writes
 * fewer than 32 bytes).
 */
function hash(words: readonly string[]): Hex {
  const size = words.length * 32;
  const bytes = size <= SCRATCH.length ? SCRATCH.subarray(0, size) : Buffer.alloc(size);
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    if (word.length !== 64 || bytes.write(word, index * 32, 32, "hex") !== 32) throw new RangeError(`invalid 32-byte word ${JSON.stringify(word)}`);
  }
  return keccak256Hex(bytes) as Hex;
}

/** 2^bits for the widths the events use (computed once: the indexer checks every field it hashes). */
const LIMITS = new Map<number, bigint>([8, 16, 64, 256].map((bits) => [bits, 1n << BigInt(bits)]));

/** An unsigned integer of `bits` bits as one word; throws outside [0, 2^bits). */
function uint(value: bigint | number, bits: number): string {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`value ${value} is not an integer for uint${bits}`);
    if (value >= 0 && bits <= 53 && value < 2 ** bits) return value.toString(16).padStart(64, "0");
  }
  const big = BigInt(value);
  if (big < 0n || big >= (LIMITS.get(bits) ?? 1n << BigInt(bits))) throw new RangeError(`value ${big} out of range for uint${bits}`);
  return big.toString(16).padStart(64, "0");
}

const LOWER_ADDRESS = /^0x[0-9a-f]{40}$/;
const UPPER_ADDRESS = /^0x[0-9A-F]{40}$/;

/** An address as one word; mixed case must carry a valid EIP-55 checksum (as ethers requires). */
function address(value: string): string {
  const hex = LOWER_ADDRESS.test(value) || UPPER_ADDRESS.test(value) ? value : getAddress(value);
  return hex.slice(2).toLowerCase().padStart(64, "0");
}

/** A bytes32 value as one word (its hex digits are checked as `hash` writes them). */
function bytes32(value: string): string {
  if (typeof value !== "string" || value.length !== 66 || !value.startsWith("0x")) throw new RangeError(`invalid bytes32 value ${JSON.stringify(value)}`);
  return value.slice(2);
}
