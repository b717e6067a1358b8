import { NonRetryableError } from "../errors";
import type { ChainOfCustodyName } from "./schemes";

/**
 * The rules by which sustainability claims follow lots through the chain of custody, as pure
 * TypeScript: the twin of contracts/attestations/AttestationRegistry.sol (see docs/attestations.md).
 *
 * Feed it what the chain says happened (schemes, lot mints, attestations, revocations, handovers,
 * derivations, marks) and ask what the contract would answer: whether a lot carries a claim, a
 * member's mass-balance credit, and whether a mark would be refused (and with which error). The
 * contract tests run random operation sequences against both and compare every balance; the
 * gateway can use it to explain a refusal before sending a transaction.
 */

/** `IAttestationRegistry.ClaimState`. */
export const ClaimState = { none: 0, carried: 1, marked: 2, spent: 3 } as const;
export type ClaimStateName = keyof typeof ClaimState;

/** `type(uint48).max`: a carried or marked claim without expiry. */
export const NO_EXPIRY = (1n << 48n) - 1n;

/** `ILotRegistry.LotStatus`, as far as claims care. */
export type LotStatusName = "active" | "inTransit" | "consumed";
const LOT_STATUS_NUMBER: Record<LotStatusName, number> = { active: 1, inTransit: 2, consumed: 3 };

export interface LedgerLot {
  /** The member whose account holds it. */
  member: bigint;
  form: number;
  grams: bigint;
  status: LotStatusName;
}

export interface LotClaim {
  state: ClaimStateName;
  /** Unix seconds; {@link NO_EXPIRY} for none. */
  validUntil: bigint;
  /** Identity preserved: the attested lot the claim descends from; 0 otherwise. */
  family: bigint;
}

export interface LedgerAttestation {
  scheme: number;
  /** The lot it is about, if its subject is a lot (only lot attestations follow lots). */
  lotId: bigint | undefined;
  /** Unix seconds; 0 = never. */
  expiresAt: bigint;
  revoked: boolean;
}

export interface DerivedOutput {
  form: number;
  grams: bigint;
}

/** One credit or debit, as the contract's `MassBalanceCredited` / `MassBalanceDebited` events say it. */
export interface CreditEntry {
  kind: "credit" | "debit";
  member: bigint;
  scheme: number;
  lotId: bigint;
  form: number;
  grams: bigint;
  balance: bigint;
}

/**
 * A refusal, named and with the arguments of the contract's custom error, e.g.
 * `AttestationRegistryInsufficientCredit(member, scheme, form, balance, needed)`.
 */
export class ClaimRuleError extends NonRetryableError {
  override name = "ClaimRuleError";
  constructor(
    readonly errorName: string,
    readonly args: readonly (bigint | number | string)[],
  ) {
    super(`${errorName}(${args.map(String).join(", ")})`);
  }
}

const NO_CLAIM: LotClaim = { state: "none", validUntil: 0n, family: 0n };

export class ClaimLedger {
  private readonly schemes = new Map<number, ChainOfCustodyName>();
  private readonly lots = new Map<bigint, LedgerLot>();
  private readonly attestations = new Map<string, LedgerAttestation>();
  /** `${lotId}/${scheme}` -> the lot's current attestation uid for the scheme. */
  private readonly current = new Map<string, string>();
  private readonly claims = new Map<string, LotClaim>();
  /** `${member}/${scheme}/${form}` -> grams. */
  private readonly credits = new Map<string, bigint>();
  /** Every credit and debit, in order. */
  readonly entries: CreditEntry[] = [];

  registerScheme(scheme: number, model: ChainOfCustodyName): void {
    this.schemes.set(scheme, model);
  }

  lotMinted(lotId: bigint, member: bigint, form: number, grams: bigint): void {
    this.lots.set(lotId, { member, form, grams, status: "active" });
  }

  /** An attestation was made. Lot attestations of mass-balance schemes are refused on a spent claim. */
  attested(uid: string, attestation: Omit<LedgerAttestation, "revoked">): void {
    const { lotId, scheme } = attestation;
    if (lotId !== undefined) {
      const lot = this.lot(lotId);
      if (lot.status === "consumed") throw new ClaimRuleError("LotRegistryUnknownLot", [lotId]);
      if (this.schemes.get(scheme) === "massBalance" && this.claim(lotId, scheme).state === "spent") {
        throw new ClaimRuleError("AttestationRegistryClaimSpent", [lotId, scheme]);
      }
      this.current.set(key(lotId, scheme), uid);
    }
    this.attestations.set(uid, { ...attestation, revoked: false });
  }

