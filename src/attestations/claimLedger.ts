import { NonRetryableError } from "../errors";
import type { ChainOfCustodyName } from "./schemes";

/**
 * The rules by which sustainability claims follow lots through the chain of custody, as pure
 * TypeScript: the twin of contracts/attestations/AttestationRegistry.sol (see docs/attestations.md).
 *
 * Feed it what the chain says happened (forms, schemes, lot mints, attestations, revocations,
 * handovers, derivations, marks) and ask what the contract would answer: whether a lot carries a
 * claim, a member's mass-balance credit, which credit a revocation withdraws, and whether an
 * acceptance, attestation or mark would be refused (and with which error). The contract tests run
 * random operation sequences against both and compare every balance, withdrawal and claim; the
 * gateway can use it to explain a refusal before sending a transaction.
 *
 * The rules, as the contract has them:
 * - A handover never adds mass: the lot then weighs min(sent, received), and that is what a
 *   mass-balance claim credits to the receiver. Received below sent by more than the form's
 *   `lossBps`, or above it by more than its `gainBps`, is refused.
 * - A subject carries a scheme's claim while any of its attestations for the scheme is valid (at
 *   most {@link MAX_ATTESTATIONS_PER_SUBJECT} valid at once).
 * - A delivery minted from a plot that holds a valid attestation of an identity-preserved or
 *   segregated plot scheme carries that claim from its mint (state `origin`), for as long as the
 *   plot holds one; revoking a plot attestation, like a lot attestation, makes what was carried
 *   from it be checked back to its origins.
 * - An identity-preserved or segregated claim carried to a derivation's outputs holds while every
 *   input of that derivation is backed: by a valid attestation of its own, or by a claim carried
 *   to it that is backed in turn, down to the attested origins. While nothing of the scheme was
 *   revoked since the claim was carried (the revocation count, its `epoch`), it is backed without
 *   that walk; the walk visits at most {@link MAX_WALK} derivations.
 * - A mass-balance claim spent into credit (at a handover, or consumed in a derivation) from the
 *   lot's own attestation has that credit withdrawn, as far as the balance still holds it, once the
 *   last valid attestation of the lot is revoked. Credit spent from a marked claim stays.
 */

/** `IAttestationRegistry.ClaimState`. */
export const ClaimState = { none: 0, carried: 1, marked: 2, spent: 3, withdrawn: 4, origin: 5 } as const;
export type ClaimStateName = keyof typeof ClaimState;

/** `type(uint48).max`: a carried or marked claim without expiry. */
export const NO_EXPIRY = (1n << 48n) - 1n;
/** `AttestationRegistry.MAX_ATTESTATIONS_PER_SUBJECT`: most valid attestations of one subject and scheme. */
export const MAX_ATTESTATIONS_PER_SUBJECT = 16;
/** `AttestationRegistry.MAX_WALK`: most derivations a carried claim's backing walk visits. */
export const MAX_WALK = 256;

const BPS = 10_000n;
/** `IAttestationRegistry.SubjectKind.Lot`, as the contract's errors name it. */
const LOT_SUBJECT = 1;

/** `ILotRegistry.LotStatus`, as far as claims care. */
export type LotStatusName = "active" | "inTransit" | "consumed";
const LOT_STATUS_NUMBER: Record<LotStatusName, number> = { active: 1, inTransit: 2, consumed: 3 };

/** A form's handover allowances, basis points of the sent weight (`ILotRegistry.Form`). */
export interface FormAllowances {
  lossBps: number;
  gainBps: number;
}

export interface LedgerLot {
  /** The member whose account holds it. */
  member: bigint;
  form: number;
  grams: bigint;
  status: LotStatusName;
}

/** `IAttestationRegistry.LotClaim`: how a lot holds a claim besides its own attestations. */
export interface LotClaim {
  state: ClaimStateName;
  /** Unix seconds; {@link NO_EXPIRY} for none. */
  validUntil: bigint;
  /** Identity preserved: the attested lot the claim descends from; 0 otherwise. */
  family: bigint;
  /**
   * Carried: the derivation it came through (its first output's id), whose inputs back it.
   * Mass balance, spent from the lot's own attestation in a derivation: that derivation. Else 0.
   */
  derivation: bigint;
  /** Carried: the scheme's revocation count when it was carried. */
  epoch: number;
}

