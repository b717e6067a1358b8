import { ZeroHash, id as hashLabel } from "ethers";
import { computeHistoryHead, eventDigest, foldHead, type LotHistoryEvent } from "../../../src/lots/historyHead";
import { checkTransformRule } from "../../../src/lots/transformRule";

/**
 * The reference model of the invariant suite: the INTENDED on-chain rules, written as plain data
 * and pure functions (no chain, no fixture). The suite asks it, before every call, whether the call
 * must be refused, applies the calls it accepts, and compares its state with the chain's.
 *
 * Where the contracts are known to differ from these rules the difference is a finding, not a model
 * bug: the model follows the rules an auditor would sign (docs/invariants.md lists them).
 */

/** Role bits (contracts/membership/Roles.sol). */
export const RoleBit = { cooperative: 1, processor: 2, certifier: 4, brand: 8, relayer: 16, governor: 32 } as const;
export const CUSTODIAN_ROLES = RoleBit.cooperative | RoleBit.processor | RoleBit.brand;

const BPS = 10_000n;
/** Lots, parts, inputs and outputs per call (LotRegistry.MAX_BATCH). */
const MAX_BATCH = 500;
/** The largest loss or gain allowance a form may have (LotRegistry.MAX_TOLERANCE_BPS). */
export const MAX_TOLERANCE_BPS = 1_000;
/** Valid attestations one lot may hold per scheme (AttestationRegistry.MAX_ATTESTATIONS_PER_SUBJECT). */
const MAX_ATTESTATIONS_PER_SUBJECT = 16;

export type ChainOfCustodyModel = "identityPreserved" | "segregated" | "massBalance";
export type LotStatusName = "active" | "inTransit" | "consumed";

/** The network the model starts from: who is who, the forms, yields and schemes. Addresses only label events. */
export interface NetworkSpec {
  actors: Record<string, { address: string; member: string | null; firstLotId: bigint | null }>;
  members: Record<string, { id: bigint; roles: number }>;
  forms: Record<number, Tolerance & { mintableAtOrigin: boolean }>;
  /** Yield bounds; `to` 0 bounds all outputs of a transform together (joint products). */
  yields: readonly { from: number; to: number; minBps: number; maxBps: number }[];
  /** Forms whose transform inputs count on dry weight (none of the suite's cocoa forms). */
  dryBasis: readonly number[];
  schemes: Record<number, ChainOfCustodyModel>;
  /** accreditedUntil[certifier member][scheme] (Unix seconds). */
  accreditedUntil: Record<string, Record<number, bigint>>;
  /** The governance contract: the only caller of governance-only functions. */
  governance: { address: string; quorum: number; delaySeconds: bigint };
}

/** A form's handover allowances: received below sent by at most lossBps, above by at most gainBps. */
export interface Tolerance {
  lossBps: number;
  gainBps: number;
}

/** A call a proposal makes through the governance contract. */
export type GovernedCall =
  | { kind: "setMemberActive"; member: string; active: boolean }
  | { kind: "setFormTolerance"; form: number; lossBps: number; gainBps: number };

/** Governance-only calls a single account tries directly (all refused once governance is set). */
export type GovernanceOnlyCall = "setYieldBounds" | "setLotObserver" | "registerForm" | "accredit";

/** Switches for rules the contracts are still catching up with. */
export interface RuleSwitches {
  /** Cooperatives may mint only forms flagged "mintable at origin" (cocoa beans, latex), not butter. */
  mintableAtOriginOnly: boolean;
}

export interface OutputSpec {
  form: number;
  grams: bigint;
}

/** One call a member makes. `actor` names the signing account. */
export type Action =
  | { kind: "mint"; actor: string; form: number; grams: bigint }
  | { kind: "offer"; actor: string; lotId: bigint; receiver: string }
  | { kind: "accept"; actor: string; lotId: bigint; grams: bigint }
  | { kind: "reject"; actor: string; lotId: bigint; reason: number }
  | { kind: "cancel"; actor: string; lotId: bigint }
  | { kind: "split"; actor: string; lotId: bigint; parts: OutputSpec[] }
  | { kind: "merge"; actor: string; lotIds: bigint[] }
  | { kind: "transform"; actor: string; inputIds: bigint[]; outputs: OutputSpec[] }
  | { kind: "attest"; actor: string; scheme: number; lotId: bigint; validForSeconds: bigint }
  /** `attestation` counts attestations in the order they were made (0 = the first). */
  | { kind: "revoke"; actor: string; attestation: number; reason: number }
  | { kind: "markClaimed"; actor: string; scheme: number; lotIds: bigint[] }
  | { kind: "setMemberActive"; actor: string; member: string; active: boolean }
  /** Called directly by `actor`: only governance may change a form's tolerances. */
  | { kind: "setFormTolerance"; actor: string; form: number; lossBps: number; gainBps: number }
  /** Called directly by `actor`: refused whoever calls once governance is set. */
  | { kind: "governanceOnly"; actor: string; call: GovernanceOnlyCall }
  /**
   * A proposal: `proposer` proposes `call`, each of `approvers` approves it, the delay passes and
   * `executor` executes it. Each of these calls is checked on its own.
   */
  | { kind: "govern"; proposer: string; approvers: string[]; executor: string; call: GovernedCall }
  | { kind: "travel"; seconds: bigint };

