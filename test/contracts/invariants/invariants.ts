import type { ChainLot } from "./driver";
import type { Model, Tolerance } from "./model";

/**
 * The invariants checked after every step, each a pure function of the reference model and a
 * snapshot of chain state. Each returns the violations it finds, worded for the report.
 */

/** What the harness reads from the chain after a step. */
export interface ChainSnapshot {
  lots: Map<bigint, ChainLot>;
  /** claims.get(lotId).get(scheme): `carriesClaim` now. */
  claims: Map<bigint, Map<number, boolean>>;
  /** credits.get(`${member}/${scheme}/${form}`). */
  credits: Map<string, bigint>;
  /** Effective roles per actor, and tolerances per form (read after governance steps only). */
  roles?: Map<string, number>;
  tolerances?: Map<number, Tolerance>;
}

export type Invariant = (model: Model, chain: ChainSnapshot) => string[];

/** Every lot's custodian, grams, form, status and pending receiver are those the rules give it. */
export const lotsMatchModel: Invariant = (model, chain) => {
  const violations: string[] = [];
  for (const lot of model.lots.values()) {
    const actual = chain.lots.get(lot.id);
    if (!actual || actual.status === "none") {
      violations.push(`lot ${lot.id} is missing on chain`);
      continue;
    }
    const expected = {
      custodian: model.network.actors[lot.custodian].address,
      grams: lot.grams,
      form: lot.form,
      status: lot.status,
      pendingReceiver: lot.receiver ? model.network.actors[lot.receiver].address : "0x0000000000000000000000000000000000000000",
    };
    for (const field of Object.keys(expected) as (keyof typeof expected)[]) {
      if (String(actual[field]).toLowerCase() !== String(expected[field]).toLowerCase()) {
        violations.push(`lot ${lot.id}: ${field} is ${actual[field]} on chain, the rules give ${expected[field]}`);
      }
    }
  }
  return violations;
};

/** No lot is heavier than it was when minted or derived: a handover never adds mass. */
export const noLotGrowsThroughHandover: Invariant = (model, chain) =>
  [...model.lots.values()].flatMap((lot) => {
    const grams = chain.lots.get(lot.id)?.grams ?? 0n;
    return grams > lot.createdGrams
      ? [`lot ${lot.id} weighs ${grams} g on chain, more than the ${lot.createdGrams} g it was created with`]
      : [];
  });

/**
 * No derivation made more of a form than its inputs could yield: a transform's outputs (as created)
 * meet the form catalogue's rule for its inputs as consumed, read from the chain (per input-form
 * group and output form, joint products, no mass created); a split's and a merge's outputs sum per
 * form to at most their inputs.
 */
export const derivationsWithinYield: Invariant = (model, chain) => {
  const violations: string[] = [];
  for (const derivation of model.derivations) {
    const inputs = derivation.inputIds.map((lotId) => chain.lots.get(lotId)!);
    const inputGrams = inputs.reduce((sum, lot) => sum + lot.grams, 0n);
    const outputs = derivation.outputIds.map((outputId) => {
      const created = model.lots.get(outputId)!;
      return { form: created.form, grams: created.createdGrams };
    });
    if (derivation.kind === "transform") {
      const rule = model.transformRule(inputs, outputs);
      if (!rule.ok) violations.push(`transform of [${derivation.inputIds.join(", ")}] breaks the catalogue's rule: ${rule.refusal.error}(${rule.refusal.args.join(", ")})`);
      continue;
    }
    const perForm = new Map<number, bigint>();
    for (const output of outputs) perForm.set(output.form, (perForm.get(output.form) ?? 0n) + output.grams);
    for (const [form, grams] of perForm) {
      const maxBps = 10_000n;
      if (grams * 10_000n > inputGrams * maxBps) {
        violations.push(
          `${derivation.kind} of [${derivation.inputIds.join(", ")}] made ${grams} g of form ${form} from ${inputGrams} g (max ${maxBps} bps)`,
        );
      }
    }
  }
  return violations;
};

/**
 * Total mass-balance claim (every member's credit plus the grams of live lots carrying the claim),
 * with the credit withdrawn on revocations, never exceeds the certified input mass times the
 * largest yield (1: no registered yield gains mass, see the harness). A withdrawal takes claim out
 * of circulation for good, so it stays counted: claim cannot be re-created once withdrawn.
 */
