import type { PremiumFigures } from "../../payments/publicFigures";
/**
 * The lot passport's machine-readable twin: what `GET /l/{lotId}?format=json` (or the GS1 Digital
 * Link `/01/{gtin}/10/{batch}?format=json`, or `Accept: application/json`) answers, and what
 * `firstmile verify` re-checks against any JSON-RPC node without trusting the gateway.
 *
 * Every quantity on the HTML page is read from the events listed here (never from a table the
 * chain cannot vouch for), so a page whose events pass the head check shows checked values.
 * bigints are decimal strings; bytes32 and addresses 0x hex (addresses lower case).
 */

import type { MemberKind } from "../../membership/kinds";

/** `LotHistoryEvent` (src/lots/historyHead.ts) as JSON: bigints as decimal strings. */
export type LotHistoryEventJson =
  | { kind: "minted"; lotId: string; custodian: string; form: number; grams: string; quality: number; metadata: string; origin: string }
  | { kind: "offered" | "cancelled"; lotId: string; custodian: string; receiver: string }
  | { kind: "rejected"; lotId: string; custodian: string; receiver: string; reason: number }
  | { kind: "accepted"; lotId: string; previousCustodian: string; custodian: string; gramsSent: string; gramsReceived: string; quality: number }
  | { kind: "split" | "merged" | "transformed"; lotId: string; firstOutputId: string; outputCount: string }
  | {
      kind: "derived";
      lotId: string;
      custodian: string;
      form: number;
      grams: string;
      quality: number;
      metadata: string;
      /** Digest of the transform's declared ingredients (zero when none): `ingredients` of the lot hash to it. */
      ingredients: string;
      inputIds: string[];
      inputHeads: string[];
    }
  | { kind: "evidence"; lotId: string; by: string; evidence: string };

/** One event as the page used it: the head-committed fields, where it was mined, the head after it. */
export type PassportEvent = {
  event: LotHistoryEventJson;
  txHash: string;
  blockNumber: number;
  logIndex: number;
  /** ISO 8601, from the block's timestamp (null if the indexer had none). */
  blockTime: string | null;
  /** The history head after this event, as the gateway's read model holds it. */
  head: string;
};

/** A lot whose events the page used (the lot itself and the ancestors it was made from). */
export type PassportLot = {
  lotId: string;
  /** Operations between this lot and the page's lot (0 = the lot itself). */
  depth: number;
  /** Every event of the lot, in order (the first is its genesis: minted or derived). */
  events: PassportEvent[];
  /**
   * The non-traced ingredients the transform that made the lot declared (sugar, lecithin), in
   * declaration order; their digest is the `ingredients` its derived event commits to. Empty otherwise.
   */
  ingredients: PassportIngredient[];
};

/** A declared non-traced ingredient: `name` as the chain keeps it (bytes32) and as text. */
export type PassportIngredient = { outputForm: number; grams: string; name: string; text: string };

export type PassportAttestationStatus = "valid" | "expired" | "revoked";

/**
 * An attestation about the lot or one of its ancestors, or about the plot a delivery came from
 * (no forest loss since the cut-off), with the status the page shows.
 */
export type PassportAttestation = {
  uid: string;
  /** lot: about `lotId`; plot: about the plot whose commitment is delivery `lotId`'s on-chain origin. */
  subjectKind: "lot" | "plot";
  /** The lot it is about (the page's lot or an ancestor), or the delivery whose origin is the attested plot. */
  lotId: string;
  scheme: { id: number; name: string | null; version: string | null; model: string | null };
  certifier: { memberId: string; account: string; name: string | null };
  attestedAt: string | null;
  /** null = no expiry. */
  expiresAt: string | null;
  status: PassportAttestationStatus;
  revocation: { reason: number; at: string | null } | null;
  /** sha2-256 digest of the evidence CID, as the chain holds it (0x00..00 = none). */
  evidence: string;
  /** The attested subject as bytes32 (for a lot: its id) and the data hash: with the fields above they hash to `uid`. */
  subject: string;
  dataHash: string;
};

/** A claim the lot carries now (per scheme), as the indexer's `getLotCarriedClaims` says. */
export type PassportClaim = {
  scheme: { id: number; name: string | null; model: string | null };
  source: "direct" | "carried" | "marked" | "origin" | null;
  validUntil: string | null;
};

/** A claim lost on the way: `deliveriesWith` of the lot's `deliveries` carried it from mint. */
export type PassportLostClaim = { scheme: { id: number; name: string | null; model: string | null }; deliveriesWith: number; deliveries: number };

/** A filed EU due diligence statement's reference number, recorded by member `memberId` against `lotId`. */
export type PassportStatement = { lotId: string; memberId: string; referenceNumber: string };

