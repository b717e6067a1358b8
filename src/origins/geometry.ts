import { z } from "zod";
import { geometryIssues, MAX_PLOT_POSITIONS, positionCount, type PlotGeometry } from "./geometryRules";

export {
  boundsOf,
  decimalsOf,
  geometryDecimals,
  geometryIssues,
  MAX_PLOT_POSITIONS,
  MAX_POINT_AREA_M2,
  MIN_DECIMALS,
  plotAreaM2,
  polygonsOf,
} from "./geometryRules";
export type { GeometryIssue, MultiPolygonGeometry, PlotGeometry, PlotOutline, PointGeometry, PolygonGeometry } from "./geometryRules";

/**
 * Plot geometry as the EU Deforestation Regulation asks for it (Art. 2(28), 9(1)(d)) and GeoJSON
 * (RFC 7946) writes it: a Point or a Polygon/MultiPolygon in WGS 84 longitude/latitude, with at
 * least six decimal places (about 0.1 m). Rings are closed, have at least four positions, do not
 * cross themselves, and the whole outline is bounded so one plot cannot make the gateway hash or
 * store megabytes. The rules past the structure (precision, crossings, areas) are in
 * geometryRules.ts, shared with the field app.
 */
const lon = z.number().min(-180, "longitude: -180 to 180").max(180, "longitude: -180 to 180");
const lat = z
  .number()
  .min(-90, "latitude: -90 to 90 (GeoJSON puts longitude first: [longitude, latitude])")
  .max(90, "latitude: -90 to 90 (GeoJSON puts longitude first: [longitude, latitude])");
const position = z.tuple([lon, lat]).describe("[longitude, latitude] in degrees (WGS 84), at least 6 decimal places");
const ring = z
  .array(position)
  .min(4, "a ring needs at least 4 positions (the first repeated last)")
  .refine(isClosed, "a ring must end where it starts");
/**
 * Whether a ring ends where it starts. Zod runs this check even when the ring already failed its
 * others (empty, or holding something other than positions), so it reads nothing it has not checked.
 */
function isClosed(r: readonly unknown[]): boolean {
  const [first, last] = [r[0], r[r.length - 1]];
  return Array.isArray(first) && Array.isArray(last) && first[0] === last[0] && first[1] === last[1];
}

const polygon = z.array(ring).min(1, "a polygon needs an outer ring");

/**
 * The structural rules (types, ranges, closed rings, size) and then, on a structurally valid
 * geometry, the EUDR ones: six decimals and no self-intersection. Every issue has its path.
 */
export const plotGeometrySchema: z.ZodType<PlotGeometry> = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("Point"), coordinates: position }).strict(),
    z.object({ type: z.literal("Polygon"), coordinates: polygon }).strict(),
    z.object({ type: z.literal("MultiPolygon"), coordinates: z.array(polygon).min(1, "a MultiPolygon needs a polygon") }).strict(),
  ])
  .superRefine((value, context) => {
    const geometry = value as PlotGeometry;
    if (positionCount(geometry) > MAX_PLOT_POSITIONS) {
      context.addIssue({ code: "custom", message: `at most ${MAX_PLOT_POSITIONS} positions in a plot`, path: ["coordinates"] });
      return;
    }
    for (const issue of geometryIssues(geometry)) context.addIssue({ code: "custom", message: issue.message, path: issue.path });
  }) as unknown as z.ZodType<PlotGeometry>;

