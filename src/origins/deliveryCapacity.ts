import type { Database, Queryable } from "../db";
import { BaseError } from "../errors";
import { formById } from "../lots/forms";
import { hasRelayRequest } from "../relay/outbox";
import { capacityUse } from "./capacity";
import type { PlotOrigin, PlotRegistry } from "./plotRegistry";
import { KeyedSerial } from "./serial";

/**
 * The capacity rule, a gateway rule (the chain keeps only the origin commitment): the deliveries
 * the gateway accepts with a plot as origin may not take that plot's deliveries in a calendar
 * year above its capacity (area x the form's maximum yield, src/origins/capacity.ts). Checked
 * before a mint request enters the outbox, so a refused delivery is never signed.
 *
 * Counted from the gateway's own records: each accepted delivery of a registered plot is a row of
 * `plot_deliveries` keyed by its request (member, idempotency key, item), written just before the
 * request enters the outbox and counted while that request exists and has not failed.
 */
export type CapacityDelivery = {
  form: number;
  grams: string | bigint;
  origin: string;
  /** The calendar year it counts in (an import's delivery date); default: the year it is accepted. */
  year?: number | undefined;
};

export type CapacityExcess = {
  plotId: string;
  year: number;
  form: number;
  formKey: string;
  /** The plot's capacity for the year in this form, grams. */
  capacityGrams: string;
  /** Deliveries accepted so far this year, in grams of this form (other forms converted by their yields). */
  deliveredGrams: string;
  /** What this request adds in this form, grams. */
  requestedGrams: string;
};

/** A delivery would take its plot above its yearly capacity: nothing was written. */
export class CapacityExceededError extends BaseError {
  override name = "CapacityExceededError";
  constructor(readonly excesses: CapacityExcess[]) {
    const first = excesses[0]!;
    super(
      `plot ${first.plotId} can give at most ${kg(first.capacityGrams)} kg of ${first.formKey} in ${first.year}: ` +
        `${kg(first.deliveredGrams)} kg delivered so far, this request adds ${kg(first.requestedGrams)} kg`,
    );
  }
}

/** A delivery names an archived plot as origin. */
export class OriginArchivedError extends BaseError {
  override name = "OriginArchivedError";
  constructor(readonly plotId: string) {
    super(`plot ${plotId} is archived: it takes no more deliveries`);
  }
}

const kg = (grams: string) => (Number(grams) / 1000).toLocaleString("en-US", { maximumFractionDigits: 3 });

/** Grams per form delivered from a plot. */
export type FormTotals = Map<number, bigint>;

export class DeliveryCapacity {
  readonly #db: Database;
  readonly #registry: PlotRegistry;
  readonly #clock: () => Date;
  readonly #locks = new KeyedSerial();

