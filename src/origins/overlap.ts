import turfArea from "@turf/area";
import { featureCollection, feature } from "@turf/helpers";
import turfIntersect from "@turf/intersect";
import { polygonsOf, type PlotGeometry, type PlotOutline } from "./geometry";

/** A plot as the overlap check sees it: its geometry and the area it stands for. */
export type OverlapShape = { geometry: PlotGeometry; areaM2: number };

/** Default share of the smaller plot two plots may have in common: 5 %. */
export const DEFAULT_OVERLAP_THRESHOLD = 0.05;

/**
 * How much of the smaller of two plots they have in common, 0 to 1.
 *
 * Two outlines: the area of their intersection (polygon clipping, geodesic area) over the smaller
 * area. A point (a plot of at most 4 ha given by one position) stands for an area whose shape is
 * unknown and need not lie around the point, so it overlaps an outline it lies in (1) and a point
 * at the same position (1), and nothing else: docs/plots.md says why no circle is drawn around it.
 */
export function overlapShare(a: OverlapShape, b: OverlapShape): number {
  const pa = a.geometry.type === "Point" ? a.geometry.coordinates : null;
  const pb = b.geometry.type === "Point" ? b.geometry.coordinates : null;
  if (pa && pb) return pa[0] === pb[0] && pa[1] === pb[1] ? 1 : 0;
  if (pa) return pointInOutline(pa, b.geometry as PlotOutline) ? 1 : 0;
  if (pb) return pointInOutline(pb, a.geometry as PlotOutline) ? 1 : 0;
  const common = turfIntersect(featureCollection([feature(a.geometry as PlotOutline), feature(b.geometry as PlotOutline)]));
  if (!common) return 0;
  const smaller = Math.min(a.areaM2, b.areaM2);
  return smaller > 0 ? Math.min(1, turfArea(common) / smaller) : 0;
}

/** Whether a position lies inside an outline (inside an outer ring and in none of its holes). */
export function pointInOutline(point: readonly number[], outline: PlotOutline): boolean {
  return polygonsOf(outline).some((rings) => inRing(point, rings[0]!) && !rings.slice(1).some((hole) => inRing(point, hole)));
}

/** Ray casting (even-odd rule) in longitude/latitude: plots are small enough for planar geometry. */
function inRing(point: readonly number[], ring: readonly number[][]): boolean {
  const [x, y] = point as [number, number];
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
