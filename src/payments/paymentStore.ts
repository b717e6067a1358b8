import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { hasConsent } from "../farmers/consents";
import { requireOwner } from "../farmers/farmerStore";
import { openField, sealField } from "../farmers/fieldCipher";
import { newRecordId } from "../farmers/ids";
import { getDeliveries } from "../indexer/queries";
import { PaymentInputError, PaymentNotFoundError } from "./errors";
import type { PaymentCreate, PaymentMethod, PremiumComponent, PriceBasis } from "./schemas";
import type { CurrencyCode } from "./currency";

/** A payment as its cooperative reads it: every field opened, amounts in minor units. */
export type Payment = {
  id: string;
  memberId: bigint;
  farmerId: string;
  deliveryLotIds: bigint[];
  currency: CurrencyCode;
  paidAt: Date;
  details: PaymentDetails;
  payoutRoot: string | null;
  createdAt: Date;
};

/** The sealed part of a payment, with the figures the gateway derived from it. */
export type PaymentDetails = {
  grossGrams: bigint;
  quality: { drcBps?: number | undefined; moistureBps?: number | undefined; beanCount?: number | undefined };
  /** The grams the price applies to: weighed (wet), dry (by DRC or moisture) or dry rubber (DRC). */
  payableGrams: bigint;
  price: { perKg: bigint; basis: PriceBasis };
  /** `price.perKg x payableGrams / 1000`, rounded half up. */
  base: bigint;
  deductions: { reason: string; amount: bigint }[];
  premiums: { component: PremiumComponent; amount: bigint; scheme?: string | undefined }[];
  premiumTotal: bigint;
  deductionTotal: bigint;
  /** What the farmer received: base - deductions + premiums. */
  net: bigint;
  method: PaymentMethod;
  evidenceCid: string | null;
};

const DETAILS = "details";

/** The grams a price basis pays for. */
export function payableGrams(grossGrams: bigint, basis: PriceBasis, quality: PaymentDetails["quality"]): bigint {
  if (basis === "wet") return grossGrams;
  if (quality.drcBps !== undefined) return (grossGrams * BigInt(quality.drcBps)) / 10_000n;
  return (grossGrams * BigInt(10_000 - (quality.moistureBps ?? 0))) / 10_000n;
}

/** The derived figures of a payment request; refuses deductions that exceed what was earned. */
export function paymentDetails(payment: PaymentCreate): PaymentDetails {
  const payable = payableGrams(payment.grossGrams, payment.price.basis, payment.quality);
  const base = (payment.price.perKg * payable * 2n + 1000n) / 2000n;
  const deductionTotal = payment.deductions.reduce((sum, d) => sum + d.amount, 0n);
  const premiumTotal = payment.premiums.reduce((sum, p) => sum + p.amount, 0n);
  const net = base - deductionTotal + premiumTotal;
  if (net < 0n) {
    throw new PaymentInputError("negative_amount", `the deductions (${deductionTotal}) exceed the price and premiums (${base + premiumTotal}): a payment is never negative`, {
      base: base.toString(),
      premiumTotal: premiumTotal.toString(),
      deductionTotal: deductionTotal.toString(),
    });
  }
  return {
    grossGrams: payment.grossGrams,
    quality: payment.quality,
    payableGrams: payable,
    price: payment.price,
    base,
    deductions: payment.deductions,
    premiums: payment.premiums,
    premiumTotal,
    deductionTotal,
    net,
    method: payment.method,
    evidenceCid: payment.evidenceCid ?? null,
  };
}

export type CreatePaymentParameters = { memberId: bigint; payment: PaymentCreate; recordedByToken?: number | null };

/**
 * Records a payment to a farmer of the cooperative for deliveries it minted. Checks everything
 * before it writes, so a refused payment writes nothing.
 *
 * @throws {FarmerNotFoundError} no farmer of this cooperative (another cooperative's is the same answer).
 * @throws {FarmerReadOnlyError} an auditing certifier.
 * @throws {PaymentInputError} `no_payments_consent` (none, or withdrawn), `not_your_delivery`,
 *   `unknown_evidence`, `negative_amount`.
 */
