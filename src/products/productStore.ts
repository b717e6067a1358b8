import type { Queryable } from "../db";
import { BaseError } from "../errors";
import { BATCH_PATTERN, checkGtin } from "./gtin";

export class ProductRegistrationError extends BaseError {
  override name = "ProductRegistrationError";
}

/** The GTIN and batch already name another lot. */
export class ProductTakenError extends ProductRegistrationError {
  override name = "ProductTakenError";
}

export type Product = { gtin: string; batch: string; lotId: bigint; memberId: bigint; name: string };

export type RegisterProductParameters = { gtin: string; batch: string; lotId: bigint; memberId: bigint; name?: string | undefined };

/**
 * Names a lot as a trade item and batch, so a Digital Link `/01/{gtin}/10/{batch}` resolves to it.
 * The same GTIN and batch cannot later point at another lot.
 */
export async function registerProduct(db: Queryable, parameters: RegisterProductParameters): Promise<Product> {
  const gtin = checkGtin(parameters.gtin);
  if (!gtin.ok) throw new ProductRegistrationError(`GTIN ${parameters.gtin}: ${gtin.reason}`);
  if (!BATCH_PATTERN.test(parameters.batch)) throw new ProductRegistrationError(`batch ${JSON.stringify(parameters.batch)}: 1 to 20 characters of the GS1 set (letters, digits, some punctuation)`);
  const name = (parameters.name ?? "").trim();
  if (name.length > 120) throw new ProductRegistrationError("name: at most 120 characters");
  await db.query(
    `insert into products (gtin, batch, lot_id, member_id, name) values ($1, $2, $3, $4, $5) on conflict (gtin, batch) do nothing`,
    [gtin.gtin14, parameters.batch, parameters.lotId, parameters.memberId, name],
  );
  const product = await findProduct(db, gtin.gtin14, parameters.batch);
  if (!product || product.lotId !== parameters.lotId) throw new ProductTakenError(`GTIN ${gtin.gtin14} batch ${parameters.batch} already names lot ${product?.lotId}`);
  return product;
}

/** The lot a GTIN (any length, check digit already valid) and batch name, or null. */
export async function findProduct(db: Queryable, gtin: string, batch: string): Promise<Product | null> {
  const { rows } = await db.query<ProductRow>("select gtin, batch, lot_id, member_id, name from products where gtin = $1 and batch = $2", [gtin.padStart(14, "0"), batch]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** The trade items a lot was named as (a lot may carry several GTINs). */
export async function productsOfLot(db: Queryable, lotId: bigint): Promise<Product[]> {
  const { rows } = await db.query<ProductRow>("select gtin, batch, lot_id, member_id, name from products where lot_id = $1 order by gtin, batch", [lotId]);
  return rows.map(fromRow);
}

/** The trade items several lots were named as, the earliest named first. */
export async function productsOfLots(db: Queryable, lotIds: readonly bigint[]): Promise<Product[]> {
  const { rows } = await db.query<ProductRow>(
    "select gtin, batch, lot_id, member_id, name from products where lot_id = any($1::bigint[]) order by created_at, gtin, batch",
    [lotIds.map(String)],
  );
  return rows.map(fromRow);
}

type ProductRow = { gtin: string; batch: string; lot_id: string | bigint; member_id: string | bigint; name: string };
const fromRow = (row: ProductRow): Product => ({ gtin: row.gtin, batch: row.batch, lotId: BigInt(row.lot_id), memberId: BigInt(row.member_id), name: row.name });
