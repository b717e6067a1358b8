import fc from "fast-check";
import { ACTOR_NAMES, GOVERNORS, MEMBER_NAMES, MINTABLE_AT_ORIGIN, SCHEMES, SUITE_FORMS, type Harness } from "./harness";
import { CUSTODIAN_ROLES, RoleBit, type Action, type GovernanceOnlyCall, type GovernedCall, type Model, type ModelLot, type OutputSpec } from "./model";

/**
 * The steps of random sequences: each holds random choices drawn up front and turns them into a concrete
 * action against the model's state when it runs (which lot, which actor, how many grams), so a
 * shrunk sequence still makes sense. Most choices are plausible (the lot's custodian offers it);
 * three in ten pick any account, so calls by members lacking the role are tried all along.
 */

/** What the generators may try. Each known hole of the contracts has its switch, so the suite can run around them. */
export interface Scenario {
  /** Accept more grams than were sent (within the gain allowance and just beyond it): hole 2. */
  overweightAccepts: boolean;
  /** Transform into several lots of one form: hole 1. */
  repeatedOutputForms: boolean;
  /** Revoke attestations whose claims were already carried to derived lots: hole 3. */
  revokeCarriedSources: boolean;
  /** Attest a lot that already holds a claim of the scheme (a newer attestation over an older one): hole 4. */
  reattest: boolean;
  /** Mint forms that are not mintable at origin, such as butter: hole 5. */
  mintNonMintableForms: boolean;
  /**
   * Attest a lot that already carries the scheme's claim from its derivation: its outputs then carry
   * the claim until the later of the two expiries (divergence 6 in docs/invariants.md, fixed).
   */
  attestCarriedLots: boolean;
}

export const AROUND_HOLES: Scenario = {
  overweightAccepts: false,
  repeatedOutputForms: false,
  revokeCarriedSources: false,
  reattest: false,
  mintNonMintableForms: false,
  attestCarriedLots: false,
};
export const EVERYTHING: Scenario = {
  overweightAccepts: true,
  repeatedOutputForms: true,
  revokeCarriedSources: true,
  reattest: true,
  mintNonMintableForms: true,
  attestCarriedLots: true,
};

const HOUR = 3_600n;

/** A choice of account: plausible for the action (roll < 7 of 10) or any account at all. */
const actorChoice = fc.record({ roll: fc.nat(9), index: fc.nat(1_000) });
type ActorChoice = { roll: number; index: number };

