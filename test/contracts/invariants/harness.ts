import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { FORMS, FormId, YIELDS, formByKey, yieldOutputId } from "../../../src/lots/forms";
import { Scheme } from "../attestationFixtures";
import { Role } from "../fixtures";
import { ContractDriver, type CallResult, type ChainGovernedCall } from "./driver";
import { GOVERNANCE_DELAY, GOVERNANCE_QUORUM, invariantFixture, type InvariantNetwork } from "./fixture";
import { violationsOf, type ChainSnapshot } from "./invariants";
import { Model, expectedError, type Action, type GovernedCall, type NetworkSpec, type RuleSwitches } from "./model";

/**
 * Runs one action against both the contracts (through the driver) and the reference model, checks
 * that they agree on whether it is refused, then checks every invariant against chain state. Keeps
 * the actions it ran, so a failure reads as a test that replays it.
 */

/** The lot schemes the suite exercises: one per chain-of-custody model. */
export const SCHEMES = { massBalance: Number(Scheme.fairtrade), segregated: Number(Scheme.organic), identityPreserved: Number(Scheme.singleOrigin) } as const;
/** Forms the suite mints and derives: the cocoa chain from wet beans to butter and cake. */
export const SUITE_FORMS = [FormId.wetBeans, FormId.dryBeans, FormId.nibs, FormId.liquor, FormId.butter, FormId.cake] as const;
/** Forms a cooperative weighs in at origin (the catalogue's `mintable`); processed forms come only from transforms. */
export const MINTABLE_AT_ORIGIN = new Set<number>(FORMS.filter((form) => form.mintable).map((form) => form.id));

/** Account names -> the fixture's signers. `stranger` belongs to no member. */
const ACTORS = {
  governor: "governor",
  governor2: "governor2",
  governor3: "governor3",
  coop1: "coopPhone1",
  coop2: "coopPhone2",
  processor: "processor",
  brand: "brand",
  certifier: "certifier",
  otherCertifier: "otherCertifier",
  relayer: "relayer",
  stranger: "stranger",
} as const;
export type ActorName = keyof typeof ACTORS;
export const ACTOR_NAMES = Object.keys(ACTORS) as ActorName[];
/** The accounts of governor members. */
export const GOVERNORS: readonly ActorName[] = ["governor", "governor2", "governor3"];

const MEMBER_OF: Record<ActorName, string | null> = {
  governor: "governor",
  governor2: "governor2",
  governor3: "governor3",
  coop1: "cooperative",
  coop2: "cooperative",
  processor: "processor",
  brand: "brand",
  certifier: "certifier",
  otherCertifier: "otherCertifier",
  relayer: "relayer",
  stranger: null,
};
export const MEMBER_NAMES = ["governor", "governor2", "governor3", "cooperative", "processor", "brand", "certifier", "otherCertifier", "relayer"] as const;
const MEMBER_ROLES: Record<string, number> = {
  governor: Role.governor,
  governor2: Role.governor,
  governor3: Role.governor,
  cooperative: Role.cooperative,
  processor: Role.processor,
  brand: Role.brand,
  certifier: Role.certifier,
  otherCertifier: Role.certifier,
  relayer: Role.relayer,
};

export interface HarnessOptions {
  rules: RuleSwitches;
}

export const INTENDED_RULES: RuleSwitches = { mintableAtOriginOnly: true };

/** The contracts refused an action the rules accept, accepted one they refuse, or broke an invariant. */
export class InvariantViolation extends Error {
  override name = "InvariantViolation";
  constructor(
    message: string,
    /** The actions up to and including the failing one. */
    readonly actions: readonly Action[],
  ) {
    super(message);
  }

  /** The actions as `await h.step(...)` lines of a test. */
  get transcript(): string[] {
    return this.actions.map((action) => `await h.step(${formatAction(action)});`);
  }

