import { randomBytes } from "node:crypto";
import type { Queryable } from "../db";
import { BaseError } from "../errors";
import { plotAreaM2, plotGeometrySchema, type PlotGeometry } from "./geometry";
import { newPlotSalt, plotCommitment } from "./plotCommitment";

/**
 * The plots' SQL: versions in `origin_plots` (one row per version, keyed by its commitment),
 * read back for the cooperative that registered them and loaded into the overlap index at start.
 * Rules (precision, overlap, the farmer's cooperative) are checked before these run, by the plot
 * registry; the table's own checks are the last line.
 */
export class PlotRegistrationError extends BaseError {
  override name = "PlotRegistrationError";
}

/** The plot record is already registered by another member. */
export class PlotTakenError extends PlotRegistrationError {
  override name = "PlotTakenError";
}

export type Tenure = "title" | "customary" | "none";
export const TENURES = ["title", "customary", "none"] as const satisfies readonly Tenure[];

/** A new plot id: 'p_' and 20 base32 characters (100 random bits). */
export function newPlotId(): string {
  return `p_${base32(randomBytes(13)).slice(0, 20)}`;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** One version of a plot, ready to insert (its commitment computed from geometry, farmer reference and salt). */
export type PlotVersionRow = {
  plotId: string;
  version: number;
  commitment: string;
  memberId: bigint;
  farmerId: string | null;
  /** What the commitment binds as the farmer: the farmer id, or a legacy free-text reference. */
  farmerRef: string;
  ref: string | null;
  geometry: PlotGeometry;
  salt: string;
  country: string;
  province: string;
  district: string;
  areaM2: number;
  declaredAreaM2: number | null;
  tenure: Tenure;
  tenureEvidenceCid: string | null;
};

/** Fills in a version's salt and commitment. */
export function plotVersionRow(row: Omit<PlotVersionRow, "commitment" | "salt"> & { salt?: string | undefined }): PlotVersionRow {
  const salt = (row.salt ?? newPlotSalt()).toLowerCase();
  return { ...row, salt, commitment: plotCommitment({ geometry: row.geometry, farmerRef: row.farmerRef, salt }) };
}

/** Inserts plot versions in one statement (an import's chunk, or one registration); answers when each was registered. */
export async function insertPlotVersions(db: Queryable, rows: readonly PlotVersionRow[]): Promise<Map<string, Date>> {
  if (rows.length === 0) return new Map();
  const { rows: inserted } = await db.query<{ commitment: string; registered_at: Date }>(
    `insert into origin_plots (commitment, member_id, farmer_ref, geometry, salt, country, province, district, area_m2,
                               plot_id, version, farmer_id, ref, declared_area_m2, tenure, tenure_evidence_cid)
     select r.commitment, r.member_id, r.farmer_ref, r.geometry, r.salt, r.country, r.province, r.district, r.area_m2,
            r.plot_id, r.version, r.farmer_id, r.ref, r.declared_area_m2, r.tenure, r.tenure_evidence_cid
       from jsonb_to_recordset($1::jsonb) as r(commitment text, member_id bigint, farmer_ref text, geometry jsonb, salt text,
            country text, province text, district text, area_m2 bigint, plot_id text, version integer, farmer_id text,
            ref text, declared_area_m2 bigint, tenure text, tenure_evidence_cid text)
     returning commitment, registered_at`,
    [
      JSON.stringify(
        rows.map((row) => ({
          commitment: row.commitment,
          member_id: row.memberId.toString(),
          farmer_ref: row.farmerRef,
          geometry: row.geometry,
          salt: row.salt,
          country: row.country,
          province: row.province,
          district: row.district,
          area_m2: Math.round(row.areaM2),
          plot_id: row.plotId,
          version: row.version,
          farmer_id: row.farmerId,
          ref: row.ref,
          declared_area_m2: row.declaredAreaM2 === null ? null : Math.round(row.declaredAreaM2),
          tenure: row.tenure,
          tenure_evidence_cid: row.tenureEvidenceCid,
        })),
      ),
    ],
  );
  return new Map(inserted.map((row) => [row.commitment, row.registered_at]));
}

/** Marks the current version of a plot superseded (an update writes the next one in the same transaction). */
export async function supersedePlotVersion(db: Queryable, plotId: string, version: number): Promise<boolean> {
  const { rowCount } = await db.query("update origin_plots set superseded_at = now() where plot_id = $1 and version = $2 and superseded_at is null", [plotId, version]);
  return rowCount === 1;
}

/** Archives a plot: its current version stops counting for overlaps and takes no more deliveries. */
export async function archivePlotVersion(db: Queryable, plotId: string): Promise<Date | null> {
  const { rows } = await db.query<{ archived_at: Date }>(
    "update origin_plots set archived_at = coalesce(archived_at, now()) where plot_id = $1 and superseded_at is null returning archived_at",
    [plotId],
  );
  return rows[0]?.archived_at ?? null;
}

type PlotRow = {
  commitment: string;
  plot_id: string;
  version: number;
  member_id: bigint;
  farmer_id: string | null;
  farmer_ref: string;
  ref: string | null;
  geometry: PlotGeometry;
  country: string;
  province: string;
  district: string;
  area_m2: bigint | string;
  declared_area_m2: bigint | string | null;
  tenure: Tenure;
  tenure_evidence_cid: string | null;
  registered_at: Date;
  superseded_at: Date | null;
  archived_at: Date | null;
};

/** A plot version as the cooperative that registered it reads it (never a public page): the row, its salt left out, and when. */
export type StoredPlot = Omit<PlotVersionRow, "salt"> & { registeredAt: Date; supersededAt: Date | null; archivedAt: Date | null };

/** A version just written, as reading it back would answer. */
export function storedPlotOf({ salt: _salt, ...row }: PlotVersionRow, registeredAt: Date): StoredPlot {
  return { ...row, registeredAt, supersededAt: null, archivedAt: null };
}

const COLUMNS = `commitment, plot_id, version, member_id, farmer_id, farmer_ref, ref, geometry, country, province, district,
  area_m2, declared_area_m2, tenure, tenure_evidence_cid, registered_at, superseded_at, archived_at`;

function toStoredPlot(row: PlotRow): StoredPlot {
  return {
    plotId: row.plot_id,
    version: row.version,
    commitment: row.commitment,
    memberId: BigInt(row.member_id),
    farmerId: row.farmer_id,
    farmerRef: row.farmer_ref,
    ref: row.ref,
    geometry: row.geometry,
    country: row.country,
    province: row.province,
    district: row.district,
    areaM2: Number(row.area_m2),
    declaredAreaM2: row.declared_area_m2 === null ? null : Number(row.declared_area_m2),
    tenure: row.tenure,
    tenureEvidenceCid: row.tenure_evidence_cid,
    registeredAt: row.registered_at,
    supersededAt: row.superseded_at,
    archivedAt: row.archived_at,
  };
}

/** Every version of a plot, oldest first (empty: no such plot). */
export async function getPlotVersions(db: Queryable, plotId: string): Promise<StoredPlot[]> {
  const { rows } = await db.query<PlotRow>(`select ${COLUMNS} from origin_plots where plot_id = $1 order by version`, [plotId]);
  return rows.map(toStoredPlot);
}

export type ListPlotsParameters = {
  memberId: bigint;
  farmerId?: string | undefined;
  /** Include archived plots (default: only live ones). */
  archived?: boolean | undefined;
  /** Plots after this one in the listing's order (the previous page's last; times to the millisecond, as a Date holds them). */
  after?: { registeredAt: Date; plotId: string } | undefined;
  limit: number;
};

/** A cooperative's plots (current versions), oldest first, a page at a time. */
export async function listPlots(db: Queryable, parameters: ListPlotsParameters): Promise<StoredPlot[]> {
  const { rows } = await db.query<PlotRow>(
    `select ${COLUMNS} from origin_plots
      where member_id = $1 and superseded_at is null
        and ($2::text is null or farmer_id = $2)
        and ($3::boolean or archived_at is null)
        and ($4::timestamptz is null or (date_trunc('milliseconds', registered_at), plot_id) > ($4::timestamptz, $5::text))
      order by date_trunc('milliseconds', registered_at), plot_id limit $6`,
    [parameters.memberId, parameters.farmerId ?? null, parameters.archived ?? false, parameters.after?.registeredAt ?? null, parameters.after?.plotId ?? null, parameters.limit],
  );
  return rows.map(toStoredPlot);
}

/** What the overlap index and the capacity rule need of every version: loaded once at start. */
export async function loadPlotVersions(db: Queryable): Promise<StoredPlot[]> {
  const { rows } = await db.query<PlotRow>(`select ${COLUMNS} from origin_plots order by plot_id, version`);
  return rows.map(toStoredPlot);
}

/** The plot a cooperative's own reference names (its current, live version), if any. */
export async function plotIdOfRef(db: Queryable, memberId: bigint, ref: string): Promise<string | null> {
  const { rows } = await db.query<{ plot_id: string }>(
    "select plot_id from origin_plots where member_id = $1 and ref = $2 and superseded_at is null and archived_at is null",
    [memberId, ref],
  );
  return rows[0]?.plot_id ?? null;
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
 * Records an outline under a free-text farmer reference, without the registry's rules (overlap,
 * the farmer's record): the store-level path tests and the page's fixtures use. The same record
 * again returns the same commitment and changes nothing; one held by another member is refused.
 */
export async function registerPlot(db: Queryable, parameters: RegisterPlotParameters): Promise<RegisteredPlot> {
  const geometry = plotGeometrySchema.parse(parameters.geometry);
  if (geometry.type === "Point") throw new PlotRegistrationError("A point plot needs its declared area: register it through the plot registry");
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
    `insert into origin_plots (commitment, member_id, farmer_ref, geometry, salt, country, province, district, area_m2, plot_id)
     values ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10)
     on conflict (commitment) do nothing returning commitment`,
    [commitment, parameters.memberId, parameters.farmerRef, JSON.stringify(geometry), salt, country, parameters.province.trim(), parameters.district.trim(), areaM2, newPlotId()],
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
  /**
   * Distinct farmers (households) the plots belong to: by farmer record, or for a plot registered
   * before farmer records by the cooperative's farmer reference. Private until it passes the
   * household threshold (`publicHouseholdCount`).
   */
  farmers: number;
  areaM2: number;
  /** Commitments the gateway holds no plot record for (another gateway's, or not registered). */
  unregistered: number;
  districts: DistrictSummary[];
};

/** Summarises origin commitments by district, never reading geometry or farmer references. */
export async function summariseOrigins(db: Queryable, commitments: readonly string[]): Promise<OriginSummary> {
  const distinct = [...new Set(commitments.map((c) => c.toLowerCase()))];
  if (distinct.length === 0) return { plots: 0, farmers: 0, areaM2: 0, unregistered: 0, districts: [] };
  const { rows } = await db.query<{ country: string; province: string; district: string; plots: number | string; area_m2: string | number }>(
    `select country, province, district, count(*)::int as plots, sum(area_m2)::text as area_m2
       from origin_plots where commitment = any($1::text[])
      group by country, province, district order by count(*) desc, country, province, district`,
    [distinct],
  );
  const districts = rows.map((row) => ({ country: row.country, province: row.province, district: row.district, plots: Number(row.plots), areaM2: Number(row.area_m2) }));
  const plots = districts.reduce((sum, d) => sum + d.plots, 0);
  const households = await db.query<{ farmers: number | string }>(
    `select count(distinct coalesce(farmer_id, member_id::text || ':' || farmer_ref))::int as farmers
       from origin_plots where commitment = any($1::text[])`,
    [distinct],
  );
  const farmers = Number(households.rows[0]?.farmers ?? 0);
  return { plots, farmers, areaM2: districts.reduce((sum, d) => sum + d.areaM2, 0), unregistered: distinct.length - plots, districts };
}
