/**
 * The catalogue of commodity forms the network registers at deployment: what each form is (HS
 * code, EU Deforestation Regulation scope, whether a cooperative may mint it at origin, national
 * grade names), its handover allowances, whether its yields count on dry weight, and the transform
 * yield bounds between forms. docs/forms.md gives the reasoning behind every figure, so a certifier
 * can check it. Governors can register more forms and change figures on chain (through governance);
 * the contracts hold only what they enforce, names and HS codes live here.
 */
export const Commodity = { cocoa: 1, rubber: 2 } as const;
export type CommodityName = keyof typeof Commodity;

/** What a lot's `quality` (basis points of its weight) measures for a form. */
export type QualityMeasure = "moisture" | "drc";

export interface FormSpec {
  id: number;
  key: string;
  commodity: CommodityName;
  /** English name (the pages translate it through the form key). */
  name: string;
  /** Harmonized System heading or subheading. */
  hsCode: string;
  /** Within Annex I of Regulation (EU) 2023/1115 (deforestation-free products). */
  eudr: boolean;
  /** Largest accepted handover loss (received below sent), basis points of sent. */
  lossBps: number;
  /** Largest accepted handover gain (received above sent), basis points of sent; a gain is recorded
   * but never raises the lot's quantity. */
  gainBps: number;
  /** Whether a cooperative may mint it at origin (a farmer's delivery); other forms only come out of a transform. */
  mintable: boolean;
  /** Whether a transform counts its inputs of this form on dry weight (grams x DRC): the quality must be measured. */
  dryBasis: boolean;
  /** What `quality` measures: moisture for cocoa, dry rubber content for rubber. */
  quality: QualityMeasure;
  /**
   * Technically specified (block) rubber: the grade's ISO name and its name in the national
   * standards that define the same grade, by producing country (ISO 3166-1 alpha-2): Thailand STR,
   * Indonesia SIR, Malaysia SMR, Vietnam SVR. Labels only; the pages show them (src/web/i18n).
   */
  grade?: { iso: string; national: Readonly<Record<string, string>> };
}

/** The most the contracts accept for a loss or gain allowance (LotRegistry.MAX_TOLERANCE_BPS). */
export const MAX_TOLERANCE_BPS = 1_000;

/** The output "form" that stands for all outputs of a transform together (FormCatalogue.ALL_OUTPUTS). */
export const ALL_OUTPUTS = "all-outputs";

export interface YieldSpec {
  from: string;
  /** A form key, or {@link ALL_OUTPUTS} for a bound on all outputs together (joint products). */
  to: string;
  /** Output grams per input gram (per dry gram when the input form counts on dry weight), basis points. */
  minBps: number;
  maxBps: number;
}

const cocoa = (id: number, key: string, name: string, hsCode: string, lossBps: number, mintable: boolean): FormSpec => ({
  id, key, commodity: "cocoa", name, hsCode, eudr: true, lossBps, gainBps: 50, mintable, dryBasis: false, quality: "moisture",
});
const rubber = (
  id: number,
  key: string,
  name: string,
  hsCode: string,
  lossBps: number,
  mintable: boolean,
  dryBasis: boolean,
  grade?: FormSpec["grade"],
): FormSpec => ({
  id, key, commodity: "rubber", name, hsCode, eudr: true, lossBps, gainBps: 50, mintable, dryBasis, quality: "drc", ...(grade ? { grade } : {}),
});

/**
 * A technically specified grade: its ISO name and the national grades that are the same grade.
 * Only grades a standard defines are listed: constant-viscosity CV60 is an SMR and an SVR grade
 * (Thailand's and Indonesia's standards name their CV grades otherwise), 5L a Thai one.
 */
const tsr = (iso: string, national: Record<string, string>) => ({ iso, national });

