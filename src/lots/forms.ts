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
  /** Largest accepted sent/received weight difference, basis points of sent. */
  toleranceBps: number;
}

export interface YieldSpec {
  from: string;
  to: string;
  /** Output grams per input gram, basis points. */
  minBps: number;
  maxBps: number;
}

export const FORMS: readonly FormSpec[] = [
  { id: 1, key: "cocoa-wet-beans", commodity: "cocoa", name: "cocoa wet beans", toleranceBps: 300 },
  { id: 2, key: "cocoa-dry-beans", commodity: "cocoa", name: "cocoa dry beans", toleranceBps: 100 },
  { id: 3, key: "cocoa-nibs", commodity: "cocoa", name: "cocoa nibs", toleranceBps: 50 },
  { id: 4, key: "cocoa-liquor", commodity: "cocoa", name: "cocoa liquor", toleranceBps: 50 },
  { id: 5, key: "cocoa-butter", commodity: "cocoa", name: "cocoa butter", toleranceBps: 50 },
  { id: 6, key: "cocoa-powder", commodity: "cocoa", name: "cocoa powder", toleranceBps: 50 },
  { id: 7, key: "chocolate", commodity: "cocoa", name: "chocolate", toleranceBps: 50 },
  { id: 20, key: "rubber-field-latex", commodity: "rubber", name: "rubber field latex", toleranceBps: 200 },
  { id: 21, key: "rubber-cup-lump", commodity: "rubber", name: "rubber cup lump", toleranceBps: 500 },
  { id: 22, key: "rubber-unsmoked-sheet", commodity: "rubber", name: "unsmoked sheet", toleranceBps: 200 },
  { id: 23, key: "rubber-rss", commodity: "rubber", name: "ribbed smoked sheet", toleranceBps: 100 },
  { id: 24, key: "rubber-tsr20", commodity: "rubber", name: "TSR 20 block", toleranceBps: 50 },
  { id: 25, key: "rubber-concentrated-latex", commodity: "rubber", name: "concentrated latex", toleranceBps: 100 },
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