function pickActor(choice: ActorChoice, plausible: readonly string[]): string {
  const pool = choice.roll < 7 && plausible.length > 0 ? plausible : ACTOR_NAMES;
  return pool[choice.index % pool.length];
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function lotsWhere(model: Model, keep: (lot: ModelLot) => boolean): ModelLot[] {
  return [...model.lots.values()].filter(keep);
}

/** The accounts of `actor`'s member (none for an account outside the network). */
function membersAccounts(model: Model, actor: string): string[] {
  const member = model.memberOf(actor);
  return ACTOR_NAMES.filter((name) => member !== null && model.memberOf(name) === member);
}

const custodianActors = (model: Model) => ACTOR_NAMES.filter((name) => (model.network.members[model.memberOf(name) ?? ""]?.roles ?? 0) & CUSTODIAN_ROLES);
const rolesOf = (model: Model, name: string) => model.network.members[model.memberOf(name) ?? ""]?.roles ?? 0;

/** One command: resolves an action from the model (or nothing, when there is nothing to act on) and steps it. */
class Step {
  constructor(
    private readonly label: string,
    private readonly resolve: (model: Model) => Action | null,
  ) {}
  async run(harness: Harness): Promise<void> {
    const action = this.resolve(harness.model);
    if (action) await harness.step(action);
  }
  toString(): string {
    return this.label;
  }
}

function mint(scenario: Scenario) {
  const forms = scenario.mintNonMintableForms ? SUITE_FORMS : SUITE_FORMS.filter((form) => MINTABLE_AT_ORIGIN.has(form));
  return fc.tuple(actorChoice, fc.nat(forms.length - 1), fc.integer({ min: 1, max: 200_000 })).map(
    ([actor, formIndex, grams]) =>
      new Step(`mint`, (model) => ({
        kind: "mint",
        actor: pickActor(actor, ACTOR_NAMES.filter((name) => rolesOf(model, name) & RoleBit.cooperative)),
        form: forms[formIndex],
        grams: BigInt(grams),
      })),
  );
}

function offer() {
  return fc.tuple(actorChoice, fc.nat(1_000), fc.nat(1_000)).map(
    ([actor, lotIndex, receiverIndex]) =>
      new Step("offer", (model) => {
        const active = lotsWhere(model, (candidate) => candidate.status === "active");
        // Now and then a lot carrying the mass-balance claim: its handover turns the claim into credit.
        const claimed = receiverIndex % 2 === 0 ? active.filter((candidate) => model.carries(candidate.id, SCHEMES.massBalance)) : [];
        const lot = pick(claimed.length > 0 ? claimed : active, lotIndex);
        if (!lot) return null;
        const others = custodianActors(model).filter((name) => model.memberOf(name) !== model.memberOf(lot.custodian));
        const receiver = actor.roll < 8 ? pick(others, receiverIndex)! : ACTOR_NAMES[receiverIndex % ACTOR_NAMES.length];
        return { kind: "offer", actor: pickActor(actor, membersAccounts(model, lot.custodian)), lotId: lot.id, receiver };
      }),
  );
}

function accept(scenario: Scenario) {
  // Offsets around the allowances: just inside and just outside the loss allowance and (hole 2) the gain one.
  // Mostly inside them, so custody moves often enough for the claims to follow.
  const inside = ["-edge", "-1", "0", "0", "-edge", "-1", "0"];
  const offsets = scenario.overweightAccepts ? [...inside, "+1", "+edge", "+1", "+edge", "-out", "+out"] : [...inside, "-out", "+out", "zero"];
  return fc.tuple(actorChoice, fc.nat(1_000), fc.constantFrom(...offsets)).map(
    ([actor, lotIndex, offset]) =>
      new Step("accept", (model) => {
        const lot = pick(lotsWhere(model, (candidate) => candidate.status === "inTransit"), lotIndex);
        if (!lot) return null;
        const { lossBps, gainBps } = model.tolerances.get(lot.form)!;
        const lossEdge = (lot.grams * BigInt(lossBps)) / 10_000n;
        const gainEdge = (lot.grams * BigInt(gainBps)) / 10_000n;
        const delta: Record<string, bigint> = {
          "-out": -lossEdge - 1n, "-edge": -lossEdge, "-1": -1n, "0": 0n, "+1": 1n, "+edge": gainEdge, "+out": gainEdge + 1n, zero: -lot.grams,
        };
        const grams = lot.grams + delta[offset];
        return { kind: "accept", actor: pickActor(actor, membersAccounts(model, lot.receiver!)), lotId: lot.id, grams: grams < 0n ? 0n : grams };
      }),
  );
}

function reject() {
  return fc.tuple(actorChoice, fc.nat(1_000), fc.integer({ min: 1, max: 3 })).map(
    ([actor, lotIndex, reason]) =>
      new Step("reject", (model) => {
        const lot = pick(lotsWhere(model, (candidate) => candidate.status === "inTransit"), lotIndex);
        if (!lot) return null;
        return { kind: "reject", actor: pickActor(actor, membersAccounts(model, lot.receiver!)), lotId: lot.id, reason };
      }),
  );
}

function cancel() {
  return fc.tuple(actorChoice, fc.nat(1_000)).map(
    ([actor, lotIndex]) =>
      new Step("cancel", (model) => {
        const lot = pick(lotsWhere(model, (candidate) => (actor.roll < 8 ? candidate.status === "inTransit" : true)), lotIndex);
        if (!lot) return null;
        return { kind: "cancel", actor: pickActor(actor, membersAccounts(model, lot.custodian)), lotId: lot.id };
      }),
  );
}

function split() {
  return fc.tuple(actorChoice, fc.nat(1_000), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 3 }), fc.nat(9)).map(
    ([actor, lotIndex, shares, imbalance]) =>
      new Step("split", (model) => {
        const active = lotsWhere(model, (candidate) => candidate.status === "active");
        // Now and then a lot carrying the mass-balance claim: its parts are credited to its holder.
        const claimed = imbalance % 2 === 1 ? active.filter((candidate) => model.carries(candidate.id, SCHEMES.massBalance)) : [];
        const lot = pick(claimed.length > 0 ? claimed : active, lotIndex);
        if (!lot) return null;
        const total = shares.reduce((sum, share) => sum + share, 0);
        const parts: OutputSpec[] = shares.map((share) => ({ form: lot.form, grams: (lot.grams * BigInt(share)) / BigInt(total) }));
        const assigned = parts.reduce((sum, part) => sum + part.grams, 0n);
        // The last part takes the rounding rest; now and then one gram too many, which must be refused.
        parts[parts.length - 1].grams += lot.grams - assigned + (imbalance === 0 ? 1n : 0n);
        return { kind: "split", actor: pickActor(actor, membersAccounts(model, lot.custodian)), lotId: lot.id, parts };
      }),
  );
}