  constructor(db: Database, registry: PlotRegistry, options: { clock?: () => Date } = {}) {
    this.#db = db;
    this.#registry = registry;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** The calendar year (UTC) a delivery accepted now counts in. */
  year(): number {
    return this.#clock().getUTCFullYear();
  }

  /**
   * Runs `enqueue` (the outbox write of a mint request) if the request's deliveries fit their
   * plots' capacity, recording them against their plots first; refuses it otherwise. Deliveries
   * whose origin is no plot of this gateway are not checked. A retried idempotency key goes
   * straight to `enqueue` (the outbox answers the first request).
   *
   * @throws {CapacityExceededError} @throws {OriginArchivedError}
   */
  async around<T>(memberId: bigint, idempotencyKey: string, deliveries: readonly CapacityDelivery[], enqueue: () => Promise<T>): Promise<T> {
    const items = deliveries.flatMap((delivery, item) => {
      const plot = this.#registry.originOf(delivery.origin);
      return plot ? [{ ...delivery, item, plot }] : [];
    });
    if (items.length === 0) return enqueue();
    if (await hasRelayRequest(this.#db, { memberId, idempotencyKey })) return enqueue();
    const keys = [...new Set(items.map((item) => `plot:${item.plot.plotId}`)), `key:${memberId}:${idempotencyKey}`];
    return this.#locks.run(keys, async () => {
      const now = this.year();
      const years = new Map<number, typeof items>();
      for (const item of items) {
        const year = item.year ?? now;
        years.set(year, [...(years.get(year) ?? []), item]);
      }
      for (const [year, inYear] of years) {
        const requested = new Map<string, FormTotals>();
        for (const item of inYear) add(requested, item.plot.plotId, item.form, BigInt(item.grams));
        const plotsOfYear = [...new Map(inYear.map((item) => [item.plot.plotId, item.plot])).values()];
        const excesses = checkCapacity(plotsOfYear, await this.delivered([...requested.keys()], year), requested, year, this.#registry);
        if (excesses.length > 0) throw new CapacityExceededError(excesses);
      }
      const rows = items.map((item) => ({
        item: item.item,
        plot_id: item.plot.plotId,
        commitment: item.origin.toLowerCase(),
        form: item.form,
        grams: BigInt(item.grams).toString(),
        year: item.year ?? now,
      }));
      await this.#db.batch([
        // Rows of an earlier attempt with this key that never reached the outbox (a crash between the two).
        { sql: "delete from plot_deliveries where member_id = $1 and idempotency_key = $2", params: [memberId, idempotencyKey] },
        {
          sql: `insert into plot_deliveries (member_id, idempotency_key, item, plot_id, commitment, form, grams, year)
                select $1, $2, r.item, r.plot_id, r.commitment, r.form, r.grams, r.year
                  from jsonb_to_recordset($3::jsonb) as r(item integer, plot_id text, commitment text, form smallint, grams numeric, year smallint)`,
          params: [memberId, idempotencyKey, JSON.stringify(rows)],
        },
      ]);
      try {
        return await enqueue();
      } catch (error) {
        await this.#db.query("delete from plot_deliveries where member_id = $1 and idempotency_key = $2", [memberId, idempotencyKey]);
        throw error;
      }
    });
  }

  /** Deliveries accepted from each plot in `year` (requests in the outbox that have not failed), per form. */
  async delivered(plotIds: readonly string[], year: number, db: Queryable = this.#db): Promise<Map<string, FormTotals>> {
    const totals = new Map<string, FormTotals>();
    if (plotIds.length === 0) return totals;
    const { rows } = await db.query<{ plot_id: string; form: number; grams: string }>(
      `select d.plot_id, d.form, sum(d.grams)::text as grams
         from plot_deliveries d
         join outbox o on o.member_id = d.member_id and o.idempotency_key = d.idempotency_key
        where d.plot_id = any($1::text[]) and d.year = $2 and o.status <> 'failed'
        group by d.plot_id, d.form`,
      [[...new Set(plotIds)], year],
    );
    for (const row of rows) add(totals, row.plot_id, row.form, BigInt(row.grams));
    return totals;
  }
}

function add(totals: Map<string, FormTotals>, plotId: string, form: number, grams: bigint): void {
  let forms = totals.get(plotId);
  if (!forms) totals.set(plotId, (forms = new Map()));
  forms.set(form, (forms.get(form) ?? 0n) + grams);
}

/**
 * The capacity rule on figures already read: for each plot, whether what was delivered plus what
 * is requested fits. Pure; the import uses it row by row with its own running totals.
 *
 * @throws {OriginArchivedError} a plot is archived.
 */
export function checkCapacity(
  plots: readonly PlotOrigin[],
  delivered: ReadonlyMap<string, FormTotals>,
  requested: ReadonlyMap<string, FormTotals>,
  year: number,
  registry: Pick<PlotRegistry, "maxYields">,
): CapacityExcess[] {
  const excesses: CapacityExcess[] = [];
  for (const plot of plots) {
    if (plot.archived) throw new OriginArchivedError(plot.plotId);
    const before = delivered.get(plot.plotId) ?? new Map<number, bigint>();
    const adding = requested.get(plot.plotId) ?? new Map<number, bigint>();
    const after = new Map(before);
    for (const [form, grams] of adding) after.set(form, (after.get(form) ?? 0n) + grams);
    for (const [form, grams] of adding) {
      const total = capacityUse(plot.areaM2, form, after, registry.maxYields);
      if (!total || total.deliveredGrams <= total.capacityGrams) continue;
      const so = capacityUse(plot.areaM2, form, before, registry.maxYields)!;
      excesses.push({
        plotId: plot.plotId,
        year,
        form,
        formKey: formById(form)?.key ?? String(form),
        capacityGrams: total.capacityGrams.toString(),
        deliveredGrams: so.deliveredGrams.toString(),
        requestedGrams: grams.toString(),
      });
    }
  }
  return excesses;
}
