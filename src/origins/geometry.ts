import turfArea from "@turf/area";
import turfKinks from "@turf/kinks";
import { z } from "zod";

/**
 * Plot geometry as the EU Deforestation Regulation asks for it (Art. 2(28), 9(1)(d)) and GeoJSON
 * (RFC 7946) writes it: a Point or a Polygon/MultiPolygon in WGS 84 longitude/latitude, with at
 * least six decimal places (about 0.1 m). Rings are closed, have at least four positions, do not
 * cross themselves, and the whole outline is bounded so one plot cannot make the gateway hash or
 * store megabytes. Areas are geodesic (`@turf/area`, on the WGS 84 sphere).
 */
export const MAX_PLOT_POSITIONS = 5_000;
/** Decimal places a coordinate needs (EUDR geolocation: six). */
export const MIN_DECIMALS = 6;
/** The largest plot a single point may stand for; above it a polygon is required (EUDR Art. 2(28)). */
export const MAX_POINT_AREA_M2 = 40_000;

export type PointGeometry = { type: "Point"; coordinates: number[] };
export type PolygonGeometry = { type: "Polygon"; coordinates: number[][][] };
export type MultiPolygonGeometry = { type: "MultiPolygon"; coordinates: number[][][][] };
/** An outline (what the overlap check and the area work on). */
export type PlotOutline = PolygonGeometry | MultiPolygonGeometry;
export type PlotGeometry = PointGeometry | PlotOutline;

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

export type GeometryIssue = { path: Array<string | number>; message: string };

/** The EUDR rules a structurally valid geometry may still break: precision and self-intersection. */
export function geometryIssues(geometry: PlotGeometry): GeometryIssue[] {
  const issues: GeometryIssue[] = [];
  const decimals = geometryDecimals(geometry);
  if (decimals < MIN_DECIMALS) {
    issues.push({
      path: ["coordinates"],
      message: `coordinates need at least ${MIN_DECIMALS} decimal places (EUDR geolocation); the most precise one here has ${decimals}`,
    });
  }
  if (geometry.type !== "Point") {
    const crossings = turfKinks(geometry).features;
    if (crossings.length > 0) {
      const [x, y] = crossings[0]!.geometry.coordinates;
      issues.push({
        path: ["coordinates"],
        message: `the outline crosses itself (${crossings.length} crossing${crossings.length === 1 ? "" : "s"}, the first near [${round7(x!)}, ${round7(y!)}])`,
      });
    }
  }
  return issues;
}

const round7 = (value: number) => Math.round(value * 1e7) / 1e7;

/**
 * Decimal places a number is written with in JSON (the shortest form that reads back the same).
 * A value whose sixth decimal is 0 shows five: the geometry's precision is therefore its most
 * precise coordinate's, so one trailing zero does not refuse a plot (docs/plots.md).
 */
export function decimalsOf(value: number): number {
  const text = String(Math.abs(value));
  const exponent = /e([+-]\d+)$/.exec(text);
  const mantissa = exponent ? text.slice(0, exponent.index) : text;
  const fraction = mantissa.includes(".") ? mantissa.length - mantissa.indexOf(".") - 1 : 0;
  return Math.max(0, fraction - (exponent ? Number(exponent[1]) : 0));
}

/** The most decimal places any coordinate of the geometry has. */
export function geometryDecimals(geometry: PlotGeometry): number {
  let most = 0;
  for (const [x, y] of positionsOf(geometry)) most = Math.max(most, decimalsOf(x!), decimalsOf(y!));
  return most;
}

export function polygonsOf(geometry: PlotOutline): number[][][][] {
  return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
}

function* positionsOf(geometry: PlotGeometry): Iterable<number[]> {
  if (geometry.type === "Point") {
    yield geometry.coordinates;
    return;
  }
  for (const poly of polygonsOf(geometry)) for (const r of poly) yield* r;
}

function positionCount(geometry: PlotGeometry): number {
  if (geometry.type === "Point") return 1;
  return polygonsOf(geometry).reduce((sum, p) => sum + p.reduce((inner, r) => inner + r.length, 0), 0);
}

/** Geodesic area of an outline in square metres (holes subtracted); 0 for a point. */
export function plotAreaM2(geometry: PlotGeometry): number {
  if (geometry.type === "Point") return 0;
  return turfArea(geometry);
}

/** [minLon, minLat, maxLon, maxLat] of a geometry. */
export function boundsOf(geometry: PlotGeometry): [number, number, number, number] {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of positionsOf(geometry)) {
    if (x! < minX) minX = x!;
    if (y! < minY) minY = y!;
    if (x! > maxX) maxX = x!;
    if (y! > maxY) maxY = y!;
  }
  return [minX, minY, maxX, maxY];
}