/** Active lots of one form held by one member, starting from the picked lot. */
function sameHolding(model: Model, lotIndex: number, count: number): ModelLot[] {
  const first = pick(lotsWhere(model, (candidate) => candidate.status === "active"), lotIndex);
  if (!first) return [];
  const member = model.memberOf(first.custodian);
  const others = lotsWhere(
    model,
    (candidate) => candidate !== first && candidate.status === "active" && candidate.form === first.form && model.memberOf(candidate.custodian) === member,
  );
  return [first, ...others.slice(0, count - 1)];
}

function merge() {
  return fc.tuple(actorChoice, fc.nat(1_000), fc.integer({ min: 2, max: 3 })).map(
    ([actor, lotIndex, count]) =>
      new Step("merge", (model) => {
        const lots = sameHolding(model, lotIndex, count);
        if (lots.length === 0) return null;
        // A lone lot listed twice: the contracts must not count it twice.
        const lotIds = lots.length === 1 ? [lots[0].id, lots[0].id] : lots.map((lot) => lot.id);
        return { kind: "merge", actor: pickActor(actor, membersAccounts(model, lots[0].custodian)), lotIds };
      }),
  );
}

function transform(scenario: Scenario) {
  // Output yields as fractions of the bounds: below the minimum, at it, between, at the maximum, above it.
  const where = fc.constantFrom("below", "min", "mid", "max", "above");
  return fc
    .tuple(actorChoice, fc.nat(1_000), fc.integer({ min: 1, max: 2 }), fc.array(fc.tuple(fc.nat(1_000), where), { minLength: 1, maxLength: 3 }))
    .map(
      ([actor, lotIndex, inputCount, outputChoices]) =>
        new Step("transform", (model) => {
          const inputs = sameHolding(model, lotIndex, inputCount);
          if (inputs.length === 0) return null;
          const form = inputs[0].form;
          const inputGrams = inputs.reduce((sum, lot) => sum + lot.grams, 0n);
          // Output forms the input form has bounds to (not "all outputs together", form 0).
          const targets = model.network.yields.filter((bounds) => bounds.from === form && bounds.to !== 0);
          if (targets.length === 0) return null;
          let chosen = outputChoices.map(([index, at]) => ({ bounds: targets[index % targets.length], at }));
          if (!scenario.repeatedOutputForms) chosen = chosen.filter((item, i) => chosen.findIndex((other) => other.bounds.to === item.bounds.to) === i);
          const outputs = chosen.map(({ bounds, at }) => {
            const bps = { below: bounds.minBps - 100, min: bounds.minBps, mid: Math.floor((bounds.minBps + bounds.maxBps) / 2), max: bounds.maxBps, above: bounds.maxBps + 100 }[at];
            // Rounded up at the minimum, down otherwise, so "min" and "max" sit on the bounds.
            const exact = inputGrams * BigInt(bps);
            const grams = at === "min" ? (exact + 9_999n) / 10_000n : exact / 10_000n;
            return { form: bounds.to, grams };
          });
          return { kind: "transform", actor: pickActor(actor, membersAccounts(model, inputs[0].custodian)), inputIds: inputs.map((lot) => lot.id), outputs };
        }),
    );
}

function attest(scenario: Scenario) {
  // Mass balance twice as often as each of the others: its credit feeds markClaimed.
  const schemes = [SCHEMES.massBalance, SCHEMES.massBalance, SCHEMES.segregated, SCHEMES.identityPreserved];
  return fc.tuple(actorChoice, fc.nat(1_000), fc.nat(schemes.length - 1), fc.integer({ min: 1, max: 72 })).map(
    ([actor, lotIndex, schemeIndex, hours]) =>
      new Step("attest", (model) => {
        const scheme = schemes[schemeIndex];
        const attested = (lot: ModelLot) => model.attestations.some((attestation) => attestation.lotId === lot.id && attestation.scheme === scheme);
        const fresh = (lot: ModelLot) => !lot.carried.has(scheme) && !attested(lot);
        const live = lotsWhere(model, (candidate) => candidate.status !== "consumed" && (scenario.attestCarriedLots || !candidate.carried.has(scheme)));
        // Re-attesting: mostly a lot that already has an attestation of the scheme.
        const again = scenario.reattest && actor.roll < 6 ? live.filter(attested) : [];
        const lot = pick(again.length > 0 ? again : live.filter((candidate) => scenario.reattest || fresh(candidate)), lotIndex);
        if (!lot) return null;
        return {
          kind: "attest",
          actor: pickActor(actor, ["certifier"]),
          scheme,
          lotId: lot.id,
          // Half an hour off the hour, so no expiry falls on the seconds a step adds.
          validForSeconds: BigInt(hours) * HOUR + HOUR / 2n,
        };
      }),
  );
}

