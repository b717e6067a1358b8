import type { Queryable } from "../db";
import { fitsReadModelId, getLots } from "../indexer/queries";
import { productsOfLots } from "../products";

/** What a sack label says about its lot (from the read model and the product names). */
export type LabelLot = {
  lotId: string;
  formName: string;
  grams: string;
  /** The first trade item the lot was named as, if any (its Digital Link goes in the QR code). */
  product: { gtin: string; batch: string; name: string } | null;
};

export type ReadLabelLotsReturnType = { lots: LabelLot[]; unknown: string[] };

/** The lots in the order asked, and the ids the read model does not know. */
export async function readLabelLots(db: Queryable, requested: readonly string[]): Promise<ReadLabelLotsReturnType> {
  // A number too large for the read model names no lot (and must not reach the products query either).
  const lotIds = requested.map(BigInt).filter(fitsReadModelId);
  const byId = new Map((await getLots(db, lotIds)).map((lot) => [lot.lotId, lot]));
  const products = await productsOfLots(db, lotIds);
  const lots: LabelLot[] = [];
  const unknown: string[] = [];
  for (const lotId of requested) {
    const lot = byId.get(lotId);
    if (!lot) {
      unknown.push(lotId);
      continue;
    }
    const product = products.find((p) => p.lotId.toString() === lotId);
    lots.push({
      lotId,
      formName: lot.form.name ?? `form ${lot.form.id}`,
      grams: lot.grams,
      product: product ? { gtin: product.gtin, batch: product.batch, name: product.name } : null,
    });
  }
  return { lots, unknown };
}
