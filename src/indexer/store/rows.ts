import type { Checkpoint } from "../checkpoint";
import type { DeriveKind } from "../indexing/events";

/**
 * The read model's rows as the projector produces them and the store writes them (one type per
 * table in src/db/migrations/0003_indexer.sql). Addresses are lower case, `bytes32` values 0x hex,
 * grams exact `bigint`s.
 */
export type LotStatus = "active" | "in_transit" | "consumed";
export type LotGenesis = "minted" | DeriveKind;
export type HandoverStatus = "offered" | "accepted" | "rejected" | "cancelled";

export type MemberRow = {
  memberId: bigint;
  roles: number;
  active: boolean;
  /** ISO 3166-1 alpha-2. */
  country: string;
  metadata: string;
  addedPosition: Checkpoint;
  addedAt: Date | null;
  updatedPosition: Checkpoint;
};

export type AccountRow = {
  address: string;
  memberId: bigint;
  /** Network-wide account number, 1-based: the prefix of the lot ids this account creates. */
  number: number;
  active: boolean;
  addedPosition: Checkpoint;
  addedAt: Date | null;
};

export type FormRow = {
  form: number;
  commodity: number;
  lossBps: number;
  gainBps: number;
  mintable: boolean;
  /** Transforms count this form's inputs on dry weight (the form catalogue says so). */
  dryBasis: boolean;
  name: string;
  registeredPosition: Checkpoint;
};

export type YieldBoundsRow = { inputForm: number; outputForm: number; minBps: number; maxBps: number; updatedPosition: Checkpoint };

export type LotRow = {
  lotId: bigint;
  commodity: number;
  form: number;
  grams: bigint;
  /** Basis points of the weight (DRC for rubber, moisture for cocoa); 0 = not measured. */
  quality: number;
  status: LotStatus;
  custodian: string;
  custodianMember: bigint;
  pendingReceiver: string | null;
  pendingReceiverMember: bigint | null;
  /** `seq` of the offer event of the open handover, while in transit. */
  openHandoverSeq: number | null;
  /** The account that minted or derived the lot, and its member. */
  creator: string;
  creatorMember: bigint;
  genesis: LotGenesis;
  metadata: string;
  /** Origin commitment; deliveries only. */
  origin: string | null;
  head: string;
  eventCount: number;
  createdPosition: Checkpoint;
  createdBlock: number;
  createdTx: string;
  createdAt: Date | null;
  consumedPosition: Checkpoint | null;
  consumedAt: Date | null;
  updatedPosition: Checkpoint;
};

export type LotEventRow = {
  lotId: bigint;
  /** 0 for the genesis event, then 1, 2, ... */
  seq: number;
  /** A `LotHistoryEvent` kind: minted, offered, ..., evidence. */
  kind: string;
  position: Checkpoint;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  blockTime: Date | null;
  /** The history head after this event (emitted by the contract, recomputed and equal). */
  head: string;
  /** The event's fields the head commits to, besides kind and lot id (bigints as decimal strings). */
  fields: Record<string, unknown>;
};

/**
 * An input -> output link of a split, merge or transform, with the quantities that flow along it:
 * the parent put `parentGrams * childGrams / outputsGrams` of itself into the child, and the child
 * holds `childGrams * parentGrams / inputsGrams` that came from the parent.
 */
export type LotEdgeRow = {
  parentId: bigint;
  childId: bigint;
  kind: DeriveKind;
  parentGrams: bigint;
  childGrams: bigint;
  /** All inputs' grams in the operation. */
  inputsGrams: bigint;
  /** All outputs' grams in the operation. */
  outputsGrams: bigint;
  position: Checkpoint;
  createdAt: Date | null;
};

export type HandoverRow = {
  lotId: bigint;
  offerSeq: number;
  sender: string;
  senderMember: bigint;
  receiver: string;
  receiverMember: bigint;
  status: HandoverStatus;
  gramsSent: bigint;
  gramsReceived: bigint | null;
  /** The lot's quality from the acceptance on (measured by the receiver, or kept); accepted only. */
  quality: number | null;
  reason: number | null;
  /** The account that took custody (accepted only). */
  acceptedBy: string | null;
  offeredPosition: Checkpoint;
  offeredAt: Date | null;
  closedPosition: Checkpoint | null;
  closedAt: Date | null;
};

/** A non-traced ingredient declared by the transform that created `lotId` (every output gets the whole list). */
export type LotIngredientRow = {
  lotId: bigint;
  /** Its place in the declaration, from 0. */
  seq: number;
  outputForm: number;
  grams: bigint;
  /** The bytes32 name as emitted (UTF-8, zero-padded). */
  name: string;
  position: Checkpoint;
};

export type LotEvidenceRow = {
  lotId: bigint;
  seq: number;
  digest: string;
  by: string;
  byMember: bigint;
  position: Checkpoint;
  txHash: string;
  blockTime: Date | null;
};

export type SchemeRow = {
  scheme: number;
  model: number;
  subjects: number;
  defaultValidity: number;
  name: string;
  version: string;
  registeredPosition: Checkpoint;
};

