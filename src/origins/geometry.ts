import { z } from "zod";

/**
 * Plot outlines as GeoJSON (RFC 7946): a Polygon or MultiPolygon in WGS 84 longitude/latitude.
 * Rings are closed, have at least four positions, and the whole outline is bounded so one plot
 * cannot make the gateway hash or store megabytes.
 */
export const MAX_PLOT_POSITIONS = 5_000;

const position = z
  .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)])
  .describe("[longitude, latitude] in degrees (WGS 84)");
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

export type PlotGeometry = { type: "Polygon"; coordinates: number[][][] } | { type: "MultiPolygon"; coordinates: number[][][][] };

export const plotGeometrySchema: z.ZodType<PlotGeometry> = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("Polygon"), coordinates: polygon }).strict(),
    z.object({ type: z.literal("MultiPolygon"), coordinates: z.array(polygon).min(1) }).strict(),
  ])
  .refine((geometry) => positionCount(geometry as PlotGeometry) <= MAX_PLOT_POSITIONS, `at most ${MAX_PLOT_POSITIONS} positions in a plot`);

function polygonsOf(geometry: PlotGeometry): number[][][][] {
  return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
}

function positionCount(geometry: PlotGeometry): number {
  return polygonsOf(geometry).reduce((sum, p) => sum + p.reduce((inner, r) => inner + r.length, 0), 0);
}

const EARTH_RADIUS_M = 6_378_137;
const RAD = Math.PI / 180;

/**
 * Area in square metres on a sphere of the WGS 84 equatorial radius (the spherical-excess sum
 * used by common GIS tools: within a fraction of a percent of the ellipsoidal area for plots).
 * Holes (inner rings) are subtracted.
 */
export function plotAreaM2(geometry: PlotGeometry): number {
  let total = 0;
  for (const poly of polygonsOf(geometry)) {
    poly.forEach((r, index) => {
      const area = Math.abs(ringArea(r));
      total += index === 0 ? area : -area;
    });
  }
  return Math.max(0, total);
}

function ringArea(r: number[][]): number {
  let sum = 0;
  for (let i = 0; i < r.length - 1; i++) {
    const [lon1, lat1] = r[i]!;
    const [lon2, lat2] = r[i + 1]!;
    sum += (lon2! - lon1!) * RAD * (2 + Math.sin(lat1! * RAD) + Math.sin(lat2! * RAD));
  }
  return (sum * EARTH_RADIUS_M * EARTH_RADIUS_M) / 2;
}