export async function createPayment(db: Queryable, sealer: RecordSealer, { memberId, payment, recordedByToken = null }: CreatePaymentParameters): Promise<Payment> {
  await requireOwner(db, payment.farmerId, memberId);
  if (!(await hasConsent(db, payment.farmerId, "payments"))) {
    throw new PaymentInputError("no_payments_consent", `farmer ${payment.farmerId} has no payments consent (never given, or withdrawn): record the consent first`);
  }
  const lotIds = [...new Set(payment.deliveryLotIds.map(String))].map((id) => BigInt(id));
  const deliveries = await getDeliveries(db, lotIds);
  const own = new Set(deliveries.filter((d) => d.creatorMember === memberId.toString()).map((d) => d.lotId));
  const refused = lotIds.filter((id) => !own.has(id.toString())).map(String);
  if (refused.length > 0) {
    throw new PaymentInputError("not_your_delivery", `lot ${refused.join(", ")} is not a delivery your cooperative minted (or is not indexed yet): a payment pays for your own deliveries`, {
      lotIds: refused,
    });
  }
  if (payment.evidenceCid !== undefined) {
    const { rows } = await db.query<{ farmer_id: string | null }>("select farmer_id from private_evidence where cid = $1 and member_id = $2", [payment.evidenceCid, memberId.toString()]);
    if (rows.length === 0 || (rows[0]!.farmer_id !== null && rows[0]!.farmer_id !== payment.farmerId)) {
      throw new PaymentInputError("unknown_evidence", `evidenceCid ${payment.evidenceCid} is not a private document of your cooperative for this farmer: upload the receipt with POST /v1/private-evidence first`);
    }
  }
  const details = paymentDetails(payment);
  const id = newRecordId("pm");
  const { rows } = await db.query<{ created_at: Date }>(
    `insert into payments (id, member_id, farmer_id, delivery_lot_ids, currency, paid_at, details_enc, recorded_by_token)
     values ($1, $2, $3, $4::int8[], $5, $6, $7, $8) returning created_at`,
    [id, memberId.toString(), payment.farmerId, lotIds.map(String), payment.currency, payment.paidAt, sealDetails(sealer, id, details), recordedByToken],
  );
  return { id, memberId, farmerId: payment.farmerId, deliveryLotIds: lotIds, currency: payment.currency, paidAt: new Date(payment.paidAt), details, payoutRoot: null, createdAt: rows[0]!.created_at };
}

function sealDetails(sealer: RecordSealer, id: string, details: PaymentDetails): Buffer {
  return sealField(sealer, id, DETAILS, JSON.stringify(details, (_key, value) => (typeof value === "bigint" ? `${value}n` : value)))!;
}

function openDetails(sealer: RecordSealer, id: string, blob: Buffer): PaymentDetails {
  const json = openField(sealer, id, DETAILS, blob) as string;
  return JSON.parse(json, (_key, value) => (typeof value === "string" && /^-?\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value)) as PaymentDetails;
}

type PaymentRow = {
  id: string;
  member_id: string;
  farmer_id: string;
  delivery_lot_ids: string[];
  currency: CurrencyCode;
  paid_at: Date;
  details_enc: Buffer;
  payout_root: string | null;
  created_at: Date;
};

const SELECT = "select id, member_id::text, farmer_id, delivery_lot_ids::text[] as delivery_lot_ids, currency, paid_at, details_enc, payout_root, created_at from payments";

function paymentOf(sealer: RecordSealer, row: PaymentRow): Payment {
  return {
    id: row.id,
    memberId: BigInt(row.member_id),
    farmerId: row.farmer_id,
    deliveryLotIds: row.delivery_lot_ids.map((id) => BigInt(id)),
    currency: row.currency,
    paidAt: row.paid_at,
    details: openDetails(sealer, row.id, row.details_enc),
    payoutRoot: row.payout_root,
    createdAt: row.created_at,
  };
}

/** A payment of this cooperative. @throws {PaymentNotFoundError} none (another cooperative's is the same answer). */
export async function readPayment(db: Queryable, sealer: RecordSealer, id: string, memberId: bigint): Promise<Payment> {
  const { rows } = await db.query<PaymentRow>(`${SELECT} where id = $1 and member_id = $2`, [id, memberId.toString()]);
  if (rows.length === 0) throw new PaymentNotFoundError(`no payment ${id}`);
  return paymentOf(sealer, rows[0]!);
}

export type ListPaymentsParameters = { memberId: bigint; farmerId?: string | undefined; ids?: readonly string[] | undefined; from?: Date | undefined; to?: Date | undefined; limit?: number };

/** The cooperative's payments, by time paid (at most `limit`, default 500). */
export async function listPayments(db: Queryable, sealer: RecordSealer, parameters: ListPaymentsParameters): Promise<Payment[]> {
  const params: unknown[] = [parameters.memberId.toString()];
  const conditions = ["member_id = $1"];
  const add = (sql: (at: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (parameters.farmerId !== undefined) add((at) => `farmer_id = ${at}`, parameters.farmerId);
  if (parameters.ids !== undefined) add((at) => `id = any(${at}::text[])`, parameters.ids);
  if (parameters.from !== undefined) add((at) => `paid_at >= ${at}`, parameters.from);
  if (parameters.to !== undefined) add((at) => `paid_at < ${at}`, parameters.to);
  params.push(parameters.limit ?? 500);
  const { rows } = await db.query<PaymentRow>(`${SELECT} where ${conditions.join(" and ")} order by paid_at, id limit $${params.length}`, params);
  return rows.map((row) => paymentOf(sealer, row));
}

/** Re-seals every payment's details and every run's leaves (key rotation); returns how many records. */
export async function resealPayments(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> {
  const { rows } = await tx.query<{ id: string; details_enc: Buffer }>("select id, details_enc from payments order by id for update");
  for (const row of rows) {
    await tx.query("update payments set details_enc = $2 where id = $1", [row.id, sealDetails(to, row.id, openDetails(from, row.id, row.details_enc))]);
  }
  return rows.length;
}
