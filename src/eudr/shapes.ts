import { M_PER_DEGREE } from "./geodesy";

/**
 * A plot (or an alert) as the scanline sees it: its bounding box and, for a latitude, the
 * longitude spans inside it. A pixel row is then a few subtractions and a loop, instead of a
 * point-in-polygon test per pixel.
 */
export type PlotShape = {
  /** [minLon, minLat, maxLon, maxLat]. */
  bounds: [number, number, number, number];
  /** Sorted longitudes where a row at `lat` enters and leaves the shape: [in, out, in, out, ...]. */
  spans(lat: number): number[];
  /** Whether the position is inside (even-odd rule, holes excluded). */
  contains(lon: number, lat: number): boolean;
};

type Edges = Float64Array; // x1, y1, x2, y2 per edge

/** A Polygon's or MultiPolygon's rings (outer rings and holes alike: the even-odd rule sorts them out). */
export function polygonShape(polygons: readonly (readonly (readonly (readonly number[])[])[])[]): PlotShape {
  let count = 0;
  for (const rings of polygons) for (const ring of rings) count += ring.length - 1;
  const edges: Edges = new Float64Array(count * 4);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let e = 0;
  for (const rings of polygons) {
    for (const ring of rings) {
      for (let i = 0; i < ring.length - 1; i++) {
        const [x1, y1] = ring[i] as [number, number];
        const [x2, y2] = ring[i + 1] as [number, number];
        edges[e++] = x1;
        edges[e++] = y1;
        edges[e++] = x2;
        edges[e++] = y2;
        if (x1 < minX) minX = x1;
        if (x1 > maxX) maxX = x1;
        if (y1 < minY) minY = y1;
        if (y1 > maxY) maxY = y1;
      }
    }
  }
  const spans = (lat: number): number[] => {
    const xs: number[] = [];
    for (let i = 0; i < edges.length; i += 4) {
      const y1 = edges[i + 1]!;
      const y2 = edges[i + 3]!;
      if (y1 > lat !== y2 > lat) {
        const x1 = edges[i]!;
        xs.push(x1 + ((lat - y1) * (edges[i + 2]! - x1)) / (y2 - y1));
      }
    }
    return xs.length > 2 ? xs.sort((a, b) => a - b) : xs[0]! > xs[1]! ? [xs[1]!, xs[0]!] : xs;
  };
  return {
    bounds: [minX, minY, maxX, maxY],
    spans,
    contains(lon, lat) {
      const xs = spans(lat);
      let inside = false;
      for (const x of xs) if (x < lon) inside = !inside;
      return inside;
    },
  };
}

/**
 * A point plot as a circle of its declared area around the point. The regulation lets a plot of
 * at most 4 ha be given by one point with its area; where the plot lies around the point is not
 * known, and a circle is the shape whose every part is nearest the point (docs/eudr.md).
 */
export function circleShape(lon: number, lat: number, areaM2: number): PlotShape {
  const radiusM = Math.sqrt(areaM2 / Math.PI);
  const dLat = radiusM / M_PER_DEGREE;
  const mPerDegLon = M_PER_DEGREE * Math.cos((lat * Math.PI) / 180);
  const dLon = radiusM / mPerDegLon;
  const spans = (rowLat: number): number[] => {
    const dy = (rowLat - lat) * M_PER_DEGREE;
    if (Math.abs(dy) >= radiusM) return [];
    const half = Math.sqrt(radiusM * radiusM - dy * dy) / mPerDegLon;
    return [lon - half, lon + half];
  };
  return {
    bounds: [lon - dLon, lat - dLat, lon + dLon, lat + dLat],
    spans,
    contains(x, y) {
      const [a, b] = spans(y);
      return a !== undefined && x > a && x < b!;
    },
  };
}
