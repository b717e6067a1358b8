import { expect } from "chai";
import { formatFarmerCode, generateFarmerCode } from "../../src/farmers";
import { ImportFileError, runImport, type ImportContext, type ImportReport } from "../../src/imports";
import { DeliveryCapacity, PlotRegistry } from "../../src/origins";
import { openFarmerFixture, type FarmerFixture } from "../farmers/helpers";
import { shifted, square } from "../origins/fixtures";
import { csv, xlsx } from "./sheets";

const COOP = 11n;
const OTHER = 12n;
const TODAY = new Date();
const THIS_YEAR = TODAY.getUTCFullYear();
const wkt = (geometry: { coordinates: number[][][] }) => `POLYGON ((${geometry.coordinates[0]!.map(([x, y]) => `${x!.toFixed(6)} ${y!.toFixed(6)}`).join(", ")}))`;

describe("imports: farmers, plots and deliveries from a spreadsheet", function () {
  let fixture: FarmerFixture;
  let context: ImportContext;
  const run = (kind: "farmers" | "plots" | "deliveries", file: Uint8Array, dryRun = false, memberId = COOP) => runImport(context, { memberId, kind, file, dryRun });
  const count = async (table: string, where = "true") => (await fixture.db.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`)).rows[0]!.n;
  const statuses = (report: ImportReport) => report.results.map((result) => `${result.row}:${result.status}`);
  const codes = Array.from({ length: 4 }, () => generateFarmerCode());

  before(async function () {
    fixture = await openFarmerFixture();
    const plots = await PlotRegistry.load(fixture.db);
    context = { db: fixture.db, plots, capacity: new DeliveryCapacity(fixture.db, plots), sealer: fixture.keystore.records, evidence: fixture.store, maxAttempts: 10, maxBytes: 20 * 1024 * 1024 };
    await fixture.keystore.createAccount(COOP);
  });
  after(() => fixture.close());

  describe("farmers", function () {
    const file = () =>
      csv([
        ["farmer_code", "name", "gender", "birth_year", "household_size", "female_headed_household", "village", "language"],
        [formatFarmerCode(codes[0]!), "Siti Rahma", "perempuan", "1978", "5", "ya", "Tambarana", "id"],
        [codes[1]!, "Made Wirawan", "laki-laki", "1985", "4", "tidak", "Tambarana", "id"],
        ["", "Somchai Dee", "ชาย", "2521", "3", "ไม่ใช่", "Ban Khlong", "th"],
        [codes[2]!, "Nguyễn Thị Lan", "nữ", "1990", "", "có", "Thôn 3", "vi"],
        ["", "Not A Gender", "robot", "1990", "0", "", "", "xx"],
      ]);

    it("checks every row in a dry run and writes nothing", async function () {
      const report = await run("farmers", file(), true);
      expect(report).to.deep.include({ kind: "farmers", dryRun: true, rows: 5, created: 0, valid: 4, unchanged: 0, refused: 1 });
      expect(report.issues.map((issue) => [issue.row, issue.column])).to.deep.equal([[6, "gender"], [6, "household_size"], [6, "language"]]);
      expect(await count("farmers")).to.equal(0);
    });

    it("creates the good rows (codes given or made), and the same file again creates nothing", async function () {
      const report = await run("farmers", file());
      expect(report).to.deep.include({ created: 4, unchanged: 0, refused: 1 });
      expect(report.results[0]).to.deep.include({ row: 2, status: "created", code: formatFarmerCode(codes[0]!) });
      expect(report.results[2]!.code).to.match(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      expect(await count("farmers", `member_id = ${COOP}`)).to.equal(4);
      const again = await run("farmers", file());
      expect(again).to.deep.include({ created: 0, unchanged: 4, refused: 1 });
      expect(again.results[0]!.ref).to.equal(report.results[0]!.ref);
      expect(await count("farmers")).to.equal(4);
    });

    it("refuses a card code already printed, one given twice, a row repeated, and a mistyped code", async function () {
      const last = codes[3]!.at(-1)!;
      const typo = `${codes[3]!.slice(0, 7)}${last === "0" ? "1" : "0"}`;
      const report = await run(
        "farmers",
        csv([["farmer_code", "name"], [codes[0]!, "Someone Else"], [codes[3]!, "First"], [codes[3]!, "Second"], ["", "Twin"], ["", "Twin"], [typo, "Typo"]]),
        true,
      );
      expect(report.issues.map((issue) => `${issue.row} ${issue.column}: ${issue.reason}`)).to.deep.equal([
        `2 farmer_code: card code ${formatFarmerCode(codes[0]!)} is already printed for another farmer`,
        `4 farmer_code: card code ${formatFarmerCode(codes[3]!)} is also on row 3`,
        "6 null: the same as row 5",
        `7 farmer_code: ${JSON.stringify(typo)}: the check symbol does not match: a symbol is mistyped or two are swapped`,
      ]);
    });

    it("reads an XLSX with Indonesian headers, and refuses a formula cell's row", async function () {
      const book = await xlsx([["Nama", "Desa", "Jumlah anggota keluarga"], ["Wayan", "Tambarana", 3], ["Ketut", "Tambarana", { formula: "1+2", result: 3 }]]);
      const report = await run("farmers", book, true);
      expect(statuses(report)).to.deep.equal(["2:valid", "3:refused"]);
      expect(report.issues[0]!.reason).to.contain("formula");
    });
  });

  describe("plots", function () {
    const base = square(120.750013, -1.390027);
    const header = ["farmer_code", "ref", "latitude", "longitude", "area_ha", "polygon", "country", "province", "district", "tenure"];
    const file = () =>
      csv([
        header,
        [codes[0]!, "PSO-1", "", "", "", wkt(base), "ID", "Sulawesi Tengah", "Poso", "adat"],
        [codes[1]!, "PSO-2", "-1.380027", "120.760013", "1,5", "", "ID", "Sulawesi Tengah", "Poso", ""],
        [codes[1]!, "PSO-3", "-1.370020", "120.770010", "0.8", "", "ID", "Sulawesi Tengah", "Poso", ""],
        [codes[2]!, "PSO-4", "-1.36002", "120.78001", "1", "", "ID", "Sulawesi Tengah", "Poso", ""],
        [codes[2]!, "PSO-5", "-1.350027", "120.790013", "6", "", "ID", "Sulawesi Tengah", "Poso", ""],
        ["ZZZZ-ZZZ0", "PSO-6", "-1.340027", "120.800013", "1", "", "ID", "Sulawesi Tengah", "Poso", ""],
        [codes[2]!, "PSO-7", "", "", "", JSON.stringify(shifted(base, 30)), "ID", "Sulawesi Tengah", "Poso", ""],
        [codes[2]!, "PSO-8", "-1.330027", "120.810013", "1", wkt(shifted(base, 900)), "ID", "Sulawesi Tengah", "Poso", ""],
      ]);

    it("checks each row with the plot rules and names row, column and reason; a dry run writes nothing", async function () {
      const report = await run("plots", file(), true);
      expect(statuses(report)).to.deep.equal(["2:valid", "3:valid", "4:valid", "5:refused", "6:refused", "7:refused", "8:refused", "9:refused"]);
      const issues = Object.fromEntries(report.issues.map((issue) => [issue.row, `${issue.column}: ${issue.reason}`]));
      // Trailing zeros written in the text count: -1.370020 has six decimals.
      expect(issues[5]).to.match(/^latitude: coordinates need at least 6 decimal places.*has 5$/);
      expect(issues[6]).to.match(/^area_ha: a plot of 6 ha needs a polygon/);
      expect(issues[7]).to.match(/^farmer_code: /);
      expect(issues[8]).to.match(/^polygon: the plot overlaps plot p_/);
      expect(issues[9]).to.equal("polygon: give either the point (latitude, longitude) or the polygon, not both");
      expect(await count("origin_plots")).to.equal(0);
    });

    it("registers the good rows, unknown farmer codes refused; the same file again is unchanged", async function () {
      const report = await run("plots", file());
      expect(report).to.deep.include({ created: 3, refused: 5 });
      expect(report.results[0]!.ref).to.match(/^p_/);
      expect(report.results[0]!.commitment).to.match(/^0x[0-9a-f]{64}$/);
      const { rows } = await fixture.db.query<{ tenure: string; area_m2: string; kind: string }>("select tenure, area_m2::text, geometry->>'type' as kind from origin_plots order by ref");
      expect(rows).to.deep.equal([
        { tenure: "customary", area_m2: rows[0]!.area_m2, kind: "Polygon" },
        { tenure: "none", area_m2: "15000", kind: "Point" },
        { tenure: "none", area_m2: "8000", kind: "Point" },
      ]);
      const again = await run("plots", file());
      expect(again).to.deep.include({ created: 0, unchanged: 3, refused: 5 });
      expect(await count("origin_plots")).to.equal(3);
    });

    it("refuses another cooperative's farmer by card code, as unknown", async function () {
      const report = await run("plots", csv([header, [codes[0]!, "", "-1.320027", "120.820013", "1", "", "ID", "P", "D", ""]]), true, OTHER);
      expect(report.issues[0]!.reason).to.contain(`no farmer with card code ${formatFarmerCode(codes[0]!)} in this cooperative`);
    });
  });

  describe("deliveries", function () {
    const header = ["farmer_code", "plot", "date", "form", "kg", "ticket", "moisture_pct"];

    it("turns 5,000 rows into 10 mint-batch requests of 500 in the outbox, and the same file again into none", async function () {
      // Farmer 0 has one plot (1 ha polygon): 10 t of wet beans a year; farmer 1 has two point plots.
      const rows: string[][] = [header];
      for (let i = 0; i < 5_000; i++) {
        const date = ["2026-01-05", "05/01/2026", "5.1.2569"][i % 3]!;
        rows.push(i % 2 === 0 ? [codes[0]!, "", date, "cocoa-wet-beans", "1,5", `T-${i}`, "55"] : [codes[1]!, i % 4 === 1 ? "PSO-2" : "PSO-3", date, "1", "1.2", `T-${i}`, ""]);
      }
      const before = await count("outbox");
      const report = await run("deliveries", csv(rows));
      expect(report).to.deep.include({ rows: 5_000, created: 5_000, refused: 0 });
      expect(report.requests).to.have.length(10);
      const { rows: requests } = await fixture.db.query<{ kind: string; n: number; origins: number }>(
        `select kind, jsonb_array_length(payload->'deliveries')::int as n,
                (select count(distinct d->>'origin') from jsonb_array_elements(payload->'deliveries') d)::int as origins
           from outbox where idempotency_key like 'import:deliveries:%' order by id`,
      );
      expect(requests.map((r) => [r.kind, r.n])).to.deep.equal(Array.from({ length: 10 }, () => ["lots.mintBatch", 500]));
      expect(requests[0]!.origins).to.equal(3);
      expect(await count("outbox")).to.equal(before + 10);
      const again = await run("deliveries", csv(rows));
      expect(again).to.deep.include({ created: 0, unchanged: 5_000 });
      expect(again.requests).to.deep.equal([]);
      expect(await count("outbox")).to.equal(before + 10);
      // Each delivery's metadata is its weigh ticket, stored as evidence.
      const { rows: [first] } = await fixture.db.query<{ metadata: string }>("select payload->'deliveries'->0->>'metadata' as metadata from outbox where idempotency_key like 'import:deliveries:%' order by id limit 1");
      expect(first!.metadata).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("refuses rows over the plot's capacity, an unknown plot, a farmer with two plots and no plot named, bad dates and weights", async function () {
      // Farmer 0's plot took 3,750 kg in 2026 above; 10 t is its year.
      const report = await run(
        "deliveries",
        csv([
          header,
          [codes[0]!, "", "2026-02-01", "cocoa-wet-beans", "6500", "C-1", ""],
          [codes[0]!, "", "2026-02-02", "cocoa-wet-beans", "500", "C-2", ""],
          [codes[0]!, "", "2025-12-31", "cocoa-wet-beans", "9000", "C-3", ""],
          [codes[1]!, "", "2026-02-01", "cocoa-wet-beans", "10", "C-4", ""],
          [codes[1]!, "PSO-9", "2026-02-01", "cocoa-wet-beans", "10", "C-5", ""],
          [codes[0]!, "", "06/15/2026", "cocoa-wet-beans", "10", "C-6", ""],
          [codes[0]!, "", `${THIS_YEAR + 1}-01-01`, "cocoa-wet-beans", "10", "C-7", ""],
          [codes[0]!, "", "2026-02-01", "cocoa-liquor", "1.2345", "C-8", ""],
          [codes[0]!, "", "2026-02-01", "cocoa-wet-beans", "1.234,5", "", "120"],
        ]),
        true,
      );
      const issues = report.issues.map((issue) => `${issue.row} ${issue.column}: ${issue.reason}`);
      expect(statuses(report)).to.deep.equal(["2:refused", "3:valid", "4:valid", "5:refused", "6:refused", "7:refused", "8:refused", "9:refused", "10:refused"]);
      expect(issues[0]).to.match(/^2 kg: plot p_\w+ can give at most [\d,.]+ kg of cocoa-wet-beans in 2026: 3,750 kg delivered so far, this row adds 6,500 kg$/);
      expect(issues).to.include(`5 farmer_code: farmer ${formatFarmerCode(codes[1]!)} has 2 plots: name one in the plot column`);
      expect(issues.join("\n")).to.contain('6 plot: no plot "PSO-9"').and.contain("7 date: \"06/15/2026\": dates are day first").and.contain("8 date:").and.contain("is in the future");
      expect(issues.join("\n")).to.contain("9 form: cocoa-liquor is not delivered by farmers").and.contain("9 kg: 1.2345: kilograms to the gram");
      expect(issues.join("\n")).to.contain("10 kg: \"1.234,5\": write the number without thousands separators").and.contain("10 ticket: required").and.contain("10 moisture_pct: 120: a percentage");
    });

    it("refuses deliveries of a member without a custodial account as a whole", async function () {
      const error = await run("deliveries", csv([header, [codes[0]!, "", "2026-02-01", "cocoa-wet-beans", "1", "X-1", ""]]), true, OTHER).catch((e: Error) => e);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.contain("no custodial account");
    });
  });

  it("refuses a whole file it cannot read, writing nothing", async function () {
    const error = await run("farmers", Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x0d, 0x0a, 0xff, 0x0d, 0x0a])).catch((e: Error) => e);
    expect(error).to.be.instanceOf(ImportFileError);
  });
});