export type ActionKind = Action["kind"];

export interface ModelLot {
  id: bigint;
  form: number;
  grams: bigint;
  /** Grams when the lot was minted or derived: a handover may lose weight, never add it. */
  createdGrams: bigint;
  custodian: string;
  status: LotStatusName;
  receiver: string | null;
  /** The inputs it was derived from (empty for a minted lot). */
  inputs: bigint[];
  /** Identity-preserved or segregated claims carried to it at derivation, with their family. */
  carried: Map<number, bigint>;
  /** Mass-balance claim state besides a direct attestation. */
  massBalance: Map<number, MassBalanceClaim>;
  events: LotHistoryEvent[];
  head: string;
}

export interface ModelAttestation {
  index: number;
  uid: string;
  scheme: number;
  lotId: bigint;
  attesterMember: string;
  expiresAt: bigint;
  revoked: boolean;
  /** The lot's grams when attested: certified input mass of a mass-balance scheme. */
  gramsAttested: bigint;
}

/**
 * A lot's mass-balance claim once it is no longer (only) its attestation: marked from credit; spent
 * into credit, with what its own attestation turned into (the receiver's booking at a handover, the
 * lot's share of a derivation's credit; nothing when the claim spent was a mark); or withdrawn.
 */
export type MassBalanceClaim =
  | { state: "marked" }
  | { state: "spent"; booked?: { member: string; grams: bigint }; derivation?: DerivationCredit }
  | { state: "withdrawn" };

/** What a derivation of attested mass-balance lots credited, so a revocation can withdraw a lot's share. */
export interface DerivationCredit {
  member: string;
  inputGrams: bigint;
  /** Output grams per form. */
  outputs: Map<number, bigint>;
}

export interface Derivation {
  kind: "split" | "merge" | "transform";
  inputIds: bigint[];
  outputIds: bigint[];
}

/** What the chain reports back about an accepted call that the model cannot know beforehand. */
export interface ChainFacts {
  uid?: string;
}

/** Metadata digests: derived from the call itself, so driver and model agree on them. */
export const digestOf = {
  deliveryMetadata: (actor: string, form: number, grams: bigint) => hashLabel(`delivery ${actor} ${form} ${grams}`),
  deliveryOrigin: (actor: string) => hashLabel(`plot of ${actor}'s farmer`),
  outputMetadata: (index: number, form: number, grams: bigint) => hashLabel(`output ${index} ${form} ${grams}`),
  mergeMetadata: () => hashLabel("merged lot"),
  evidence: (lotId: bigint, scheme: number) => hashLabel(`evidence ${lotId} ${scheme}`),
  dataHash: (lotId: bigint, scheme: number) => hashLabel(`data ${lotId} ${scheme}`),
};

export class Model {
  readonly lots = new Map<bigint, ModelLot>();
  readonly attestations: ModelAttestation[] = [];
  readonly derivations: Derivation[] = [];
  /** credits[`${member}/${scheme}/${form}`] in grams. */
  readonly credits = new Map<string, bigint>();
  readonly memberActive = new Map<string, boolean>();
  readonly tolerances = new Map<number, Tolerance>();
  /** Grams of credit withdrawn on revocations, per scheme. */
  readonly withdrawn = new Map<number, bigint>();
  private readonly nextLotIds = new Map<string, bigint>();
  /** Timestamp of the last mined block. */
  now: bigint;

  constructor(
    readonly network: NetworkSpec,
    readonly rules: RuleSwitches,
    now: bigint,
  ) {
    this.now = now;
    for (const name of Object.keys(network.members)) this.memberActive.set(name, true);
    for (const [form, spec] of Object.entries(network.forms)) this.tolerances.set(Number(form), { lossBps: spec.lossBps, gainBps: spec.gainBps });
    for (const [name, actor] of Object.entries(network.actors)) {
      if (actor.firstLotId !== null) this.nextLotIds.set(name, actor.firstLotId);
    }
  }

  // ------------------------------------------------------------------------------------ queries

  memberOf(actor: string): string | null {
    return this.network.actors[actor]?.member ?? null;
  }

  /** The actor's roles now: zero while its member is suspended (accounts are never suspended here). */
  effectiveRoles(actor: string): number {
    const member = this.memberOf(actor);
    if (member === null || !this.memberActive.get(member)) return 0;
    return this.network.members[member].roles;
  }

