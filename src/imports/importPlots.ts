import { formatFarmerCode } from "../farmers";
import { PlotOverlapError, PlotRuleError, farmersOfMember, type PlotInput } from "../origins";
import { plotColumnOf, readPlotRow } from "./plotRows";
import { rememberRows, type ImportContext, type ImportState, type Pending } from "./runImport";

/**
 * Plots: each row read (point or outline, six decimals, ...), its farmer found by card code among
 * the cooperative's farmers, then registered by the plot registry with every rule of
 * `POST /v1/plots`, overlap against the network's plots and the file's earlier rows included.
 */
export async function importPlots(context: ImportContext, state: ImportState): Promise<void> {
  const { memberId, dryRun } = state.options;
  const read: Array<Pending<PlotInput>> = [];
  const rows = state.rows.map((row) => ({ row, result: readPlotRow(row.sheet) }));
  const codes = rows.flatMap(({ result }) => ("value" in result ? [result.value.farmerCode] : []));
  const farmers = await farmersOfMember(context.db, memberId, { codes });
  for (const { row, result } of rows) {
    if ("issues" in result) {
      state.refuse(row.sheet.row, result.issues);
      continue;
    }
    const farmer = farmers.get(result.value.farmerCode);
    const reason = !farmer
      ? `no farmer with card code ${formatFarmerCode(result.value.farmerCode)} in this cooperative (import the farmers first)`
      : farmer.archived
        ? `farmer ${formatFarmerCode(result.value.farmerCode)} is archived`
        : null;
    if (reason) state.refuse(row.sheet.row, [{ row: row.sheet.row, column: "farmer_code", reason }]);
    else read.push({ ...row, value: { ...result.value.plot, owner: { farmerId: farmer!.id } } });
  }
  state.advance(state.rows.length - read.length);

  let reported = 0;
  const results = await context.plots.registerMany(
    memberId,
    read.map((row) => row.value),
    {
      dryRun,
      onChunk: (done) => {
        state.advance(done - reported);
        reported = done;
      },
    },
  );
  const remember: Array<{ hash: Buffer; ref: string }> = [];
  results.forEach((result, i) => {
    const row = read[i]!;
    const at = row.sheet.row;
    if ("error" in result) {
      const error = result.error;
      if (error instanceof PlotRuleError) {
        state.refuse(at, error.issues.map((issue) => ({ row: at, column: plotColumnOf(issue, row.value.geometry), reason: issue.message })));
      } else {
        const column = error instanceof PlotOverlapError ? (row.value.geometry.type === "Point" ? "latitude" : "polygon") : error.name === "PlotRefTakenError" ? "ref" : error.name === "PlotEvidenceError" ? "tenure_evidence_cid" : null;
        state.refuse(at, [{ row: at, column, reason: error.shortMessage }]);
      }
      return;
    }
    const status = !result.created ? "unchanged" : dryRun ? "valid" : "created";
    state.settle({ row: at, status, ref: dryRun && result.created ? undefined : result.plot.plotId, commitment: dryRun && result.created ? undefined : result.plot.commitment });
    if (!dryRun) remember.push({ hash: row.hash, ref: result.plot.plotId });
  });
  if (!dryRun) await rememberRows(context.db, memberId, "plots", remember);
}
