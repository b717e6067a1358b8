import type { Queryable } from "../../db";

/** An EU due diligence statement's reference a member recorded against a lot (the public part: no verification number). */
export type DdsReferenceView = { lotId: string; memberId: string; referenceNumber: string };

/** The statements filed against any of `lotIds`, in the order they were recorded. */
export async function getDdsReferences(q: Queryable, lotIds: readonly string[]): Promise<DdsReferenceView[]> {
  const { rows } = await q.query<{ lot_id: string; member_id: string; reference_number: string }>(
    "select lot_id, member_id, reference_number from dds_references where lot_id = any($1::bigint[]) order by position",
    [lotIds],
  );
  return rows.map((row) => ({ lotId: String(row.lot_id), memberId: String(row.member_id), referenceNumber: row.reference_number }));
}

/** Per scheme, how many of `deliveryIds` carry a claim from their origin plot (state `origin`). */
export type OriginClaimCount = { scheme: number; name: string | null; model: number | null; deliveries: string };

export async function getOriginClaimCounts(q: Queryable, deliveryIds: readonly string[]): Promise<OriginClaimCount[]> {
  const { rows } = await q.query<OriginClaimCount>(
    `select c.scheme, s.name, s.model, count(*) as deliveries from lot_claims c left join schemes s on s.scheme = c.scheme
      where c.state = 'origin' and c.lot_id = any($1::bigint[]) group by c.scheme, s.name, s.model order by c.scheme`,
    [deliveryIds],
  );
  return rows;
}
