import type { Queryable } from "../../db";

/**
 * What a due diligence statement is made from, read from the gateway's SQL: the lot, the deliveries
 * it was made of (walking `lot_edges` back to the mints), each delivery's origin and whether it
 * carries the EUDR claim, and the statements already filed upstream. A lot against which a
 * statement was recorded (`dds_references`) covers everything before it: the walk stops there and
 * the downstream statement refers to it instead of repeating its plots.
 */
export type DdsLot = { lotId: string; form: number; grams: bigint; custodianMember: string; status: string };

export type DdsDelivery = {
  lotId: string;
  /** The plot commitment the delivery was minted with (null: none). */
  origin: string | null;
  grams: bigint;
  mintedAt: Date | null;
  /** Minted with the claim (`OriginClaimed`) and the plot still holds a valid attestation. */
  claimed: boolean;
};

export type UpstreamStatement = { lotId: string; memberId: string; referenceNumber: string; verificationNumber: string };

export type DdsAncestry = { lot: DdsLot; deliveries: DdsDelivery[]; upstream: UpstreamStatement[] };

export async function readDdsAncestry(q: Queryable, lotId: bigint, scheme: number, now: number): Promise<DdsAncestry | null> {
  const lotRows = await q.query<{ lot_id: string; form: number; grams: string; custodian_member: string; status: string }>(
    "select lot_id, form, grams, custodian_member, status from lots where lot_id = $1",
    [lotId.toString()],
  );
  const row = lotRows.rows[0];
  if (!row) return null;
  const lot: DdsLot = { lotId: String(row.lot_id), form: Number(row.form), grams: BigInt(row.grams), custodianMember: String(row.custodian_member), status: row.status };
  const { rows } = await q.query<{ lot_id: string; genesis: string; origin: string | null; grams: string; created_at: Date | null; covered: boolean; state: string | null; valid_uid: string | null }>(
    `with recursive ancestry(lot_id) as (
       select $1::bigint
       union
       select e.parent_id from lot_edges e join ancestry a on e.child_id = a.lot_id
        where a.lot_id = $1::bigint or not exists (select 1 from dds_references r where r.lot_id = a.lot_id)
     )
     select l.lot_id, l.genesis, l.origin, l.grams, l.created_at,
            (l.lot_id <> $1::bigint and exists (select 1 from dds_references r where r.lot_id = l.lot_id)) as covered,
            c.state,
            (select p.uid from attestations p
              where p.subject_kind = 2 and p.subject = l.origin and p.scheme = $2 and not p.revoked
                and (p.expires_at is null or p.expires_at > $3)
              order by p.position desc limit 1) as valid_uid
       from ancestry a join lots l on l.lot_id = a.lot_id
       left join lot_claims c on c.lot_id = l.lot_id and c.scheme = $2
      order by l.lot_id`,
    [lotId.toString(), scheme, now],
  );
  const covered = rows.filter((r) => r.covered).map((r) => String(r.lot_id));
  const deliveries = rows
    .filter((r) => !r.covered && r.genesis === "minted")
    .map((r) => ({
      lotId: String(r.lot_id),
      origin: r.origin,
      grams: BigInt(r.grams),
      mintedAt: r.created_at,
      claimed: r.state === "origin" && r.valid_uid !== null,
    }));
  const upstream = covered.length === 0 ? [] : (
    await q.query<{ lot_id: string; member_id: string; reference_number: string; verification_number: string }>(
      "select lot_id, member_id, reference_number, verification_number from dds_references where lot_id = any($1::bigint[]) order by position",
      [covered],
    )
  ).rows.map((r) => ({ lotId: String(r.lot_id), memberId: String(r.member_id), referenceNumber: r.reference_number, verificationNumber: r.verification_number }));
  return { lot, deliveries, upstream };
}

/** The statements recorded against the lot itself (shown on its page). */
export async function lotStatements(q: Queryable, lotId: bigint): Promise<UpstreamStatement[]> {
  const { rows } = await q.query<{ lot_id: string; member_id: string; reference_number: string; verification_number: string }>(
    "select lot_id, member_id, reference_number, verification_number from dds_references where lot_id = $1 order by position",
    [lotId.toString()],
  );
  return rows.map((r) => ({ lotId: String(r.lot_id), memberId: String(r.member_id), referenceNumber: r.reference_number, verificationNumber: r.verification_number }));
}
