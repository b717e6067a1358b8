import type { Queryable } from "../db";
import { BaseError } from "../errors";
import { plotAreaM2, plotGeometrySchema, type PlotGeometry } from "./geometry";
import { newPlotSalt, plotCommitment } from "./plotCommitment";

export class PlotRegistrationError extends BaseError {
  override name = "PlotRegistrationError";
}

/** The plot record is already registered by another member. */
export class PlotTakenError extends PlotRegistrationError {
  override name = "PlotTakenError";
}

export type RegisterPlotParameters = {
  /** The cooperative that registers the plot (its deliveries will commit to it). */
  memberId: bigint;
  farmerRef: string;
  geometry: PlotGeometry;
  country: string;
  province: string;
  district: string;
  /** Default: a fresh random salt. */
  salt?: string | undefined;
};

export type RegisteredPlot = { commitment: string; areaM2: number; created: boolean };

/**
 * Records a plot privately and returns its commitment (what a delivery's `origin` carries).
 * Registering the same record again returns the same commitment and changes nothing; a
 * commitment already held by another member is refused.
 */
export async function registerPlot(db: Queryable, parameters: RegisterPlotParameters): Promise<RegisteredPlot> {
  const geometry = plotGeometrySchema.parse(parameters.geometry);
  const country = parameters.country.toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) throw new PlotRegistrationError(`Not an ISO 3166-1 alpha-2 country code: ${parameters.country}`);
  for (const [key, value] of [["province", parameters.province], ["district", parameters.district], ["farmerRef", parameters.farmerRef]] as const) {
    if (value.trim().length === 0 || value.length > 120) throw new PlotRegistrationError(`${key}: 1 to 120 characters`);
  }
  const salt = (parameters.salt ?? newPlotSalt()).toLowerCase();
  if (!/^0x[0-9a-f]{64}$/.test(salt)) throw new PlotRegistrationError("salt: 0x and 64 hex digits");
  const areaM2 = Math.round(plotAreaM2(geometry));
  if (areaM2 < 1) throw new PlotRegistrationError("The plot outline encloses no area");
  const commitment = plotCommitment({ geometry, farmerRef: parameters.farmerRef, salt });
  const inserted = await db.query(
    `insert into origin_plots (commitment, member_id, farmer_ref, geometry, salt, country, province, district, area_m2)
     values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9)
     on conflict (commitment) do nothing returning commitment`,
    [commitment, parameters.memberId, parameters.farmerRef, JSON.stringify(geometry), salt, country, parameters.province.trim(), parameters.district.trim(), areaM2],
  );
  if (inserted.rows.length === 0) {
    const held = await db.query<{ member_id: string | bigint }>("select member_id from origin_plots where commitment = $1", [commitment]);
    if (BigInt(held.rows[0]!.member_id) !== parameters.memberId) throw new PlotTakenError("This plot record is registered by another member");
  }
  return { commitment, areaM2, created: inserted.rows.length > 0 };
}

export type DistrictSummary = { country: string; province: string; district: string; plots: number; areaM2: number };

/** What may be said in public about a set of origin commitments: counts and areas per district. */
export type OriginSummary = {
  plots: number;
  areaM2: number;
  /** Commitments the gateway holds no plot record for (another gateway's, or not registered). */
  unregistered: number;
  districts: DistrictSummary[];
};

/** Summarises origin commitments by district, never reading geometry or farmer references. */
export async function summariseOrigins(db: Queryable, commitments: readonly string[]): Promise<OriginSummary> {
  const distinct = [...new Set(commitments.map((c) => c.toLowerCase()))];
  if (distinct.length === 0) return { plots: 0, areaM2: 0, unregistered: 0, districts: [] };
  const { rows } = await db.query<{ country: string; province: string; district: string; plots: number | string; area_m2: string | number }>(
    `select country, province, district, count(*)::int as plots, sum(area_m2)::text as area_m2
       from origin_plots where commitment = any($1::text[])
      group by country, province, district order by count(*) desc, country, province, district`,
    [distinct],
  );
  const districts = rows.map((row) => ({ country: row.country, province: row.province, district: row.district, plots: Number(row.plots), areaM2: Number(row.area_m2) }));
  const plots = districts.reduce((sum, d) => sum + d.plots, 0);
  return { plots, areaM2: districts.reduce((sum, d) => sum + d.areaM2, 0), unregistered: distinct.length - plots, districts };
}
