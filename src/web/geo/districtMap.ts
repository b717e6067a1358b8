import fs from "node:fs";
import path from "node:path";

/**
 * The district outlines shipped in `districts.geojson`: simplified and approximate, drawn for the
 * districts the network's demo and pilots use; their coastal edges run into the sea, and the
 * origin map (`originMap.ts`) clips them to the coastline.
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
