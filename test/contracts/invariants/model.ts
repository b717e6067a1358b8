import { id as hashLabel } from "ethers";
import { computeHistoryHead, eventDigest, foldHead, type LotHistoryEvent } from "../../../src/lots/historyHead";

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

export type ChainOfCustodyModel = "identityPreserved" | "segregated" | "massBalance";
export type LotStatusName = "active" | "inTransit" | "consumed";

/** The network the model starts from: who is who, the forms, yields and schemes. Addresses only label events. */
export interface NetworkSpec {
  actors: Record<string, { address: string; member: string | null; firstLotId: bigint | null }>;
  members: Record<string, { id: bigint; roles: number }>;
  forms: Record<number, { toleranceBps: number; mintableAtOrigin: boolean }>;
  yields: readonly { from: number; to: number; minBps: number; maxBps: number }[];
  schemes: Record<number, ChainOfCustodyModel>;
  /** accreditedUntil[certifier member][scheme] (Unix seconds). */
  accreditedUntil: Record<string, Record<number, bigint>>;
}

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
  | { kind: "setFormTolerance"; actor: string; form: number; toleranceBps: number }
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
  massBalance: Map<number, "marked" | "spent">;
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
  readonly tolerances = new Map<number, number>();
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
    for (const [form, spec] of Object.entries(network.forms)) this.tolerances.set(Number(form), spec.toleranceBps);
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
      const state = lot.massBalance.get(scheme);
      if (state === "spent") return false;
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

  /** Certified input mass of a mass-balance scheme: every lot attested, at its grams when attested. */
  certifiedMass(scheme: number): bigint {
    return this.attestations
      .filter((attestation) => attestation.scheme === scheme)
      .reduce((sum, attestation) => sum + attestation.gramsAttested, 0n);
  }

  headOf(lotId: bigint): string {
    return computeHistoryHead(this.lots.get(lotId)!.events);
  }

  // ------------------------------------------------------------------------------------- verdict

  /**
   * Why `action`, made in a block at `at`, must be refused, or null when it must succeed. Only the
   * refusal matters, not its error: the error names change with the contracts' interfaces.
   */
  refusal(action: Action, at: bigint): string | null {
    switch (action.kind) {
      case "mint":
        if (!this.may(action.actor, RoleBit.cooperative)) return "only an active cooperative account mints";
        if (!this.tolerances.has(action.form)) return `form ${action.form} is not registered`;
        if (this.rules.mintableAtOriginOnly && !this.network.forms[action.form].mintableAtOrigin) {
          return `form ${action.form} is not mintable at origin`;
        }
        return action.grams > 0n ? null : "zero grams";
      case "offer": {
        const lot = this.custodianLot(action.actor, action.lotId, "active");
        if (typeof lot === "string") return lot;
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
        if (action.grams === 0n) return "zero grams received";
        const lot = this.lots.get(action.lotId)!;
        const difference = lot.grams > action.grams ? lot.grams - action.grams : action.grams - lot.grams;
        const tolerance = BigInt(this.tolerances.get(lot.form)!);
        return difference * BPS > tolerance * lot.grams ? "received weight outside the form's tolerance" : null;
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
        if (this.network.schemes[action.scheme] === "massBalance" && lot.massBalance.get(action.scheme) === "spent") {
          return "the lot's mass-balance claim has become credit";
        }
        return action.validForSeconds > 0n ? null : "expiry not in the future";
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
      case "setMemberActive": {
        if (!this.may(action.actor, RoleBit.governor)) return "only a governor suspends or reinstates";
        const governing = Object.keys(this.network.members).filter((name) => this.governs(name));
        if (!action.active && governing.length === 1 && governing[0] === action.member) return "the last governor";
        return null;
      }
      case "setFormTolerance":
        if (!this.may(action.actor, RoleBit.governor)) return "only a governor changes tolerances";
        if (!this.tolerances.has(action.form)) return "form not registered";
        return action.toleranceBps <= 10_000 ? null : "tolerance above 100%";
      case "travel":
        return null;
    }
  }

  private governs(member: string): boolean {
    return (this.network.members[member].roles & RoleBit.governor) !== 0 && this.memberActive.get(member) === true;
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

  /** Active lots of one form held by the actor's member, each listed once. */
  private inputLots(actor: string, lotIds: bigint[]): ModelLot[] | string {
    const lots: ModelLot[] = [];
    for (const lotId of lotIds) {
      const lot = this.custodianLot(actor, lotId, "active");
      if (typeof lot === "string") return lot;
      if (lots.includes(lot)) return `lot ${lotId} listed twice`;
      if (lots.length > 0 && lot.form !== lots[0].form) return "inputs of different forms";
      lots.push(lot);
    }
    return lots;
  }

  private transformRefusal(actor: string, inputIds: bigint[], outputs: OutputSpec[]): string | null {
    if (inputIds.length < 1 || inputIds.length > MAX_BATCH) return "1 or more inputs";
    if (outputs.length < 1 || outputs.length > MAX_BATCH) return "1 or more outputs";
    const inputs = this.inputLots(actor, inputIds);
    if (typeof inputs === "string") return inputs;
    const form = inputs[0].form;
    const inputGrams = inputs.reduce((sum, lot) => sum + lot.grams, 0n);
    const perForm = new Map<number, bigint>();
    for (const output of outputs) {
      if (!this.yieldBounds(form, output.form)) return `no yield bounds ${form} -> ${output.form}`;
      if (output.grams === 0n) return "an output of zero grams";
      perForm.set(output.form, (perForm.get(output.form) ?? 0n) + output.grams);
    }
    // The yield bounds hold for each output form's total, however many lots it is cut into.
    for (const [outputForm, grams] of perForm) {
      const bounds = this.yieldBounds(form, outputForm)!;
      const scaled = grams * BPS;
      if (scaled < inputGrams * BigInt(bounds.minBps) || scaled > inputGrams * BigInt(bounds.maxBps)) {
        return `form ${outputForm} totals ${grams} g of ${inputGrams} g, outside [${bounds.minBps}, ${bounds.maxBps}] bps`;
      }
    }
    const outputGrams = outputs.reduce((sum, output) => sum + output.grams, 0n);
    return outputGrams > inputGrams ? "outputs weigh more than inputs" : null;
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
          kind: "minted", lotId, custodian, form: action.form, grams: action.grams, metadata, origin,
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
        this.attestations[action.attestation].revoked = true;
        return;
      case "markClaimed": {
        const member = this.memberOf(action.actor)!;
        for (const lotId of action.lotIds) {
          const lot = this.lots.get(lotId)!;
          this.addCredit(member, action.scheme, lot.form, -lot.grams);
          lot.massBalance.set(action.scheme, "marked");
        }
        return;
      }
      case "setMemberActive":
        this.memberActive.set(action.member, action.active);
        return;
      case "setFormTolerance":
        this.tolerances.set(action.form, action.toleranceBps);
        return;
      case "travel":
        return;
    }
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
        lot.massBalance.set(scheme, "spent");
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
        kind: "derived", lotId, custodian: this.address(actor), form: output.form, grams: output.grams, metadata, inputIds, inputHeads,
      });
      for (const [scheme, family] of carried) lot.carried.set(scheme, family);
    });
    this.derivations.push({ kind, inputIds, outputIds });
  }

  /** Mass balance: inputs carrying the claim are spent; the deriving member is credited pro rata, rounded down. */
  private creditDerived(scheme: number, actor: string, inputs: ModelLot[], outputs: OutputSpec[], at: bigint) {
    const total = inputs.reduce((sum, lot) => sum + lot.grams, 0n);
    const claimedLots = inputs.filter((lot) => this.carries(lot.id, scheme, at));
    const claimed = claimedLots.reduce((sum, lot) => sum + lot.grams, 0n);
    if (claimed === 0n) return;
    for (const lot of claimedLots) lot.massBalance.set(scheme, "spent");
    const member = this.memberOf(actor)!;
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

  private address(actor: string): string {
    return this.network.actors[actor].address;
  }
}
