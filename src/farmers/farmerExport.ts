import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { farmersWithConsent } from "./consents";
import { formatFarmerCode } from "./farmerCode";
import { listFarmers, type Farmer } from "./farmerStore";

/**
 * The list of a cooperative's producers it may hand on (to a buyer's due diligence, an EUDR
 * statement): only farmers whose traceability consent holds, by pseudonym and card code, and a
 * name only where the farmer's "eudr-statement-with-name" consent holds. Withdrawing either
 * consent changes the next export: the farmer leaves it, or the name column stays empty.
 * Nothing else personal (phone, national id, household) is ever exported.
 */
export type ExportedFarmer = {
  pseudonym: string;
  code: string;
  /** Null when the farmer has not consented (or withdrew consent) to be named. */
  name: string | null;
  village: string | null;
  language: string;
};

export const EXPORT_COLUMNS = ["pseudonym", "code", "name", "village", "language"] as const;

export async function exportFarmers(db: Queryable, sealer: RecordSealer, memberId: bigint): Promise<ExportedFarmer[]> {
  const exported: ExportedFarmer[] = [];
  let after: string | undefined;
  do {
    const page = await listFarmers(db, sealer, { memberId, status: "active", limit: 500, after });
    const ids = page.farmers.map((farmer) => farmer.id);
    const traced = await farmersWithConsent(db, ids, "traceability");
    const named = await farmersWithConsent(db, ids, "eudr-statement-with-name");
    for (const farmer of page.farmers) if (traced.has(farmer.id)) exported.push(exportedOf(farmer, named.has(farmer.id)));
    after = page.next ?? undefined;
  } while (after);
  return exported;
}

function exportedOf(farmer: Farmer, named: boolean): ExportedFarmer {
  return { pseudonym: farmer.pseudonym, code: formatFarmerCode(farmer.code), name: named ? farmer.name : null, village: farmer.village, language: farmer.language };
}

/**
 * RFC 4180 CSV with a header row. A cell that a spreadsheet would run as a formula (starting with
 * = + - @ or a tab or carriage return) is prefixed with an apostrophe.
 */
export function farmersCsv(rows: readonly ExportedFarmer[]): string {
  const cell = (value: string | null) => {
    let text = value ?? "";
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [EXPORT_COLUMNS.join(","), ...rows.map((row) => EXPORT_COLUMNS.map((column) => cell(row[column])).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}
