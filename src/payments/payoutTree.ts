import { randomBytes } from "node:crypto";
import { AbiCoder, keccak256 } from "ethers";

/** OpenZeppelin's Merkle tree (with its ABI coder, about a fifth of a second of CPU to load), loaded when a tree is first built or checked, not by every gateway start. */
const merkleTree = () => require("@openzeppelin/merkle-tree") as typeof import("@openzeppelin/merkle-tree");

/**
 * A payout run's leaves and their Merkle tree (OpenZeppelin's StandardMerkleTree: each leaf is the
 * double keccak256 of its ABI encoding, pairs sorted). A leaf names the farmer only by pseudonym;
 * its random salt makes it impossible to test guesses of amounts against the root.
 */
export const LEAF_ENCODING = ["bytes32", "uint256[]", "bytes3", "uint256", "uint256", "uint64", "uint8", "bytes32"] as const;

/** Gender of a leaf's farmer: how the public share of women paid is checked. */
export const LEAF_GENDER = { unknown: 0, female: 1, male: 2, other: 3 } as const;
export type LeafGender = keyof typeof LEAF_GENDER;

export type PayoutLeaf = {
  /** The farmer's pseudonym (64 hex, no 0x). */
  pseudonym: string;
  /** The delivery lots the payment covers. */
  deliveryLotIds: readonly bigint[];
  /** ISO 4217 code. */
  currency: string;
  /** Paid in all (net of deductions, premiums included), minor units. */
  amount: bigint;
  /** Premium components of it, minor units. */
  premium: bigint;
  /** Unix seconds. */
  paidAt: number;
  gender: LeafGender;
  /** 0x and 64 hex: random, per leaf. */
  salt: string;
};

export type LeafValue = [string, string[], string, string, string, string, number, string];

export const newSalt = (): string => `0x${randomBytes(32).toString("hex")}`;

/** A leaf as the tree encodes it (decimal strings for integers, hex for bytes). */
export function leafValue(leaf: PayoutLeaf): LeafValue {
  return [
    `0x${leaf.pseudonym}`,
    leaf.deliveryLotIds.map(String),
    `0x${Buffer.from(leaf.currency, "ascii").toString("hex")}`,
    leaf.amount.toString(),
    leaf.premium.toString(),
    String(leaf.paidAt),
    LEAF_GENDER[leaf.gender],
    leaf.salt,
  ];
}

/** The leaf a tree value stands for. */
export function leafOf(value: LeafValue): PayoutLeaf {
  const gender = (Object.keys(LEAF_GENDER) as LeafGender[]).find((name) => LEAF_GENDER[name] === Number(value[6])) ?? "unknown";
  return {
    pseudonym: value[0].slice(2).toLowerCase(),
    deliveryLotIds: value[1].map((id) => BigInt(id)),
    currency: Buffer.from(value[2].slice(2), "hex").toString("ascii"),
    amount: BigInt(value[3]),
    premium: BigInt(value[4]),
    paidAt: Number(value[5]),
    gender,
    salt: value[7].toLowerCase(),
  };
}

export type PayoutTree = {
  root: string;
  count: number;
  /** Sum of `amount` per currency, in code order. */
  totals: { currency: string; total: bigint }[];
  /** Every leaf with its proof, in leaf order: what a cooperative hands an auditor. */
  leaves: { value: LeafValue; proof: string[] }[];
};

/** Builds a run's tree. */
export function buildPayoutTree(leaves: readonly PayoutLeaf[]): PayoutTree {
  if (leaves.length === 0) throw new RangeError("a payout run needs at least one payment");
  const values = leaves.map(leafValue);
  const tree = merkleTree().StandardMerkleTree.of(values, [...LEAF_ENCODING]);
  const totals = new Map<string, bigint>();
  for (const leaf of leaves) totals.set(leaf.currency, (totals.get(leaf.currency) ?? 0n) + leaf.amount);
  return {
    root: tree.root,
    count: leaves.length,
    totals: [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, total]) => ({ currency, total })),
    leaves: values.map((value, index) => ({ value, proof: tree.getProof(index) })),
  };
}

/** Whether `value` with `proof` is under `root` (the check an auditor runs on each exported leaf). */
export function verifyPayoutLeaf(root: string, value: LeafValue, proof: readonly string[]): boolean {
  try {
    return merkleTree().StandardMerkleTree.verify(root, [...LEAF_ENCODING], value, [...proof]);
  } catch {
    return false;
  }
}

/** The bytes3 of an ISO 4217 code, as the contract takes it. */
export function currencyBytes3(code: string): string {
  return `0x${Buffer.from(code, "ascii").toString("hex")}`;
}

/**
 * A leaf's hash as the tree computes it (keccak256 of keccak256 of its ABI encoding): what a
 * confirmation record names the payment by, so it proves which leaf of the run it is about
 * without repeating the leaf.
 */
export function payoutLeafHash(value: LeafValue): string {
  return keccak256(keccak256(AbiCoder.defaultAbiCoder().encode([...LEAF_ENCODING], value)));
}