export interface LedgerAttestation {
  scheme: number;
  /** The lot it is about, if its subject is a lot (only lot attestations follow lots). */
  lotId: bigint | undefined;
  /** The plot commitment it is about, if its subject is a plot (deliveries minted from it may carry it). */
  plot?: string | undefined;
  /** Unix seconds; 0 = never. */
  expiresAt: bigint;
  revoked: boolean;
}

export interface DerivedOutput {
  form: number;
  grams: bigint;
}

/**
 * One move of mass-balance credit, as the contract's `MassBalanceCredited`, `MassBalanceDebited`
 * and `MassBalanceWithdrawn` events say it; a withdrawal names the revoked attestation.
 */
export type CreditEntry =
  | { kind: "credit" | "debit"; member: bigint; scheme: number; lotId: bigint; form: number; grams: bigint; balance: bigint }
  | { kind: "withdrawal"; member: bigint; scheme: number; lotId: bigint; form: number; grams: bigint; balance: bigint; uid: string };

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

/** What a lot's claim is at one time (the contract's `_lotClaim`). */
interface Holding {
  carries: boolean;
  validUntil: bigint;
  family: bigint;
  /** Carried through the lot's own attestation, not a carried or marked claim. */
  attested: boolean;
}

/** What a derivation turned attested mass-balance claims into, so a revocation can withdraw a share. */
interface DerivationCredit {
  member: bigint;
  /** All inputs' grams, claimed or not. */
  inputGrams: bigint;
  /** The outputs' grams summed per form, in the order the forms first appear. */
  outputs: DerivedOutput[];
}

const NO_CLAIM: LotClaim = { state: "none", validUntil: 0n, family: 0n, derivation: 0n, epoch: 0 };
const SPENT: LotClaim = { ...NO_CLAIM, state: "spent" };
const NOT_HELD: Holding = { carries: false, validUntil: 0n, family: 0n, attested: false };

export class ClaimLedger {
  private readonly forms = new Map<number, FormAllowances>();
  private readonly schemes = new Map<number, ChainOfCustodyName>();
  /** The plot schemes (identity preserved or segregated) a delivery may carry from its mint, in registration order. */
  private readonly originSchemes: number[] = [];
  /** `${plot}/${scheme}` -> every attestation uid of the plot for the scheme. */
  private readonly plotAttestations = new Map<string, string[]>();
  /** lot id -> the plot a delivery holding an origin claim was minted from. */
  private readonly lotOrigins = new Map<bigint, string>();
  private readonly lots = new Map<bigint, LedgerLot>();
  private readonly attestations = new Map<string, LedgerAttestation>();
  /** `${lotId}/${scheme}` -> every attestation uid of the lot for the scheme. */
  private readonly lotAttestations = new Map<string, string[]>();
  private readonly claims = new Map<string, LotClaim>();
  /** scheme -> lot attestations of it revoked (identity preserved and segregated only). */
  private readonly revocations = new Map<number, number>();
  /** first output id -> the inputs of a derivation that carried a claim. */
  private readonly derivationInputs = new Map<bigint, readonly bigint[]>();
  /** first output id -> what the derivation credited from attested mass-balance claims. */
  private readonly derivationCredits = new Map<bigint, DerivationCredit>();
  /** `${lotId}/${scheme}` -> the receiver credited when the lot's own attestation was spent at a handover. */
  private readonly bookedIn = new Map<string, { member: bigint; grams: bigint }>();
  /** `${member}/${scheme}/${form}` -> grams. */
  private readonly credits = new Map<string, bigint>();
  /** Every credit, debit and withdrawal, in order. */
  readonly entries: CreditEntry[] = [];

  /** A form was registered, or its allowances changed. */
  registerForm(form: number, allowances: FormAllowances): void {
    this.forms.set(form, { ...allowances });
  }

  /** A scheme was registered; `plots`: it applies to plot subjects (its claims may then start at a mint). */
  registerScheme(scheme: number, model: ChainOfCustodyName, { plots = false }: { plots?: boolean } = {}): void {
    this.schemes.set(scheme, model);
    if (plots && model !== "massBalance") this.originSchemes.push(scheme);
  }