export const massBalanceCreditBounded: Invariant = (model, chain) => {
  const violations: string[] = [];
  for (const [schemeKey, custody] of Object.entries(model.network.schemes)) {
    if (custody !== "massBalance") continue;
    const scheme = Number(schemeKey);
    let credit = 0n;
    for (const [key, grams] of chain.credits) if (key.split("/")[1] === schemeKey) credit += grams;
    let carried = 0n;
    for (const [lotId, claims] of chain.claims) {
      const lot = chain.lots.get(lotId);
      if (claims.get(scheme) && lot && lot.status !== "consumed") carried += lot.grams;
    }
    const certified = model.certifiedMass(scheme);
    const withdrawn = model.withdrawnCredit(scheme);
    if (credit + carried + withdrawn > certified) {
      violations.push(
        `scheme ${scheme}: ${credit} g of credit, ${carried} g of claimed lots and ${withdrawn} g withdrawn exceed the ${certified} g certified`,
      );
    }
  }
  return violations;
};

/** Each member's mass-balance credit is the one the rules give. */
export const creditsMatchModel: Invariant = (model, chain) => {
  const violations: string[] = [];
  for (const [key, grams] of chain.credits) {
    const [member, scheme, form] = key.split("/");
    const expected = model.credit(member, Number(scheme), Number(form));
    if (grams !== expected) violations.push(`credit of ${member}, scheme ${scheme}, form ${form}: ${grams} g on chain, the rules give ${expected} g`);
  }
  return violations;
};

/**
 * A lot carries a claim exactly when it has a valid source: no lot carries a claim whose every
 * source is revoked or expired, and no valid attestation is hidden by a newer, dead one.
 */
export const claimsFollowTheirSources: Invariant = (model, chain) => {
  const violations: string[] = [];
  for (const [lotId, claims] of chain.claims) {
    for (const [scheme, carries] of claims) {
      const expected = model.carries(lotId, scheme);
      if (carries && !expected) violations.push(`lot ${lotId} carries scheme ${scheme}'s claim, but no source of it is valid`);
      if (!carries && expected) violations.push(`lot ${lotId} does not carry scheme ${scheme}'s claim, though a source of it is valid`);
    }
  }
  return violations;
};

/** Every lot's history head equals the off-chain fold (src/lots/historyHead.ts) of its events. */
export const headsMatchFold: Invariant = (model, chain) =>
  [...model.lots.values()].flatMap((lot) => {
    const onChain = chain.lots.get(lot.id)?.head ?? "";
    const folded = model.headOf(lot.id);
    return onChain.toLowerCase() === folded.toLowerCase() ? [] : [`lot ${lot.id}: head ${onChain} on chain, the fold of its events gives ${folded}`];
  });

/** Roles and tolerances changed only through accepted calls: one governor's, or an executed proposal's. */
export const governanceMatchesModel: Invariant = (model, chain) => {
  const violations: string[] = [];
  for (const [actor, roles] of chain.roles ?? []) {
    if (roles !== model.effectiveRoles(actor)) violations.push(`${actor} may act as roles ${roles}, the rules give ${model.effectiveRoles(actor)}`);
  }
  for (const [form, actual] of chain.tolerances ?? []) {
    const expected = model.tolerances.get(form)!;
    if (actual.lossBps !== expected.lossBps || actual.gainBps !== expected.gainBps) {
      violations.push(`form ${form} allows ${actual.lossBps} bps loss, ${actual.gainBps} bps gain; the rules give ${expected.lossBps}, ${expected.gainBps}`);
    }
  }
  return violations;
};

export const INVARIANTS: Readonly<Record<string, Invariant>> = {
  lotsMatchModel,
  noLotGrowsThroughHandover,
  derivationsWithinYield,
  massBalanceCreditBounded,
  creditsMatchModel,
  claimsFollowTheirSources,
  headsMatchFold,
  governanceMatchesModel,
};

/** Every violation of every invariant, prefixed with the invariant's name. */
export function violationsOf(model: Model, chain: ChainSnapshot): string[] {
  return Object.entries(INVARIANTS).flatMap(([name, invariant]) => invariant(model, chain).map((text) => `${name}: ${text}`));
}