export type AccreditationRow = { scheme: number; memberId: bigint; until: number; withdrawn: boolean; updatedPosition: Checkpoint };

/** Times in Unix seconds; `expiresAt` null = never. */
export type AttestationRow = {
  uid: string;
  scheme: number;
  subjectKind: number;
  subject: string;
  lotId: bigint | null;
  attester: string;
  attesterMember: bigint;
  attestedAt: number | null;
  expiresAt: number | null;
  evidence: string;
  dataHash: string;
  position: Checkpoint;
  txHash: string;
  revoked: boolean;
  revoker: string | null;
  revokeReason: number | null;
  revokedAt: number | null;
  revokedPosition: Checkpoint | null;
};

export type LotClaimRow = {
  lotId: bigint;
  scheme: number;
  state: "carried" | "marked" | "spent" | "origin";
  /** Unix seconds; null = no expiry. */
  validUntil: number | null;
  /** Identity preserved: the attested lot the claim descends from. */
  family: bigint | null;
  /** Origin: the plot attestation that was valid when the lot was minted. */
  originUid?: string | null;
  position: Checkpoint;
};

/** A due diligence statement's reference numbers, recorded against a lot (`DdsReferenced`). */
export type DdsReferenceRow = {
  position: Checkpoint;
  lotId: bigint;
  memberId: bigint;
  by: string;
  referenceNumber: string;
  verificationNumber: string;
  txHash: string;
  blockTime: Date | null;
};

export type MassBalanceMoveRow = {
  position: Checkpoint;
  memberId: bigint;
  scheme: number;
  form: number;
  lotId: bigint;
  direction: "credit" | "debit";
  /** credit: a claimed lot accepted (handover) or produced from claimed inputs (derivation); debit:
   * mark, or withdrawal (the lot's attestation was revoked after its claim became credit). */
  cause: "handover" | "derivation" | "mark" | "withdrawal";
  grams: bigint;
  balance: bigint;
  txHash: string;
  blockTime: Date | null;
};

export type MassBalanceCreditRow = { memberId: bigint; scheme: number; form: number; balance: bigint; updatedPosition: Checkpoint };

/** A buyer's premium commitment on a lot (PremiumCommitted). */
export type PremiumCommitmentRow = {
  commitmentId: bigint;
  lotId: bigint;
  memberId: bigint;
  scheme: string;
  currency: string;
  ratePerKg: bigint;
  grams: bigint;
  position: Checkpoint;
  txHash: string;
  committedAt: Date | null;
};

/** A payout run's root (PayoutRunPublished); `totals` as JSON text `[{currency, total}]`. */
export type PayoutRunRow = { root: string; memberId: bigint; count: number; totals: string; position: Checkpoint; txHash: string; publishedAt: Date | null };

/** A batch of farmers' confirmation records of a payout run (ConfirmationRootPublished). */
export type ConfirmationBatchRow = { batchRoot: string; runRoot: string; memberId: bigint; count: number; position: Checkpoint; txHash: string; publishedAt: Date | null };

/** What one batch of events writes: final states to upsert, new rows to insert. */
export type RowBatch = {
  members: Map<bigint, MemberRow>;
  accounts: Map<string, AccountRow>;
  forms: Map<number, FormRow>;
  yieldBounds: Map<string, YieldBoundsRow>;
  lots: Map<bigint, LotRow>;
  handovers: Map<string, HandoverRow>;
  lotEvents: LotEventRow[];
  lotEdges: LotEdgeRow[];
  lotEvidence: LotEvidenceRow[];
  lotIngredients: LotIngredientRow[];
  schemes: Map<number, SchemeRow>;
  accreditations: Map<string, AccreditationRow>;
  attestations: Map<string, AttestationRow>;
  lotClaims: Map<string, LotClaimRow>;
  massBalanceMoves: MassBalanceMoveRow[];
  massBalanceCredits: Map<string, MassBalanceCreditRow>;
  premiumCommitments: PremiumCommitmentRow[];
  payoutRuns: PayoutRunRow[];
  confirmationBatches: ConfirmationBatchRow[];
  ddsReferences: DdsReferenceRow[];
};

export function emptyRowBatch(): RowBatch {
  return {
    members: new Map(),
    accounts: new Map(),
    forms: new Map(),
    yieldBounds: new Map(),
    lots: new Map(),
    handovers: new Map(),
    lotEvents: [],
    lotEdges: [],
    lotEvidence: [],
    lotIngredients: [],
    schemes: new Map(),
    accreditations: new Map(),
    attestations: new Map(),
    lotClaims: new Map(),
    massBalanceMoves: [],
    massBalanceCredits: new Map(),
    premiumCommitments: [],
    payoutRuns: [],
    confirmationBatches: [],
    ddsReferences: [],
  };
}

export function handoverKey(lotId: bigint, offerSeq: number): string {
  return `${lotId}:${offerSeq}`;
}

export function yieldBoundsKey(inputForm: number, outputForm: number): string {
  return `${inputForm}:${outputForm}`;
}