  /**
   * A lot was minted; a delivery minted at `now` from plot `origin` carries each origin scheme's
   * claim the plot then holds a valid attestation of (the contract's `onLotsMinted`).
   */
  lotMinted(lotId: bigint, member: bigint, form: number, grams: bigint, origin?: { plot: string; now: bigint }): void {
    this.lots.set(lotId, { member, form, grams, status: "active" });
    if (!origin) return;
    for (const scheme of this.originSchemes) {
      if (this.plotAttestedUntil(origin.plot, scheme, origin.now) === undefined) continue;
      this.claims.set(key(lotId, scheme), { state: "origin", validUntil: NO_EXPIRY, family: lotId, derivation: 0n, epoch: 0 });
      this.lotOrigins.set(lotId, origin.plot.toLowerCase());
    }
  }

  /**
   * An attestation was made at `now`. A lot attestation is refused for a consumed lot, for a lot
   * whose mass-balance claim became credit, and beyond {@link MAX_ATTESTATIONS_PER_SUBJECT} valid ones.
   */
  attested(uid: string, attestation: Omit<LedgerAttestation, "revoked">, now: bigint): void {
    const { lotId, scheme } = attestation;
    if (lotId !== undefined) {
      const lot = this.lot(lotId);
      if (lot.status === "consumed") throw new ClaimRuleError("LotRegistryUnknownLot", [lotId]);
      const state = this.claim(lotId, scheme).state;
      if (this.schemes.get(scheme) === "massBalance" && (state === "spent" || state === "withdrawn")) {
        throw new ClaimRuleError("AttestationRegistryClaimSpent", [lotId, scheme]);
      }
      const uids = this.lotAttestations.get(key(lotId, scheme)) ?? [];
      if (uids.filter((other) => this.isValid(other, now)).length >= MAX_ATTESTATIONS_PER_SUBJECT) {
        const subject = `0x${lotId.toString(16).padStart(64, "0")}`;
        throw new ClaimRuleError("AttestationRegistryTooManyAttestations", [LOT_SUBJECT, subject, scheme, MAX_ATTESTATIONS_PER_SUBJECT]);
      }
      this.lotAttestations.set(key(lotId, scheme), [...uids, uid]);
    }
    if (attestation.plot !== undefined) {
      const plotKey = `${attestation.plot.toLowerCase()}/${scheme}`;
      this.plotAttestations.set(plotKey, [...(this.plotAttestations.get(plotKey) ?? []), uid]);
    }
    this.attestations.set(uid, { ...attestation, revoked: false });
  }

  /**
   * Attestation `uid` was revoked at `now`. Identity-preserved and segregated claims carried from
   * it stop (found by the backing walk); mass-balance credit its lot's claim became is withdrawn
   * unless another valid attestation still backs the lot. Returns the withdrawals.
   */
  revoked(uid: string, now: bigint): CreditEntry[] {
    const attestation = this.attestations.get(uid);
    if (!attestation) throw new ClaimRuleError("AttestationRegistryUnknownAttestation", [uid]);
    if (attestation.revoked) throw new ClaimRuleError("AttestationRegistryAlreadyRevoked", [uid]);
    attestation.revoked = true;
    const { lotId, scheme, plot } = attestation;
    if (lotId === undefined && plot === undefined) return [];
    if (this.schemes.get(scheme) !== "massBalance") {
      // A lot or plot attestation backs lots: what was carried from it is checked back from now on.
      this.revocations.set(scheme, this.epochOf(scheme) + 1);
      return [];
    }
    return lotId === undefined ? [] : this.withdrawCredit(uid, lotId, scheme, now);
  }

  /** A lot was offered: in transit until accepted, rejected or cancelled. */
  handoverOffered(lotId: bigint): void {
    this.lot(lotId).status = "inTransit";
  }

  /** An offer was rejected or cancelled: the lot is active again with its custodian. */
  handoverSettled(lotId: bigint): void {
    this.lot(lotId).status = "active";
  }