// Loss allowances follow what a form really loses between two scales (docs/forms.md): wet beans
// drain (~5 %), cup lump and field scrap dry in storage (the 10 % maximum), latex and sheets a
// little, dry and processed forms almost nothing. A gain beyond scale error is what fraud looks like
// (soaked lump, watered latex, stones), so every form allows only 0.5 %. Ids of forms whose meaning
// did not change are kept (1-7, 20-25); new forms take new ids.
export const FORMS: readonly FormSpec[] = [
  cocoa(1, "cocoa-wet-beans", "cocoa wet beans", "1801.00", 500, true),
  cocoa(2, "cocoa-dry-beans", "cocoa beans, fermented and dried", "1801.00", 100, true),
  cocoa(3, "cocoa-nibs", "cocoa nibs", "1801.00", 50, false),
  cocoa(4, "cocoa-liquor", "cocoa liquor", "1803.10", 50, false),
  cocoa(5, "cocoa-butter", "cocoa butter", "1804.00", 50, false),
  cocoa(6, "cocoa-powder", "cocoa powder", "1805.00", 50, false),
  cocoa(7, "chocolate", "chocolate", "1806", 50, false),
  cocoa(8, "cocoa-dry-beans-asalan", "cocoa beans, unfermented (asalan)", "1801.00", 300, true),
  cocoa(9, "cocoa-shells", "cocoa shells", "1802.00", 100, false),
  cocoa(10, "cocoa-cake", "cocoa cake", "1803.20", 50, false),
  cocoa(11, "cocoa-reject-beans", "cocoa reject beans", "1801.00", 100, false),
  rubber(20, "rubber-field-latex", "rubber field latex", "4001.10", 300, true, true),
  rubber(21, "rubber-cup-lump", "rubber cup lump", "4001.29", 1_000, true, true),
  rubber(22, "rubber-unsmoked-sheet", "unsmoked sheet (USS)", "4001.29", 200, true, true),
  rubber(23, "rubber-rss", "ribbed smoked sheet (RSS)", "4001.21", 100, true, false),
  rubber(24, "rubber-tsr20", "TSR 20 block", "4001.22", 50, false, false, tsr("TSR 20", { TH: "STR 20", ID: "SIR 20", MY: "SMR 20", VN: "SVR 20" })),
  rubber(25, "rubber-concentrated-latex", "concentrated latex (60 % DRC)", "4001.10", 100, false, false),
  rubber(26, "rubber-skim-latex", "skim latex", "4001.10", 200, false, true),
  rubber(27, "rubber-skim-rubber", "skim rubber", "4001.29", 100, false, false),
  rubber(28, "rubber-field-scrap", "field scrap (tree lace, earth scrap)", "4001.29", 1_000, true, true),
  rubber(29, "rubber-rss-cuttings", "RSS cuttings", "4001.29", 100, false, false),
  rubber(30, "rubber-tsr10", "TSR 10 block", "4001.22", 50, false, false, tsr("TSR 10", { TH: "STR 10", ID: "SIR 10", MY: "SMR 10", VN: "SVR 10" })),
  rubber(31, "rubber-cv60", "TSR CV60 (latex grade, constant viscosity)", "4001.22", 50, false, false, tsr("TSR CV60", { MY: "SMR CV60", VN: "SVR CV60" })),
  rubber(32, "rubber-tsr-5l", "TSR 5L (latex grade, light colour)", "4001.22", 50, false, false, tsr("TSR 5L", { TH: "STR 5L" })),
  rubber(33, "rubber-compound", "compound rubber (masterbatch)", "4005", 50, false, false),
];

const bounds = (from: string, to: string, minBps: number, maxBps: number): YieldSpec => ({ from, to, minBps, maxBps });

