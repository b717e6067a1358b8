import type { RecordSealer } from "../../chain/keystore";
import type { Queryable } from "../../db";
import { schemeByKey } from "../../attestations/schemes";
import { digestToCid } from "../../evidence";
import { farmersWithConsent } from "../../farmers";
import { openField } from "../../farmers/fieldCipher";
import { formById } from "../../lots/forms";
import type { PlotGeometry } from "../../origins";
import { readDdsAncestry } from "./ancestry";
import { DdsIncompleteError, DdsLotNotFoundError, DdsNoSchemeError, type DdsGap } from "./errors";
import { geolocationFiles, MAX_GEOLOCATION_BYTES, type GeolocationPlot } from "./geolocation";
import { ddsStatement, EU_COUNTRIES, type DdsActivity, type DdsEvidence, type DdsStatement } from "./statement";

/** The scheme a plot's "no forest loss since 31 Dec 2020" check is attested under. */
export const DEFORESTATION_FREE_SCHEME = "no-forest-loss-since-2020";

export type BuildDdsParameters = {
  db: Queryable;
  /** Opens the farmers' sealed names (only those who consented to be named are opened). */
  sealer: RecordSealer;
  lotId: bigint;
  /** The member asking: it must hold the lot (or have held it last, if consumed). */
  memberId: bigint;
  /** Default: import for an operator in an EU member state, export elsewhere. */
  activity?: DdsActivity | undefined;
  /** Write a statement marked partial instead of refusing when plots lack the claim. */
  allowPartial?: boolean | undefined;
  /** Largest geolocation file (default the information system's 25 MB). */
  maxFileBytes?: number | undefined;
  now?: Date | undefined;
};

/** A statement and its geolocation files (name and GeoJSON text each). */
export type DdsDocument = { statement: DdsStatement; files: Array<{ name: string; text: string }> };
export type BuildDdsErrorType = DdsIncompleteError | DdsLotNotFoundError | DdsNoSchemeError;

type PlotRow = {
  commitment: string;
  plot_id: string;
  farmer_id: string | null;
  geometry: PlotGeometry;
  country: string;
  province: string;
  district: string;
  area_m2: string;
};

/**
 * The due diligence statement of a lot, from its ancestry: every delivery it was made of must come
 * from a plot this gateway holds and carry the EUDR claim, except what an upstream statement
 * already covers (a lot a statement was recorded against: its reference is listed instead).
 *
 * @throws {DdsLotNotFoundError} when the lot is unknown or the member does not hold it.
 * @throws {DdsIncompleteError} when deliveries lack the claim or a geolocation here (unless `allowPartial`).
 */
export async function buildDds(parameters: BuildDdsParameters): Promise<DdsDocument> {
  const { db, lotId, memberId } = parameters;
  const now = parameters.now ?? new Date();
  const scheme = await deforestationScheme(db);
  const ancestry = await readDdsAncestry(db, lotId, scheme.id, Math.floor(now.getTime() / 1000));
  if (!ancestry || ancestry.lot.custodianMember !== memberId.toString()) {
    throw new DdsLotNotFoundError(`lot ${lotId} is not a lot your member holds`);
  }
  const form = formById(ancestry.lot.form);
  if (!form) throw new DdsLotNotFoundError(`lot ${lotId} has form ${ancestry.lot.form}, which the catalogue does not name`);

  const origins = [...new Set(ancestry.deliveries.map((delivery) => delivery.origin).filter((origin): origin is string => origin !== null))];
  const plots = new Map<string, PlotRow>();
  if (origins.length > 0) {
    const { rows } = await db.query<PlotRow>(
      "select commitment, plot_id, farmer_id, geometry, country, province, district, area_m2 from origin_plots where commitment = any($1::text[])",
      [origins],
    );
    for (const row of rows) plots.set(row.commitment, row);
  }

  const gaps: DdsGap[] = [];
  const included: typeof ancestry.deliveries = [];
  for (const delivery of ancestry.deliveries) {
    const plot = delivery.origin ? plots.get(delivery.origin) : undefined;
    const reason: DdsGap["reason"] | null = !delivery.origin ? "no-origin" : !plot ? "plot-not-held-here" : !delivery.claimed ? "no-claim" : null;
    if (reason) gaps.push({ lotId: delivery.lotId, plotId: plot?.plot_id ?? null, origin: delivery.origin, reason });
    else included.push(delivery);
  }
  if (gaps.length > 0 && !parameters.allowPartial) throw new DdsIncompleteError(ancestry.lot.lotId, gaps);

  const usedPlots = [...new Set(included.map((delivery) => delivery.origin!))].map((origin) => plots.get(origin)!);
  const names = await producerNames(db, parameters.sealer, usedPlots);
  const geolocation: GeolocationPlot[] = usedPlots.map((plot) => ({
    geometry: plot.geometry,
    country: plot.country,
    place: `${plot.district}, ${plot.province}`,
    areaHa: Number(plot.area_m2) / 10_000,
    producerName: plot.farmer_id ? names.get(plot.farmer_id) ?? null : null,
  }));
  const texts = geolocationFiles(geolocation, parameters.maxFileBytes ?? MAX_GEOLOCATION_BYTES);
  const files = texts.map((text, index) => ({ name: texts.length === 1 ? "geolocation.geojson" : `geolocation-${index + 1}.geojson`, text }));

  const operator = await db.query<{ country: string }>("select country from members where member_id = $1", [memberId.toString()]);
  const country = operator.rows[0]?.country ?? "";
  const statement = ddsStatement({
    lotId: ancestry.lot.lotId,
    form,
    grams: ancestry.lot.grams,
    operator: { memberId: memberId.toString(), country },
    activity: parameters.activity ?? (EU_COUNTRIES.has(country) ? "import" : "export"),
    countries: usedPlots.map((plot) => plot.country),
    mintedAt: included.map((delivery) => delivery.mintedAt),
    upstream: ancestry.upstream,
    scheme: { id: scheme.id, name: scheme.name, version: scheme.version },
    evidence: await plotEvidence(db, scheme.id, usedPlots, Math.floor(now.getTime() / 1000)),
    files: files.map((file) => file.name),
    plots: usedPlots.length,
    deliveries: included.length,
    missing: gaps,
    now,
  });
  return { statement, files };
}