  may(actor: string, roles: number): boolean {
    return (this.effectiveRoles(actor) & roles) !== 0;
  }

  lot(lotId: bigint): ModelLot | undefined {
    return this.lots.get(lotId);
  }

  lotIds(): bigint[] {
    return [...this.lots.keys()];
  }

  credit(member: string, scheme: number, form: number): bigint {
    return this.credits.get(`${member}/${scheme}/${form}`) ?? 0n;
  }

  yieldBounds(from: number, to: number) {
    return this.network.yields.find((bounds) => bounds.from === from && bounds.to === to);
  }

  attestationValid(attestation: ModelAttestation, at: bigint): boolean {
    return !attestation.revoked && (attestation.expiresAt === 0n || at < attestation.expiresAt);
  }

  /**
   * Whether the lot carries the scheme's claim at `at`, by the intended rules: a direct attestation
   * of the lot that is valid (any of them, not only the latest); or, identity preserved and
   * segregated, a claim carried at derivation that still has a valid source on every input path;
   * or, mass balance, a mark (until the claim is spent by a handover or a derivation).
   */
  carries(lotId: bigint, scheme: number, at: bigint = this.now): boolean {
    const lot = this.lots.get(lotId);
    if (!lot) return false;
    const direct = this.attestations.some(
      (attestation) => attestation.lotId === lotId && attestation.scheme === scheme && this.attestationValid(attestation, at),
    );
    if (this.network.schemes[scheme] === "massBalance") {
      const state = lot.massBalance.get(scheme)?.state;
      if (state === "spent" || state === "withdrawn") return false;
      return state === "marked" || direct;
    }
    return this.carriedStillValid(lot, scheme, at) || direct;
  }

  /** The identity-preserved family the lot's claim descends from (its own id when attested directly). */
  family(lotId: bigint, scheme: number, at: bigint): bigint {
    const lot = this.lots.get(lotId)!;
    return this.carriedStillValid(lot, scheme, at) ? lot.carried.get(scheme)! : lotId;
  }

  private carriedStillValid(lot: ModelLot, scheme: number, at: bigint): boolean {
    return lot.carried.has(scheme) && lot.inputs.every((input) => this.carries(input, scheme, at));
  }

  /** Whether some attestation of the lot for the scheme is valid at `at`. */
  attested(lotId: bigint, scheme: number, at: bigint): boolean {
    return this.attestations.some((attestation) => attestation.lotId === lotId && attestation.scheme === scheme && this.attestationValid(attestation, at));
  }

  /** Certified input mass of a mass-balance scheme: every lot attested, at its grams when attested. */
  certifiedMass(scheme: number): bigint {
    return this.attestations
      .filter((attestation) => attestation.scheme === scheme)
      .reduce((sum, attestation) => sum + attestation.gramsAttested, 0n);
  }

  /** The off-chain fold of the lot's events; events are only ever appended, so a fold is kept until the next one. */
  headOf(lotId: bigint): string {
    const events = this.lots.get(lotId)!.events;
    const folded = this.folds.get(lotId);
    if (folded?.count === events.length) return folded.head;
    const head = computeHistoryHead(events);
    this.folds.set(lotId, { count: events.length, head });
    return head;
  }
  private readonly folds = new Map<bigint, { count: number; head: string }>();

  // ------------------------------------------------------------------------------------- verdict