function revoke(scenario: Scenario) {
  return fc.tuple(actorChoice, fc.nat(1_000), fc.integer({ min: 1, max: 3 })).map(
    ([actor, index, reason]) =>
      new Step("revoke", (model) => {
        const consumed = (lotId: bigint) => model.lot(lotId)!.status === "consumed";
        const revocable = model.attestations.filter((attestation) => scenario.revokeCarriedSources || !consumed(attestation.lotId));
        // Revoking carried sources: mostly an attestation whose lot was consumed into others.
        const sources = scenario.revokeCarriedSources && actor.roll < 6 ? revocable.filter((attestation) => consumed(attestation.lotId)) : [];
        // Re-attesting: mostly a newer attestation over an older one of the same lot and scheme.
        const newer = scenario.reattest && actor.roll < 6
          ? revocable.filter((attestation) => model.attestations.some((older) => older.index < attestation.index && older.lotId === attestation.lotId && older.scheme === attestation.scheme))
          : [];
        const preferred = [...sources, ...newer];
        const attestation = pick(preferred.length > 0 ? preferred : revocable, index);
        if (!attestation) return null;
        const plausible = ["certifier", "governor", "governor2"];
        return { kind: "revoke", actor: pickActor(actor, plausible), attestation: attestation.index, reason };
      }),
  );
}

function markClaimed() {
  return fc.tuple(actorChoice, fc.nat(1_000), fc.integer({ min: 1, max: 2 }), fc.nat(9)).map(
    ([actor, lotIndex, count, schemeRoll]) =>
      new Step("markClaimed", (model) => {
        // Mostly the mass-balance scheme; now and then a segregated one, which must be refused.
        const scheme = schemeRoll === 0 ? SCHEMES.segregated : SCHEMES.massBalance;
        // Mostly lots whose holder has credit in their form, else any holding.
        const covered = lotsWhere(
          model,
          (lot) => lot.status === "active" && model.credit(model.memberOf(lot.custodian) ?? "", scheme, lot.form) >= lot.grams,
        );
        const lots = actor.roll < 8 && covered.length > 0 ? [pick(covered, lotIndex)!] : sameHolding(model, lotIndex, count);
        if (lots.length === 0) return null;
        return { kind: "markClaimed", actor: pickActor(actor, membersAccounts(model, lots[0].custodian)), scheme, lotIds: lots.map((lot) => lot.id) };
      }),
  );
}

function travel() {
  return fc.integer({ min: 1, max: 48 }).map((hours) => new Step("travel", () => ({ kind: "travel", seconds: BigInt(hours) * HOUR })));
}

/** A member to suspend or reinstate: whoever is suspended more often than not, so sequences keep going. */
function memberToToggle(model: Model, memberIndex: number, active: boolean, among: readonly string[]): string {
  const suspended = among.filter((name) => !model.memberActive.get(name));
  return active && suspended.length > 0 ? suspended[memberIndex % suspended.length] : among[memberIndex % among.length];
}

const isGovernorMember = (model: Model, name: string) => (model.network.members[name].roles & RoleBit.governor) !== 0;

/**
 * One account suspends or reinstates a member directly: allowed to a governor for an ordinary
 * member (the emergency brake); a governor member, one governor alone may not touch (refused).
 */
function setMemberActive() {
  return fc.tuple(actorChoice, fc.nat(MEMBER_NAMES.length - 1), fc.boolean()).map(
    ([actor, memberIndex, active]) =>
      new Step("setMemberActive", (model) => ({
        kind: "setMemberActive",
        actor: pickActor(actor, GOVERNORS),
        member: memberToToggle(model, memberIndex, active, MEMBER_NAMES),
        active,
      })),
  );
}