/** The deforestation-free plot scheme as this network registered it (under today's or a former name). */
async function deforestationScheme(db: Queryable): Promise<{ id: number; name: string; version: string }> {
  const spec = schemeByKey(DEFORESTATION_FREE_SCHEME);
  const { rows } = await db.query<{ scheme: number; name: string; version: string }>(
    "select scheme, name, version from schemes where name = any($1::text[]) and version = $2 order by scheme limit 1",
    [[spec.name, ...(spec.formerNames ?? [])], spec.version],
  );
  const row = rows[0];
  if (!row) throw new DdsNoSchemeError(`no "${spec.name}" scheme is registered on this network`);
  return { id: Number(row.scheme), name: spec.name, version: row.version };
}

/** Names of the plots' farmers who consented to be named in a statement (a withdrawn consent names no one). */
async function producerNames(db: Queryable, sealer: RecordSealer, plots: readonly PlotRow[]): Promise<Map<string, string>> {
  const farmerIds = [...new Set(plots.map((plot) => plot.farmer_id).filter((id): id is string => id !== null))];
  const named = [...(await farmersWithConsent(db, farmerIds, "eudr-statement-with-name"))];
  const names = new Map<string, string>();
  if (named.length === 0) return names;
  const { rows } = await db.query<{ id: string; name_enc: Buffer }>("select id, name_enc from farmers where id = any($1::text[]) and archived_at is null", [named]);
  for (const row of rows) {
    const name = openField(sealer, row.id, "name", row.name_enc);
    if (typeof name === "string" && name.length > 0) names.set(row.id, name);
  }
  return names;
}

/** The valid plot attestations behind the claim, with the report's CID where this gateway stored it. */
async function plotEvidence(db: Queryable, scheme: number, plots: readonly PlotRow[], now: number): Promise<DdsEvidence[]> {
  if (plots.length === 0) return [];
  const plotIds = new Map(plots.map((plot) => [plot.commitment, plot.plot_id]));
  const { rows } = await db.query<{ uid: string; subject: string; evidence: string }>(
    `select uid, subject, evidence from attestations
      where subject_kind = 2 and scheme = $1 and subject = any($2::text[]) and not revoked and (expires_at is null or expires_at > $3)
      order by position`,
    [scheme, [...plotIds.keys()], now],
  );
  const candidates = new Map<string, string>();
  for (const row of rows) {
    for (const codec of ["raw", "dag-pb"] as const) candidates.set(digestToCid(row.evidence, codec).toString(), row.evidence);
  }
  const stored = new Map<string, string>();
  if (candidates.size > 0) {
    const found = await db.query<{ cid: string }>("select cid from evidence_uploads where cid = any($1::text[])", [[...candidates.keys()]]);
    for (const { cid } of found.rows) stored.set(candidates.get(cid)!, cid);
  }
  return rows.map((row) => ({ uid: row.uid, plotId: plotIds.get(row.subject)!, evidence: row.evidence, reportCid: stored.get(row.evidence) ?? null }));
}
