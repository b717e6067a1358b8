import { cidToDigest } from "../evidence";
import { formatFarmerCode } from "../farmers";
import { formById } from "../lots/forms";
import { CapacityExceededError, checkCapacity, farmersOfMember, type FormTotals } from "../origins";
import { enqueueRelayRequest } from "../relay/outbox";
import { readDeliveryRow, type DeliveryRow } from "./deliveryRows";
import { ImportRefusedError, batchKey, chunks, rememberRows, type ImportContext, type ImportState, type Pending } from "./runImport";

/** Deliveries per mint-batch request: the registry's MAX_BATCH. */
export const DELIVERIES_PER_REQUEST = 500;

type PlotRow = { plot_id: string; ref: string | null; farmer_id: string | null; commitment: string; area_m2: string };
type Resolved = DeliveryRow & { plotId: string; commitment: string; year: number };

/**
 * Deliveries: each row read, its farmer found by card code, its plot by id, by the cooperative's
 * plot number or as the farmer's only plot, and checked against the plot's yearly capacity with
 * the deliveries before it (accepted ones and the file's). Written as `lots.mintBatch` requests,
 * 500 deliveries to one, each carrying its weigh ticket (a JSON document in the evidence store)
 * as metadata and its plot's commitment as origin.
 */
export async function importDeliveries(context: ImportContext, state: ImportState): Promise<void> {
  const { memberId, dryRun } = state.options;
  const { db } = context;
  const { rows: accounts } = await db.query("select 1 from custodial_keys where member_id = $1 limit 1", [memberId]);
  if (accounts.length === 0) {
    throw new ImportRefusedError(`member ${memberId} has no custodial account in this gateway: the gateway cannot sign its deliveries (sign them with your own key and send them to POST /v1/relay)`);
  }
  const today = (context.clock ?? (() => new Date()))();
  const rows = state.rows.map((row) => ({ row, result: readDeliveryRow(row.sheet, today) }));
  const read = rows.flatMap(({ row, result }) => {
    if ("issues" in result) {
      state.refuse(row.sheet.row, result.issues);
      return [];
    }
    return [{ ...row, value: result.value }];
  });
  const farmers = await farmersOfMember(db, memberId, { codes: read.map((row) => row.value.farmerCode) });
  const { rows: plots } = await db.query<PlotRow>(
    `select p.plot_id, p.ref, p.farmer_id, p.commitment, p.area_m2::text from unnest($2::text[]) as v(farmer_id)
       join origin_plots p on p.farmer_id = v.farmer_id and p.member_id = $1 and p.superseded_at is null and p.archived_at is null`,
    [memberId, [...new Set([...farmers.values()].map((farmer) => farmer.id))]],
  );
  const plotsOfFarmer = new Map<string, PlotRow[]>();
  for (const plot of plots) plotsOfFarmer.set(plot.farmer_id!, [...(plotsOfFarmer.get(plot.farmer_id!) ?? []), plot]);

  const resolved: Array<Pending<Resolved>> = [];
  for (const row of read) {
    const at = row.sheet.row;
    const farmer = farmers.get(row.value.farmerCode);
    if (!farmer || farmer.archived) {
      state.refuse(at, [{ row: at, column: "farmer_code", reason: `no ${farmer ? "current " : ""}farmer with card code ${formatFarmerCode(row.value.farmerCode)} in this cooperative` }]);
      continue;
    }
    const own = plotsOfFarmer.get(farmer.id) ?? [];
    const named = row.value.plot;
    const plot = named ? own.find((p) => p.plot_id === named || p.ref === named) : own.length === 1 ? own[0] : undefined;
    if (!plot) {
      const reason = named
        ? `no plot ${JSON.stringify(named)} of farmer ${formatFarmerCode(farmer.code)} (a plot id or the cooperative's plot number)`
        : own.length === 0
          ? `farmer ${formatFarmerCode(farmer.code)} has no plot: import the plot first`
          : `farmer ${formatFarmerCode(farmer.code)} has ${own.length} plots: name one in the plot column`;
      state.refuse(at, [{ row: at, column: named ? "plot" : "farmer_code", reason }]);
      continue;
    }
    resolved.push({ ...row, value: { ...row.value, plotId: plot.plot_id, commitment: plot.commitment, year: row.value.date.getUTCFullYear() } });
  }

  // The capacity rule, row by row, on top of what each plot delivered in the row's year.
  const good = await withinCapacity(context, state, resolved);
  state.advance(state.rows.length - good.length);
  if (dryRun) {
    for (const row of good) state.settle({ row: row.sheet.row, status: "valid" });
    state.advance(good.length);
    return;
  }

  for (const chunk of chunks(good, DELIVERIES_PER_REQUEST)) {
    // The weigh tickets, stored side by side: each store write waits on the disk, not the CPU.
    const stored = await mapLimited(chunk, STORE_CONCURRENCY, (row) => context.evidence.put(new TextEncoder().encode(JSON.stringify(weighTicket(row.value))), "application/json"));
    await db.query(
      `insert into evidence_uploads (cid, media_type, size, member_id)
       select r.cid, r.media_type, r.size, $1 from jsonb_to_recordset($2::jsonb) as r(cid text, media_type text, size bigint)
       on conflict (cid) do nothing`,
      [memberId.toString(), JSON.stringify(stored.map((item) => ({ cid: item.cid.toString(), media_type: item.mediaType, size: item.size })))],
    );
    const deliveries = chunk.map((row, i) => ({ form: row.value.form, grams: row.value.grams.toString(), metadata: cidToDigest(stored[i]!.cid), origin: row.value.commitment, year: row.value.year }));
    const idempotencyKey = batchKey("deliveries", chunk.map((row) => row.hash));
    const payload = { deliveries: deliveries.map(({ year: _year, ...delivery }) => delivery) };
    const { request } = await context.capacity.around(memberId, idempotencyKey, deliveries, () =>
      db.transaction(async (tx) => {
        const enqueued = await enqueueRelayRequest(tx, { memberId, idempotencyKey, kind: "lots.mintBatch", payload, maxAttempts: context.maxAttempts });
        await rememberRows(tx, memberId, "deliveries", chunk.map((row) => ({ hash: row.hash, ref: enqueued.request.id.toString() })));
        return enqueued;
      }),
    );
    state.requests.push(request.id.toString());
    for (const row of chunk) state.settle({ row: row.sheet.row, status: "created", ref: request.id.toString() });
    state.advance(chunk.length);
  }
}

