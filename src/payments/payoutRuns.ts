import type { RecordSealer } from "../chain/keystore";
import type { Database, Queryable } from "../db";
import { farmersWithConsent } from "../farmers/consents";
import { openField, sealField } from "../farmers/fieldCipher";
import { PaymentInRunError, PaymentInputError, PaymentNotFoundError } from "./errors";
import { listPayments } from "./paymentStore";
import { LEAF_ENCODING, buildPayoutTree, newSalt, type LeafGender, type LeafValue, type PayoutLeaf } from "./payoutTree";

/** What an auditor receives for one run: checkable against the root on chain with `firstmile verify`. */
export type PayoutRunExport = {
  format: "firstmile.payout-run.v1";
  root: string;
  encoding: readonly string[];
  count: number;
  totals: { currency: string; total: string }[];
  leaves: { value: LeafValue; proof: string[] }[];
};

export type PreparedPayoutRun = { root: string; count: number; totals: { currency: string; total: string }[]; created: boolean };

const LEAVES = "leaves";

/**
 * Builds a payout run from payments of the cooperative not yet in a run: one leaf per payment
 * (the farmer's pseudonym, the delivery lots, the currency, what was paid and its premium part, the
 * time paid, the farmer's gender for the share of women paid, a fresh salt), the tree, and the run
 * recorded with the payments marked as in it, in one transaction. The same idempotency key again
 * answers the run it made.
 *
 * @throws {PaymentNotFoundError} a payment id that is not the cooperative's.
 * @throws {PaymentInRunError} a payment already in a run.
 * @throws {PaymentInputError} `no_payments_consent`: a farmer's payments consent was withdrawn.
 */