  /**
   * Why `action`, made in a block at `at`, must be refused, or null when it must succeed. Mostly
   * only the refusal matters, not its error; where the error is part of the rule (a form not
   * mintable, a suspended receiver, a governance-only call) the reason ends in `[Error(args)]`
   * (see {@link expectedError}) and the harness checks the contracts revert with exactly that.
   * A proposal (`govern`) is several calls: see {@link proposalRefusal} and the ones after it.
   */
  refusal(action: Action, at: bigint): string | null {
    switch (action.kind) {
      case "mint":
        if (!this.may(action.actor, RoleBit.cooperative)) return "only an active cooperative account mints";
        if (!this.tolerances.has(action.form)) return `form ${action.form} is not registered`;
        if (this.rules.mintableAtOriginOnly && !this.network.forms[action.form].mintableAtOrigin) {
          return withError(`form ${action.form} is not mintable at origin`, `LotRegistryNotMintable(${action.form})`);
        }
        return action.grams > 0n ? null : withError("zero grams", "LotRegistryZeroQuantity(0)");
      case "offer": {
        const lot = this.custodianLot(action.actor, action.lotId, "active");
        if (typeof lot === "string") return lot;
        const receiverMember = this.memberOf(action.receiver);
        if (
          receiverMember !== null && receiverMember !== this.memberOf(action.actor) && !this.memberActive.get(receiverMember) &&
          (this.network.members[receiverMember].roles & CUSTODIAN_ROLES) !== 0
        ) {
          const memberId = this.network.members[receiverMember].id;
          return withError("the receiver's member is suspended", `LotRegistryReceiverSuspended(${this.address(action.receiver)}, ${memberId})`);
        }
        if (!this.may(action.receiver, CUSTODIAN_ROLES)) return "the receiver holds no custodian role now";
        if (this.memberOf(action.receiver) === this.memberOf(action.actor)) return "the receiver is of the same member";
        return null;
      }
      case "cancel": {
        const lot = this.custodianLot(action.actor, action.lotId, "inTransit");
        return typeof lot === "string" ? lot : null;
      }
      case "reject":
        return this.receiverRefusal(action.actor, action.lotId);
      case "accept": {
        const refusal = this.receiverRefusal(action.actor, action.lotId);
        if (refusal) return refusal;
        if (action.grams === 0n) return withError("zero grams received", "LotRegistryZeroQuantity(0)");
        const lot = this.lots.get(action.lotId)!;
        const { lossBps, gainBps } = this.tolerances.get(lot.form)!;
        const outside = action.grams < lot.grams
          ? (lot.grams - action.grams) * BPS > BigInt(lossBps) * lot.grams
          : (action.grams - lot.grams) * BPS > BigInt(gainBps) * lot.grams;
        if (!outside) return null;
        return withError(
          "received weight outside the form's loss or gain allowance",
          `LotRegistryOutsideTolerance(${lot.id}, ${lot.grams}, ${action.grams}, ${lossBps}, ${gainBps})`,
        );
      }
      case "split": {
        if (action.parts.length < 2 || action.parts.length > MAX_BATCH) return "a split needs 2 or more parts";
        const lot = this.custodianLot(action.actor, action.lotId, "active");
        if (typeof lot === "string") return lot;
        if (action.parts.some((part) => part.form !== lot.form)) return "a part of another form";
        if (action.parts.some((part) => part.grams === 0n)) return "a part of zero grams";
        const total = action.parts.reduce((sum, part) => sum + part.grams, 0n);
        return total === lot.grams ? null : "parts do not sum to the lot";
      }
      case "merge": {
        if (action.lotIds.length < 2 || action.lotIds.length > MAX_BATCH) return "a merge needs 2 or more lots";
        const inputs = this.inputLots(action.actor, action.lotIds);
        return typeof inputs === "string" ? inputs : null;
      }
      case "transform":
        return this.transformRefusal(action.actor, action.inputIds, action.outputs);
      case "attest": {
        if (!this.may(action.actor, RoleBit.certifier)) return "only an active certifier account attests";
        const member = this.memberOf(action.actor)!;
        if ((this.network.accreditedUntil[member]?.[action.scheme] ?? 0n) <= at) return "not accredited for the scheme";
        const lot = this.lots.get(action.lotId);
        if (!lot || lot.status === "consumed") return "no such lot, or consumed";
        const state = lot.massBalance.get(action.scheme)?.state;
        if (this.network.schemes[action.scheme] === "massBalance" && (state === "spent" || state === "withdrawn")) {
          return withError("the lot's mass-balance claim has become credit", `AttestationRegistryClaimSpent(${lot.id}, ${action.scheme})`);
        }
        if (action.validForSeconds <= 0n) return "expiry not in the future";
        return this.tooManyAttestations(action.lotId, action.scheme, at) ? "too many valid attestations of the lot" : null;
      }
      case "revoke": {
        const attestation = this.attestations[action.attestation];
        if (!attestation) return "no such attestation";
        if (attestation.revoked) return "revoked already";
        if (this.may(action.actor, RoleBit.governor)) return null;
        if (this.may(action.actor, RoleBit.certifier) && this.memberOf(action.actor) === attestation.attesterMember) return null;
        return "only a governor or the attester's member revokes";
      }
      case "markClaimed":
        return this.markRefusal(action.actor, action.scheme, action.lotIds, at);
      case "setMemberActive":
        // A governor member is suspended or reinstated only through a proposal; any other by one governor.
        if (this.network.members[action.member].roles & RoleBit.governor) return this.notGovernance(action.actor, "MembershipNotGovernance");
        return this.may(action.actor, RoleBit.governor) ? null : "only a governor suspends or reinstates";
      case "setFormTolerance":
        return this.notGovernance(action.actor, "MembershipNotGovernance");
      case "governanceOnly":
        return this.notGovernance(
          action.actor,
          action.call === "accredit" ? "AttestationRegistryNotGovernance" : action.call === "setYieldBounds" ? "FormCatalogueNotGovernance" : "MembershipNotGovernance",
        );
      case "govern":
        throw new Error("a proposal is several calls: ask proposalRefusal, approvalRefusal and executionRefusal");
      case "travel":
        return null;
    }
  }

