import type { Checkpoint } from "../checkpoint";

/** A log as the indexer receives it from the node, numbers already parsed, addresses in lower case. */
export type ChainLog = {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber: number;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
};

/** Where an event happened. Every event decoded from one log shares its position. */
export type EventMeta = {
  /** The log's checkpoint (block, log index). */
  position: Checkpoint;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  /** Block timestamp; null when the node did not give it (never for logs from the follower). */
  blockTime: Date | null;
};

/** `quality`: basis points of the weight (DRC for rubber, moisture for cocoa), 0 = not measured. */
export type Delivery = { form: number; grams: bigint; quality: number; metadata: string; origin: string };
export type DerivedOutput = { form: number; grams: bigint; quality: number; metadata: string };
/** A declared non-traced ingredient of a transform; `name` is bytes32 (UTF-8, zero-padded) as emitted. */
export type DeclaredIngredient = { outputForm: number; grams: bigint; name: string };

/** Split, merge and transform, as `LotsDerived.kind` numbers them (LotHistory SPLIT, MERGED, TRANSFORMED). */
export const DERIVE_KINDS = { 6: "split", 7: "merged", 8: "transformed" } as const;
export type DeriveKind = (typeof DERIVE_KINDS)[keyof typeof DERIVE_KINDS];

/**
 * The registry's events the read model is built from, named as the contracts name them, with
 * addresses in lower case and `bytes32` values as 0x hex. `LotMinted` is decoded as a `LotsMinted`
 * of one delivery (its custodian is the `to` of the `Transfer` just before it).
 */
export type RegistryEvent =
  | { type: "MemberAdded"; memberId: bigint; roles: number; country: string; metadata: string }
  | { type: "AccountAdded"; memberId: bigint; account: string }
  | { type: "AccountStatusChanged"; memberId: bigint; account: string; active: boolean }
  | { type: "MemberStatusChanged"; memberId: bigint; active: boolean }
  | { type: "RolesChanged"; memberId: bigint; previousRoles: number; roles: number }
  | { type: "MetadataChanged"; memberId: bigint; metadata: string }
  | { type: "FormRegistered"; form: number; commodity: number; lossBps: number; gainBps: number; mintable: boolean; name: string }
  | { type: "FormToleranceChanged"; form: number; lossBps: number; gainBps: number }
  /** From the form catalogue: `outputForm` 0 bounds all outputs of a transform together. */
  | { type: "YieldBoundsSet"; inputForm: number; outputForm: number; minBps: number; maxBps: number }
  | { type: "DryBasisSet"; form: number; dryBasis: boolean }
  | { type: "LotsMinted"; custodian: string; firstLotId: bigint; deliveries: readonly Delivery[]; heads: readonly string[] }
  | { type: "HandoverOffered"; lotId: bigint; custodian: string; receiver: string; head: string }
  | { type: "HandoverCancelled"; lotId: bigint; custodian: string; receiver: string; head: string }
  | { type: "HandoverRejected"; lotId: bigint; custodian: string; receiver: string; reason: number; head: string }
  | {
      type: "HandoverAccepted";
      lotId: bigint;
      previousCustodian: string;
      custodian: string;
      gramsSent: bigint;
      gramsReceived: bigint;
      /** The lot's quality after acceptance (measured by the receiver, or kept). */
      quality: number;
      head: string;
    }
  | {
      type: "LotsDerived";
      kind: DeriveKind;
      custodian: string;
      inputIds: readonly bigint[];
      inputHeads: readonly string[];
      firstOutputId: bigint;
      outputs: readonly DerivedOutput[];
      ingredients: readonly DeclaredIngredient[];
      outputHeads: readonly string[];
    }
  | { type: "EvidenceAttached"; lotId: bigint; by: string; evidence: string; head: string };

/**
 * The attestation registry's events (contracts/attestations/IAttestationRegistry.sol). Times are
 * Unix seconds; `NO_EXPIRY` (2^48 - 1) and an expiry of 0 both mean "never".
 */
export type AttestationEvent =
  | { type: "SchemeRegistered"; scheme: number; model: number; subjects: number; defaultValidity: number; name: string; version: string }
  | { type: "Accredited"; scheme: number; member: bigint; until: number }
  | { type: "AccreditationWithdrawn"; scheme: number; member: bigint }
  | {
      type: "Attested";
      subject: string;
      attester: string;
      scheme: number;
      uid: string;
      subjectKind: number;
      expiresAt: number;
      evidence: string;
      dataHash: string;
    }
  | { type: "Revoked"; uid: string; revoker: string; scheme: number; reason: number }
  | { type: "ClaimCarried"; scheme: number; firstOutputId: bigint; outputCount: number; family: bigint; validUntil: number }
  | { type: "OriginClaimed"; scheme: number; lotId: bigint; uid: string }
  | { type: "MassBalanceCredited" | "MassBalanceDebited" | "MassBalanceWithdrawn"; member: bigint; scheme: number; lotId: bigint; form: number; grams: bigint; balance: bigint };

/**
 * The payout registry's events (contracts/payments/IPayoutRegistry.sol): a buyer's premium
 * commitment on a lot, a cooperative's payout-run root, the root of a batch of its farmers' confirmations of a run. `scheme` is the bytes32 name decoded to
 * text, `currency` the ISO 4217 code.
 */
export type PayoutEvent =
  | { type: "PremiumCommitted"; commitmentId: bigint; lotId: bigint; member: bigint; scheme: string; currency: string; ratePerKg: bigint; grams: bigint }
  | { type: "PayoutRunPublished"; root: string; member: bigint; count: number; totals: readonly { currency: string; total: bigint }[] }
  | { type: "ConfirmationRootPublished"; batchRoot: string; runRoot: string; member: bigint; count: number };

/** The DDS registry's event (contracts/eudr/IDdsRegistry.sol). */
export type DdsEvent = { type: "DdsReferenced"; lotId: bigint; member: bigint; by: string; referenceNumber: string; verificationNumber: string };

export type IndexedEvent = (RegistryEvent | AttestationEvent | DdsEvent | PayoutEvent) & EventMeta;
