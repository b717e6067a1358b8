import type { Queryable } from "../../db";

/** A delivery (a minted lot) as payments need it: who minted it, its grams and quality, when. */
export type DeliveryView = { lotId: string; creatorMember: string; grams: string; quality: number; form: number; createdAt: string | null };

/** The minted lots among `lotIds` (others, and unknown ids, are left out). */
export async function getDeliveries(q: Queryable, lotIds: readonly bigint[]): Promise<DeliveryView[]> {
  if (lotIds.length === 0) return [];
  const { rows } = await q.query<{ lot_id: string; creator_member: string; grams: string; quality: number; form: number; created_at: Date | null }>(
    `select lot_id::text, creator_member::text, grams::text, quality, form, created_at from lots where lot_id = any($1::int8[]) and genesis = 'minted' order by lot_id`,
    [lotIds.map(String)],
  );
  return rows.map((row) => ({ lotId: row.lot_id, creatorMember: row.creator_member, grams: row.grams, quality: Number(row.quality), form: Number(row.form), createdAt: row.created_at?.toISOString() ?? null }));
}

export type PremiumCommitmentView = {
  commitmentId: string;
  lotId: string;
  memberId: string;
  scheme: string;
  currency: string;
  ratePerKg: string;
  grams: string;
  txHash: string;
  committedAt: string | null;
};

/** The premium commitments made on any of `lotIds`, oldest first. */
export async function getPremiumCommitments(q: Queryable, lotIds: readonly string[]): Promise<PremiumCommitmentView[]> {
  if (lotIds.length === 0) return [];
  const { rows } = await q.query<Record<string, string | Date | null>>(
    `select commitment_id::text, lot_id::text, member_id::text, scheme, currency, rate_per_kg::text, grams::text, tx_hash, committed_at
       from premium_commitments where lot_id = any($1::int8[]) order by commitment_id`,
    [lotIds],
  );
  return rows.map((row) => ({
    commitmentId: String(row.commitment_id),
    lotId: String(row.lot_id),
    memberId: String(row.member_id),
    scheme: String(row.scheme),
    currency: String(row.currency),
    ratePerKg: String(row.rate_per_kg),
    grams: String(row.grams),
    txHash: String(row.tx_hash),
    committedAt: row.committed_at instanceof Date ? row.committed_at.toISOString() : null,
  }));
}

export type PayoutRunView = { root: string; memberId: string; count: number; totals: { currency: string; total: string }[]; txHash: string; publishedAt: string | null };

/** The payout runs published on chain among `roots` (null: all of `memberId`'s, or all). */
export async function getPayoutRuns(q: Queryable, filter: { roots?: readonly string[]; memberId?: bigint }): Promise<PayoutRunView[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.roots) {
    params.push(filter.roots.map((root) => root.toLowerCase()));
    conditions.push(`root = any($${params.length}::text[])`);
  }
  if (filter.memberId !== undefined) {
    params.push(filter.memberId.toString());
    conditions.push(`member_id = $${params.length}`);
  }
  const { rows } = await q.query<{ root: string; member_id: string; count: number; totals: string; tx_hash: string; published_at: Date | null }>(
    `select root, member_id::text, count, totals, tx_hash, published_at from payout_runs ${conditions.length > 0 ? `where ${conditions.join(" and ")}` : ""} order by position`,
    params,
  );
  return rows.map((row) => ({
    root: row.root,
    memberId: row.member_id,
    count: Number(row.count),
    totals: JSON.parse(row.totals) as { currency: string; total: string }[],
    txHash: row.tx_hash,
    publishedAt: row.published_at?.toISOString() ?? null,
  }));
}
