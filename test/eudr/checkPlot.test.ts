import { expect } from "chai";
import { checkPlot, generateLayers, PixelWindows, polygonShape, readAlertLayer, readRasterLayer, writeGeoTiff, type RasterLayer } from "../../src/eudr";

const AREA = { west: 120.7, south: -1.32, east: 120.72, north: -1.3 };
const square = (west: number, south: number, side: number) => polygonShape([[[[west, south], [west + side, south], [west + side, south + side], [west, south + side], [west, south]]]]);

describe("eudr: one plot's finding", function () {
  let forest: RasterLayer;
  before(async function () {
    // Forest everywhere but a strip cleared before 2020 in the west.
    const layers = generateLayers({ area: AREA, pixelDeg: 0.0001, notForest: [{ west: 120.7, south: -1.32, east: 120.705, north: -1.3 }] });
    forest = await readRasterLayer("forest.tif", layers.forest2020, "forest");
  });
  const forestBlock = async (bounds: [number, number, number, number]) => (await PixelWindows.open(forest, [bounds])).blockFor(bounds);

  it("reads loss from a coarser lossyear grid (30 m against 10 m) and counts it only where the 2020 map has forest", async function () {
    // A lossyear raster of 0.0003° pixels: 2022 loss over a box astride the non-forest strip's edge.
    const grid = { west: AREA.west, north: AREA.north, pixelDeg: 0.0003, width: 67, height: 67 };
    const values = new Uint8Array(67 * 67);
    for (let row = 30; row < 40; row++) for (let col = 10; col < 24; col++) values[row * 67 + col] = 22;
    const loss = await readRasterLayer("hansen.tif", writeGeoTiff({ ...grid, values }), "lossyear");
    // The plot covers the loss box: columns 10-23 of 0.0003° = lon 120.703 to 120.7072; the strip ends at 120.705.
    const shape = square(120.7025, -1.3125, 0.0055);
    const lossBlock = await (await PixelWindows.open(loss, [shape.bounds])).blockFor(shape.bounds);
    const finding = checkPlot({ shape, areaM2: 37_000, forest, forestBlock: await forestBlock(shape.bounds), loss: { kind: "raster", layer: loss, block: lossBlock }, minCoverage: 0.9 });
    expect(finding.result).to.equal("loss_found");
    expect(finding.firstLoss).to.equal("2022");
    // 10 rows x 14 columns of loss pixels; the 2020 map has forest only east of 120.705, where 7 of
    // the 14 columns have their centres (120.70515 to 120.70705): 70 pixels of about 0.111 ha.
    const lossPixelHa = ((0.0003 * 111_195) ** 2 * Math.cos((1.3105 * Math.PI) / 180)) / 10_000;
    expect(finding.lossHa).to.be.closeTo(70 * lossPixelHa, 0.01 * 70 * lossPixelHa);
  });

  it("says loss_found even when coverage is low, and no_data for a plot outside the alerts' bbox", async function () {
    const alerts = readAlertLayer("alerts.geojson", new TextEncoder().encode(JSON.stringify({
      type: "FeatureCollection",
      bbox: [120.7, -1.32, 120.71, -1.3],
      features: [{ type: "Feature", properties: { alert_date: "2021-05-02" }, geometry: { type: "Polygon", coordinates: [[[120.7195, -1.3105], [120.7205, -1.3105], [120.7205, -1.3095], [120.7195, -1.3095], [120.7195, -1.3105]]] } }],
    })));
    // Astride the forest map's east edge (120.72), with the alert on its covered half.
    const edge = square(120.7192, -1.3104, 0.0016);
    const atEdge = checkPlot({ shape: edge, areaM2: 31_000, forest, forestBlock: await forestBlock(edge.bounds), loss: { kind: "alerts", layer: alerts }, minCoverage: 0.9 });
    expect(atEdge.result).to.equal("loss_found");
    expect(atEdge.coverage).to.equal(0);
    // East of the alerts' bbox, inside the forest map: the loss layer says nothing there.
    const east = square(120.715, -1.31, 0.001);
    const outside = checkPlot({ shape: east, areaM2: 12_300, forest, forestBlock: await forestBlock(east.bounds), loss: { kind: "alerts", layer: alerts }, minCoverage: 0.9 });
    expect(outside).to.include({ result: "no_data", coverage: 0, reason: "outside the loss layer (or no data there)", forestShare2020: 1 });
  });

  it("reads a plot's own block when the plots together are too far apart for one read", async function () {
    const a = square(120.701, -1.319, 0.001);
    const b = square(120.718, -1.302, 0.001);
    const windows = await PixelWindows.open(forest, [a.bounds, b.bounds], 1_000);
    const [blockA, blockB] = [await windows.blockFor(a.bounds), await windows.blockFor(b.bounds)];
    expect(blockA!.w * blockA!.h).to.be.below(1_000);
    expect(blockB!.x0).to.be.greaterThan(blockA!.x0 + 100);
    const alerts = readAlertLayer("none.geojson", new TextEncoder().encode('{"type":"FeatureCollection","features":[]}'));
    expect(checkPlot({ shape: a, areaM2: 12_300, forest, forestBlock: blockA, loss: { kind: "alerts", layer: alerts }, minCoverage: 0.9 })).to.include({ result: "clear", forestShare2020: 0 });
    expect(checkPlot({ shape: b, areaM2: 12_300, forest, forestBlock: blockB, loss: { kind: "alerts", layer: alerts }, minCoverage: 0.9 })).to.include({ result: "clear", forestShare2020: 1 });
  });
});
