import { generateLayers, type Box } from "../eudr/generateLayers";
import type { PlotGeometry } from "../origins";
import type { District } from "./story";

/**
 * The forest data the demo's forest monitor checks the plots against, one set per district, made
 * with the same GeoTIFF writer a downloaded JRC GFC2020 or Hansen lossyear tile is read with:
 * - 2020 forest cover: forest everywhere around the district's gardens, which were cleared long
 *   before the cut-off (not forest in 2020);
 * - forest loss after the cut-off: none, except where a plot was extended into the forest.
 * The cocoa districts' loss comes as a lossyear raster, the rubber districts' as GeoJSON alerts
 * (the two forms real loss data comes in).
 */
export type DemoForestLayers = {
  district: string;
  forest2020: { name: string; bytes: Uint8Array };
  loss: { name: string; bytes: Uint8Array };
};

export type DemoForestPlot = { district: District; geometry: PlotGeometry; lossYear?: number };

/** Half the side of the area each district's layers cover, degrees (the gardens lie within ±0.035°). */
const HALF_SIDE_DEG = 0.05;
/** About 22 m: coarser than the JRC map's 10 m, fine for plots of half a hectare and more. */
const PIXEL_DEG = 0.0002;
/** Cleared land around a garden's outline (a point plot's circle of its declared area fits inside). */
const CLEARED_MARGIN_DEG = 0.0006;

export function demoForestLayers(plots: readonly DemoForestPlot[], lossFormat: "lossyear" | "alerts"): DemoForestLayers[] {
  const districts = new Map<string, { district: District; plots: DemoForestPlot[] }>();
  for (const plot of plots) {
    const entry = districts.get(plot.district.district) ?? { district: plot.district, plots: [] };
    entry.plots.push(plot);
    districts.set(plot.district.district, entry);
  }
  return [...districts.values()].map(({ district, plots: inDistrict }) => {
    const area: Box = { west: district.lon - HALF_SIDE_DEG, east: district.lon + HALF_SIDE_DEG, south: district.lat - HALF_SIDE_DEG, north: district.lat + HALF_SIDE_DEG };
    const cleared = inDistrict.filter((plot) => plot.lossYear === undefined).map((plot) => grow(bounds(plot.geometry), CLEARED_MARGIN_DEG));
    const loss = inDistrict.filter((plot) => plot.lossYear !== undefined).map((plot) => ({ box: bounds(plot.geometry), year: plot.lossYear! }));
    const layers = generateLayers({ area, pixelDeg: PIXEL_DEG, notForest: cleared, loss });
    const slug = district.district.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    return {
      district: district.district,
      forest2020: { name: `gfc2020-${slug}.tif`, bytes: layers.forest2020 },
      loss: lossFormat === "lossyear" ? { name: `lossyear-${slug}.tif`, bytes: layers.lossYear } : { name: `alerts-${slug}.geojson`, bytes: layers.alerts },
    };
  });
}

function bounds(geometry: PlotGeometry): Box {
  const points: number[][] = geometry.type === "Point" ? [geometry.coordinates] : geometry.type === "Polygon" ? geometry.coordinates.flat() : geometry.coordinates.flat(2);
  const lons = points.map((point) => point[0]!);
  const lats = points.map((point) => point[1]!);
  return { west: Math.min(...lons), east: Math.max(...lons), south: Math.min(...lats), north: Math.max(...lats) };
}

function grow(box: Box, by: number): Box {
  return { west: box.west - by, east: box.east + by, south: box.south - by, north: box.north + by };
}
