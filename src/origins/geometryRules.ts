import turfArea from "@turf/area";
import turfKinks from "@turf/kinks";

/**
 * The EUDR rules of a plot's geometry that need no schema library: six decimals, no outline
 * crossing itself, the geodesic area, the largest plot a point may stand for. The gateway checks
 * them (geometry.ts) and so does the field app on the phone while the agent walks a boundary,
 * from this one module, so both refuse the same outlines.
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

export function positionCount(geometry: PlotGeometry): number {
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
