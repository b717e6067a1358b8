import { expect } from "chai";
import { boundsOf, decimalsOf, plotAreaM2, plotGeometrySchema } from "../../src/origins";
import { point, square } from "./fixtures";

const messages = (input: unknown) => {
  const parsed = plotGeometrySchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
};

describe("origins: plot geometry (EUDR rules)", () => {
  it("accepts a Point, a Polygon and a MultiPolygon in WGS 84 with six decimals", () => {
    expect(messages(point(120.750013, -1.390027))).to.deep.equal([]);
    expect(messages(square(120.750013, -1.390027))).to.deep.equal([]);
    const multi = { type: "MultiPolygon", coordinates: [square(120.750013, -1.390027).coordinates, square(120.760013, -1.390027).coordinates] };
    expect(messages(multi)).to.deep.equal([]);
  });

  it("refuses coordinates with five decimal places, naming the precision found", () => {
    expect(messages({ type: "Point", coordinates: [120.75001, -1.39002] })).to.deep.equal([
      "coordinates need at least 6 decimal places (EUDR geolocation); the most precise one here has 5",
    ]);
    const fiveDecimals = { type: "Polygon", coordinates: [[[120.75001, -1.39002], [120.75101, -1.39002], [120.75101, -1.38902], [120.75001, -1.38902], [120.75001, -1.39002]]] };
    expect(messages(fiveDecimals).join()).to.contain("at least 6 decimal places");
  });

  it("counts a geometry's precision by its most precise coordinate (a sixth decimal that is 0 is not lost precision)", () => {
    expect(decimalsOf(120.75)).to.equal(2);
    expect(decimalsOf(-1.390027)).to.equal(6);
    expect(decimalsOf(1.5e-7)).to.equal(8);
    expect(decimalsOf(120)).to.equal(0);
    // 120.123450 is written 120.12345 in JSON: its neighbour's sixth decimal carries the precision.
    expect(messages({ type: "Point", coordinates: [120.12345, -1.390027] })).to.deep.equal([]);
  });

  it("refuses longitudes and latitudes out of range, hinting at swapped order", () => {
    expect(messages({ type: "Point", coordinates: [180.000001, -1.390027] }).join()).to.contain("longitude: -180 to 180");
    const swapped = messages({ type: "Point", coordinates: [-1.390027, 120.750013] }).join();
    expect(swapped).to.contain("latitude: -90 to 90");
    expect(swapped).to.contain("longitude first");
  });

  it("refuses open rings, short rings, empty and malformed coordinates, and other types", () => {
    const open = square(120.750013, -1.390027);
    open.coordinates[0]!.pop();
    open.coordinates[0]!.push([120.750013, -1.389]);
    expect(messages(open).join()).to.contain("must end where it starts");
    expect(messages({ type: "Polygon", coordinates: [[[120.750013, -1.390027], [120.751013, -1.390027], [120.750013, -1.390027]]] }).join()).to.contain("at least 4 positions");
    for (const coordinates of [[[]], [[], []], [[null, null, null, null]], [["a"]], [[[0, 0], [1, 0], [1, 1], null]]]) {
      expect(messages({ type: "Polygon", coordinates }).length, JSON.stringify(coordinates)).to.be.greaterThan(0);
    }
    expect(messages({ type: "MultiPolygon", coordinates: [[[]]] }).length).to.be.greaterThan(0);
    expect(messages({ type: "LineString", coordinates: [[120.750013, -1.390027], [120.751013, -1.390027]] }).length).to.be.greaterThan(0);
    expect(messages({ type: "Point", coordinates: [120.750013] }).length).to.be.greaterThan(0);
    expect(messages({ type: "Point", coordinates: [120.750013, -1.390027], crs: "EPSG:3857" }).length).to.be.greaterThan(0);
  });

  it("refuses a self-intersecting outline (a bow tie), saying where it crosses", () => {
    const bowTie = { type: "Polygon", coordinates: [[[120.750013, -1.390027], [120.751013, -1.389027], [120.751013, -1.390027], [120.750013, -1.389027], [120.750013, -1.390027]]] };
    const found = messages(bowTie).join();
    expect(found).to.contain("crosses itself");
    expect(found).to.match(/near \[120\.7505\d*, -1\.3895\d*\]/);
  });

  it("computes areas geodesically: a 100 m square is 1 ha, holes are subtracted, a point has none", () => {
    expect(plotAreaM2(square(120.750013, -1.390027, 100))).to.be.closeTo(10_000, 60);
    // Far from the equator a degree of longitude is shorter: the area is still metres squared.
    expect(plotAreaM2(square(100.400013, 6.950027, 100))).to.be.closeTo(10_000, 60);
    const outer = square(120.750013, -1.390027, 200).coordinates[0]!;
    const hole = square(120.750513, -1.389527, 50).coordinates[0]!;
    expect(plotAreaM2({ type: "Polygon", coordinates: [outer, hole] })).to.be.closeTo(40_000 - 2_500, 100);
    expect(plotAreaM2(point(120.750013, -1.390027))).to.equal(0);
  });

  it("bounds a geometry by its extreme positions", () => {
    expect(boundsOf({ type: "Polygon", coordinates: [[[1.000001, 2.000001], [3.000001, 2.000001], [3.000001, 5.000001], [1.000001, 2.000001]]] })).to.deep.equal([1.000001, 2.000001, 3.000001, 5.000001]);
    expect(boundsOf(point(120.750013, -1.390027))).to.deep.equal([120.750013, -1.390027, 120.750013, -1.390027]);
  });
});