  private notGovernance(actor: string, error: string): string {
    return withError("only the governance contract makes this call", `${error}(${this.address(actor)}, ${this.network.governance.address})`);
  }

  /** Why `proposer` may not propose, or null. */
  proposalRefusal(proposer: string): string | null {
    return this.may(proposer, RoleBit.governor) ? null : withError("only an active governor proposes", `MembershipUnauthorized(${this.address(proposer)}, ${RoleBit.governor})`);
  }

  /** Why `approver` may not approve a proposal the members `voted` have voted on, or null. */
  approvalRefusal(approver: string, voted: ReadonlySet<string>): string | null {
    if (!this.may(approver, RoleBit.governor)) return "only an active governor approves";
    return voted.has(this.memberOf(approver)!) ? "the approver's member voted already" : null;
  }

  /**
   * Why `executor` may not execute, at `at`, a proposal of `call` approved by the members `voted`,
   * or null. Only approvals of members that govern now count, against the quorum or the number of
   * governors if fewer; the call itself runs with the governance contract as caller.
   */
  executionRefusal(executor: string, voted: ReadonlySet<string>, call: GovernedCall): string | null {
    if (!this.may(executor, RoleBit.governor)) return "only an active governor executes";
    const approvals = [...voted].filter((member) => this.governs(member)).length;
    const required = Math.min(this.network.governance.quorum, this.governingMembers().length);
    if (approvals < required) return `${approvals} governing approvals of ${required} needed`;
    switch (call.kind) {
      case "setMemberActive": {
        const member = this.network.members[call.member];
        // A quorum may do what one governor may, ordinary members included.
        const governing = this.governingMembers();
        if (!call.active && governing.length === 1 && governing[0] === call.member) return withError("the last governor", `MembershipLastGovernor(${member.id})`);
        return null;
      }
      case "setFormTolerance":
        if (!this.tolerances.has(call.form)) return "form not registered";
        for (const bps of [call.lossBps, call.gainBps]) {
          if (bps > MAX_TOLERANCE_BPS) return withError("allowance above the most allowed", `LotRegistryToleranceTooHigh(${bps}, ${MAX_TOLERANCE_BPS})`);
        }
        return null;
    }
  }

  /** Applies an executed proposal's call. */
  applyGoverned(call: GovernedCall): void {
    if (call.kind === "setMemberActive") this.memberActive.set(call.member, call.active);
    else this.tolerances.set(call.form, { lossBps: call.lossBps, gainBps: call.gainBps });
  }

  private governingMembers(): string[] {
    return Object.keys(this.network.members).filter((name) => this.governs(name));
  }

  private governs(member: string): boolean {
    return (this.network.members[member].roles & RoleBit.governor) !== 0 && this.memberActive.get(member) === true;
  }

  /**
   * The registry keeps at most MAX_ATTESTATIONS_PER_SUBJECT valid attestations per lot and scheme: a
   * new one is refused when the latest is valid and, with it, that many are.
   */
  private tooManyAttestations(lotId: bigint, scheme: number, at: bigint): boolean {
    const mine = this.attestations.filter((attestation) => attestation.lotId === lotId && attestation.scheme === scheme);
    if (mine.length === 0 || !this.attestationValid(mine[mine.length - 1], at)) return false;
    return mine.filter((attestation) => this.attestationValid(attestation, at)).length >= MAX_ATTESTATIONS_PER_SUBJECT;
  }

  private custodianLot(actor: string, lotId: bigint, status: LotStatusName): ModelLot | string {
    if (!this.may(actor, CUSTODIAN_ROLES)) return "only an active custodian-role account acts on lots";
    const lot = this.lots.get(lotId);
    if (!lot) return `no lot ${lotId}`;
    if (this.memberOf(lot.custodian) !== this.memberOf(actor)) return "not the custodian's member";
    return lot.status === status ? lot : `lot is ${lot.status}, not ${status}`;
  }

  private receiverRefusal(actor: string, lotId: bigint): string | null {
    if (!this.may(actor, CUSTODIAN_ROLES)) return "only an active custodian-role account receives";
    const lot = this.lots.get(lotId);
    if (!lot) return `no lot ${lotId}`;
    if (lot.status !== "inTransit") return "lot not in transit";
    return this.memberOf(lot.receiver!) === this.memberOf(actor) ? null : "not the receiver's member";
  }

  /** Active lots held by the actor's member, each listed once, and (a merge) of one form. */
  private inputLots(actor: string, lotIds: bigint[], oneForm = true): ModelLot[] | string {
    const lots: ModelLot[] = [];
    for (const lotId of lotIds) {
      const lot = this.custodianLot(actor, lotId, "active");
      if (typeof lot === "string") return lot;
      if (lots.includes(lot)) return `lot ${lotId} listed twice`;
      if (oneForm && lots.length > 0 && lot.form !== lots[0].form) return "inputs of different forms";
      lots.push(lot);
    }
    return lots;
  }

