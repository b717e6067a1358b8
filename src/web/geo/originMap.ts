import { createHash } from "node:crypto";
import { districtFeatures, districtKey, type DistrictFeature } from "./districtMap";
import { boxOf, ISO_NUMERIC, readCountryOutlines, type CountryOutline, type LonLatBox, type Ring } from "./worldOutlines";

/**
 * The origin map a shopper recognises: the highlighted districts inside their island's coastline
 * and their country's borders (Natural Earth 1:50m, enough at a phone's scale and quick to read), with the district names, and a small map of
 * the whole country marking where that is. Drawn on the server as one inline SVG: projected
 * (x = longitude x cos(mean latitude), y = -latitude: true enough at these scales), clipped to
 * the frame, simplified to what a phone shows (Douglas-Peucker, under a pixel), integers on a
 * grid twice the display size, relative path steps. No tiles, no requests.
 */
export type OriginMapDistrict = { country: string; district: string };

export type OriginMapParameters = {
  districts: readonly OriginMapDistrict[];
  /** The SVG's accessible name, already escaped by the caller. */
  escapedLabel: string;
  /** District names as the page shows them, already escaped (default: the shipped names, escaped here). */
  escapedName?: (feature: DistrictFeature) => string;
};

/** Display width in CSS px; coordinates are written at twice this. */
const WIDTH = 320;
const GRID = 2;
/** Least span of the frame, in degrees of latitude: a few districts alone are no context. */
const MIN_SPAN_DEGREES = 3.2;
/** Largest frame: an island bigger than this (a continent) is shown around the districts only. */
const MAX_SPAN_DEGREES = 9;
const INSET_WIDTH = 96;

const COLOURS = { sea: "#dcebf5", land: "#f4f0e8", country: "#e4dac6", border: "#8a7a60", district: "#d9822b", districtStroke: "#6e3d0c", frame: "#c0281c" };

const cache = new Map<string, string | null>();

/** The map's SVG markup (numbers and escaped names only), or null when no district of the origin has an outline. */
export function originMapSvg(parameters: OriginMapParameters): string | null {
  const wanted = new Set(parameters.districts.map((d) => `${d.country.toUpperCase()}:${districtKey(d.district)}`));
  const highlighted = districtFeatures().filter((f) => wanted.has(`${f.country.toUpperCase()}:${districtKey(f.district)}`));
  if (highlighted.length === 0) return null;
  const escapedName = parameters.escapedName ?? ((f: DistrictFeature) => escapeText(f.district));
  const key = JSON.stringify([highlighted.map((f) => `${f.country}:${f.district}:${escapedName(f)}`), parameters.escapedLabel]);
  if (!cache.has(key)) {
    if (cache.size >= 64) cache.delete(cache.keys().next().value!);
    cache.set(key, draw(highlighted, parameters.escapedLabel, escapedName, `fm${createHash("sha256").update(key).digest("hex").slice(0, 6)}`));
  }
  return cache.get(key)!;
}

