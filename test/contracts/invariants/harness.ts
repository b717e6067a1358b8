import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { FORMS, FormId, YIELDS, formByKey } from "../../../src/lots/forms";
import { attestationFixture, Scheme, type AttestationNetwork } from "../attestationFixtures";
import { Role } from "../fixtures";
import { ContractDriver, type CallResult } from "./driver";
import { violationsOf, type ChainSnapshot } from "./invariants";
import { Model, type Action, type NetworkSpec, type RuleSwitches } from "./model";

/**
 * Runs one action against both the contracts (through the driver) and the reference model, checks
 * that they agree on whether it is refused, then checks every invariant against chain state. Keeps
 * the actions it ran, so a failure reads as a test that replays it.
 */

/** The lot schemes the suite exercises: one per chain-of-custody model. */
export const SCHEMES = { massBalance: Number(Scheme.fairtrade), segregated: Number(Scheme.organic), identityPreserved: Number(Scheme.singleOrigin) } as const;
/** Forms the suite mints and derives: the cocoa chain from wet beans to butter and powder. */
export const SUITE_FORMS = [FormId.wetBeans, FormId.dryBeans, FormId.nibs, FormId.liquor, FormId.butter, FormId.powder] as const;
/** Forms a cooperative weighs in at origin; processed forms (nibs, liquor, butter) come only from transforms. */
export const MINTABLE_AT_ORIGIN = new Set<number>([FormId.wetBeans, FormId.dryBeans, FormId.fieldLatex, FormId.cupLump]);

/** Account names -> the fixture's signers. `stranger` belongs to no member. */
const ACTORS = {
  governor: "governor",
  governor2: "governor2",
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

const MEMBER_OF: Record<ActorName, string | null> = {
  governor: "governor",
  governor2: "governor2",
  coop1: "cooperative",
  coop2: "cooperative",
  processor: "processor",
  brand: "brand",
  certifier: "certifier",
  otherCertifier: "otherCertifier",
  relayer: "relayer",
  stranger: null,
};
export const MEMBER_NAMES = ["governor", "governor2", "cooperative", "processor", "brand", "certifier", "otherCertifier", "relayer"] as const;
const MEMBER_ROLES: Record<string, number> = {
  governor: Role.governor,
  governor2: Role.governor,
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
    const at = this.model.now + 1n;
    const refusal = this.model.refusal(action, at);

    await this.driver.setNextBlockTime(at);
    const result = await this.perform(action, at);
    if (refusal !== null && result.ok) {
      this.fail(`the contracts accepted ${action.kind}, which the rules refuse: ${refusal}`);
    }
    if (refusal === null && !result.ok) {
      this.fail(`the contracts refused ${action.kind}, which the rules accept: ${result.error}`);
    }
    if (result.ok) this.model.apply(action, at, result);
    const counts = (this.tally[action.kind] ??= { accepted: 0, refused: 0 });
    if (result.ok) counts.accepted += 1;
    else counts.refused += 1;
    // The in-process node mines a reverted transaction too (with its error): read the clock back.
    this.model.now = result.ok ? at : await this.driver.latestTime();
    await this.check(action.kind === "setMemberActive" || action.kind === "setFormTolerance");
  }

  private perform(action: Exclude<Action, { kind: "travel" }>, at: bigint): Promise<CallResult> {
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
        return d.setFormTolerance(action.actor, action.form, action.toleranceBps);
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

/** The network the fixture deploys, described for the model. */
async function describeNetwork(network: AttestationNetwork, driver: ContractDriver): Promise<NetworkSpec> {
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
  for (const form of FORMS) forms[form.id] = { toleranceBps: form.toleranceBps, mintableAtOrigin: MINTABLE_AT_ORIGIN.has(form.id) };
  const yields = YIELDS.map((bounds) => ({ from: formByKey(bounds.from).id, to: formByKey(bounds.to).id, minBps: bounds.minBps, maxBps: bounds.maxBps }));
  // The mass-balance bound multiplies certified mass by the largest yield; the catalogue has none above 1.
  if (yields.some((bounds) => bounds.maxBps > 10_000)) throw new Error("a yield above 1: massBalanceCreditBounded needs its factor");
  const accreditedUntil = { certifier: Object.fromEntries(Object.values(SCHEMES).map((scheme) => [scheme, network.accreditedUntil])) };
  const schemes = {
    [SCHEMES.massBalance]: "massBalance",
    [SCHEMES.segregated]: "segregated",
    [SCHEMES.identityPreserved]: "identityPreserved",
  } as const;
  return { actors, members, forms, yields, schemes, accreditedUntil };
}

function memberIdsOf(network: AttestationNetwork): Record<string, bigint> {
  const { members } = network;
  return {
    governor: members.governor,
    governor2: members.governor2,
    cooperative: members.cooperative,
    processor: members.processor,
    brand: members.brand,
    certifier: members.certifier,
    otherCertifier: members.otherCertifier,
    relayer: members.relayer,
  };
}

/** A fresh network (a snapshot restored after the first call) with its model. */
export async function startHarness(options: HarnessOptions = { rules: INTENDED_RULES }): Promise<Harness> {
  const network = await loadFixture(attestationFixture);
  const signers = Object.fromEntries(ACTOR_NAMES.map((name) => [name, network[ACTORS[name]]]));
  const driver = new ContractDriver(network, signers);
  const spec = await describeNetwork(network, driver);
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