  revoked(uid: string): void {
    const attestation = this.attestations.get(uid);
    if (!attestation) throw new ClaimRuleError("AttestationRegistryUnknownAttestation", [uid]);
    if (attestation.revoked) throw new ClaimRuleError("AttestationRegistryAlreadyRevoked", [uid]);
    attestation.revoked = true;
  }

  /** A lot was offered: in transit until accepted, rejected or cancelled. */
  handoverOffered(lotId: bigint): void {
    this.lot(lotId).status = "inTransit";
  }

  /** An offer was rejected or cancelled: the lot is active again with its custodian. */
  handoverSettled(lotId: bigint): void {
    this.lot(lotId).status = "active";
  }

  /** `member` accepted `lotId` at `gramsReceived`: a mass-balance claim it carries becomes the receiver's credit. */
  handoverAccepted(lotId: bigint, member: bigint, gramsReceived: bigint, now: bigint): CreditEntry[] {
    const lot = this.lot(lotId);
    Object.assign(lot, { member, grams: gramsReceived, status: "active" });
    const entries: CreditEntry[] = [];
    for (const [scheme, model] of this.schemes) {
      if (model !== "massBalance" || !this.carries(lotId, scheme, now).carries) continue;
      this.claims.set(key(lotId, scheme), { state: "spent", validUntil: 0n, family: 0n });
      entries.push(this.credit(member, scheme, lot.form, lotId, gramsReceived));
    }
    return entries;
  }

  /**
   * `member` split, merged or transformed `inputIds` into `outputs` (lots `firstOutputId` ..):
   * identity-preserved and segregated claims carried, mass-balance claims spent and credited.
   */
  lotsDerived(
    member: bigint,
    inputIds: readonly bigint[],
    firstOutputId: bigint,
    outputs: readonly DerivedOutput[],
    now: bigint,
  ): CreditEntry[] {
    const inputs = inputIds.map((id) => this.lot(id));
    const entries: CreditEntry[] = [];
    // Claims are settled against the inputs as they stood, before anything here changes them.
    const carried = new Map<number, LotClaim>();
    for (const [scheme, model] of this.schemes) {
      const states = inputIds.map((id) => this.carries(id, scheme, now));
      if (model === "massBalance") {
        const total = inputs.reduce((sum, lot) => sum + lot.grams, 0n);
        let claimed = 0n;
        states.forEach((state, index) => {
          if (!state.carries) return;
          claimed += inputs[index].grams;
          this.claims.set(key(inputIds[index], scheme), { state: "spent", validUntil: 0n, family: 0n });
        });
        if (claimed === 0n) continue;
        outputs.forEach((output, index) => {
          const grams = (output.grams * claimed) / total;
          if (grams !== 0n) entries.push(this.credit(member, scheme, output.form, firstOutputId + BigInt(index), grams));
        });
        continue;
      }
      if (!states.every((state) => state.carries)) continue;
      const family = states[0].family;
      if (model === "identityPreserved" && states.some((state) => state.family !== family)) continue;
      const validUntil = states.reduce((min, state) => (state.validUntil < min ? state.validUntil : min), NO_EXPIRY);
      carried.set(scheme, { state: "carried", validUntil, family: model === "identityPreserved" ? family : 0n });
    }
    for (const lot of inputs) lot.status = "consumed";
    outputs.forEach((output, index) => {
      const outputId = firstOutputId + BigInt(index);
      this.lots.set(outputId, { member, form: output.form, grams: output.grams, status: "active" });
      for (const [scheme, claim] of carried) this.claims.set(key(outputId, scheme), { ...claim });
    });
    return entries;
  }