/** A piece of evidence: the CID the page links to and the bytes32 digest the chain holds. */
export type PassportEvidence = {
  /** Full CID (codec recovered from the block), or null when the gateway does not hold the block. */
  cid: string | null;
  digest: string;
  /** Where the digest is on chain: a lot's evidence event, an attestation, or a member's metadata. */
  source: { kind: "lot"; lotId: string } | { kind: "attestation"; uid: string } | { kind: "member"; memberId: string };
  /** Path on the gateway that serves the bytes verified against the CID (`/ipfs/{cid}`). */
  href: string | null;
};

/** Where the lot came from, summarised by district (never plot geometry or farmer references). */
export type PassportOrigin = {
  deliveries: number;
  plots: number;
  /** Farmers (households) the origin plots belong to; null when fewer than 5 (`MIN_PUBLIC_HOUSEHOLDS`) or none is known. */
  farmers: number | null;
  areaM2: number;
  /** Origin commitments with no plot record at this gateway. */
  unregistered: number;
  districts: Array<{ country: string; province: string; district: string; plots: number; areaM2: number }>;
  /** First and last delivery (block time, ISO 8601). */
  firstDelivery: string | null;
  lastDelivery: string | null;
  /** Sum of the delivered grams (minted events). */
  grams: string;
};

/**
 * A member as the page names it: from its metadata document when the store holds it, else
 * `member #N`; `kind` is what the document says the member is (one of `MEMBER_KINDS`), else null;
 * `region` where it works, as the document says (e.g. "Makassar, Sulawesi Selatan"), else null.
 */
export type PassportMember = { memberId: string; name: string | null; kind: MemberKind | null; region: string | null; roles: string[]; country: string };

/** One difference found by a check; `what` says which lot, head, attestation or evidence. */
export type VerificationMismatch =
  | { kind: "head"; lotId: string; computed: string; chain: string; what: string }
  | { kind: "readModel"; lotId: string; field: string; shown: string; events: string; what: string }
  | { kind: "events"; lotId: string; what: string }
  /** `problem`: "fields" when the fields shown do not hash to the uid, "status" when the chain's validity differs. */
  | { kind: "attestation"; uid: string; shown: PassportAttestationStatus; chainValid: boolean; problem?: "fields" | "status"; what: string }
  | { kind: "evidence"; digest: string; cid: string | null; what: string }
  | { kind: "chain"; what: string };

/** The outcome of the checks, as the gateway ran them at render time (the verifier re-runs them). */
export type PassportVerification = {
  ok: boolean;
  /** The block the `eth_call`s were made at, and its timestamp (ISO 8601). */
  block: { number: number; time: string | null };
  /** When the check ran (ISO 8601, the gateway's clock). */
  checkedAt: string;
  lotsChecked: number;
  attestationsChecked: number;
  mismatches: VerificationMismatch[];
};

export type LotPassport = {
  /** Version of this format. */
  format: "firstmile.passport.v1";
  chainId: string;
  contracts: { LotRegistry: string; AttestationRegistry: string | null };
  /** The page's lot as its events say it is now. */
  lot: {
    lotId: string;
    commodity: string | null;
    /** `key` and `name` from the form catalogue (null for a form it does not list). */
    form: { id: number; key: string | null; name: string | null };
    grams: string;
    /** Its measured quality in basis points (0 = not measured) and what it measures for the form. */
    quality: { bps: number; measure: "moisture" | "drc" | null };
    status: "active" | "in_transit" | "consumed";
    custodian: PassportMember | null;
  };
  /** The trade item, when the lot was reached through a GS1 Digital Link. */
  product: { gtin: string; batch: string; name: string } | null;
  origin: PassportOrigin;
  /** Members named on the page (custodians, creators, certifiers). */
  members: PassportMember[];
  /** account (lower case) -> member id, for the addresses in the events. */
  accounts: Record<string, string>;
  /** The page's lot first, then its ancestors by depth. */
  lots: PassportLot[];
  attestations: PassportAttestation[];
  claims: PassportClaim[];
  /** EU due diligence statements recorded on chain (`DdsReferenced`) against the lot or its ancestors. */
  statements?: PassportStatement[];
  /**
   * Claims some deliveries it was made from carried from their plots (`OriginClaimed`) and the lot
   * does not carry: material without the claim was mixed in (or an origin's attestation was revoked).
   */
  lostClaims?: PassportLostClaim[];
  evidence: PassportEvidence[];
  /** Premiums committed on the lot's ancestry and how they reached the farmers (docs/payments.md); null when none was committed. */
  premium?: PremiumFigures | null;
  verification: PassportVerification;
};
