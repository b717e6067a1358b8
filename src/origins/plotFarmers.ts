import type { Queryable } from "../db";

/** What a plot needs to know of a farmer: who, and whether the cooperative still keeps the record. */
export type PlotFarmer = { id: string; code: string; archived: boolean };

/**
 * The farmers of one cooperative among the given ids or card codes. A farmer of another
 * cooperative is absent, as if it did not exist: a plot belongs to a farmer of the cooperative
 * that registers it, and nobody learns whether another cooperative knows a code.
 */
export async function farmersOfMember(db: Queryable, memberId: bigint, lookup: { ids?: readonly string[]; codes?: readonly string[] }): Promise<Map<string, PlotFarmer>> {
  const ids = [...new Set(lookup.ids ?? [])];
  const codes = [...new Set(lookup.codes ?? [])];
  const found = new Map<string, PlotFarmer>();
  if (ids.length === 0 && codes.length === 0) return found;
  // Each value looked up by the column's unique index: with `= any(...)` a planner without
  // statistics (a table just filled by an import) scans the cooperative's farmers instead.
  const select = (column: "id" | "code", values: string[]) =>
    db.query<{ id: string; code: string; archived: boolean }>(
      `select f.id, f.code, f.archived_at is not null as archived
         from unnest($2::text[]) as v(value) join farmers f on f.${column} = v.value
        where f.member_id = $1`,
      [memberId, values],
    );
  const rows = [...(ids.length > 0 ? (await select("id", ids)).rows : []), ...(codes.length > 0 ? (await select("code", codes)).rows : [])];
  for (const row of rows) {
    const farmer = { id: row.id, code: row.code, archived: row.archived };
    found.set(row.id, farmer);
    found.set(row.code, farmer);
  }
  return found;
}

/** Whether `cid` is private evidence this cooperative stored (a land title, say). */
export async function isMemberPrivateEvidence(db: Queryable, memberId: bigint, cid: string): Promise<boolean> {
  const { rows } = await db.query("select 1 from private_evidence where cid = $1 and member_id = $2", [cid, memberId]);
  return rows.length > 0;
}