/** Store writes in flight at once. */
const STORE_CONCURRENCY = 32;

/** A delivery's public metadata: its weigh ticket (no farmer, no plot: those stay here). */
function weighTicket(row: Resolved) {
  return {
    document: "weigh ticket",
    ticket: row.ticket,
    date: row.date.toISOString().slice(0, 10),
    commodity: formById(row.form)!.name,
    kg: Number(row.grams) / 1000,
    ...(row.moisturePct !== null ? { moisture_pct: row.moisturePct } : {}),
    ...(row.drcPct !== null ? { drc_pct: row.drcPct } : {}),
  };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The rows that fit their plot's capacity, in order; the others refused with the figures. */
async function withinCapacity(context: ImportContext, state: ImportState, rows: Array<Pending<Resolved>>): Promise<Array<Pending<Resolved>>> {
  const years = new Map<number, Set<string>>();
  for (const row of rows) years.set(row.value.year, (years.get(row.value.year) ?? new Set()).add(row.value.plotId));
  const totals = new Map<string, FormTotals>();
  for (const [year, plotIds] of years) {
    for (const [plotId, forms] of await context.capacity.delivered([...plotIds], year)) totals.set(`${plotId}|${year}`, forms);
  }
  const good: Array<Pending<Resolved>> = [];
  for (const row of rows) {
    const at = row.sheet.row;
    const { plotId, year, form, grams, commitment } = row.value;
    const key = `${plotId}|${year}`;
    const origin = context.plots.originOf(commitment);
    try {
      const excess = origin ? checkCapacity([origin], new Map([[plotId, totals.get(key) ?? new Map()]]), new Map([[plotId, new Map([[form, grams]])]]), year, context.plots) : [];
      if (excess.length > 0) throw new CapacityExceededError(excess);
    } catch (error) {
      if (!(error instanceof Error) || !("shortMessage" in error)) throw error;
      state.refuse(at, [{ row: at, column: "kg", reason: (error as CapacityExceededError).shortMessage.replace(/this request adds/, "this row adds") }]);
      continue;
    }
    const forms = totals.get(key) ?? new Map<number, bigint>();
    forms.set(form, (forms.get(form) ?? 0n) + grams);
    totals.set(key, forms);
    good.push(row);
  }
  return good;
}
