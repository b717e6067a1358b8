import { geometryIssues, MAX_PLOT_POSITIONS, plotAreaM2, type PolygonGeometry } from "../../../origins/geometryRules";

/**
 * A plot's boundary walked with the phone: the GPS fixes taken while the agent walks round the
 * plot become one closed ring, thinned with Douglas-Peucker (a walk samples every second or so;
 * points within a few metres of the line through their neighbours add nothing but size), with six
 * decimals, and checked with the gateway's own EUDR rules (origins/geometryRules.ts): at least
 * three corners, six decimals, no crossing of itself, an area.
 */
export type Fix = { longitude: number; latitude: number; accuracyM: number };

/** Fixes worse than this are dropped while walking (a phone under trees may report 50 m and more). */
export const MAX_FIX_ACCURACY_M = 25;
/** Douglas-Peucker tolerance: a point this close to the line through its neighbours goes. */
export const SIMPLIFY_TOLERANCE_M = 2;

const EARTH_RADIUS_M = 6_371_008.8;

/** Metres east and north of `origin` (equirectangular: exact enough across one plot). */
function toMetres(origin: Fix, point: Fix): [number, number] {
  const rad = Math.PI / 180;
  return [(point.longitude - origin.longitude) * rad * EARTH_RADIUS_M * Math.cos(origin.latitude * rad), (point.latitude - origin.latitude) * rad * EARTH_RADIUS_M];
}

function distanceToSegment(p: [number, number], a: [number, number], b: [number, number]): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Douglas-Peucker over an open path: the points that stay (the first and last always do). */
export function simplify(points: readonly Fix[], toleranceM = SIMPLIFY_TOLERANCE_M): Fix[] {
  if (points.length <= 2) return [...points];
  const origin = points[0]!;
  const xy = points.map((point) => toMetres(origin, point));
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  // An explicit stack: a long walk must not overflow the call stack of a small phone.
  const stack: Array<[number, number]> = [[0, points.length - 1]];
  while (stack.length > 0) {
    const [first, last] = stack.pop()!;
    let farthest = -1;
    let distance = toleranceM;
    for (let i = first + 1; i < last; i++) {
      const d = distanceToSegment(xy[i]!, xy[first]!, xy[last]!);
      if (d > distance) [farthest, distance] = [i, d];
    }
    if (farthest < 0) continue;
    keep[farthest] = 1;
    stack.push([first, farthest], [farthest, last]);
  }
  return points.filter((_, i) => keep[i] === 1);
}

const six = (value: number) => Math.round(value * 1e6) / 1e6;

export type Boundary = {
  geometry: PolygonGeometry | null;
  /** Geodesic area, m² (0 until there is a ring). */
  areaM2: number;
  /** Corners kept after simplifying (the ring's first point is not counted twice). */
  corners: number;
  /** The worst accuracy among the fixes kept, metres. */
  accuracyM: number;
  /** Why the plot cannot be saved yet (the gateway's wording); empty when it can. */
  issues: string[];
};

/**
 * The walked fixes as a plot: the accurate enough ones, simplified, closed, six decimals, with
 * its area and whatever the EUDR rules find wrong with it.
 */
export function boundaryOf(fixes: readonly Fix[], toleranceM = SIMPLIFY_TOLERANCE_M): Boundary {
  const good = fixes.filter((fix) => fix.accuracyM <= MAX_FIX_ACCURACY_M);
  // Walking back to the start closes the ring: simplify the path as walked, then close it.
  let kept = simplify(good, toleranceM);
  const first = kept[0];
  const last = kept[kept.length - 1];
  if (first && last && kept.length > 1 && Math.hypot(...toMetres(first, last)) <= toleranceM) kept = kept.slice(0, -1);
  const accuracyM = kept.reduce((worst, fix) => Math.max(worst, fix.accuracyM), 0);
  if (kept.length < 3) return { geometry: null, areaM2: 0, corners: kept.length, accuracyM, issues: ["walk at least three corners of the plot"] };
  const ring = kept.map((fix) => [six(fix.longitude), six(fix.latitude)]);
  ring.push([...ring[0]!]);
  const geometry: PolygonGeometry = { type: "Polygon", coordinates: [ring] };
  const issues = geometryIssues(geometry).map((issue) => issue.message);
  if (ring.length > MAX_PLOT_POSITIONS) issues.push(`at most ${MAX_PLOT_POSITIONS} positions in a plot`);
  const areaM2 = plotAreaM2(geometry);
  if (issues.length === 0 && areaM2 < 1) issues.push("the outline encloses no area");
  return { geometry, areaM2, corners: kept.length, accuracyM, issues };
}
