
/**
 * A single-band 8-bit GeoTIFF on a WGS 84 longitude/latitude grid, written with the `geotiff`
 * package: ModelPixelScale and ModelTiepoint (the north-west corner of the first pixel, pixels as
 * areas) and a GeoKeyDirectory naming EPSG:4326, plus GDAL's nodata tag. It is how the project's
 * tests and demo make forest and loss layers, and `readRasterLayer` reads them exactly as it reads
 * a downloaded one (JRC GFC2020, Hansen lossyear).
 */
export type GeoTiffGrid = {
  width: number;
  height: number;
  /** Longitude of the raster's west edge, degrees. */
  west: number;
  /** Latitude of the raster's north edge, degrees. */
  north: number;
  /** Pixel width and height in degrees. */
  pixelDeg: number;
};

export type WriteGeoTiffParameters = GeoTiffGrid & {
  /** Row by row from the north-west corner, `width * height` values. */
  values: Uint8Array;
  /** The value meaning "no data" (GDAL_NODATA), if any. */
  nodata?: number | undefined;
  /**
   * Another coordinate system, for tests of the refusal: an EPSG code of a projected system
   * (e.g. 32750, UTM 50S) is written as a projected model.
   */
  projectedEpsg?: number | undefined;
};

export function writeGeoTiff(parameters: WriteGeoTiffParameters): Uint8Array {
  const { width, height, west, north, pixelDeg, values, nodata, projectedEpsg } = parameters;
  if (values.length !== width * height) throw new Error(`writeGeoTiff: ${values.length} values for a ${width} x ${height} grid`);
  const crs = projectedEpsg
    ? { GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: projectedEpsg }
    : { GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4326 };
  // geotiff copies a typed array's pixels one at a time through a fresh DataView each (most of a
  // second for a 500 x 500 layer); a plain array takes its direct path instead, in a buffer sized
  // for 8-byte samples: with one byte per pixel declared, the unused tail is cut off below.
  // Loaded here, when a layer is written (tests, the demo), not by every start: see rasterLayer.ts.
  const { writeArrayBuffer } = require("geotiff") as typeof import("geotiff");
  const buffer = writeArrayBuffer(Array.from(values), {
    width,
    height,
    BitsPerSample: [8],
    SampleFormat: [1],
    StripByteCounts: [width * height],
    ModelPixelScale: [pixelDeg, pixelDeg, 0],
    ModelTiepoint: [0, 0, 0, west, north, 0],
    GTRasterTypeGeoKey: 1,
    ...crs,
    ...(nodata === undefined ? {} : { GDAL_NODATA: String(nodata) }),
  });
  return new Uint8Array(buffer.slice(0, buffer.byteLength - values.length * (PLAIN_ARRAY_SAMPLE_BYTES - 1)));
}

/** The sample size geotiff's writer assumes for a plain array (Float64). */
const PLAIN_ARRAY_SAMPLE_BYTES = 8;

/** A grid of `fill`, for a generator to paint on. */
export function blankGrid(grid: GeoTiffGrid, fill = 0): Uint8Array {
  return new Uint8Array(grid.width * grid.height).fill(fill);
}

/** Sets every pixel whose centre lies in [west, east] x [south, north] (degrees) to `value`. */
export function paintBox(grid: GeoTiffGrid, values: Uint8Array, box: { west: number; south: number; east: number; north: number }, value: number): void {
  const c0 = Math.max(0, Math.ceil((box.west - grid.west) / grid.pixelDeg - 0.5));
  const c1 = Math.min(grid.width - 1, Math.floor((box.east - grid.west) / grid.pixelDeg - 0.5));
  const r0 = Math.max(0, Math.ceil((grid.north - box.north) / grid.pixelDeg - 0.5));
  const r1 = Math.min(grid.height - 1, Math.floor((grid.north - box.south) / grid.pixelDeg - 0.5));
  for (let r = r0; r <= r1; r++) values.fill(value, r * grid.width + c0, r * grid.width + c1 + 1);
}