// Each bound's reasoning is in docs/forms.md. Rubber inputs of variable DRC (latex, cup lump, scrap,
// USS, skim latex) count on dry weight: output / sum(input grams x DRC).
export const YIELDS: readonly YieldSpec[] = [
  // Fermentation and sun drying: wet beans lose pulp and water; above 43 % means bought dry beans mixed in.
  bounds("cocoa-wet-beans", "cocoa-dry-beans", 3_300, 4_300),
  bounds("cocoa-wet-beans", "cocoa-dry-beans-asalan", 3_300, 4_300),
  // Reconditioning and sorting dry beans (re-drying, removing flat, mouldy and broken beans).
  bounds("cocoa-dry-beans", "cocoa-dry-beans", 9_500, 10_000),
  bounds("cocoa-dry-beans", "cocoa-reject-beans", 0, 500),
  bounds("cocoa-dry-beans-asalan", "cocoa-dry-beans-asalan", 9_500, 10_000),
  bounds("cocoa-dry-beans-asalan", "cocoa-reject-beans", 0, 500),
  // Roasting and winnowing: shells 10-15 % of the bean, roasting loses 2-5 % water.
  bounds("cocoa-dry-beans", "cocoa-nibs", 7_700, 8_500),
  bounds("cocoa-dry-beans", "cocoa-shells", 1_000, 1_600),
  bounds("cocoa-dry-beans-asalan", "cocoa-nibs", 7_700, 8_500),
  bounds("cocoa-dry-beans-asalan", "cocoa-shells", 1_000, 1_600),
  bounds("cocoa-nibs", "cocoa-liquor", 9_500, 10_000),
  bounds("cocoa-nibs", "chocolate", 9_600, 10_000),
  bounds("cocoa-nibs", ALL_OUTPUTS, 9_500, 10_000),
  // Pressing: butter and cake come out of the liquor's weight together; the cake keeps 10-22 % fat.
  bounds("cocoa-liquor", "cocoa-butter", 3_500, 5_000),
  bounds("cocoa-liquor", "cocoa-cake", 4_800, 6_500),
  bounds("cocoa-liquor", ALL_OUTPUTS, 9_800, 10_000),
  bounds("cocoa-cake", "cocoa-powder", 9_700, 10_000),
  // Chocolate: the traced cocoa (liquor, butter) only; sugar, milk and lecithin are declared ingredients.
  bounds("cocoa-liquor", "chocolate", 9_800, 10_000),
  bounds("cocoa-butter", "chocolate", 9_800, 10_000),
  bounds("cocoa-butter", ALL_OUTPUTS, 9_800, 10_000),
  // Block rubber: output / dry rubber in, 95-101 % (dirt removed; the block keeps <= 0.8 % volatile matter).
  bounds("rubber-cup-lump", "rubber-tsr20", 9_500, 10_100),
  bounds("rubber-field-scrap", "rubber-tsr20", 9_500, 10_100),
  bounds("rubber-unsmoked-sheet", "rubber-tsr20", 9_500, 10_100),
  bounds("rubber-cup-lump", "rubber-tsr10", 9_500, 10_100),
  bounds("rubber-unsmoked-sheet", "rubber-tsr10", 9_500, 10_100),
  bounds("rubber-field-latex", "rubber-cv60", 9_500, 10_100),
  bounds("rubber-field-latex", "rubber-tsr-5l", 9_500, 10_100),
  // Sheets: a USS still holds 5-12 % water over its dry rubber; smoking dries it, trimming gives cuttings.
  bounds("rubber-field-latex", "rubber-unsmoked-sheet", 9_800, 11_500),
  bounds("rubber-unsmoked-sheet", "rubber-rss", 9_500, 10_100),
  bounds("rubber-unsmoked-sheet", "rubber-rss-cuttings", 0, 500),
  bounds("rubber-rss", "rubber-rss", 9_500, 10_000),
  bounds("rubber-rss", "rubber-rss-cuttings", 0, 500),
  // Centrifuging: 85-92 % of the rubber leaves as 60 % DRC concentrate, the rest in skim latex.
  bounds("rubber-field-latex", "rubber-concentrated-latex", 13_800, 15_500),
  bounds("rubber-field-latex", "rubber-skim-latex", 5_000, 30_000),
  bounds("rubber-skim-latex", "rubber-skim-rubber", 9_000, 11_500),
  // Compounding: the traced rubber only; carbon black, oil and chemicals are declared ingredients.
  bounds("rubber-tsr20", "rubber-compound", 9_800, 10_000),
  bounds("rubber-tsr10", "rubber-compound", 9_800, 10_000),
  bounds("rubber-cv60", "rubber-compound", 9_800, 10_000),
  bounds("rubber-tsr-5l", "rubber-compound", 9_800, 10_000),
  bounds("rubber-rss", "rubber-compound", 9_800, 10_000),
];

export function formByKey(key: string): FormSpec {
  const form = FORMS.find((candidate) => candidate.key === key);
  if (!form) throw new Error(`unknown form key ${key}`);
  return form;
}

/** A yield bound's output form id: 0 for {@link ALL_OUTPUTS}. */
export function yieldOutputId(to: string): number {
  return to === ALL_OUTPUTS ? 0 : formByKey(to).id;
}

/** The catalogue's form ids by name, for code that writes lots of a known form. */
export const FormId = {
  wetBeans: formByKey("cocoa-wet-beans").id,
  dryBeans: formByKey("cocoa-dry-beans").id,
  unfermentedBeans: formByKey("cocoa-dry-beans-asalan").id,
  rejectBeans: formByKey("cocoa-reject-beans").id,
  nibs: formByKey("cocoa-nibs").id,
  shells: formByKey("cocoa-shells").id,
  liquor: formByKey("cocoa-liquor").id,
  butter: formByKey("cocoa-butter").id,
  cake: formByKey("cocoa-cake").id,
  powder: formByKey("cocoa-powder").id,
  chocolate: formByKey("chocolate").id,
  fieldLatex: formByKey("rubber-field-latex").id,
  cupLump: formByKey("rubber-cup-lump").id,
  fieldScrap: formByKey("rubber-field-scrap").id,
  unsmokedSheet: formByKey("rubber-unsmoked-sheet").id,
  rss: formByKey("rubber-rss").id,
  rssCuttings: formByKey("rubber-rss-cuttings").id,
  tsr20: formByKey("rubber-tsr20").id,
  tsr10: formByKey("rubber-tsr10").id,
  tsrCv60: formByKey("rubber-cv60").id,
  tsr5l: formByKey("rubber-tsr-5l").id,
  concentratedLatex: formByKey("rubber-concentrated-latex").id,
  skimLatex: formByKey("rubber-skim-latex").id,
  skimRubber: formByKey("rubber-skim-rubber").id,
  compound: formByKey("rubber-compound").id,
} as const;

export function formById(id: number): FormSpec | undefined {
  return FORMS.find((candidate) => candidate.id === id);
}