/** Allowances around the most allowed (1000 bps): changed only through a proposal. */
const allowance = fc.constantFrom(0, 50, 100, 300, 1_000, 1_001);

/** One governor changes a form's allowances directly: refused, only governance may. */
function setFormTolerance() {
  return fc.tuple(actorChoice, fc.nat(SUITE_FORMS.length - 1), allowance, allowance).map(
    ([actor, formIndex, lossBps, gainBps]) =>
      new Step("setFormTolerance", () => ({ kind: "setFormTolerance", actor: pickActor(actor, GOVERNORS), form: SUITE_FORMS[formIndex], lossBps, gainBps })),
  );
}

/** One governor tries another governance-only call directly: refused. */
function governanceOnly() {
  const calls: GovernanceOnlyCall[] = ["setYieldBounds", "setLotObserver", "registerForm", "accredit"];
  return fc.tuple(actorChoice, fc.constantFrom(...calls)).map(
    ([actor, call]) => new Step("governanceOnly", () => ({ kind: "governanceOnly", actor: pickActor(actor, GOVERNORS), call })),
  );
}

/**
 * A proposal: suspending or reinstating a governor member (now and then an ordinary member, which
 * governance cannot do), or changing a form's allowances; approved by none, one or two more
 * accounts (often a governor of another member, sometimes the proposer again), then executed.
 */
function govern() {
  const callChoice = fc.tuple(fc.nat(9), fc.nat(1_000), fc.boolean(), allowance, allowance);
  return fc.tuple(actorChoice, fc.array(actorChoice, { maxLength: 2 }), actorChoice, callChoice).map(
    ([proposer, approvers, executor, [callRoll, index, active, lossBps, gainBps]]) =>
      new Step("govern", (model) => {
        let call: GovernedCall;
        if (callRoll < 3) call = { kind: "setFormTolerance", form: SUITE_FORMS[index % SUITE_FORMS.length], lossBps, gainBps };
        else {
          const governorMembers = MEMBER_NAMES.filter((name) => isGovernorMember(model, name));
          const among = callRoll < 8 ? governorMembers : MEMBER_NAMES.filter((name) => !isGovernorMember(model, name));
          call = { kind: "setMemberActive", member: memberToToggle(model, index, active, among), active };
        }
        const governing = GOVERNORS.filter((name) => model.may(name, RoleBit.governor));
        const proposerName = pickActor(proposer, governing);
        // Approvers other than the proposer, mostly: the proposer's own approval counts already.
        const others = governing.filter((name) => name !== proposerName);
        return {
          kind: "govern",
          proposer: proposerName,
          approvers: approvers.map((choice) => pickActor(choice, others)),
          executor: pickActor(executor, governing),
          call,
        };
      }),
  );
}

/** One step of a sequence, weighted toward the lot life cycle. */
function step(scenario: Scenario): fc.Arbitrary<Step> {
  return fc.oneof(
    { arbitrary: mint(scenario), weight: 4 },
    { arbitrary: offer(), weight: 4 },
    { arbitrary: accept(scenario), weight: 4 },
    { arbitrary: reject(), weight: 2 },
    { arbitrary: cancel(), weight: 1 },
    { arbitrary: split(), weight: scenario.revokeCarriedSources ? 3 : 2 },
    { arbitrary: merge(), weight: 2 },
    { arbitrary: transform(scenario), weight: 3 },
    { arbitrary: attest(scenario), weight: scenario.reattest || scenario.revokeCarriedSources ? 5 : 3 },
    { arbitrary: revoke(scenario), weight: scenario.revokeCarriedSources || scenario.reattest ? 4 : 2 },
    { arbitrary: markClaimed(), weight: 2 },
    { arbitrary: travel(), weight: 1 },
    { arbitrary: setMemberActive(), weight: 1 },
    { arbitrary: setFormTolerance(), weight: 1 },
    { arbitrary: governanceOnly(), weight: 1 },
    { arbitrary: govern(), weight: 2 },
  );
}

/**
 * Sequences of `maxCommands / 2` to `maxCommands` steps. A plain array rather than `fc.commands`:
 * every step of a sequence runs (up to the failing one), so fast-check's seed and path alone
 * replay a failure, and shrinking drops and simplifies steps as for any array.
 */
export function sequencesFor(scenario: Scenario, maxCommands: number): fc.Arbitrary<Step[]> {
  return fc.array(step(scenario), { minLength: Math.ceil(maxCommands / 2), maxLength: maxCommands });
}

export type { Step };
