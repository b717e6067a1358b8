/**
 * The catalogue of commodity forms the network registers at deployment, with handover weight
 * tolerances and transform yield bounds. Figures are typical first-mile values: governors can
 * register more forms and change bounds on chain.
 */
export const Commodity = { cocoa: 1, rubber: 2 } as const;
export type CommodityName = keyof typeof Commodity;

export interface FormSpec {
  id: number;
  key: string;
  commodity: CommodityName;
  name: string;
  /** Largest accepted handover loss (received below sent), basis points of sent. */
  lossBps: number;
  /** Largest accepted handover gain (received above sent), basis points of sent; a gain is recorded
   * but never raises the lot's quantity. */
  gainBps: number;
  /** Whether a cooperative may mint it at origin (a farmer's delivery); other forms only come out of a transform. */
  mintable: boolean;
}

/** The most the contracts accept for a loss or gain allowance (LotRegistry.MAX_TOLERANCE_BPS). */
export const MAX_TOLERANCE_BPS = 1_000;

export interface YieldSpec {
  from: string;
  to: string;
  /** Output grams per input gram, basis points. */
  minBps: number;
  maxBps: number;
}

// Loss allowances follow what a form really loses between two scales: wet beans drain and ferment
// (3-8 % within hours), cup lump dries in storage (5-15 % over a week), latex is weighed wet; dry
// and processed forms lose little. A gain beyond scale error is what fraud looks like (soaked lump,
// watered latex, stones), so every form allows only 0.5 %. docs/forms.md gives each figure's reason.
export const FORMS: readonly FormSpec[] = [
  { id: 1, key: "cocoa-wet-beans", commodity: "cocoa", name: "cocoa wet beans", lossBps: 500, gainBps: 50, mintable: true },
  { id: 2, key: "cocoa-dry-beans", commodity: "cocoa", name: "cocoa dry beans", lossBps: 100, gainBps: 50, mintable: true },
  { id: 3, key: "cocoa-nibs", commodity: "cocoa", name: "cocoa nibs", lossBps: 50, gainBps: 50, mintable: false },
  { id: 4, key: "cocoa-liquor", commodity: "cocoa", name: "cocoa liquor", lossBps: 50, gainBps: 50, mintable: false },
  { id: 5, key: "cocoa-butter", commodity: "cocoa", name: "cocoa butter", lossBps: 50, gainBps: 50, mintable: false },
  { id: 6, key: "cocoa-powder", commodity: "cocoa", name: "cocoa powder", lossBps: 50, gainBps: 50, mintable: false },
  { id: 7, key: "chocolate", commodity: "cocoa", name: "chocolate", lossBps: 50, gainBps: 50, mintable: false },
  { id: 20, key: "rubber-field-latex", commodity: "rubber", name: "rubber field latex", lossBps: 300, gainBps: 50, mintable: true },
  { id: 21, key: "rubber-cup-lump", commodity: "rubber", name: "rubber cup lump", lossBps: 1000, gainBps: 50, mintable: true },
  { id: 22, key: "rubber-unsmoked-sheet", commodity: "rubber", name: "unsmoked sheet", lossBps: 200, gainBps: 50, mintable: true },
  { id: 23, key: "rubber-rss", commodity: "rubber", name: "ribbed smoked sheet", lossBps: 100, gainBps: 50, mintable: true },
  { id: 24, key: "rubber-tsr20", commodity: "rubber", name: "TSR 20 block", lossBps: 50, gainBps: 50, mintable: false },
  { id: 25, key: "rubber-concentrated-latex", commodity: "rubber", name: "concentrated latex", lossBps: 100, gainBps: 50, mintable: false },
];

export const YIELDS: readonly YieldSpec[] = [
  // Fermentation and sun drying: wet beans lose most of their pulp and water.
  { from: "cocoa-wet-beans", to: "cocoa-dry-beans", minBps: 3_000, maxBps: 4_500 },
  { from: "cocoa-dry-beans", to: "cocoa-nibs", minBps: 7_500, maxBps: 8_800 },
  { from: "cocoa-nibs", to: "cocoa-liquor", minBps: 9_500, maxBps: 10_000 },
  // Pressing liquor gives butter and cake (powder), together close to the liquor's weight.
  { from: "cocoa-liquor", to: "cocoa-butter", minBps: 3_800, maxBps: 5_600 },
  { from: "cocoa-liquor", to: "cocoa-powder", minBps: 4_200, maxBps: 6_000 },
  { from: "cocoa-liquor", to: "chocolate", minBps: 1_000, maxBps: 10_000 },
  // Dry rubber content (DRC) drives the rubber yields.
  { from: "rubber-cup-lump", to: "rubber-tsr20", minBps: 4_500, maxBps: 7_000 },
  { from: "rubber-field-latex", to: "rubber-unsmoked-sheet", minBps: 2_500, maxBps: 4_000 },
  { from: "rubber-field-latex", to: "rubber-concentrated-latex", minBps: 5_000, maxBps: 6_500 },
  { from: "rubber-unsmoked-sheet", to: "rubber-rss", minBps: 9_000, maxBps: 10_000 },
];

export function formByKey(key: string): FormSpec {
  const form = FORMS.find((candidate) => candidate.key === key);
  if (!form) throw new Error(`unknown form key ${key}`);
  return form;
}

/** The catalogue's form ids by name, for code that writes lots of a known form. */
export const FormId = {
  wetBeans: formByKey("cocoa-wet-beans").id,
  dryBeans: formByKey("cocoa-dry-beans").id,
  nibs: formByKey("cocoa-nibs").id,
  liquor: formByKey("cocoa-liquor").id,
  butter: formByKey("cocoa-butter").id,
  powder: formByKey("cocoa-powder").id,
  chocolate: formByKey("chocolate").id,
  fieldLatex: formByKey("rubber-field-latex").id,
  cupLump: formByKey("rubber-cup-lump").id,
  unsmokedSheet: formByKey("rubber-unsmoked-sheet").id,
  rss: formByKey("rubber-rss").id,
  tsr20: formByKey("rubber-tsr20").id,
  concentratedLatex: formByKey("rubber-concentrated-latex").id,
} as const;

export function formById(id: number): FormSpec | undefined {
  return FORMS.find((candidate) => candidate.id === id);
}
