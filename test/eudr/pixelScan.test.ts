import { expect } from "chai";
import fc from "fast-check";
import turfArea from "@turf/area";
import { writeArrayBuffer } from "geotiff";
import { circleShape, polygonShape, readAlertLayer, readRasterLayer, scanPixels, writeGeoTiff, EudrInputError } from "../../src/eudr";
import { pointInOutline } from "../../src/origins";

const GRID = { west: 120.7, north: -1.3, dx: 0.0001, dy: 0.0001, width: 400, height: 400 };

/** The pixels whose centres a point-in-polygon test puts inside, over the whole bounding box: the baseline. */
function naivePixels(polygons: number[][][][], bounds: [number, number, number, number]): string[] {
  const found: string[] = [];
  const outline = { type: "MultiPolygon" as const, coordinates: polygons };
  for (let row = Math.floor((GRID.north - bounds[3]) / GRID.dy); row <= Math.floor((GRID.north - bounds[1]) / GRID.dy); row++) {
    for (let col = Math.floor((bounds[0] - GRID.west) / GRID.dx); col <= Math.floor((bounds[2] - GRID.west) / GRID.dx); col++) {
      if (pointInOutline([GRID.west + (col + 0.5) * GRID.dx, GRID.north - (row + 0.5) * GRID.dy], outline)) found.push(`${col},${row}`);
    }
  }
  return found.sort();
}

/** A baseline TIFF of 2 x 2 grey pixels and nothing else: what a scanner or a paint program writes. */
function plainTiff(): Uint8Array {
  const entries: Array<[number, number, number]> = [[256, 3, 2], [257, 3, 2], [258, 3, 8], [259, 3, 1], [262, 3, 1], [273, 4, 0], [277, 3, 1], [278, 3, 2], [279, 4, 4]];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  const bytes = new Uint8Array(dataOffset + 4);
  const view = new DataView(bytes.buffer);
  bytes.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, 1, true);
    if (type === 3) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, tag === 273 ? dataOffset : value, true);
  });
  bytes.set([1, 0, 1, 1], dataOffset);
  return bytes;
}

