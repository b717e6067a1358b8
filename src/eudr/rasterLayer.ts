import { createHash } from "node:crypto";
import type { GeoTIFFImage } from "geotiff";
import { EudrInputError } from "./errors";

/**
 * The `geotiff` package, loaded when a layer is first read: it is a tenth of a second of CPU that
 * every gateway start (and every command that loads the EUDR module) paid without reading a layer.
 */
const geotiff = () => require("geotiff") as typeof import("geotiff");

/** What a layer holds: 2020 forest cover (1 forest, 0 not) or the year of loss (years since 2000, 0 none). */
export type RasterKind = "forest" | "lossyear";

/** A dataset as the report names it: its file name and the sha256 of its bytes. */
export type DatasetRef = { name: string; sha256: string; bytes: number };

/**
 * A georeferenced single-band raster on a WGS 84 longitude/latitude grid, north up. Pixels are
 * read by window (`read`), so a 10 x 10 degree tile is never held whole for a district's plots.
 */
export type RasterLayer = DatasetRef & {
  kind: RasterKind;
  width: number;
  height: number;
  /** Longitude of the west edge and latitude of the north edge, degrees. */
  west: number;
  north: number;
  /** Pixel width and height in degrees (both positive; rows run south). */
  dx: number;
  dy: number;
  nodata: number | null;
  /** The pixels of columns [x0, x1) and rows [y0, y1), clipped to the raster by the caller. */
  read(x0: number, y0: number, x1: number, y1: number): Promise<Uint8Array | Uint16Array | Int16Array | Float32Array | Float64Array>;
};

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** EPSG:4326 (WGS 84) and CRS84's datum: the grids the check accepts. */
const WGS84 = 4326;

/**
 * Reads and checks a GeoTIFF as the check needs it: one band, a geographic model on WGS 84
 * (GeographicTypeGeoKey 4326), pixel scale and tie point (no rotation). Throws EudrInputError
 * naming the file for anything else.
 */
export async function readRasterLayer(name: string, bytes: Uint8Array, kind: RasterKind): Promise<RasterLayer> {
  const fail = (code: string, message: string) => new EudrInputError(code, name, message);
  const view = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let image: GeoTIFFImage;
  try {
    const tiff = await geotiff().fromArrayBuffer(view);
    image = await tiff.getImage();
  } catch (error) {
    throw fail("not_geotiff", `not a GeoTIFF (${(error as Error).message})`);
  }
  const keys = image.getGeoKeys() as Record<string, unknown> | null;
  if (!keys || Object.keys(keys).length === 0) throw fail("not_georeferenced", "a TIFF without GeoTIFF keys: the check needs a georeferenced raster (WGS 84, EPSG:4326)");
  if (keys.ProjectedCSTypeGeoKey !== undefined || keys.GTModelTypeGeoKey === 1) {
    throw fail("wrong_crs", `a projected coordinate system (EPSG:${String(keys.ProjectedCSTypeGeoKey ?? "?")}); the check needs WGS 84 longitude/latitude (EPSG:4326): reproject it first (gdalwarp -t_srs EPSG:4326)`);
  }
  if (keys.GTModelTypeGeoKey !== 2 || keys.GeographicTypeGeoKey !== WGS84) {
    throw fail("wrong_crs", `coordinate system ${keys.GeographicTypeGeoKey === undefined ? "not stated" : `EPSG:${String(keys.GeographicTypeGeoKey)}`}; the check needs WGS 84 longitude/latitude (EPSG:4326)`);
  }
  if (image.getSamplesPerPixel() !== 1) throw fail("not_single_band", `${image.getSamplesPerPixel()} bands; the check reads single-band layers`);
  const tags = image.fileDirectory;
  if (tags.hasTag("ModelTransformation")) throw fail("rotated_grid", "a grid given by a transformation matrix; the check needs a north-up grid (pixel scale and tie point)");
  if (!tags.hasTag("ModelPixelScale") || !tags.hasTag("ModelTiepoint")) throw fail("not_georeferenced", "no pixel scale and tie point: the raster's position is unknown");
  const [west, north] = image.getOrigin() as [number, number];
  const [dx, negativeDy] = image.getResolution() as [number, number];
  const dy = -negativeDy;
  const width = image.getWidth();
  const height = image.getHeight();
  if (!(dx > 0) || !(dy > 0)) throw fail("rotated_grid", "pixel size must be positive with rows running south (north up)");
  if (west < -180 || west + dx * width > 180.000001 || north > 90.000001 || north - dy * height < -90.000001) {
    throw fail("wrong_crs", `bounds [${west}, ${north - dy * height}, ${west + dx * width}, ${north}] are not longitude/latitude degrees`);
  }
  return {
    name,
    sha256: sha256Hex(bytes),
    bytes: bytes.byteLength,
    kind,
    width,
    height,
    west,
    north,
    dx,
    dy,
    nodata: image.getGDALNoData(),
    read: async (x0, y0, x1, y1) => (await image.readRasters({ window: [x0, y0, x1, y1], samples: [0], interleave: true })) as unknown as Uint8Array,
  };
}