export async function preparePayoutRun(
  db: Database,
  sealer: RecordSealer,
  { memberId, paymentIds, idempotencyKey }: { memberId: bigint; paymentIds: readonly string[]; idempotencyKey: string },
): Promise<PreparedPayoutRun> {
  const known = await db.query<{ root: string; count: number; totals: string }>("select root, count, totals from payout_run_records where member_id = $1 and idempotency_key = $2", [
    memberId.toString(),
    idempotencyKey,
  ]);
  if (known.rows[0]) return { root: known.rows[0].root, count: Number(known.rows[0].count), totals: JSON.parse(known.rows[0].totals), created: false };
  const ids = [...new Set(paymentIds)];
  const payments = await listPayments(db, sealer, { memberId, ids, limit: ids.length });
  const found = new Set(payments.map((p) => p.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw new PaymentNotFoundError(`no payment ${missing.slice(0, 10).join(", ")} of your cooperative`, { details: JSON.stringify({ paymentIds: missing }) });
  const published = payments.filter((p) => p.payoutRoot !== null);
  if (published.length > 0) {
    throw new PaymentInRunError(`payment ${published.map((p) => p.id).slice(0, 10).join(", ")} is already in payout run ${published[0]!.payoutRoot}`, {
      paymentIds: published.map((p) => p.id),
    });
  }
  const farmerIds = [...new Set(payments.map((p) => p.farmerId))];
  const consenting = await farmersWithConsent(db, farmerIds, "payments");
  const withdrawn = farmerIds.filter((id) => !consenting.has(id));
  if (withdrawn.length > 0) {
    throw new PaymentInputError("no_payments_consent", `farmer ${withdrawn.slice(0, 10).join(", ")} no longer consents to payment records: leave their payments out of the run`, { farmerIds: withdrawn });
  }
  const farmers = await farmerLeafFields(db, sealer, farmerIds);
  const leaves: PayoutLeaf[] = payments.map((payment) => ({
    pseudonym: farmers.get(payment.farmerId)!.pseudonym,
    deliveryLotIds: payment.deliveryLotIds,
    currency: payment.currency,
    amount: payment.details.net,
    premium: payment.details.premiumTotal,
    paidAt: Math.floor(payment.paidAt.getTime() / 1000),
    gender: farmers.get(payment.farmerId)!.gender,
    salt: newSalt(),
  }));
  const tree = buildPayoutTree(leaves);
  const totals = tree.totals.map((t) => ({ currency: t.currency, total: t.total.toString() }));
  await db.transaction(async (tx) => {
    await tx.query("insert into payout_run_records (root, member_id, idempotency_key, count, totals, leaves_enc) values ($1, $2, $3, $4, $5, $6)", [
      tree.root,
      memberId.toString(),
      idempotencyKey,
      tree.count,
      JSON.stringify(totals),
      sealField(sealer, tree.root, LEAVES, JSON.stringify(tree.leaves)),
    ]);
    const { rowCount } = await tx.query("update payments set payout_root = $1 where id = any($2::text[]) and member_id = $3 and payout_root is null", [tree.root, ids, memberId.toString()]);
    // Another run took one of them meanwhile: roll back, nothing written.
    if (rowCount !== ids.length) throw new PaymentInRunError("a payment of this run was put in another run meanwhile; nothing was written");
  });
  return { root: tree.root, count: tree.count, totals, created: true };
}

/** Pseudonym and gender of each farmer (gender opened from its sealed field). */
async function farmerLeafFields(db: Queryable, sealer: RecordSealer, farmerIds: readonly string[]): Promise<Map<string, { pseudonym: string; gender: LeafGender }>> {
  const { rows } = await db.query<{ id: string; pseudonym: string; gender_enc: Buffer | null }>("select id, pseudonym, gender_enc from farmers where id = any($1::text[])", [farmerIds]);
  return new Map(rows.map((row) => [row.id, { pseudonym: row.pseudonym, gender: ((openField(sealer, row.id, "gender", row.gender_enc) as string | null) ?? "unknown") as LeafGender }]));
}

/** A run's leaves with their proofs, for its cooperative. @throws {PaymentNotFoundError} not its run. */
export async function exportPayoutRun(db: Queryable, sealer: RecordSealer, root: string, memberId: bigint): Promise<PayoutRunExport> {
  const { rows } = await db.query<{ root: string; count: number; totals: string; leaves_enc: Buffer }>(
    "select root, count, totals, leaves_enc from payout_run_records where root = $1 and member_id = $2",
    [root.toLowerCase(), memberId.toString()],
  );
  const row = rows[0];
  if (!row) throw new PaymentNotFoundError(`no payout run ${root} of your cooperative`);
  return {
    format: "firstmile.payout-run.v1",
    root: row.root,
    encoding: LEAF_ENCODING,
    count: Number(row.count),
    totals: JSON.parse(row.totals),
    leaves: JSON.parse(openField(sealer, row.root, LEAVES, row.leaves_enc) as string),
  };
}

/** The leaves of every run among `roots` (any member's): the gateway's own figures read them. */
export async function leavesOfRuns(db: Queryable, sealer: RecordSealer, roots: readonly string[]): Promise<{ root: string; leaves: { value: LeafValue; proof: string[] }[] }[]> {
  if (roots.length === 0) return [];
  const { rows } = await db.query<{ root: string; leaves_enc: Buffer }>("select root, leaves_enc from payout_run_records where root = any($1::text[])", [roots]);
  return rows.map((row) => ({ root: row.root, leaves: JSON.parse(openField(sealer, row.root, LEAVES, row.leaves_enc) as string) }));
}

/** Runs this gateway recorded for `memberId`, newest first. */
export async function listPayoutRunRecords(db: Queryable, memberId: bigint): Promise<{ root: string; count: number; totals: { currency: string; total: string }[]; createdAt: string }[]> {
  const { rows } = await db.query<{ root: string; count: number; totals: string; created_at: Date }>(
    "select root, count, totals, created_at from payout_run_records where member_id = $1 order by created_at desc, root",
    [memberId.toString()],
  );
  return rows.map((row) => ({ root: row.root, count: Number(row.count), totals: JSON.parse(row.totals), createdAt: row.created_at.toISOString() }));
}

/** Re-seals every run's leaves (key rotation). */
export async function resealPayoutRuns(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> {
  const { rows } = await tx.query<{ root: string; leaves_enc: Buffer }>("select root, leaves_enc from payout_run_records order by root for update");
  for (const row of rows) {
    const json = openField(from, row.root, LEAVES, row.leaves_enc) as string;
    await tx.query("update payout_run_records set leaves_enc = $2 where root = $1", [row.root, sealField(to, row.root, LEAVES, json)]);
  }
  return rows.length;
}

/** Re-seals every declared other income (key rotation). */
export async function resealOtherIncome(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> {
  const { rows } = await tx.query<{ farmer_id: string; year: number; currency: string; amount_enc: Buffer }>("select farmer_id, year, currency, amount_enc from farmer_other_income order by farmer_id, year, currency for update");
  for (const row of rows) {
    const field = `other-income:${row.year}:${row.currency}`;
    const value = openField(from, row.farmer_id, field, row.amount_enc) as string;
    await tx.query("update farmer_other_income set amount_enc = $4 where farmer_id = $1 and year = $2 and currency = $3", [row.farmer_id, row.year, row.currency, sealField(to, row.farmer_id, field, value)]);
  }
  return rows.length;
}
