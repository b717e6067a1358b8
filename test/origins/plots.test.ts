import { expect } from "chai";
import { type Database } from "../../src/db";
import { PlotTakenError, plotCommitment, registerPlot, summariseOrigins } from "../../src/origins";
import { describeEachEngine } from "../helpers/engines";
import { square as squareM } from "./fixtures";

// About 100 m x 100 m near the equator (Sulawesi), at six decimals.
const square = (lon: number, lat: number) => squareM(lon + 0.000013, lat + 0.000027, 100);
const SALT = `0x${"ab".repeat(32)}`;

describe("origins: plot commitment", () => {
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
    db = await engine.openMigrated();
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
    expect(summary.farmers, "two farmer references").to.equal(2);
    expect(summary.unregistered).to.equal(1);
    expect(summary.areaM2).to.equal(first.areaM2 + second.areaM2);
    expect(summary.districts.map((d) => d.district).sort()).to.deep.equal(["Parigi Moutong", "Poso"]);
    expect(JSON.stringify(summary)).to.not.match(/F-1|coordinates|120\.1/);
    // A farmer's second plot is one household; the same reference at another cooperative is another.
    const third = await registerPlot(db, { memberId: 3n, farmerRef: "F-1", geometry: square(120.3, -2.5), country: "ID", province: "Sulawesi Tengah", district: "Poso" });
    const elsewhere = await registerPlot(db, { memberId: 4n, farmerRef: "F-1", geometry: square(120.4, -2.5), country: "ID", province: "Sulawesi Tengah", district: "Poso" });
    const households = await summariseOrigins(db, [first.commitment, second.commitment, third.commitment, elsewhere.commitment]);
    expect(households.plots).to.equal(4);
    expect(households.farmers).to.equal(3);
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
    const { rows } = await db.query("select count(*)::int as n from origin_plots where farmer_ref = 'F-9'");
    expect(rows[0]!.n).to.equal(1);
  });
});
