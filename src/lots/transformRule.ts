/**
 * The form catalogue's transform rule, off chain: the twin of `FormCatalogue.checkTransform`
 * (contracts/lots/FormCatalogue.sol), so a model, a test or a client can say what the chain will
 * accept and why, with the contract's own error names and arguments. Pure.
 *
 * - Inputs are grouped by form. A group's basis is its grams, or, for a dry-weight form, its dry
 *   grams (grams x quality / 10 000; the quality must be measured, at most 10 000).
 * - Per output form: the outputs of that form, summed, lie within the sum over input groups of
 *   basis x that pair's [min, max] bounds, both ends raised by the ingredients declared for the
 *   form. Every group needs bounds to every output form.
 * - Joint products: when any group has bounds to all outputs together (output form 0), all outputs
 *   together lie within the same sum, raised by all ingredients; every group then needs them.
 * - All outputs together weigh at most the inputs' grams plus the ingredients'.
 */

export type RuleInput = { form: number; grams: bigint; quality: number };
export type RuleOutput = { form: number; grams: bigint };
export type RuleIngredient = { outputForm: number; grams: bigint };
export type RuleBounds = { minBps: number; maxBps: number };

export type TransformRuleParameters = {
  inputs: readonly RuleInput[];
  outputs: readonly RuleOutput[];
  ingredients?: readonly RuleIngredient[];
  /** The bounds of input form -> output form (0: all outputs together), undefined if none. */
  bounds: (inputForm: number, outputForm: number) => RuleBounds | undefined;
  /** Whether the form's inputs count on dry weight. */
  dryBasis: (form: number) => boolean;
};

/** What the chain refuses, named and argued as `FormCatalogue` reverts. */
export type TransformRefusal =
  | { error: "FormCatalogueUnknownForm"; args: [form: number] }
  | { error: "FormCatalogueQualityRequired"; args: [index: number, form: number, quality: number] }
  | { error: "FormCatalogueInvalidIngredient"; args: [index: number, outputForm: number, grams: bigint] }
  | { error: "FormCatalogueNoYieldBounds"; args: [inputForm: number, outputForm: number] }
  | { error: "FormCatalogueYieldOutOfBounds"; args: [outputForm: number, outputGrams: bigint, minGrams: bigint, maxGrams: bigint] }
  | { error: "FormCatalogueMassCreated"; args: [inputGrams: bigint, ingredientGrams: bigint, outputGrams: bigint] };

export type TransformRuleReturnType =
  | { ok: true; allowed: ReadonlyMap<number, { minGrams: bigint; maxGrams: bigint }>; tracedGrams: bigint[] | null }
  | { ok: false; refusal: TransformRefusal };

/** The output form id that stands for all outputs of a transform together. */
export const ALL_OUTPUTS_FORM = 0;

const BPS = 10_000n;
const SCALE = BPS * BPS;

/**
 * Checks a transform as the form catalogue does, in the same order (so the first refusal is the
 * contract's), and gives the grams allowed per output form (0: all outputs) and, with ingredients,
 * what each output carries of the inputs.
 */
export function checkTransformRule(parameters: TransformRuleParameters): TransformRuleReturnType {
  const { inputs, outputs, bounds, dryBasis } = parameters;
  const ingredients = parameters.ingredients ?? [];
  const refuse = (refusal: TransformRefusal): TransformRuleReturnType => ({ ok: false, refusal });

  const groups = new Map<number, bigint>();
  let inputGrams = 0n;
  for (const [index, input] of inputs.entries()) {
    let basis: bigint;
    if (dryBasis(input.form)) {
      if (input.quality === 0 || input.quality > 10_000) return refuse({ error: "FormCatalogueQualityRequired", args: [index, input.form, input.quality] });
      basis = input.grams * BigInt(input.quality);
    } else {
      basis = input.grams * BPS;
    }
    inputGrams += input.grams;
    groups.set(input.form, (groups.get(input.form) ?? 0n) + basis);
  }

  let ingredientGrams = 0n;
  for (const [index, ingredient] of ingredients.entries()) {
    const produced = outputs.some((output) => output.form === ingredient.outputForm);
    if (ingredient.grams === 0n || !produced) return refuse({ error: "FormCatalogueInvalidIngredient", args: [index, ingredient.outputForm, ingredient.grams] });
    ingredientGrams += ingredient.grams;
  }

  const allowed = new Map<number, { minGrams: bigint; maxGrams: bigint }>();
  const check = (form: number, grams: bigint, raised: bigint): TransformRefusal | null => {
    let minScaled = 0n;
    let maxScaled = 0n;
    for (const [groupForm, basis] of groups) {
      const pair = bounds(groupForm, form);
      if (!pair || pair.maxBps === 0) return { error: "FormCatalogueNoYieldBounds", args: [groupForm, form] };
      minScaled += basis * BigInt(pair.minBps);
      maxScaled += basis * BigInt(pair.maxBps);
    }
    const minGrams = (minScaled + SCALE - 1n) / SCALE + raised;
    const maxGrams = maxScaled / SCALE + raised;
    allowed.set(form, { minGrams, maxGrams });
    return grams < minGrams || grams > maxGrams ? { error: "FormCatalogueYieldOutOfBounds", args: [form, grams, minGrams, maxGrams] } : null;
  };

  const perForm = new Map<number, bigint>();
  for (const output of outputs) perForm.set(output.form, (perForm.get(output.form) ?? 0n) + output.grams);
  const ingredientsOf = (form: number) => ingredients.filter((item) => item.outputForm === form).reduce((sum, item) => sum + item.grams, 0n);
  for (const [form, grams] of perForm) {
    if (form === ALL_OUTPUTS_FORM) return refuse({ error: "FormCatalogueUnknownForm", args: [form] });
    const refusal = check(form, grams, ingredientsOf(form));
    if (refusal) return refuse(refusal);
  }
  const outputGrams = outputs.reduce((sum, output) => sum + output.grams, 0n);
  const joint = [...groups.keys()].some((form) => (bounds(form, ALL_OUTPUTS_FORM)?.maxBps ?? 0) !== 0);
  if (joint) {
    const refusal = check(ALL_OUTPUTS_FORM, outputGrams, ingredientGrams);
    if (refusal) return refuse(refusal);
  }
  if (outputGrams > inputGrams + ingredientGrams) return refuse({ error: "FormCatalogueMassCreated", args: [inputGrams, ingredientGrams, outputGrams] });

  return { ok: true, allowed, tracedGrams: ingredients.length === 0 ? null : tracedShares(outputs, ingredients) };
}

/**
 * What each output of a transform carries of its inputs: its grams less its pro-rata share of the
 * ingredients declared for its form, rounded down, as the lot registry tells the lot observer
 * (credit follows only this share).
 */
export function tracedShares(outputs: readonly RuleOutput[], ingredients: readonly RuleIngredient[]): bigint[] {
  const formGrams = new Map<number, bigint>();
  for (const output of outputs) formGrams.set(output.form, (formGrams.get(output.form) ?? 0n) + output.grams);
  const added = new Map<number, bigint>();
  for (const item of ingredients) added.set(item.outputForm, (added.get(item.outputForm) ?? 0n) + item.grams);
  return outputs.map((output) => {
    const total = formGrams.get(output.form)!;
    const extra = added.get(output.form) ?? 0n;
    return extra === 0n ? output.grams : (output.grams * (total - extra)) / total;
  });
}
