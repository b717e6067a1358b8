import type { Queryable } from "../db";

/**
 * Who may read a farmer's record: the cooperative that registered it ("owner"), and a certifier
 * the farmer named in an audit consent that is not withdrawn ("auditor"). Anyone else gets null,
 * and is told the farmer does not exist (404), so a record's existence does not leak.
 */
export type FarmerAccess = "owner" | "auditor";

/** SQL: consent `alias` is not withdrawn. The one definition of an active consent. */
export const ACTIVE_CONSENT = (alias: string) => `not exists (select 1 from farmer_consent_withdrawals w where w.consent_id = ${alias}.id)`;

/** SQL: the farmer `farmerId` (an expression) named the member `memberId` (an expression) in an active audit consent. */
export const AUDIT_CONSENT = (farmerId: string, memberId: string) =>
  `exists (select 1 from farmer_consents ac where ac.farmer_id = ${farmerId} and ac.scope = 'audit' and ac.certifier_member_id = ${memberId} and ${ACTIVE_CONSENT("ac")})`;

export async function farmerAccess(db: Queryable, farmerId: string, memberId: bigint): Promise<FarmerAccess | null> {
  const { rows } = await db.query<{ owner: boolean; auditor: boolean }>(
    `select f.member_id = $2 as owner, ${AUDIT_CONSENT("f.id", "$2")} as auditor from farmers f where f.id = $1`,
    [farmerId, memberId.toString()],
  );
  const row = rows[0];
  if (!row) return null;
  return row.owner ? "owner" : row.auditor ? "auditor" : null;
}
