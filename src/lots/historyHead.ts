import { AbiCoder, keccak256, ZeroHash } from "ethers";

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
  | { kind: "minted"; lotId: bigint; custodian: string; form: number; grams: bigint; metadata: string; origin: string }
  | { kind: "offered" | "cancelled"; lotId: bigint; custodian: string; receiver: string }
  | { kind: "rejected"; lotId: bigint; custodian: string; receiver: string; reason: number }
  | {
      kind: "accepted";
      lotId: bigint;
      previousCustodian: string;
      custodian: string;
      gramsSent: bigint;
      gramsReceived: bigint;
    }
  | { kind: "split" | "merged" | "transformed"; lotId: bigint; firstOutputId: bigint; outputCount: bigint }
  | {
      kind: "derived";
      lotId: bigint;
      custodian: string;
      form: number;
      grams: bigint;
      metadata: string;
      inputIds: readonly bigint[];
      inputHeads: readonly string[];
    }
  | { kind: "evidence"; lotId: bigint; by: string; evidence: string };

/** The events do not form a valid history (wrong first event, mixed lots). */
export class HistoryHeadError extends Error {
  override name = "HistoryHeadError";
}

const abi = AbiCoder.defaultAbiCoder();

/** keccak256 of the event's ABI encoding: `digest` in `head' = keccak256(abi.encode(head, digest))`. */
export function eventDigest(event: LotHistoryEvent): Hex {
  const kind = LotEventKind[event.kind];
  switch (event.kind) {
    case "minted":
      return hash(
        ["uint8", "uint256", "address", "uint8", "uint64", "bytes32", "bytes32"],
        [kind, event.lotId, event.custodian, event.form, event.grams, event.metadata, event.origin],
      );
    case "offered":
    case "cancelled":
      return hash(["uint8", "uint256", "address", "address"], [kind, event.lotId, event.custodian, event.receiver]);
    case "rejected":
      return hash(
        ["uint8", "uint256", "address", "address", "uint16"],
        [kind, event.lotId, event.custodian, event.receiver, event.reason],
      );
    case "accepted":
      return hash(
        ["uint8", "uint256", "address", "address", "uint64", "uint64"],
        [kind, event.lotId, event.previousCustodian, event.custodian, event.gramsSent, event.gramsReceived],
      );
    case "split":
    case "merged":
    case "transformed":
      return hash(["uint8", "uint256", "uint256", "uint256"], [kind, event.lotId, event.firstOutputId, event.outputCount]);
    case "derived":
      return hash(
        ["uint8", "uint256", "address", "uint8", "uint64", "bytes32", "uint256[]", "bytes32[]"],
        [kind, event.lotId, event.custodian, event.form, event.grams, event.metadata, event.inputIds, event.inputHeads],
      );
    case "evidence":
      return hash(["uint8", "uint256", "address", "bytes32"], [kind, event.lotId, event.by, event.evidence]);
  }
}

/** One fold step. */
export function foldHead(head: string, digest: string): Hex {
  return hash(["bytes32", "bytes32"], [head, digest]);
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

function hash(types: readonly string[], values: readonly unknown[]): Hex {
  return keccak256(abi.encode(types, values)) as Hex;
}