  /** What failed, without the values: the first line up to its first colon. */
  get kind(): string {
    return this.message.split("\n")[0].split(":")[0];
  }
}

/** Per action kind, how many calls the contracts carried out and how many they (rightly) refused. */
export type StepTally = Record<string, { accepted: number; refused: number }>;

export class Harness {
  readonly actions: Action[] = [];
  /** Shared by the harnesses of one run, to show what the run exercised. */
  tally: StepTally = {};

  constructor(
    readonly driver: ContractDriver,
    readonly model: Model,
    private readonly memberIds: Record<string, bigint>,
  ) {}

  /** Performs `action` on chain and in the model, then checks every invariant. */
  async step(action: Action): Promise<void> {
    this.actions.push(action);
    try {
      await this.stepUnchecked(action);
    } catch (error) {
      if (error instanceof InvariantViolation) throw error;
      // Anything else (a node error, a model bug) is reported with the sequence that led to it.
      this.fail(`${action.kind} threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async stepUnchecked(action: Action): Promise<void> {
    if (action.kind === "travel") {
      const at = this.model.now + action.seconds;
      await this.driver.travelTo(at);
      this.model.now = at;
      return this.check(false);
    }
    if (action.kind === "govern") {
      await this.govern(action);
      return this.check(true);
    }
    const at = this.model.now + 1n;
    const result = await this.call(action.kind, this.model.refusal(action, at), () => this.perform(action, at));
    if (result.ok) this.model.apply(action, at, result);
    await this.check(["setMemberActive", "setFormTolerance", "governanceOnly"].includes(action.kind));
  }

  /**
   * Sends one transaction in the next block (one second on) and compares its outcome with the
   * model's verdict `refusal`: refused exactly when the rules refuse it, and with the error the
   * rules name when they name one.
   */
  private async call(label: string, refusal: string | null, send: () => Promise<CallResult>): Promise<CallResult> {
    const at = this.model.now + 1n;
    await this.driver.setNextBlockTime(at);
    const result = await send();
    if (refusal !== null && result.ok) this.fail(`the contracts accepted ${label}, which the rules refuse: ${refusal}`);
    if (refusal === null && !result.ok) this.fail(`the contracts refused ${label}, which the rules accept: ${result.error}`);
    const error = refusal === null ? null : expectedError(refusal);
    if (error !== null && !result.ok && result.error.toLowerCase() !== error.toLowerCase()) {
      this.fail(`the contracts refused ${label} with ${result.error}, the rules name ${error}: ${refusal}`);
    }
    const counts = (this.tally[label] ??= { accepted: 0, refused: 0 });
    if (result.ok) counts.accepted += 1;
    else counts.refused += 1;
    // The in-process node mines a reverted transaction too (with its error): read the clock back.
    this.model.now = result.ok ? at : await this.driver.latestTime();
    return result;
  }

  /**
   * A proposal through the governance contract: propose, each approval, time travel to the end of
   * the delay, execute; each call checked against the model on its own.
   */
  private async govern(action: Extract<Action, { kind: "govern" }>): Promise<void> {
    const { model, driver } = this;
    const call = this.chainCall(action.call);
    const salt = BigInt(this.actions.length);
    const proposed = await this.call("propose", model.proposalRefusal(action.proposer), () => driver.propose(action.proposer, call, salt));
    if (!proposed.ok) return;
    const readyAt = model.now + model.network.governance.delaySeconds;
    const voted = new Set([model.memberOf(action.proposer)!]);
    const id = await driver.proposalId(call, salt);
    for (const approver of action.approvers) {
      const approved = await this.call("approve", model.approvalRefusal(approver, voted), () => driver.approve(approver, id));
      if (approved.ok) voted.add(model.memberOf(approver)!);
    }
    if (model.now + 1n < readyAt) {
      await driver.travelTo(readyAt - 1n);
      model.now = readyAt - 1n;
    }
    const executed = await this.call("execute", model.executionRefusal(action.executor, voted, action.call), () => driver.execute(action.executor, call, salt));
    if (executed.ok) model.applyGoverned(action.call);
  }

  private chainCall(call: GovernedCall): ChainGovernedCall {
    return call.kind === "setMemberActive" ? { kind: "setMemberActive", memberId: this.memberIds[call.member], active: call.active } : call;
  }

  private perform(action: Exclude<Action, { kind: "travel" | "govern" }>, at: bigint): Promise<CallResult> {
    const d = this.driver;
    switch (action.kind) {
      case "mint":
        return d.mint(action.actor, action.form, action.grams);
      case "offer":
        return d.offer(action.actor, action.lotId, action.receiver);
      case "accept":
        return d.accept(action.actor, action.lotId, action.grams);
      case "reject":
        return d.reject(action.actor, action.lotId, action.reason);
      case "cancel":
        return d.cancel(action.actor, action.lotId);
      case "split":
        return d.split(action.actor, action.lotId, action.parts);
      case "merge":
        return d.merge(action.actor, action.lotIds);
      case "transform":
        return d.transform(action.actor, action.inputIds, action.outputs);
      case "attest":
        return d.attest(action.actor, action.scheme, action.lotId, at + action.validForSeconds);
      case "revoke": {
        const uid = this.model.attestations[action.attestation]?.uid ?? "0x" + "ee".repeat(32);
        return d.revoke(action.actor, uid, action.reason);
      }
      case "markClaimed":
        return d.markClaimed(action.actor, action.scheme, action.lotIds);
      case "setMemberActive":
        return d.setMemberActive(action.actor, this.memberIds[action.member], action.active);
      case "setFormTolerance":
        return d.setFormTolerance(action.actor, action.form, action.lossBps, action.gainBps);
      case "governanceOnly":
        return d.governanceOnly(action.actor, action.call);
    }
  }

  /** Reads what the invariants need and throws on any violation. */
  private async check(governance: boolean): Promise<void> {
    const lotIds = this.model.lotIds();
    const schemes = Object.values(SCHEMES);
    const [lots, claimRows, creditRows] = await Promise.all([
      this.driver.lots(lotIds),
      this.driver.claims(lotIds, schemes),
      Promise.all(
        (["cooperative", "processor", "brand"] as const).map(async (member) => [
          member,
          await this.driver.credits(this.memberIds[member], SCHEMES.massBalance, SUITE_FORMS),
        ] as const),
      ),
    ]);
    const claims = new Map(lotIds.map((lotId, i) => [lotId, new Map(schemes.map((scheme, j) => [scheme, claimRows[i][j]]))]));
    const credits = new Map<string, bigint>();
    for (const [member, grams] of creditRows) {
      SUITE_FORMS.forEach((form, i) => credits.set(`${member}/${SCHEMES.massBalance}/${form}`, grams[i]));
    }
    const snapshot: ChainSnapshot = { lots, claims, credits };
    if (governance) {
      snapshot.roles = new Map(await Promise.all(ACTOR_NAMES.map(async (actor) => [actor, await this.driver.effectiveRoles(actor)] as const)));
      snapshot.tolerances = new Map(await Promise.all(SUITE_FORMS.map(async (form) => [form, await this.driver.tolerance(form)] as const)));
    }
    const violations = violationsOf(this.model, snapshot);
    if (violations.length > 0) this.fail(violations.join("\n"));
  }

  private fail(message: string): never {
    throw new InvariantViolation(message, [...this.actions]);
  }
}

/** The network the fixture deploys, described for the model (forms and allowances as read from the chain). */
async function describeNetwork(network: InvariantNetwork, driver: ContractDriver): Promise<NetworkSpec> {
  const actors: NetworkSpec["actors"] = {};
  for (const name of ACTOR_NAMES) {
    const member = MEMBER_OF[name];
    const custodian = member !== null && (MEMBER_ROLES[member] & (Role.cooperative | Role.processor | Role.brand)) !== 0;
    actors[name] = {
      address: driver.address(name),
      member,
      firstLotId: custodian ? await network.registry.nextLotId(driver.address(name)) : null,
    };
  }
  const members: NetworkSpec["members"] = {};
  for (const name of MEMBER_NAMES) members[name] = { id: memberIdsOf(network)[name], roles: MEMBER_ROLES[name] };
  const forms: NetworkSpec["forms"] = {};
  for (const form of FORMS) {
    const onChain = await driver.form(form.id);
    if (!onChain.registered || onChain.mintable !== MINTABLE_AT_ORIGIN.has(form.id)) throw new Error(`form ${form.id} is not registered as the catalogue says`);
    forms[form.id] = { lossBps: onChain.lossBps, gainBps: onChain.gainBps, mintableAtOrigin: onChain.mintable };
  }
  // The bounds among the suite's forms, and on all outputs together (to 0) of a suite form.
  const suite = new Set<number>(SUITE_FORMS);
  const yields = YIELDS.map((bounds) => ({ from: formByKey(bounds.from).id, to: yieldOutputId(bounds.to), minBps: bounds.minBps, maxBps: bounds.maxBps })).filter(
    (bounds) => suite.has(bounds.from) && (bounds.to === 0 || suite.has(bounds.to)),
  );
  const dryBasis = FORMS.filter((form) => form.dryBasis).map((form) => form.id);
  // The mass-balance bound multiplies certified mass by the largest yield; the catalogue has none above 1.
  if (yields.some((bounds) => bounds.maxBps > 10_000)) throw new Error("a yield above 1: massBalanceCreditBounded needs its factor");
  const accreditedUntil = { certifier: Object.fromEntries(Object.values(SCHEMES).map((scheme) => [scheme, network.accreditedUntil])) };
  const schemes = {
    [SCHEMES.massBalance]: "massBalance",
    [SCHEMES.segregated]: "segregated",
    [SCHEMES.identityPreserved]: "identityPreserved",
  } as const;
  const governance = { address: await network.governance.getAddress(), quorum: GOVERNANCE_QUORUM, delaySeconds: GOVERNANCE_DELAY };
  return { actors, members, forms, yields, dryBasis, schemes, accreditedUntil, governance };
}

function memberIdsOf(network: InvariantNetwork): Record<string, bigint> {
  const { members } = network;
  return {
    governor: members.governor,
    governor2: members.governor2,
    governor3: members.governor3,
    cooperative: members.cooperative,
    processor: members.processor,
    brand: members.brand,
    certifier: members.certifier,
    otherCertifier: members.otherCertifier,
    relayer: members.relayer,
  };
}

const DESCRIBED = new WeakMap<InvariantNetwork, NetworkSpec>();

/** A fresh network (a snapshot restored after the first call) with its model. */
export async function startHarness(options: HarnessOptions = { rules: INTENDED_RULES }): Promise<Harness> {
  const network = await loadFixture(invariantFixture);
  const signers = Object.fromEntries(ACTOR_NAMES.map((name) => [name, network[ACTORS[name]]]));
  const driver = new ContractDriver(network, signers);
  // loadFixture restores the same deployment every time (the same object, the same state): it is
  // described once.
  let spec = DESCRIBED.get(network);
  if (!spec) {
    spec = await describeNetwork(network, driver);
    DESCRIBED.set(network, spec);
  }
  const model = new Model(spec, options.rules, await driver.latestTime());
  return new Harness(driver, model, memberIdsOf(network));
}

/** An action as the TypeScript literal that replays it. */
export function formatAction(action: Action): string {
  return formatValue(action);
}

function formatValue(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{ ${Object.entries(value).map(([key, item]) => `${key}: ${formatValue(item)}`).join(", ")} }`;
  }
  return String(value);
}
