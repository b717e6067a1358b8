import fs from "node:fs";
import path from "node:path";

/**
 * Origin districts as an inline SVG: the outlines shipped in `districts.geojson` (simplified and
 * approximate, drawn for the districts the network's demo and pilots use), projected
 * equirectangularly (x = longitude x cos(mean latitude), y = -latitude). No tiles, no requests.
 */
export type DistrictFeature = { district: string; province: string; country: string; rings: number[][][] };

let loaded: DistrictFeature[] | null = null;

export function districtFeatures(): DistrictFeature[] {
  if (loaded) return loaded;
  const file = path.join(__dirname, "districts.geojson");
  const collection = JSON.parse(fs.readFileSync(file, "utf8")) as {
    features: Array<{ properties: { district: string; province: string; country: string }; geometry: { type: string; coordinates: number[][][] | number[][][][] } }>;
  };
  loaded = collection.features.map((feature) => ({
    ...feature.properties,
    rings: feature.geometry.type === "Polygon" ? (feature.geometry.coordinates as number[][][]) : (feature.geometry.coordinates as number[][][][]).flat(),
  }));
  return loaded;
}

/** Names compare without case, spaces or the administrative prefix ("Kabupaten", "Amphoe"). */
export function districtKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/^(kabupaten|kab\.|regency of|amphoe|amphur|district of)\s+/, "")
    .replace(/\s+(regency|district)$/, "")
    .replace(/[^a-z0-9]/g, "");
}

export type DistrictMapInput = { country: string; district: string };

/**
 * The SVG (markup from numbers and fixed strings only) of the districts of the countries the
 * origin lies in, those of the origin highlighted; null when none of the origin's districts has
 * an outline. `label` is the accessible title, already escaped by the caller.
 */
export function districtMapSvg(origin: readonly DistrictMapInput[], escapedLabel: string, width = 320): string | null {
  const wanted = new Set(origin.map((d) => `${d.country}:${districtKey(d.district)}`));
  const all = districtFeatures();
  const highlighted = all.filter((f) => wanted.has(`${f.country}:${districtKey(f.district)}`));
  if (highlighted.length === 0) return null;
  const countries = new Set(highlighted.map((f) => f.country));
  // Neighbours near the highlighted ones, for context.
  const near = (f: DistrictFeature) => highlighted.some((h) => distance(center(h), center(f)) < 3);
  const shown = all.filter((f) => countries.has(f.country) && near(f));
  let [minLon, minLat, maxLon, maxLat] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of shown) for (const ring of f.rings) for (const [lon, lat] of ring) {
    minLon = Math.min(minLon, lon!);
    maxLon = Math.max(maxLon, lon!);
    minLat = Math.min(minLat, lat!);
    maxLat = Math.max(maxLat, lat!);
  }
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLon - minLon) * k, 0.01);
  const spanY = Math.max(maxLat - minLat, 0.01);
  const pad = 8;
  const scale = (width - 2 * pad) / Math.max(spanX, spanY * 1.2);
  const height = Math.round(spanY * scale + 2 * pad);
  const xy = ([lon, lat]: number[]) => `${((lon! - minLon) * k * scale + pad).toFixed(1)},${((maxLat - lat!) * scale + pad).toFixed(1)}`;
  const paths = shown.map((f) => {
    const on = highlighted.includes(f);
    const d = f.rings.map((ring) => `M${ring.map(xy).join("L")}Z`).join("");
    return `<path d="${d}" fill="${on ? "#e0a030" : "#e8e4dc"}" stroke="#7a6a50" stroke-width="${on ? 1.5 : 0.7}"/>`;
  });
  const labels = highlighted.map((f) => {
    const [x, y] = xy(center(f)).split(",");
    return `<text x="${x}" y="${y}" font-size="10" text-anchor="middle">${textOf(f.district)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapedLabel}">${paths.join("")}${labels.join("")}</svg>`;
}

function center(f: DistrictFeature): number[] {
  const ring = f.rings[0]!;
  const n = ring.length - 1 || 1;
  let lon = 0;
  let lat = 0;
  for (const [x, y] of ring.slice(0, n)) {
    lon += x!;
    lat += y!;
  }
  return [lon / n, lat / n];
}

function distance(a: number[], b: number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);
}

/** The shipped names are ours, but escape anyway: the file may be edited. */
function textOf(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
