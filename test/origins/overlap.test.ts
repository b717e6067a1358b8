import { expect } from "chai";
import { overlapShare, plotAreaM2, pointInOutline, type PlotGeometry } from "../../src/origins";
import { point, shifted, square } from "./fixtures";

const shape = (geometry: PlotGeometry, areaM2 = plotAreaM2(geometry)) => ({ geometry, areaM2 });

describe("origins: overlap between plots", () => {
  const base = square(120.750013, -1.390027, 100);

  it("measures the common area as a share of the smaller plot", () => {
    expect(overlapShare(shape(base), shape(base))).to.be.closeTo(1, 0.001);
    expect(overlapShare(shape(base), shape(shifted(base, 50)))).to.be.closeTo(0.5, 0.01);
    expect(overlapShare(shape(base), shape(shifted(base, 96)))).to.be.closeTo(0.04, 0.005);
    expect(overlapShare(shape(base), shape(shifted(base, 150)))).to.equal(0);
    // A small plot inside a large one is all overlap, whichever is new.
    const large = square(120.749013, -1.391027, 400);
    expect(overlapShare(shape(large), shape(base))).to.be.closeTo(1, 0.001);
    expect(overlapShare(shape(base), shape(large))).to.be.closeTo(1, 0.001);
  });

  it("has a point overlap an outline it lies in, or a point at the same place, and nothing else", () => {
    const inside = point(120.750513, -1.389527);
    const outside = point(120.760513, -1.389527);
    expect(overlapShare(shape(inside, 20_000), shape(base))).to.equal(1);
    expect(overlapShare(shape(base), shape(inside, 20_000))).to.equal(1);
    expect(overlapShare(shape(outside, 20_000), shape(base))).to.equal(0);
    expect(overlapShare(shape(inside, 20_000), shape(inside, 10_000))).to.equal(1);
    expect(overlapShare(shape(inside, 20_000), shape(point(120.750514, -1.389527), 10_000))).to.equal(0);
  });

  it("puts a point in a hole outside the plot", () => {
    const outer = square(120.750013, -1.390027, 200).coordinates[0]!;
    const hole = square(120.750513, -1.389527, 50).coordinates[0]!;
    const withHole = { type: "Polygon" as const, coordinates: [outer, hole] };
    expect(pointInOutline([120.750713, -1.389327], withHole)).to.equal(false);
    expect(pointInOutline([120.750113, -1.389927], withHole)).to.equal(true);
  });
});
