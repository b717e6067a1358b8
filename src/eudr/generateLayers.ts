import { blankGrid, paintBox, writeGeoTiff, type GeoTiffGrid } from "./geotiffWriter";

export type Box = { west: number; south: number; east: number; north: number };

export type GenerateLayersParameters = {
  /** The area the layers cover, degrees. */
  area: Box;
  /** Pixel size in degrees (0.0001° is about 11 m, near the JRC map's 10 m). */
  pixelDeg: number;
  /** Everything is forest in 2020 except these boxes (farms cleared long ago, villages). */
  notForest?: readonly Box[];
  /** Forest lost after the cut-off: a box and its year (2021 or later; 2020 and before is painted too, to test it is ignored). */
  loss?: ReadonlyArray<{ box: Box; year: number }>;
  /** Boxes of no data in both rasters (cloud, a tile's gap). */
  noData?: readonly Box[];
};

/** The layers as a user's would come: a forest GeoTIFF, a lossyear GeoTIFF and the same loss as GeoJSON alerts. */
export type GeneratedLayers = { grid: GeoTiffGrid; forest2020: Uint8Array; lossYear: Uint8Array; alerts: Uint8Array };

/** Nodata value of the generated rasters (as in many uint8 products). */
export const GENERATED_NODATA = 255;

/**
 * Small forest and loss layers around an area (a demo district, a test's plots), written with the
 * same GeoTIFF writer and read back by the check exactly as a downloaded JRC or Hansen tile.
 */
export function generateLayers(parameters: GenerateLayersParameters): GeneratedLayers {
  const { area, pixelDeg } = parameters;
  const grid: GeoTiffGrid = {
    west: area.west,
    north: area.north,
    pixelDeg,
    width: Math.max(1, Math.round((area.east - area.west) / pixelDeg)),
    height: Math.max(1, Math.round((area.north - area.south) / pixelDeg)),
  };
  const forest = blankGrid(grid, 1);
  const lossYear = blankGrid(grid, 0);
  for (const box of parameters.notForest ?? []) paintBox(grid, forest, box, 0);
  for (const { box, year } of parameters.loss ?? []) paintBox(grid, lossYear, box, year - 2000);
  for (const box of parameters.noData ?? []) {
    paintBox(grid, forest, box, GENERATED_NODATA);
    paintBox(grid, lossYear, box, GENERATED_NODATA);
  }
  const features = (parameters.loss ?? []).map(({ box, year }, i) => ({
    type: "Feature",
    properties: { id: i + 1, date: `${year}-06-15`, source: "generated" },
    geometry: { type: "Polygon", coordinates: [[[box.west, box.south], [box.east, box.south], [box.east, box.north], [box.west, box.north], [box.west, box.south]]] },
  }));
  return {
    grid,
    forest2020: writeGeoTiff({ ...grid, values: forest, nodata: GENERATED_NODATA }),
    lossYear: writeGeoTiff({ ...grid, values: lossYear, nodata: GENERATED_NODATA }),
    alerts: new TextEncoder().encode(JSON.stringify({ type: "FeatureCollection", features })),
  };
}
