import { createFarmers, formatFarmerCode, type FarmerCreate } from "../farmers";
import { readFarmerRow } from "./farmerRows";
import { chunks, rememberRows, type ImportContext, type ImportState, type Pending } from "./runImport";

const CHUNK = 500;

/**
 * Farmers: each row read by the farmers module's own schema; a card code given must be free (not
 * printed for any farmer, nor twice in the file). Written 500 to a statement, with the rows'
 * hashes in the same transaction.
 */
export async function importFarmers(context: ImportContext, state: ImportState): Promise<void> {
  const { memberId } = state.options;
  const read: Array<Pending<FarmerCreate>> = [];
  for (const row of state.rows) {
    const result = readFarmerRow(row.sheet);
    if ("issues" in result) state.refuse(row.sheet.row, result.issues);
    else read.push({ ...row, value: result.value });
  }
  const codes = read.flatMap((row) => (row.value.code ? [row.value.code] : []));
  const printed = new Set<string>();
  if (codes.length > 0) {
    const { rows } = await context.db.query<{ code: string }>("select code from farmers where code = any($1::text[])", [codes]);
    for (const row of rows) printed.add(row.code);
  }
  const inFile = new Map<string, number>();
  const good = read.filter((row) => {
    const code = row.value.code;
    if (!code) return true;
    const reason = printed.has(code)
      ? `card code ${formatFarmerCode(code)} is already printed for another farmer`
      : inFile.has(code)
        ? `card code ${formatFarmerCode(code)} is also on row ${inFile.get(code)}`
        : null;
    inFile.set(code, inFile.get(code) ?? row.sheet.row);
    if (reason) state.refuse(row.sheet.row, [{ row: row.sheet.row, column: "farmer_code", reason }]);
    return reason === null;
  });
  state.advance(state.rows.length - good.length);

  if (state.options.dryRun) {
    for (const row of good) state.settle({ row: row.sheet.row, status: "valid", ...(row.value.code ? { code: formatFarmerCode(row.value.code) } : {}) });
    state.advance(good.length);
    return;
  }
  for (const chunk of chunks(good, CHUNK)) {
    const written = await context.db.transaction(async (tx) => {
      const { created, codeTaken } = await createFarmers(tx, context.sealer, { memberId, farmers: chunk.map((row) => row.value) });
      // `created` is in input order, the rows whose code was taken meanwhile left out.
      const taken = new Set(codeTaken);
      const rows = chunk.filter((_, i) => !taken.has(i));
      await rememberRows(tx, memberId, "farmers", rows.map((row, i) => ({ hash: row.hash, ref: created[i]!.id })));
      return { rows, created, taken };
    });
    written.rows.forEach((row, i) => state.settle({ row: row.sheet.row, status: "created", ref: written.created[i]!.id, code: formatFarmerCode(written.created[i]!.code) }));
    for (const index of written.taken) {
      const row = chunk[index]!;
      state.refuse(row.sheet.row, [{ row: row.sheet.row, column: "farmer_code", reason: `card code ${formatFarmerCode(row.value.code!)} is already printed for another farmer` }]);
    }
    state.advance(chunk.length);
  }
}