  private transformRefusal(actor: string, inputIds: bigint[], outputs: OutputSpec[]): string | null {
    if (inputIds.length < 1 || inputIds.length > MAX_BATCH) return "1 or more inputs";
    if (outputs.length < 1 || outputs.length > MAX_BATCH) return "1 or more outputs";
    const inputs = this.inputLots(actor, inputIds, false);
    if (typeof inputs === "string") return inputs;
    // The form catalogue's rule (its off-chain twin): per input-form group and output form, each
    // output form's total however many lots it is cut into, joint products, no mass created.
    const rule = this.transformRule(inputs, outputs);
    if (!rule.ok) return withError(`${rule.refusal.error} by the catalogue's rule`, `${rule.refusal.error}(${rule.refusal.args.join(", ")})`);
    return outputs.some((output) => output.grams === 0n) ? "an output of zero grams" : null;
  }

  /** The catalogue's transform rule for these inputs and outputs (the suite's lots are unmeasured). */
  transformRule(inputs: readonly { form: number; grams: bigint }[], outputs: readonly OutputSpec[]) {
    return checkTransformRule({
      inputs: inputs.map((lot) => ({ form: lot.form, grams: lot.grams, quality: 0 })),
      outputs,
      bounds: (from, to) => this.yieldBounds(from, to),
      dryBasis: (form) => this.network.dryBasis.includes(form),
    });
  }

  private markRefusal(actor: string, scheme: number, lotIds: bigint[], at: bigint): string | null {
    if (lotIds.length < 1 || lotIds.length > MAX_BATCH) return "1 or more lots";
    if (this.network.schemes[scheme] !== "massBalance") return "not a mass-balance scheme";
    if (!this.may(actor, CUSTODIAN_ROLES)) return "only an active custodian-role account marks";
    const member = this.memberOf(actor)!;
    const spent = new Map<number, bigint>();
    const marked = new Set<bigint>();
    for (const lotId of lotIds) {
      const lot = this.lots.get(lotId);
      if (!lot) return `no lot ${lotId}`;
      if (this.memberOf(lot.custodian) !== member) return "not the custodian's member";
      if (lot.status !== "active") return "lot not active";
      if (marked.has(lotId) || this.carries(lotId, scheme, at)) return "carries the claim already";
      const needed = (spent.get(lot.form) ?? 0n) + lot.grams;
      if (this.credit(member, scheme, lot.form) < needed) return "insufficient credit";
      spent.set(lot.form, needed);
      marked.add(lotId);
    }
    return null;
  }

  // --------------------------------------------------------------------------------------- apply

  /** Applies an action the model accepts, mined in a block at `at`. */
  apply(action: Action, at: bigint, facts: ChainFacts): void {
    switch (action.kind) {
      case "mint": {
        const lotId = this.takeLotId(action.actor, 1);
        const metadata = digestOf.deliveryMetadata(action.actor, action.form, action.grams);
        const origin = digestOf.deliveryOrigin(action.actor);
        const custodian = this.address(action.actor);
        this.createLot(lotId, action.form, action.grams, action.actor, [], {
          // The suite weighs lots without measuring their quality (0), as a cooperative may.
          kind: "minted", lotId, custodian, form: action.form, grams: action.grams, quality: 0, metadata, origin,
        });
        return;
      }
      case "offer": {
        const lot = this.lots.get(action.lotId)!;
        lot.status = "inTransit";
        lot.receiver = action.receiver;
        this.record(lot, { kind: "offered", lotId: lot.id, custodian: this.address(lot.custodian), receiver: this.address(action.receiver) });
        return;
      }
      case "cancel":
      case "reject": {
        const lot = this.lots.get(action.lotId)!;
        const fields = { lotId: lot.id, custodian: this.address(lot.custodian), receiver: this.address(lot.receiver!) };
        this.record(lot, action.kind === "cancel" ? { kind: "cancelled", ...fields } : { kind: "rejected", ...fields, reason: action.reason });
        lot.status = "active";
        lot.receiver = null;
        return;
      }
      case "accept":
        return this.accept(action.actor, this.lots.get(action.lotId)!, action.grams, at);
      case "split": {
        const lot = this.lots.get(action.lotId)!;
        this.derive("split", action.actor, [lot], action.parts, at);
        return;
      }
      case "merge": {
        const inputs = action.lotIds.map((lotId) => this.lots.get(lotId)!);
        const grams = inputs.reduce((sum, lot) => sum + lot.grams, 0n);
        this.derive("merge", action.actor, inputs, [{ form: inputs[0].form, grams }], at);
        return;
      }
      case "transform":
        this.derive("transform", action.actor, action.inputIds.map((lotId) => this.lots.get(lotId)!), action.outputs, at);
        return;
      case "attest": {
        if (!facts.uid) throw new Error("an accepted attestation needs its uid");
        this.attestations.push({
          index: this.attestations.length,
          uid: facts.uid,
          scheme: action.scheme,
          lotId: action.lotId,
          attesterMember: this.memberOf(action.actor)!,
          expiresAt: at + action.validForSeconds,
          revoked: false,
          gramsAttested: this.lots.get(action.lotId)!.grams,
        });
        return;
      }
      case "revoke":
        return this.revoke(this.attestations[action.attestation], at);
      case "markClaimed": {
        const member = this.memberOf(action.actor)!;
        for (const lotId of action.lotIds) {
          const lot = this.lots.get(lotId)!;
          this.addCredit(member, action.scheme, lot.form, -lot.grams);
          // The mark replaces whatever the lot's claim was: an earlier booking is no longer its to withdraw.
          lot.massBalance.set(action.scheme, { state: "marked" });
        }
        return;
      }
      case "setMemberActive":
        this.memberActive.set(action.member, action.active);
        return;
      case "setFormTolerance":
      case "governanceOnly":
      case "govern":
        throw new Error(`${action.kind} is never carried out directly`);
      case "travel":
        return;
    }
  }

