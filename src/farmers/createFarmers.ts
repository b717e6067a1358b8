import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { generateFarmerCode } from "./farmerCode";
import { SEALED_COLUMNS } from "./farmerStore";
import { sealField, type FieldValue } from "./fieldCipher";
import { newRecordId } from "./ids";
import { farmerPseudonym, memberSecret } from "./pseudonym";
import type { FarmerCreate } from "./schemas";

/** What a bulk registration answers per farmer: its id and card code. */
export type CreatedFarmer = { id: string; code: string };

const FIELDS = Object.keys(SEALED_COLUMNS) as Array<keyof typeof SEALED_COLUMNS>;
const COLUMNS = Object.values(SEALED_COLUMNS);

/**
 * `createFarmer` for many farmers of one cooperative in one statement (an import): the same id,
 * pseudonym, card code and sealed fields, with the cooperative's secret read once. Codes given must
 * be free (the caller checks them against `farmers` first); a generated code meeting a printed one
 * fails the statement (about 1 in 34 billion per farmer), and the caller may run it again.
 */
export async function createFarmers(db: Queryable, sealer: RecordSealer, memberId: bigint, farmers: readonly FarmerCreate[]): Promise<CreatedFarmer[]> {
  if (farmers.length === 0) return [];
  const secret = await memberSecret(db, sealer, memberId);
  const rows = farmers.map((farmer) => {
    const id = newRecordId("f");
    const row: Record<string, string | null> = {
      id,
      code: farmer.code ?? generateFarmerCode(),
      pseudonym: farmerPseudonym(secret, id),
      language: farmer.language,
    };
    FIELDS.forEach((field, i) => {
      const sealed = sealField(sealer, id, field, farmer[field] as FieldValue | undefined);
      row[COLUMNS[i]!] = sealed === null ? null : sealed.toString("hex");
    });
    return row;
  });
  await db.query(
    `insert into farmers (id, member_id, pseudonym, code, language, ${COLUMNS.join(", ")})
     select r.id, $1, r.pseudonym, r.code, r.language, ${COLUMNS.map((column) => `decode(r.${column}, 'hex')`).join(", ")}
       from jsonb_to_recordset($2::jsonb) as r(id text, pseudonym text, code text, language text, ${COLUMNS.map((column) => `${column} text`).join(", ")})`,
    [memberId.toString(), JSON.stringify(rows)],
  );
  return rows.map((row) => ({ id: row.id!, code: row.code! }));
}