  /**
   * `member` accepted `lotId`, weighing `gramsReceived`: the lot now weighs min(sent, received), and
   * a mass-balance claim it carries becomes that much of the receiver's credit. A weight outside
   * the form's allowances is refused with `LotRegistryOutsideTolerance`, and changes nothing.
   */
  handoverAccepted(lotId: bigint, member: bigint, gramsReceived: bigint, now: bigint): CreditEntry[] {
    const lot = this.lot(lotId);
    const grams = this.checkReceived(lotId, lot, gramsReceived);
    Object.assign(lot, { member, grams, status: "active" });
    const entries: CreditEntry[] = [];
    for (const [scheme, model] of this.schemes) {
      if (model !== "massBalance") continue;
      const holding = this.holding(lotId, scheme, now);
      if (!holding.carries) continue;
      this.claims.set(key(lotId, scheme), SPENT);
      if (holding.attested) this.bookedIn.set(key(lotId, scheme), { member, grams });
      entries.push(this.credit(member, scheme, lot.form, lotId, grams));
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
      const holdings = inputIds.map((id) => this.holding(id, scheme, now));
      if (model === "massBalance") {
        entries.push(...this.creditDerived(member, scheme, inputIds, holdings, firstOutputId, outputs));
        continue;
      }
      if (!holdings.every((holding) => holding.carries)) continue;
      const family = holdings[0].family;
      if (model === "identityPreserved" && holdings.some((holding) => holding.family !== family)) continue;
      // An input that carries the claim and is also attested in its own right passes it on until
      // the later of the two expiries.
      const untilOf = (holding: Holding, index: number) => {
        if (holding.attested) return holding.validUntil;
        const own = this.attestedUntil(inputIds[index]!, scheme, now);
        return own !== undefined && own > holding.validUntil ? own : holding.validUntil;
      };
      const validUntil = holdings.reduce((min, holding, index) => {
        const until = untilOf(holding, index);
        return until < min ? until : min;
      }, NO_EXPIRY);
      if (!this.derivationInputs.has(firstOutputId)) this.derivationInputs.set(firstOutputId, [...inputIds]);
      carried.set(scheme, {
        state: "carried",
        validUntil,
        family: model === "identityPreserved" ? family : 0n,
        derivation: firstOutputId,
        epoch: this.epochOf(scheme),
      });
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
      if (marked.has(lotId) || this.holding(lotId, scheme, now).carries) {
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
      this.claims.set(key(lotId, scheme), { ...NO_CLAIM, state: "marked", validUntil: NO_EXPIRY });
      this.bookedIn.delete(key(lotId, scheme));
      return this.move("debit", member, scheme, lot.form, lotId, -lot.grams);
    });
  }