  /**
   * Revoking ends the attestation. A mass-balance attestation whose lot's claim it turned into
   * credit (booked to a receiver, or shared among a derivation's outputs) has that credit
   * withdrawn, as far as the balance still holds it, once no valid attestation of the lot is left;
   * credit already marked on other lots stays marked.
   */
  private revoke(attestation: ModelAttestation, at: bigint): void {
    attestation.revoked = true;
    const { lotId, scheme } = attestation;
    if (this.network.schemes[scheme] !== "massBalance") return;
    const lot = this.lots.get(lotId)!;
    const claim = lot.massBalance.get(scheme);
    if (claim?.state !== "spent" || this.attested(lotId, scheme, at)) return;
    if (claim.booked) {
      this.withdraw(claim.booked.member, scheme, lot.form, claim.booked.grams);
    } else if (claim.derivation) {
      for (const [form, grams] of claim.derivation.outputs) {
        this.withdraw(claim.derivation.member, scheme, form, (grams * lot.grams) / claim.derivation.inputGrams);
      }
    } else {
      return; // spent from a mark, not from this attestation
    }
    lot.massBalance.set(scheme, { state: "withdrawn" });
  }

  private withdraw(member: string, scheme: number, form: number, grams: bigint): void {
    const balance = this.credit(member, scheme, form);
    const taken = balance < grams ? balance : grams;
    this.addCredit(member, scheme, form, -taken);
    this.withdrawn.set(scheme, (this.withdrawn.get(scheme) ?? 0n) + taken);
  }

  /**
   * Custody moves to the receiver at the smaller of the sent and received weights: a handover
   * never adds mass. A mass-balance claim the lot carries becomes the receiver's credit, for at
   * most the grams sent.
   */
  private accept(actor: string, lot: ModelLot, gramsReceived: bigint, at: bigint): void {
    const gramsSent = lot.grams;
    const grams = gramsReceived < gramsSent ? gramsReceived : gramsSent;
    const member = this.memberOf(actor)!;
    for (const scheme of this.massBalanceSchemes()) {
      if (this.carries(lot.id, scheme, at)) {
        // Booked only when the claim was the lot's own attestation, not a mark: a revocation withdraws it.
        const fromAttestation = lot.massBalance.get(scheme)?.state !== "marked";
        lot.massBalance.set(scheme, fromAttestation ? { state: "spent", booked: { member, grams } } : { state: "spent" });
        this.addCredit(member, scheme, lot.form, grams);
      }
    }
    this.record(lot, {
      kind: "accepted",
      lotId: lot.id,
      previousCustodian: this.address(lot.custodian),
      custodian: this.address(actor),
      gramsSent,
      gramsReceived,
      quality: 0,
    });
    lot.custodian = actor;
    lot.grams = grams;
    lot.status = "active";
    lot.receiver = null;
  }

