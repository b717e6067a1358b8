import type { Queryable } from "../db";
import { polygonsOf, type PlotGeometry } from "../origins/geometry";
import { EudrInputError } from "./errors";
import { circleShape, polygonShape, type PlotShape } from "./shapes";

/** Which plots a check covers: every live plot of a cooperative, or plots by id. */
export type PlotSelection = { cooperative: bigint } | { plotIds: readonly string[] };

/** A plot as the check reads it from the gateway's SQL (its current version). */
export type PlotToCheck = {
  plotId: string;
  commitment: string;
  memberId: bigint;
  kind: "point" | "polygon";
  /** Geodesic area of the outline, or the declared area of a point. */
  areaM2: number;
  shape: PlotShape;
};

export const PLOT_ID = /^p_[0-9a-z]{16,40}$/;

/**
 * Parses a selection as the command line and the API take it: `cooperative:<member id>`, a
 * comma-separated list of plot ids, or (CLI) the lines of a file read by the caller.
 */
export function parsePlotSelection(text: string): PlotSelection {
  const trimmed = text.trim();
  const cooperative = /^(?:cooperative|member):([1-9]\d{0,18})$/.exec(trimmed);
  if (cooperative) return { cooperative: BigInt(cooperative[1]!) };
  const ids = trimmed.split(/[\s,;]+/).filter(Boolean);
  const bad = ids.filter((id) => !PLOT_ID.test(id));
  if (ids.length === 0 || bad.length > 0) {
    throw new EudrInputError("bad_selection", "plots", `expected cooperative:<member id> or plot ids (p_...), got ${JSON.stringify(bad[0] ?? text)}`);
  }
  return { plotIds: [...new Set(ids)] };
}

/**
 * The selected plots' current versions, archived ones left out. A plot id that names no live plot
 * of this gateway refuses the whole check (naming the ids), as does a selection with no plot.
 */
export async function loadPlots(db: Queryable, selection: PlotSelection): Promise<PlotToCheck[]> {
  type Row = { plot_id: string; commitment: string; member_id: string; geometry: PlotGeometry; area_m2: string; declared_area_m2: string | null };
  const columns = "plot_id, commitment, member_id::text, geometry, area_m2::text, declared_area_m2::text";
  const live = "superseded_at is null and archived_at is null";
  const { rows } =
    "cooperative" in selection
      ? await db.query<Row>(`select ${columns} from origin_plots where member_id = $1 and ${live} order by registered_at, plot_id`, [selection.cooperative.toString()])
      : await db.query<Row>(`select ${columns} from origin_plots where plot_id = any($1::text[]) and ${live} order by registered_at, plot_id`, [selection.plotIds]);
  if ("plotIds" in selection) {
    const found = new Set(rows.map((row) => row.plot_id));
    const missing = selection.plotIds.filter((id) => !found.has(id));
    if (missing.length > 0) throw new EudrInputError("unknown_plots", "plots", `no live plot ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ` and ${missing.length - 10} more` : ""} in this gateway`);
  }
  if (rows.length === 0) throw new EudrInputError("no_plots", "plots", `cooperative ${(selection as { cooperative: bigint }).cooperative} has no live plot in this gateway`);
  return rows.map((row) => {
    const geometry = row.geometry;
    if (geometry.type === "Point") {
      const areaM2 = Number(row.declared_area_m2);
      const [lon, lat] = geometry.coordinates as [number, number];
      return { plotId: row.plot_id, commitment: row.commitment, memberId: BigInt(row.member_id), kind: "point", areaM2, shape: circleShape(lon, lat, areaM2) };
    }
    return { plotId: row.plot_id, commitment: row.commitment, memberId: BigInt(row.member_id), kind: "polygon", areaM2: Number(row.area_m2), shape: polygonShape(polygonsOf(geometry)) };
  });
}