/** `id` names the clip (unique per map, so two maps on one document never share one). */
function draw(highlighted: DistrictFeature[], escapedLabel: string, escapedName: (f: DistrictFeature) => string, id: string): string {
  const countries = readCountryOutlines();
  const homeNumeric = ISO_NUMERIC[highlighted[0]!.country.toUpperCase()];
  const home = countries.find((c) => c.numeric === homeNumeric) ?? null;
  // Where each name goes: the middle of the district's land (the outlines run into the sea).
  const anchors = highlighted.map((f) => landMiddle(f, home?.rings ?? []));
  const frame = frameAround(boxOf(highlighted.flatMap((f) => f.rings as Ring[])), anchors, home?.rings ?? []);
  const mid = ((frame.south + frame.north) / 2) * (Math.PI / 180);
  const k = Math.cos(mid);
  const scale = (WIDTH * GRID) / ((frame.east - frame.west) * k);
  const width = WIDTH * GRID;
  const height = Math.round((frame.north - frame.south) * scale);
  const project = ([lon, lat]: [number, number]): Point => [(lon - frame.west) * k * scale, (frame.north - lat) * scale];
  const clip = { x0: -4, y0: -4, x1: width + 4, y1: height + 4 };
  const near = (ring: Ring) => touches(ring, frame);

  const out: string[] = [`<rect width="${width}" height="${height}" fill="${COLOURS.sea}"/>`];
  const landPoints: Point[] = [];
  let homePath = "";
  for (const country of countries) {
    const d = pathOf(country.rings.filter(near), project, clip, 1.1, 6, landPoints);
    if (!d) continue;
    if (country === home) homePath = d;
    else out.push(`<path d="${d}" fill="${COLOURS.land}" stroke="${COLOURS.border}" stroke-width="1.2"/>`);
  }
  // The home country last, so its borders are drawn whole, and named for the clip below.
  if (homePath) out.push(`<path id="${id}h" d="${homePath}" fill="${COLOURS.country}" stroke="${COLOURS.border}" stroke-width="1.6"/><clipPath id="${id}c"><use href="#${id}h"/></clipPath>`);
  // The districts' shipped outlines are approximate: clip them to the coastline.
  const districtPaths = highlighted.map((f) => pathOf(f.rings as Ring[], project, clip, 1, 0, [])).filter((d) => d);
  out.push(`<g${homePath ? ` clip-path="url(#${id}c)"` : ""} fill="${COLOURS.district}" stroke="${COLOURS.districtStroke}" stroke-width="2">${districtPaths.map((d) => `<path d="${d}"/>`).join("")}</g>`);

  const anchorPoints = anchors.map(project);
  out.push(insetSvg(home, frame, { width, height }, landPoints, anchorPoints));

  // Names on a halo, beside their district, away from the group's middle, none cut off at an edge.
  const middle = anchorPoints.reduce((sum, [x]) => sum + x, 0) / anchorPoints.length;
  const labels: string[] = [];
  highlighted.forEach((f, i) => {
    const [x, y] = anchorPoints[i]!;
    let anchor = highlighted.length === 1 ? "middle" : x < middle - 4 ? "end" : x > middle + 4 ? "start" : "middle";
    if ((anchor === "end" || anchor === "middle") && x < width * 0.3) anchor = "start";
    if ((anchor === "start" || anchor === "middle") && x > width * 0.7) anchor = "end";
    const dx = anchor === "end" ? -12 : anchor === "start" ? 12 : 0;
    out.push(`<circle cx="${Math.round(x)}" cy="${Math.round(y)}" r="5" fill="#1d1d1d" stroke="#fff" stroke-width="2"/>`);
    labels.push(`<text x="${Math.round(x + dx)}" y="${Math.round(Math.min(height - 8, Math.max(24, y + 8)))}" text-anchor="${anchor}">${escapedName(f)}</text>`);
  });
  // A halo under each name (presentation attributes: the page's only style sheet is its own).
  out.push(`<g paint-order="stroke" stroke="#fff" stroke-width="5">${labels.join("")}</g>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapedLabel}" font-size="22" font-weight="600" fill="#1d1d1d" stroke-linejoin="round">${out.join("")}</svg>`;
}

type Point = [number, number];
type Clip = { x0: number; y0: number; x1: number; y1: number };

/**
 * The frame: the districts with the island they lie on when it is not too big (Sulawesi), else a
 * frame of at least MIN_SPAN_DEGREES around them (the Malay Peninsula around Songkhla).
 */
function frameAround(districts: LonLatBox, anchors: Array<[number, number]>, homeRings: readonly Ring[]): LonLatBox {
  let box = { ...districts };
  for (const ring of homeRings) {
    const ringBox = boxOf([ring]);
    if (ringBox.east - ringBox.west > MAX_SPAN_DEGREES || ringBox.north - ringBox.south > MAX_SPAN_DEGREES) continue;
    if (anchors.some((point) => inside(point, ring))) box = union(box, ringBox);
  }
  // Pad, keep a least span, and a shape that suits a phone (not taller than 1.2 x its width).
  const k = Math.cos((((box.south + box.north) / 2) * Math.PI) / 180);
  let spanY = Math.max(box.north - box.south, MIN_SPAN_DEGREES) * 1.08;
  let spanX = Math.max((box.east - box.west) * k * 1.08, (MIN_SPAN_DEGREES * 0.9));
  if (spanY > spanX * 1.2) spanX = spanY / 1.2;
  if (spanX > spanY * 1.4) spanY = spanX / 1.4;
  const cx = (box.west + box.east) / 2;
  const cy = (box.south + box.north) / 2;
  return { west: cx - spanX / k / 2, east: cx + spanX / k / 2, south: cy - spanY / 2, north: cy + spanY / 2 };
}

/**
 * A small map of the whole home country in the corner where it hides the least land and no
 * highlighted district, with a red frame around the big map's area.
 */
function insetSvg(home: CountryOutline | null, frame: LonLatBox, size: { width: number; height: number }, landPoints: Point[], districtPoints: Point[]): string {
  if (!home) return "";
  const box = boxOf(home.rings.filter((ring) => ring.length > 20));
  const k = Math.cos((((box.south + box.north) / 2) * Math.PI) / 180);
  const w = INSET_WIDTH * GRID;
  const scale = w / ((box.east - box.west) * k);
  const h = Math.round((box.north - box.south) * scale);
  if (h > size.height * 0.6) return "";
  const pad = 8;
  const corners: Point[] = [
    [size.width - w - pad, pad],
    [pad, pad],
    [size.width - w - pad, size.height - h - pad],
    [pad, size.height - h - pad],
  ];
  const cost = ([x, y]: Point) =>
    landPoints.filter(([px, py]) => px >= x && px <= x + w && py >= y && py <= y + h).length +
    1_000 * districtPoints.filter(([px, py]) => px >= x - 20 && px <= x + w + 20 && py >= y - 20 && py <= y + h + 20).length;
  const [ox, oy] = corners.reduce((best, corner) => (cost(corner) < cost(best) ? corner : best));
  const project = ([lon, lat]: [number, number]): Point => [ox + (lon - box.west) * k * scale, oy + (box.north - lat) * scale];
  const d = pathOf(home.rings, project, { x0: ox - 2, y0: oy - 2, x1: ox + w + 2, y1: oy + h + 2 }, 0.9, 3, []);
  const [fx0, fy0] = project([frame.west, frame.north]);
  const [fx1, fy1] = project([frame.east, frame.south]);
  const fw = Math.max(6, Math.round(fx1 - fx0));
  const fh = Math.max(6, Math.round(fy1 - fy0));
  return (
    `<rect x="${Math.round(ox - 4)}" y="${Math.round(oy - 4)}" width="${w + 8}" height="${h + 8}" fill="#fff" stroke="${COLOURS.border}" stroke-width="1.5"/>` +
    `<path d="${d}" fill="${COLOURS.country}" stroke="${COLOURS.border}" stroke-width="1"/>` +
    `<rect x="${Math.round(fx0)}" y="${Math.round(fy0)}" width="${fw}" height="${fh}" fill="none" stroke="${COLOURS.frame}" stroke-width="3"/>`
  );
}

/**
 * Rings projected, clipped to `clip`, simplified within `tolerance` grid units, rings smaller than
 * `minArea` dropped; as one path of integer moves. Kept vertices are added to `collect`.
 */
function pathOf(rings: readonly Ring[], project: (p: [number, number]) => Point, clip: Clip, tolerance: number, minArea: number, collect: Point[]): string {
  let d = "";
  for (const ring of rings) {
    const projected = ring.map(project);
    if (!overlaps(projected, clip)) continue;
    const clipped = clipRing(projected, clip);
    if (clipped.length < 3) continue;
    const simple = simplify(clipped, tolerance).map(([x, y]) => [Math.round(x), Math.round(y)] as Point);
    const points = simple.filter((p, i) => i === 0 || p[0] !== simple[i - 1]![0] || p[1] !== simple[i - 1]![1]);
    if (points.length < 3 || Math.abs(area(points)) < minArea) continue;
    collect.push(...points);
    d += `M${points[0]![0]} ${points[0]![1]}`;
    for (let i = 1; i < points.length; i++) d += `l${points[i]![0] - points[i - 1]![0]} ${points[i]![1] - points[i - 1]![1]}`.replace(/ -/g, "-");
    d += "z";
  }
  return d;
}

function overlaps(points: Point[], clip: Clip): boolean {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return x0 <= clip.x1 && x1 >= clip.x0 && y0 <= clip.y1 && y1 >= clip.y0;
}

/** Sutherland-Hodgman against the four edges of the frame (what lies outside is never drawn). */
function clipRing(points: Point[], clip: Clip): Point[] {
  const edges: Array<[(p: Point) => boolean, (a: Point, b: Point) => Point]> = [
    [(p) => p[0] >= clip.x0, (a, b) => atX(a, b, clip.x0)],
    [(p) => p[0] <= clip.x1, (a, b) => atX(a, b, clip.x1)],
    [(p) => p[1] >= clip.y0, (a, b) => atY(a, b, clip.y0)],
    [(p) => p[1] <= clip.y1, (a, b) => atY(a, b, clip.y1)],
  ];
  let result = points;
  for (const [keep, cut] of edges) {
    const input = result;
    result = [];
    for (let i = 0; i < input.length; i++) {
      const current = input[i]!;
      const previous = input[(i + input.length - 1) % input.length]!;
      if (keep(current)) {
        if (!keep(previous)) result.push(cut(previous, current));
        result.push(current);
      } else if (keep(previous)) result.push(cut(previous, current));
    }
    if (result.length === 0) break;
  }
  return result;
}

const atX = (a: Point, b: Point, x: number): Point => [x, a[1] + ((b[1] - a[1]) * (x - a[0])) / (b[0] - a[0])];
const atY = (a: Point, b: Point, y: number): Point => [a[0] + ((b[0] - a[0]) * (y - a[1])) / (b[1] - a[1]), y];

/** Douglas-Peucker on a closed ring (split at its first point and the point farthest from it). */
function simplify(points: Point[], tolerance: number): Point[] {
  if (points.length <= 4) return points;
  let far = 0;
  let farDistance = -1;
  for (let i = 1; i < points.length; i++) {
    const distance = Math.hypot(points[i]![0] - points[0]![0], points[i]![1] - points[0]![1]);
    if (distance > farDistance) [far, farDistance] = [i, distance];
  }
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[far] = 1;
  const stack: Array<[number, number]> = [[0, far], [far, points.length]];
  while (stack.length > 0) {
    const [from, to] = stack.pop()!;
    const a = points[from]!;
    const b = points[to % points.length]!;
    let worst = -1;
    let worstDistance = tolerance;
    for (let i = from + 1; i < to; i++) {
      const distance = segmentDistance(points[i]!, a, b);
      if (distance > worstDistance) [worst, worstDistance] = [i, distance];
    }
    if (worst >= 0) {
      keep[worst] = 1;
      stack.push([from, worst], [worst, to]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

function segmentDistance(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const length = dx * dx + dy * dy;
  const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length));
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

function area(points: Point[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]!;
    const [x1, y1] = points[(i + 1) % points.length]!;
    sum += x0 * y1 - x1 * y0;
  }
  return sum / 2;
}

function inside([x, y]: Point, ring: Ring): boolean {
  let within = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) within = !within;
  }
  return within;
}

function union(a: LonLatBox, b: LonLatBox): LonLatBox {
  return { west: Math.min(a.west, b.west), south: Math.min(a.south, b.south), east: Math.max(a.east, b.east), north: Math.max(a.north, b.north) };
}

/**
 * The middle of a district's land: the mean of a grid of points inside its outline and on the
 * home country's land, snapped to the nearest of them; the outline's middle when none is.
 */
function landMiddle(f: DistrictFeature, land: readonly Ring[]): [number, number] {
  const outline = f.rings[0] as Ring;
  const box = boxOf([outline]);
  const rings = land.filter((ring) => touches(ring, box));
  const points: Array<[number, number]> = [];
  const steps = 14;
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      const point: [number, number] = [box.west + ((box.east - box.west) * i) / steps, box.south + ((box.north - box.south) * j) / steps];
      if (inside(point, outline) && rings.some((ring) => inside(point, ring))) points.push(point);
    }
  }
  if (points.length === 0) return [(box.west + box.east) / 2, (box.south + box.north) / 2];
  const mean = [points.reduce((s, p) => s + p[0], 0) / points.length, points.reduce((s, p) => s + p[1], 0) / points.length];
  return points.reduce((best, p) => (Math.hypot(p[0] - mean[0]!, p[1] - mean[1]!) < Math.hypot(best[0] - mean[0]!, best[1] - mean[1]!) ? p : best));
}

function touches(ring: Ring, box: LonLatBox): boolean {
  const own = boxOf([ring]);
  return own.west <= box.east && own.east >= box.west && own.south <= box.north && own.north >= box.south;
}

function escapeText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