  /**
   * `caller` (an account of `member`) marks `lotIds` as claimed for `scheme`, debiting the credit.
   * Throws a {@link ClaimRuleError} named as the contract's revert, and then changes nothing.
   * `custodianOf` answers which account holds a lot (the error names it).
   */
  markClaimed(
    caller: string,
    member: bigint,
    scheme: number,
    lotIds: readonly bigint[],
    now: bigint,
    custodianOf: (lotId: bigint) => string,
  ): CreditEntry[] {
    const model = this.schemes.get(scheme);
    if (model === undefined) throw new ClaimRuleError("AttestationRegistryUnknownScheme", [scheme]);
    if (model !== "massBalance") throw new ClaimRuleError("AttestationRegistryNotMassBalance", [scheme]);
    // Check everything first on a copy of the balances, so a refusal changes nothing.
    const pending = new Map<string, bigint>();
    const marked = new Set<bigint>();
    for (const lotId of lotIds) {
      const lot = this.lots.get(lotId);
      if (!lot) throw new ClaimRuleError("LotRegistryUnknownLot", [lotId]);
      if (lot.member !== member) {
        throw new ClaimRuleError("AttestationRegistryNotCustodian", [caller, lotId, custodianOf(lotId)]);
      }
      if (lot.status !== "active") {
        throw new ClaimRuleError("AttestationRegistryLotNotActive", [lotId, LOT_STATUS_NUMBER[lot.status]]);
      }
      if (marked.has(lotId) || this.carries(lotId, scheme, now).carries) {
        throw new ClaimRuleError("AttestationRegistryAlreadyClaimed", [lotId, scheme]);
      }
      const creditKey = `${member}/${scheme}/${lot.form}`;
      const balance = pending.get(creditKey) ?? this.creditOf(member, scheme, lot.form);
      if (balance < lot.grams) {
        throw new ClaimRuleError("AttestationRegistryInsufficientCredit", [member, scheme, lot.form, balance, lot.grams]);
      }
      pending.set(creditKey, balance - lot.grams);
      marked.add(lotId);
    }
    return lotIds.map((lotId) => {
      const lot = this.lot(lotId);
      const balance = this.creditOf(member, scheme, lot.form) - lot.grams;
      this.credits.set(`${member}/${scheme}/${lot.form}`, balance);
      this.claims.set(key(lotId, scheme), { state: "marked", validUntil: NO_EXPIRY, family: 0n });
      const entry: CreditEntry = { kind: "debit", member, scheme, lotId, form: lot.form, grams: lot.grams, balance };
      this.entries.push(entry);
      return entry;
    });
  }

  /** Whether `lotId` carries `scheme`'s claim at `now` (the contract's `carriesClaim`). */
  carriesClaim(lotId: bigint, scheme: number, now: bigint): boolean {
    return this.carries(lotId, scheme, now).carries;
  }

  /** A member's mass-balance credit in grams of `form`. */
  creditOf(member: bigint, scheme: number, form: number): bigint {
    return this.credits.get(`${member}/${scheme}/${form}`) ?? 0n;
  }

  /** The lot's recorded claim (the contract's `getLotClaim`). */
  claim(lotId: bigint, scheme: number): LotClaim {
    return this.claims.get(key(lotId, scheme)) ?? NO_CLAIM;
  }

  getLot(lotId: bigint): LedgerLot | undefined {
    return this.lots.get(lotId);
  }

  /** Whether attestation `uid` exists, is not revoked and has not expired at `now`. */
  isValid(uid: string, now: bigint): boolean {
    const attestation = this.attestations.get(uid);
    return !!attestation && !attestation.revoked && (attestation.expiresAt === 0n || now < attestation.expiresAt);
  }

  /** The contract's `_lotClaim`: a carried or marked claim first, else the lot's own attestation. */
  private carries(lotId: bigint, scheme: number, now: bigint): { carries: boolean; validUntil: bigint; family: bigint } {
    const none = { carries: false, validUntil: 0n, family: 0n };
    const claim = this.claim(lotId, scheme);
    if (claim.state === "spent") return none;
    if (claim.state !== "none" && now < claim.validUntil) {
      return { carries: true, validUntil: claim.validUntil, family: claim.family };
    }
    const uid = this.current.get(key(lotId, scheme));
    if (uid === undefined || !this.isValid(uid, now)) return none;
    const expiresAt = this.attestations.get(uid)?.expiresAt ?? 0n;
    return { carries: true, validUntil: expiresAt === 0n ? NO_EXPIRY : expiresAt, family: lotId };
  }

  private credit(member: bigint, scheme: number, form: number, lotId: bigint, grams: bigint): CreditEntry {
    const balance = this.creditOf(member, scheme, form) + grams;
    this.credits.set(`${member}/${scheme}/${form}`, balance);
    const entry: CreditEntry = { kind: "credit", member, scheme, lotId, form, grams, balance };
    this.entries.push(entry);
    return entry;
  }

  private lot(lotId: bigint): LedgerLot {
    const lot = this.lots.get(lotId);
    if (!lot) throw new ClaimRuleError("LotRegistryUnknownLot", [lotId]);
    return lot;
  }
}

function key(lotId: bigint, scheme: number): string {
  return `${lotId}/${scheme}`;
}