  private derive(kind: Derivation["kind"], actor: string, inputs: ModelLot[], outputs: OutputSpec[], at: bigint): void {
    const firstOutputId = this.peekLotId(actor);
    const outputIds = outputs.map((_, index) => firstOutputId + BigInt(index));
    // Claims are decided on the inputs as they are before consumption.
    const carried = new Map<number, bigint>();
    for (const [schemeKey, model] of Object.entries(this.network.schemes)) {
      const scheme = Number(schemeKey);
      if (model === "massBalance") this.creditDerived(scheme, actor, inputs, outputs, at);
      else if (inputs.every((lot) => this.carries(lot.id, scheme, at))) {
        const families = new Set(inputs.map((lot) => this.family(lot.id, scheme, at)));
        if (model === "segregated") carried.set(scheme, 0n);
        else if (families.size === 1) carried.set(scheme, [...families][0]);
      }
    }
    const consumedKind = kind === "split" ? "split" : kind === "merge" ? "merged" : "transformed";
    for (const lot of inputs) {
      lot.status = "consumed";
      this.record(lot, { kind: consumedKind, lotId: lot.id, firstOutputId, outputCount: BigInt(outputs.length) });
    }
    this.takeLotId(actor, outputs.length);
    const inputIds = inputs.map((lot) => lot.id);
    const inputHeads = inputs.map((lot) => lot.head);
    outputs.forEach((output, index) => {
      const lotId = outputIds[index];
      const metadata = kind === "merge" ? digestOf.mergeMetadata() : digestOf.outputMetadata(index, output.form, output.grams);
      const lot = this.createLot(lotId, output.form, output.grams, actor, inputIds, {
        kind: "derived", lotId, custodian: this.address(actor), form: output.form, grams: output.grams, quality: 0, metadata, ingredients: ZeroHash, inputIds, inputHeads,
      });
      for (const [scheme, family] of carried) lot.carried.set(scheme, family);
    });
    this.derivations.push({ kind, inputIds, outputIds });
  }

  /**
   * Mass balance: inputs carrying the claim are spent; the deriving member is credited pro rata,
   * rounded down. What the derivation made, per form, is kept for the inputs whose claim was their
   * own attestation, so revoking it withdraws their share.
   */
  private creditDerived(scheme: number, actor: string, inputs: ModelLot[], outputs: OutputSpec[], at: bigint) {
    const total = inputs.reduce((sum, lot) => sum + lot.grams, 0n);
    const claimedLots = inputs.filter((lot) => this.carries(lot.id, scheme, at));
    const claimed = claimedLots.reduce((sum, lot) => sum + lot.grams, 0n);
    if (claimed === 0n) return;
    const member = this.memberOf(actor)!;
    const record: DerivationCredit = { member, inputGrams: total, outputs: new Map() };
    for (const output of outputs) record.outputs.set(output.form, (record.outputs.get(output.form) ?? 0n) + output.grams);
    for (const lot of claimedLots) {
      const fromAttestation = lot.massBalance.get(scheme)?.state !== "marked";
      lot.massBalance.set(scheme, fromAttestation ? { state: "spent", derivation: record } : { state: "spent" });
    }
    outputs.forEach((output) => {
      const grams = (output.grams * claimed) / total;
      if (grams > 0n) this.addCredit(member, scheme, output.form, grams);
    });
  }

  private massBalanceSchemes(): number[] {
    return Object.entries(this.network.schemes)
      .filter(([, model]) => model === "massBalance")
      .map(([scheme]) => Number(scheme));
  }

  private addCredit(member: string, scheme: number, form: number, grams: bigint) {
    const key = `${member}/${scheme}/${form}`;
    this.credits.set(key, (this.credits.get(key) ?? 0n) + grams);
  }

  /** Credit withdrawn from the scheme's members on revocations so far. */
  withdrawnCredit(scheme: number): bigint {
    return this.withdrawn.get(scheme) ?? 0n;
  }

  private createLot(lotId: bigint, form: number, grams: bigint, custodian: string, inputs: bigint[], genesis: LotHistoryEvent): ModelLot {
    const lot: ModelLot = {
      id: lotId, form, grams, createdGrams: grams, custodian, status: "active", receiver: null, inputs,
      carried: new Map(), massBalance: new Map(), events: [], head: "0x" + "00".repeat(32),
    };
    this.lots.set(lotId, lot);
    this.record(lot, genesis);
    return lot;
  }

  private record(lot: ModelLot, event: LotHistoryEvent) {
    lot.events.push(event);
    lot.head = foldHead(lot.head, eventDigest(event));
  }

  private peekLotId(actor: string): bigint {
    const next = this.nextLotIds.get(actor);
    if (next === undefined) throw new Error(`${actor} has no lot sequence`);
    return next;
  }

  private takeLotId(actor: string, count: number): bigint {
    const first = this.peekLotId(actor);
    this.nextLotIds.set(actor, first + BigInt(count));
    return first;
  }

  address(actor: string): string {
    return this.network.actors[actor].address;
  }
}

/** A refusal whose error is part of the rule: the reason, then the error the contracts must revert with. */
function withError(reason: string, error: string): string {
  return `${reason} [${error}]`;
}

/** The exact error a refusal names, if it names one (see {@link Model.refusal}). */
export function expectedError(refusal: string): string | null {
  return /\[(\w+\(.*\))\]$/.exec(refusal)?.[1] ?? null;
}
