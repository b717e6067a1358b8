import { createHash } from "node:crypto";

/** OpenZeppelin's Merkle tree (with its ABI coder, about a fifth of a second of CPU to load), loaded when a tree is first built or checked, not by every gateway start. */
const merkleTree = () => require("@openzeppelin/merkle-tree") as typeof import("@openzeppelin/merkle-tree");

/**
 * A batch of farmers' confirmation records and its Merkle tree (OpenZeppelin's
 * StandardMerkleTree, as the payout runs'), whose root goes on chain beside the run's root
 * (`PayoutRegistry.publishConfirmationRoot`). A record names the payment by its leaf hash in the
 * run (so it proves which payment it is about), the verdict, the kind, and the hash of what was
 * signed or recorded: the passkey's statement, or the cooperative's record of the weaker kinds.
 * Nothing in it names the farmer; the payment's leaf is salted, the statement carries a nonce.
 */
export const CONFIRMATION_LEAF_ENCODING = ["bytes32", "uint8", "uint8", "bytes32"] as const;

export const VERDICT_CODES = { confirmed: 1, disputed: 2 } as const;
export const KIND_CODES = { passkey: 1, "agent-code": 2, paper: 3 } as const;
export type RecordVerdict = keyof typeof VERDICT_CODES;
export type RecordKind = keyof typeof KIND_CODES;

export type ConfirmationRecord = {
  /** The payment's leaf hash in its payout run (0x and 64 hex). */
  paymentLeaf: string;
  verdict: RecordVerdict;
  kind: RecordKind;
  /** SHA-256 of the passkey's statement, or of the weaker kinds' record text (0x and 64 hex). */
  proofHash: string;
};

export type ConfirmationLeafValue = [string, number, number, string];

export function confirmationLeafValue(record: ConfirmationRecord): ConfirmationLeafValue {
  return [record.paymentLeaf.toLowerCase(), VERDICT_CODES[record.verdict], KIND_CODES[record.kind], record.proofHash.toLowerCase()];
}

/** The record a leaf value stands for; null when its codes are none of ours. */
export function confirmationRecordOf(value: ConfirmationLeafValue): ConfirmationRecord | null {
  const verdict = (Object.keys(VERDICT_CODES) as RecordVerdict[]).find((v) => VERDICT_CODES[v] === Number(value[1]));
  const kind = (Object.keys(KIND_CODES) as RecordKind[]).find((k) => KIND_CODES[k] === Number(value[2]));
  if (!verdict || !kind) return null;
  return { paymentLeaf: String(value[0]).toLowerCase(), verdict, kind, proofHash: String(value[3]).toLowerCase() };
}

/** SHA-256 of a text, `0x` and 64 hex: the proof hash of a statement or record. */
export const sha256Hex = (text: string): string => `0x${createHash("sha256").update(text, "utf8").digest("hex")}`;

/**
 * The record text of a weaker confirmation (agent code, paper), whose hash its leaf holds: the
 * cooperative's word, fixed once the batch root is on chain. The id is random; the evidence is a
 * private receipt photo's CID (the auditor may ask to see it).
 */
export function fallbackRecordText(record: { id: string; paymentDigest: string; kind: "agent-code" | "paper"; verdict: RecordVerdict; evidenceCid: string | null; recordedAt: Date }): string {
  return JSON.stringify({
    v: "firstmile.confirmation-record.v1",
    id: record.id,
    payment: record.paymentDigest,
    kind: record.kind,
    verdict: record.verdict,
    evidence: record.evidenceCid,
    at: Math.floor(record.recordedAt.getTime() / 1000),
  });
}

export type ConfirmationTree = {
  root: string;
  count: number;
  records: ConfirmationRecord[];
  leaves: { value: ConfirmationLeafValue; proof: string[] }[];
};

export function buildConfirmationTree(records: readonly ConfirmationRecord[]): ConfirmationTree {
  if (records.length === 0) throw new RangeError("a confirmation batch needs at least one record");
  const values = records.map(confirmationLeafValue);
  const tree = merkleTree().StandardMerkleTree.of(values, [...CONFIRMATION_LEAF_ENCODING]);
  return { root: tree.root, count: values.length, records: [...records], leaves: values.map((value, index) => ({ value, proof: tree.getProof(index) })) };
}

/** Whether a confirmation record with its proof is under `root`. */
export function verifyConfirmationLeaf(root: string, value: ConfirmationLeafValue, proof: readonly string[]): boolean {
  try {
    return merkleTree().StandardMerkleTree.verify(root, [...CONFIRMATION_LEAF_ENCODING], value, [...proof]);
  } catch {
    return false;
  }
}
