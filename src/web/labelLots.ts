import type { Queryable } from "../db";

/** What a sack label says about its lot (from the read model and the product names). */
export type LabelLot = {
  lotId: string;
  formName: string;
  grams: string;
  /** The first trade item the lot was named as, if any (its Digital Link goes in the QR code). */
  product: { gtin: string; batch: string; name: string } | null;
};

export type ReadLabelLotsReturnType = { lots: LabelLot[]; unknown: string[] };

/** Lot ids are stored as SQL `bigint`: a larger number names no lot (and must not reach the query). */
const MAX_LOT_ID = 2n ** 63n - 1n;

/** The lots in the order asked, and the ids the read model does not know. */
export async function readLabelLots(db: Queryable, requested: readonly string[]): Promise<ReadLabelLotsReturnType> {
  const lotIds = requested.filter((id) => BigInt(id) <= MAX_LOT_ID);
  const { rows } = await db.query<{ lot_id: string; form: number; form_name: string | null; grams: string }>(
    `select l.lot_id::text as lot_id, l.form, f.name as form_name, l.grams::text as grams
       from lots l left join forms f on f.form = l.form
      where l.lot_id = any($1::bigint[])`,
    [lotIds],
  );
  const { rows: products } = await db.query<{ lot_id: string; gtin: string; batch: string; name: string }>(
    "select lot_id::text as lot_id, gtin, batch, name from products where lot_id = any($1::bigint[]) order by created_at, gtin, batch",
    [lotIds],
  );
  const byId = new Map(rows.map((row) => [row.lot_id, row]));
  const lots: LabelLot[] = [];
  const unknown: string[] = [];
  for (const lotId of requested) {
    const row = byId.get(lotId);
    if (!row) {
      unknown.push(lotId);
      continue;
    }
    const product = products.find((p) => p.lot_id === lotId);
    lots.push({
      lotId,
      formName: row.form_name ?? `form ${row.form}`,
      grams: row.grams,
      product: product ? { gtin: product.gtin, batch: product.batch, name: product.name } : null,
    });
  }
  return { lots, unknown };
}
