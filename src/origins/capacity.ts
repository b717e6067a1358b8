import { FORMS, formById } from "../lots/forms";

/**
 * What a hectare can give in a year at most, per form a cooperative mints (kg per ha per year),
 * and the capacity rule built on it: a plot's deliveries in a calendar year may not exceed its
 * area times these yields. The figures are generous upper bounds (the best-managed farms, not the
 * average), so an honest farmer is never refused; docs/plots.md gives each source and reasoning.
 */
export type MaxYields = Readonly<Record<number, number>>;

/** Dry rubber a hectare of high-yield clones gives at most in a year (kg). */
const DRY_RUBBER_KG = 3_000;

export const DEFAULT_MAX_YIELDS_KG_PER_HA: MaxYields = {
  // Cocoa dry beans: 3 t/ha, the top of intensively managed clonal plots (averages: 0.4-0.8 t).
  2: 3_000,
  // Wet beans: dry beans are at least 30 % of the wet weight (the registered wet -> dry yield's
  // lower bound), so 3 t dry is at most 10 t wet.
  1: 10_000,
  // Rubber, from dry rubber content (DRC) at its lowest plausible value for each form:
  // field latex 25 % DRC, cup lump 45 %, unsmoked sheet 88 %, ribbed smoked sheet 97 %.
  20: Math.round(DRY_RUBBER_KG / 0.25),
  21: Math.round(DRY_RUBBER_KG / 0.45),
  22: Math.round(DRY_RUBBER_KG / 0.88),
  23: Math.round(DRY_RUBBER_KG / 0.97),
};

/**
 * Parses `FIRSTMILE_PLOT_MAX_YIELDS`: `form=kg` pairs separated by commas, the form by id or key
 * (`cocoa-dry-beans=2500,21=6000`). Forms not named keep their default.
 */
export function parseMaxYields(text: string, base: MaxYields = DEFAULT_MAX_YIELDS_KG_PER_HA): Record<number, number> {
  const yields: Record<number, number> = { ...base };
  for (const pair of text.split(",").map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z0-9-]+)\s*=\s*(\d+(?:\.\d+)?)$/i.exec(pair);
    if (!match) throw new Error(`${JSON.stringify(pair)}: expected form=kg per ha per year, e.g. cocoa-dry-beans=3000`);
    const form = /^\d+$/.test(match[1]!) ? formById(Number(match[1])) : FORMS.find((candidate) => candidate.key === match[1]!.toLowerCase());
    if (!form) throw new Error(`${JSON.stringify(match[1])}: not a form id or key (${FORMS.filter((f) => f.mintable).map((f) => `${f.id} ${f.key}`).join(", ")})`);
    if (!form.mintable) throw new Error(`${form.key}: not minted at origin, so no plot delivers it`);
    const kg = Number(match[2]);
    if (!(kg > 0 && kg <= 1_000_000)) throw new Error(`${form.key}: between 0 and 1,000,000 kg per ha per year`);
    yields[form.id] = kg;
  }
  return yields;
}

/** A plot's yearly capacity for one form, in grams (rounded down). */
export function capacityGrams(areaM2: number, form: number, yields: MaxYields): bigint | null {
  const kgPerHa = yields[form];
  if (kgPerHa === undefined) return null;
  return BigInt(Math.floor((areaM2 / 10_000) * kgPerHa * 1_000));
}

/** A plot's capacity per form (kg per year) for reading it back. */
export function capacityTable(areaM2: number, yields: MaxYields): Record<string, number> {
  const table: Record<string, number> = {};
  for (const [form, kgPerHa] of Object.entries(yields)) {
    const spec = formById(Number(form));
    if (spec) table[spec.key] = Math.floor((areaM2 / 10_000) * kgPerHa);
  }
  return table;
}

export type CapacityUse = {
  /** The capacity for the form asked about, grams. */
  capacityGrams: bigint;
  /** Deliveries so far this year, in grams of that form: other forms converted by their yields. */
  deliveredGrams: bigint;
};

/**
 * How much of a plot's yearly capacity its deliveries use, in the terms of one form. Deliveries of
 * several forms (wet and dry beans from one plot) each use their share of their own form's
 * capacity; the shares add up, and are stated as grams of `form`.
 */
export function capacityUse(areaM2: number, form: number, delivered: ReadonlyMap<number, bigint>, yields: MaxYields): CapacityUse | null {
  const capacity = capacityGrams(areaM2, form, yields);
  if (capacity === null) return null;
  let share = 0;
  let exact = 0n;
  for (const [deliveredForm, grams] of delivered) {
    if (deliveredForm === form) {
      exact += grams;
      continue;
    }
    const other = capacityGrams(areaM2, deliveredForm, yields);
    if (other !== null && other > 0n) share += Number(grams) / Number(other);
  }
  return { capacityGrams: capacity, deliveredGrams: exact + BigInt(Math.ceil(share * Number(capacity))) };
}
