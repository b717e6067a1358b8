import { expect } from "chai";
import { migrate, type Database } from "../../src/db";
import { PlotTakenError, plotAreaM2, plotCommitment, plotGeometrySchema, registerPlot, summariseOrigins } from "../../src/origins";
import { describeEachEngine } from "../helpers/engines";

// About 100 m x 100 m near the equator (Sulawesi): 0.0009 degrees of arc is ~100 m.
const square = (lon: number, lat: number, side = 0.0009): { type: "Polygon"; coordinates: number[][][] } => ({
  type: "Polygon",
  coordinates: [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]],
});
const SALT = `0x${"ab".repeat(32)}`;

describe("origins: plot geometry and commitment", () => {
  it("computes a plot's area within 1% of the planar estimate near the equator", () => {
    const side = 0.0009 * (Math.PI / 180) * 6_378_137;
    const area = plotAreaM2(square(120.1, -2.5));
    expect(area).to.be.closeTo(side * side, side * side * 0.01);
  });

  it("subtracts holes", () => {
    const outer = square(120.1, -2.5, 0.002).coordinates[0]!;
    const hole = square(120.1005, -2.4995, 0.0005).coordinates[0]!;
    const withHole = plotAreaM2({ type: "Polygon", coordinates: [outer, hole] });
    expect(withHole).to.be.closeTo(plotAreaM2(square(120.1, -2.5, 0.002)) - plotAreaM2(square(120.1005, -2.4995, 0.0005)), 1);
  });

  it("refuses open rings, out-of-range positions and other geometry types", () => {
    expect(plotGeometrySchema.safeParse({ type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }).success).to.equal(false);
    expect(plotGeometrySchema.safeParse({ type: "Polygon", coordinates: [[[0, 0], [181, 0], [1, 1], [0, 0]]] }).success).to.equal(false);
    expect(plotGeometrySchema.safeParse({ type: "Point", coordinates: [0, 0] }).success).to.equal(false);
    // Empty or malformed rings are refused with the schema's issues, never a TypeError.
    for (const coordinates of [[[]], [[], []], [[null, null, null, null]], [["a"]], [[[0, 0], [1, 0], [1, 1], null]]]) {
      const parsed = plotGeometrySchema.safeParse({ type: "Polygon", coordinates });
      expect(parsed.success, JSON.stringify(coordinates)).to.equal(false);
      expect(parsed.error?.issues.length).to.be.greaterThan(0);
    }
    expect(plotGeometrySchema.safeParse({ type: "MultiPolygon", coordinates: [[[]]] }).success).to.equal(false);
  });

  it("binds the commitment to the geometry, the farmer reference and the salt", () => {
    const base = { geometry: square(120.1, -2.5), farmerRef: "KSU-001", salt: SALT };
    const commitment = plotCommitment(base);
    expect(commitment).to.match(/^0x[0-9a-f]{64}$/);
    expect(plotCommitment({ ...base })).to.equal(commitment);
    expect(plotCommitment({ ...base, farmerRef: "KSU-002" })).to.not.equal(commitment);
    expect(plotCommitment({ ...base, salt: `0x${"cd".repeat(32)}` })).to.not.equal(commitment);
    expect(plotCommitment({ ...base, geometry: square(120.1001, -2.5) })).to.not.equal(commitment);
  });
});

describeEachEngine("origins: plot store", (engine) => {
  let db: Database;
  before(async () => {
    db = await engine.openEmpty();
    await migrate(db);
  });
  after(() => db.close());

  it("registers a plot once and summarises by district without geometry or farmer", async () => {
    const first = await registerPlot(db, { memberId: 3n, farmerRef: "F-1", geometry: square(120.1, -2.5), country: "id", province: "Sulawesi Tengah", district: "Parigi Moutong", salt: SALT });
    expect(first.created).to.equal(true);
    const again = await registerPlot(db, { memberId: 3n, farmerRef: "F-1", geometry: square(120.1, -2.5), country: "ID", province: "Sulawesi Tengah", district: "Parigi Moutong", salt: SALT });
    expect(again).to.deep.equal({ ...first, created: false });
    const second = await registerPlot(db, { memberId: 3n, farmerRef: "F-2", geometry: square(120.2, -2.5), country: "ID", province: "Sulawesi Tengah", district: "Poso" });
    const summary = await summariseOrigins(db, [first.commitment, second.commitment, first.commitment.toUpperCase().replace("0X", "0x"), `0x${"00".repeat(32)}`]);
    expect(summary.plots).to.equal(2);
    expect(summary.unregistered).to.equal(1);
    expect(summary.areaM2).to.equal(first.areaM2 + second.areaM2);
    expect(summary.districts.map((d) => d.district).sort()).to.deep.equal(["Parigi Moutong", "Poso"]);
    expect(JSON.stringify(summary)).to.not.match(/F-1|coordinates|120\.1/);
  });

  it("refuses a record another member registered, and bad fields", async () => {
    const record = { farmerRef: "F-9", geometry: square(121, -2.5), country: "ID", province: "P", district: "D", salt: SALT };
    await registerPlot(db, { ...record, memberId: 3n });
    let error: Error | undefined;
    await registerPlot(db, { ...record, memberId: 4n }).catch((e: Error) => (error = e));
    expect(error).to.be.instanceOf(PlotTakenError);
    expect(error?.message).to.match(/another member/);
    await registerPlot(db, { ...record, memberId: 3n, country: "IDN" }).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/ISO 3166/);
    const { rows } = await db.query("select count(*)::int as n from origin_plots");
    expect(rows[0]!.n).to.equal(3);
  });
});
