import fs from "node:fs";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

/**
 * Country outlines from Natural Earth's 1:50m admin-0 data, as the `world-atlas` package ships
 * them (TopoJSON). Read from disk only when a map is drawn, and not kept: the caller caches the
 * few maps it draws, not the 0.7 MB of coastline.
 */
export type Ring = Array<[number, number]>;
export type CountryOutline = { iso: string | null; numeric: string; rings: Ring[] };
export type LonLatBox = { west: number; south: number; east: number; north: number };

/**
 * ISO 3166-1 alpha-2 to the numeric code Natural Earth features carry, for the countries that
 * grow cocoa or rubber and their neighbours (an origin elsewhere gets a map without its country
 * shaded, but still with every coastline).
 */
export const ISO_NUMERIC: Readonly<Record<string, string>> = {
  ID: "360", TH: "764", MY: "458", VN: "704", KH: "116", LA: "418", MM: "104", PH: "608", PG: "598", TL: "626",
  BN: "096", SG: "702", CN: "156", IN: "356", LK: "144", BD: "050", CI: "384", GH: "288", NG: "566", CM: "120",
  TG: "768", LR: "430", SL: "694", GN: "324", BR: "076", EC: "218", PE: "604", CO: "170", DO: "214", MX: "484",
  AU: "036", SB: "090",
};
const ALPHA2 = new Map(Object.entries(ISO_NUMERIC).map(([alpha2, numeric]) => [numeric, alpha2]));

/** Every country's rings (lon, lat): outer rings and holes, as Natural Earth draws them. */
export function readCountryOutlines(): CountryOutline[] {
  const file = require.resolve("world-atlas/countries-50m.json");
  const topology = JSON.parse(fs.readFileSync(file, "utf8")) as Topology<{ countries: GeometryCollection }>;
  const outlines: CountryOutline[] = [];
  for (const country of feature(topology, topology.objects.countries).features) {
    const geometry = country.geometry;
    const polygons = geometry?.type === "Polygon" ? [geometry.coordinates] : geometry?.type === "MultiPolygon" ? geometry.coordinates : [];
    const rings = polygons.flat() as Ring[];
    if (rings.length === 0) continue;
    const numeric = String(country.id ?? "");
    outlines.push({ iso: ALPHA2.get(numeric) ?? null, numeric, rings });
  }
  return outlines;
}

export function boxOf(rings: readonly Ring[]): LonLatBox {
  const box = { west: Infinity, south: Infinity, east: -Infinity, north: -Infinity };
  for (const ring of rings) {
    for (const [lon, lat] of ring) {
      box.west = Math.min(box.west, lon);
      box.east = Math.max(box.east, lon);
      box.south = Math.min(box.south, lat);
      box.north = Math.max(box.north, lat);
    }
  }
  return box;
}