describe("eudr: pixel sampling and the layers' readers", function () {
  it("takes exactly the pixels a point-in-polygon test takes, for any simple polygon with or without a hole (scanline = baseline)", function () {
    // Star-shaped polygons around a centre (simple by construction), some with a hole.
    const star = fc.record({
      cx: fc.double({ min: 120.705, max: 120.735, noNaN: true }),
      cy: fc.double({ min: -1.335, max: -1.305, noNaN: true }),
      radii: fc.array(fc.double({ min: 0.0003, max: 0.004, noNaN: true }), { minLength: 3, maxLength: 24 }),
      hole: fc.boolean(),
    });
    fc.assert(
      fc.property(star, ({ cx, cy, radii, hole }) => {
        const ring = radii.map((r, i) => [cx + r * Math.cos((2 * Math.PI * i) / radii.length), cy + r * Math.sin((2 * Math.PI * i) / radii.length)]);
        const rings = [[...ring, ring[0]!]];
        const inner = Math.min(...radii) / 3;
        if (hole) rings.push([[cx - inner, cy - inner], [cx - inner, cy + inner], [cx + inner, cy + inner], [cx + inner, cy - inner], [cx - inner, cy - inner]]);
        const shape = polygonShape([rings]);
        const scanned: string[] = [];
        scanPixels(GRID, shape, 1, (col, row) => scanned.push(`${col},${row}`));
        const naive = naivePixels([rings], shape.bounds);
        if (naive.length === 0) return scanned.length === 1; // too small: the pixel under its centre
        expect(scanned.sort()).to.deep.equal(naive);
        return true;
      }),
      { numRuns: 150, seed: 16 },
    );
  });

  it("weights pixels with their area on the sphere: a polygon's sampled area is its geodesic area, a point's circle its declared area", function () {
    const ring = [[120.71, -1.32], [120.72, -1.32], [120.725, -1.31], [120.71, -1.305], [120.71, -1.32]];
    let sampled = 0;
    scanPixels(GRID, polygonShape([[ring]]), 1, (_c, _r, _x, _y, area) => (sampled += area));
    const exact = turfArea({ type: "Polygon", coordinates: [ring] });
    expect(Math.abs(sampled - exact) / exact).to.be.below(0.01);
    let circle = 0;
    scanPixels(GRID, circleShape(120.72, -1.32, 40_000), 1, (_c, _r, _x, _y, area) => (circle += area));
    // About 330 pixels of 123 m²: the circle's edge cuts pixels, a few per cent either way.
    expect(Math.abs(circle - 40_000) / 40_000).to.be.below(0.05);
    // A plot smaller than a pixel: the pixel under it, with the plot's own area.
    const visits: number[] = [];
    scanPixels(GRID, circleShape(120.72, -1.32, 10), 10, (_c, _r, _x, _y, area) => visits.push(area));
    expect(visits).to.deep.equal([10]);
  });

  it("reads back what the writer wrote: grid, bounds, nodata and values", async function () {
    const values = Uint8Array.from({ length: 12 }, (_, i) => i % 2);
    values[5] = 255;
    const layer = await readRasterLayer("small.tif", writeGeoTiff({ width: 4, height: 3, west: 120.5, north: -1.25, pixelDeg: 0.001, values, nodata: 255 }), "forest");
    expect(layer).to.include({ width: 4, height: 3, west: 120.5, north: -1.25, nodata: 255 });
    expect(layer.dx).to.be.closeTo(0.001, 1e-12);
    expect(layer.dy).to.be.closeTo(0.001, 1e-12);
    expect([...(await layer.read(1, 1, 3, 3))]).to.deep.equal([255, 0, 1, 0]);
  });

  it("writes the same bytes as geotiff's own writer given the typed array (its slow per-pixel path)", function () {
    const width = 37;
    const height = 23;
    const values = new Uint8Array(width * height).map((_, i) => (i * 13) % 251);
    const theirs = new Uint8Array(
      writeArrayBuffer(values, { width, height, ModelPixelScale: [0.001, 0.001, 0], ModelTiepoint: [0, 0, 0, 120.5, -1.25, 0], GTRasterTypeGeoKey: 1, GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4326, GDAL_NODATA: "255" } as never),
    );
    const ours = writeGeoTiff({ width, height, west: 120.5, north: -1.25, pixelDeg: 0.001, values, nodata: 255 });
    expect(ours.length).to.equal(theirs.length);
    expect(Buffer.compare(Buffer.from(ours), Buffer.from(theirs))).to.equal(0);
  });

  it("refuses a plain TIFF (no GeoTIFF keys) and a geographic grid on another datum, naming the file", async function () {
    const refused = await readRasterLayer("scan.tif", plainTiff(), "forest").catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(EudrInputError);
    expect(refused).to.include({ code: "not_georeferenced", source: "scan.tif" });
    expect((refused as Error).message).to.match(/^scan\.tif: a TIFF without GeoTIFF keys/);
    // WGS 72 (EPSG:4322), a geographic system other than WGS 84.
    const wgs72 = new Uint8Array(writeArrayBuffer(new Uint8Array(4), { width: 2, height: 2, ModelPixelScale: [0.1, 0.1, 0], ModelTiepoint: [0, 0, 0, 120, -1, 0], GTModelTypeGeoKey: 2, GTRasterTypeGeoKey: 1, GeographicTypeGeoKey: 4322 }));
    const other = await readRasterLayer("wgs72.tif", wgs72, "forest").catch((error: unknown) => error);
    expect(other).to.include({ code: "wrong_crs" });
    expect((other as Error).message).to.equal("wgs72.tif: coordinate system EPSG:4322; the check needs WGS 84 longitude/latitude (EPSG:4326)");
  });

  it("keeps alerts after the cut-off only, and refuses one of unknown date", function () {
    const feature = (date: unknown) => ({ type: "Feature", properties: { date }, geometry: { type: "Polygon", coordinates: [[[120.7, -1.3], [120.71, -1.3], [120.71, -1.31], [120.7, -1.3]]] } });
    const file = (dates: unknown[]) => new TextEncoder().encode(JSON.stringify({ type: "FeatureCollection", features: dates.map(feature) }));
    const layer = readAlertLayer("radd.geojson", file(["2020-12-31", "2021-01-01", "2024-03-05T00:00:00Z"]));
    expect(layer.alerts.map((alert) => alert.date)).to.deep.equal(["2021-01-01", "2024-03-05"]);
    expect(layer.near([120.705, -1.305, 120.706, -1.304])).to.have.length(2);
    for (const bad of ["2021-02-30", "last week", 20210101]) {
      expect(() => readAlertLayer("radd.geojson", file(["2022-01-01", bad]))).to.throw(EudrInputError, /^radd\.geojson: feature 1 has no readable date/);
    }
  });
});
