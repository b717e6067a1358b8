import { expect } from "chai";
import { PlotIndex, type Bounds } from "../../src/origins";
import { mulberry32 } from "../helpers/seededRandom";

type Item = { id: number; bounds: Bounds; alive: boolean };

describe("origins: the plot index (Flatbush levels and a tail)", () => {
  const random = mulberry32(15_001);
  const box = (id: number): Item => {
    const x = 100 + random() * 20;
    const y = -5 + random() * 10;
    const size = random() * 0.01;
    return { id, bounds: [x, y, x + size, y + size], alive: true };
  };
  const brute = (items: readonly Item[], [minX, minY, maxX, maxY]: Bounds) =>
    items.filter((item) => item.alive && item.bounds[0] <= maxX && item.bounds[1] <= maxY && item.bounds[2] >= minX && item.bounds[3] >= minY).map((item) => item.id).sort((a, b) => a - b);

  it("finds what a full scan finds, while entries are added one by one and removed", () => {
    const loaded = Array.from({ length: 1_000 }, (_, i) => box(i));
    const index = new PlotIndex(loaded);
    const all = [...loaded];
    for (let i = 1_000; i < 5_000; i++) {
      const item = box(i);
      index.add(item);
      all.push(item);
      if (i % 7 === 0) index.remove(all[Math.floor(random() * all.length)]!);
      if (i % 250 === 0) {
        for (let q = 0; q < 20; q++) {
          const query = box(-1).bounds;
          const wide: Bounds = [query[0] - 0.05, query[1] - 0.05, query[2] + 0.05, query[3] + 0.05];
          expect(index.search(wide).map((item) => item.id).sort((a, b) => a - b)).to.deep.equal(brute(all, wide));
        }
      }
    }
    expect(index.size).to.equal(all.filter((item) => item.alive).length);
  });

  it("keeps few levels and a short tail: the logarithmic method", () => {
    const index = new PlotIndex<Item>();
    for (let i = 0; i < 10_000; i++) index.add(box(i));
    const { levels, tail } = index.shape;
    expect(tail).to.be.below(128);
    expect(levels.length).to.be.at.most(Math.ceil(Math.log2(10_000 / 128)) + 1);
    expect(levels.reduce((sum, n) => sum + n, 0) + tail).to.equal(10_000);
  });

  it("rebuilds once removed entries outnumber live ones", () => {
    const items = Array.from({ length: 600 }, (_, i) => box(i));
    const index = new PlotIndex(items);
    for (const item of items.slice(0, 500)) index.remove(item);
    expect(index.size).to.equal(100);
    // Rebuilt whenever the marked entries outnumber the live ones (and a tail's worth): never more kept than that.
    const kept = index.shape.levels.reduce((sum, n) => sum + n, 0) + index.shape.tail;
    expect(kept).to.be.below(600);
    expect(kept - index.size).to.be.at.most(Math.max(128, index.size));
    expect(index.search([-180, -90, 180, 90]).length).to.equal(100);
  });
});