  /** Whether `lotId` carries `scheme`'s claim at `now` (the contract's `carriesClaim`). */
  carriesClaim(lotId: bigint, scheme: number, now: bigint): boolean {
    return this.holding(lotId, scheme, now).carries;
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

  /**
   * The contract's `_lotClaim`: a marked claim; else a carried one that has not expired and is
   * still backed; else the lot's own valid attestations (the one expiring last), which start a
   * family of their own. A spent or withdrawn claim carries nothing.
   */
  private holding(lotId: bigint, scheme: number, now: bigint): Holding {
    const claim = this.claim(lotId, scheme);
    if (claim.state === "spent" || claim.state === "withdrawn") return NOT_HELD;
    if (claim.state === "marked") return { carries: true, validUntil: claim.validUntil, family: claim.family, attested: false };
    if (claim.state === "origin") {
      const until = this.originUntil(lotId, scheme, now);
      if (until !== undefined) return { carries: true, validUntil: until, family: claim.family, attested: false };
    }
    if (claim.state === "carried" && now < claim.validUntil && this.backed(claim, scheme, now)) {
      return { carries: true, validUntil: claim.validUntil, family: claim.family, attested: false };
    }
    const validUntil = this.attestedUntil(lotId, scheme, now);
    if (validUntil === undefined) return NOT_HELD;
    return { carries: true, validUntil, family: lotId, attested: true };
  }

  /** Until when a delivery's origin plot keeps its origin claim (the latest expiry of the plot's valid attestations); undefined if none is valid. */
  private originUntil(lotId: bigint, scheme: number, now: bigint): bigint | undefined {
    const plot = this.lotOrigins.get(lotId);
    return plot === undefined ? undefined : this.plotAttestedUntil(plot, scheme, now);
  }

  /** Until when `plot`'s valid attestations of `scheme` last ({@link NO_EXPIRY}: one never expires); undefined if none is valid. */
  private plotAttestedUntil(plot: string, scheme: number, now: bigint): bigint | undefined {
    return this.latestExpiry(this.plotAttestations.get(`${plot.toLowerCase()}/${scheme}`) ?? [], now);
  }

  /** Until when the lot's own attestations keep it attested ({@link NO_EXPIRY}: one never expires); undefined if none is valid. */
  private attestedUntil(lotId: bigint, scheme: number, now: bigint): bigint | undefined {
    return this.latestExpiry(this.lotAttestations.get(key(lotId, scheme)) ?? [], now);
  }

  /** The latest end among the valid ones of `uids` ({@link NO_EXPIRY} for one without expiry); undefined if none is valid. */
  private latestExpiry(uids: readonly string[], now: bigint): bigint | undefined {
    let until: bigint | undefined;
    for (const uid of uids) {
      if (!this.isValid(uid, now)) continue;
      const expiresAt = this.attestations.get(uid)!.expiresAt;
      const end = expiresAt === 0n ? NO_EXPIRY : expiresAt;
      if (until === undefined || end > until) until = end;
    }
    return until;
  }

  /**
   * Whether carried claim `claim` is still backed: nothing of its scheme revoked since it was
   * carried, or every input of every derivation it came through backed (see {@link inputBacking}).
   * A claim whose walk would visit more than {@link MAX_WALK} derivations is not backed.
   */
  private backed(claim: LotClaim, scheme: number, now: bigint): boolean {
    const epoch = this.epochOf(scheme);
    if (claim.epoch === epoch) return true;
    const pending = [claim.derivation];
    const seen = new Set(pending);
    for (let derivation = pending.pop(); derivation !== undefined; derivation = pending.pop()) {
      for (const input of this.derivationInputs.get(derivation) ?? []) {
        const backing = this.inputBacking(input, scheme, now, epoch);
        if (backing === "none") return false;
        if (backing === "self" || seen.has(backing)) continue;
        if (seen.size === MAX_WALK) return false;
        seen.add(backing);
        pending.push(backing);
      }
    }
    return true;
  }

  /**
   * What backs one input on a carried claim's path: itself ("self": a claim carried since the last
   * revocation, or a valid attestation of its own), the derivation its carried claim came through
   * (to be walked in turn), or nothing.
   */
  private inputBacking(input: bigint, scheme: number, now: bigint, epoch: number): "self" | "none" | bigint {
    const claim = this.claim(input, scheme);
    const carried = claim.state === "carried";
    if (carried && claim.epoch === epoch) return "self";
    if (claim.state === "origin" && this.originUntil(input, scheme, now) !== undefined) return "self";
    if (this.attestedUntil(input, scheme, now) !== undefined) return "self";
    return carried ? claim.derivation : "none";
  }

  /**
   * Mass balance in a derivation: spends the inputs' claims and credits `member` with the claimed
   * share of each output, rounded down. Inputs spent from their own attestation point at the
   * derivation, whose credit is recorded (once) for a later withdrawal.
   */
  private creditDerived(
    member: bigint,
    scheme: number,
    inputIds: readonly bigint[],
    holdings: readonly Holding[],
    firstOutputId: bigint,
    outputs: readonly DerivedOutput[],
  ): CreditEntry[] {
    let total = 0n;
    let claimed = 0n;
    let anyAttested = false;
    inputIds.forEach((inputId, index) => {
      const { grams } = this.lot(inputId);
      total += grams;
      const holding = holdings[index];
      if (!holding.carries) return;
      claimed += grams;
      anyAttested ||= holding.attested;
      this.claims.set(key(inputId, scheme), { ...SPENT, derivation: holding.attested ? firstOutputId : 0n });
    });
    if (claimed === 0n) return [];
    if (anyAttested && !this.derivationCredits.has(firstOutputId)) {
      this.derivationCredits.set(firstOutputId, { member, inputGrams: total, outputs: gramsPerForm(outputs) });
    }
    const entries: CreditEntry[] = [];
    outputs.forEach((output, index) => {
      const grams = (output.grams * claimed) / total;
      if (grams !== 0n) entries.push(this.credit(member, scheme, output.form, firstOutputId + BigInt(index), grams));
    });
    return entries;
  }

  /**
   * The contract's `_withdrawCredit`: only a claim spent from the lot's own attestation, with no
   * valid attestation left, has its credit withdrawn; at a handover the grams booked to the
   * receiver, in a derivation the lot's share of each output form. The claim is then withdrawn.
   */
  private withdrawCredit(uid: string, lotId: bigint, scheme: number, now: bigint): CreditEntry[] {
    const claim = this.claim(lotId, scheme);
    if (claim.state !== "spent" || this.attestedUntil(lotId, scheme, now) !== undefined) return [];
    const lot = this.lot(lotId);
    const entries: CreditEntry[] = [];
    if (claim.derivation === 0n) {
      const booked = this.bookedIn.get(key(lotId, scheme));
      if (!booked) return []; // spent from a marked claim, not from an attestation
      entries.push(...this.withdraw(booked.member, scheme, lot.form, lotId, booked.grams, uid));
    } else {
      const record = this.derivationCredits.get(claim.derivation)!;
      for (const output of record.outputs) {
        const share = (output.grams * lot.grams) / record.inputGrams;
        entries.push(...this.withdraw(record.member, scheme, output.form, lotId, share, uid));
      }
    }
    this.claims.set(key(lotId, scheme), { ...claim, state: "withdrawn" });
    return entries;
  }

  /** Takes up to `grams` from the balance (never below zero); nothing to take, no entry. */
  private withdraw(member: bigint, scheme: number, form: number, lotId: bigint, grams: bigint, uid: string): CreditEntry[] {
    const balance = this.creditOf(member, scheme, form);
    const taken = balance < grams ? balance : grams;
    if (taken === 0n) return [];
    const entry: CreditEntry = { kind: "withdrawal", member, scheme, lotId, form, grams: taken, balance: balance - taken, uid };
    this.credits.set(`${member}/${scheme}/${form}`, entry.balance);
    this.entries.push(entry);
    return [entry];
  }

  private credit(member: bigint, scheme: number, form: number, lotId: bigint, grams: bigint): CreditEntry {
    return this.move("credit", member, scheme, form, lotId, grams);
  }

  private move(kind: "credit" | "debit", member: bigint, scheme: number, form: number, lotId: bigint, change: bigint): CreditEntry {
    const balance = this.creditOf(member, scheme, form) + change;
    this.credits.set(`${member}/${scheme}/${form}`, balance);
    const entry: CreditEntry = { kind, member, scheme, lotId, form, grams: change < 0n ? -change : change, balance };
    this.entries.push(entry);
    return entry;
  }

  /** The lot registry's `_checkReceived`: the lot's new weight, or the refusal of `gramsReceived`. */
  private checkReceived(lotId: bigint, lot: LedgerLot, gramsReceived: bigint): bigint {
    if (gramsReceived === 0n) throw new ClaimRuleError("LotRegistryZeroQuantity", [0]);
    const allowances = this.forms.get(lot.form);
    if (!allowances) throw new ClaimRuleError("LotRegistryUnknownForm", [lot.form]);
    const sent = lot.grams;
    const { lossBps, gainBps } = allowances;
    const outside =
      gramsReceived < sent ? (sent - gramsReceived) * BPS > BigInt(lossBps) * sent : (gramsReceived - sent) * BPS > BigInt(gainBps) * sent;
    if (outside) throw new ClaimRuleError("LotRegistryOutsideTolerance", [lotId, sent, gramsReceived, lossBps, gainBps]);
    return gramsReceived < sent ? gramsReceived : sent;
  }

  private epochOf(scheme: number): number {
    return this.revocations.get(scheme) ?? 0;
  }

  private lot(lotId: bigint): LedgerLot {
    const lot = this.lots.get(lotId);
    if (!lot) throw new ClaimRuleError("LotRegistryUnknownLot", [lotId]);
    return lot;
  }
}

/** Outputs' grams summed per form, forms in the order they first appear (as the contract records them). */
function gramsPerForm(outputs: readonly DerivedOutput[]): DerivedOutput[] {
  const perForm: DerivedOutput[] = [];
  for (const { form, grams } of outputs) {
    const entry = perForm.find((item) => item.form === form);
    if (entry) entry.grams += grams;
    else perForm.push({ form, grams });
  }
  return perForm;
}

function key(lotId: bigint, scheme: number): string {
  return `${lotId}/${scheme}`;
}
