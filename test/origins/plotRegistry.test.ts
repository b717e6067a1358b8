import { expect } from "chai";
import { type Database } from "../../src/db";
import {
  PlotArchivedError,
  PlotEvidenceError,
  PlotFarmerError,
  PlotNotFoundError,
  PlotOverlapError,
  PlotRefTakenError,
  PlotRegistry,
  PlotRuleError,
  type PlotInput,
} from "../../src/origins";
import { describeEachEngine } from "../helpers/engines";
import { insertFarmer, point, shifted, square } from "./fixtures";

const COOP = 7n;
const OTHER = 8n;

describeEachEngine("origins: the plot registry", (engine) => {
  let db: Database;
  let registry: PlotRegistry;
  let farmer: { id: string; code: string };
  let neighbour: { id: string; code: string };
  let otherCoopFarmer: { id: string; code: string };
  const input = (geometry: PlotInput["geometry"], extra: Partial<PlotInput> = {}): PlotInput => ({
    owner: { farmerId: farmer.id },
    geometry,
    country: "ID",
    province: "Sulawesi Tengah",
    district: "Poso",
    ...extra,
  });
  const plotCount = async () => (await db.query<{ n: number }>("select count(*)::int as n from origin_plots")).rows[0]!.n;
  const refusal = async (run: () => Promise<unknown>) => {
    const before = await plotCount();
    const error = await run().then(() => null, (e: Error) => e);
    expect(await plotCount(), "a refused plot writes nothing").to.equal(before);
    return error;
  };

  before(async () => {
    db = await engine.openMigrated();
    farmer = await insertFarmer(db, COOP);
    neighbour = await insertFarmer(db, COOP);
    otherCoopFarmer = await insertFarmer(db, OTHER);
    registry = await PlotRegistry.load(db);
  });
  after(() => db.close());

  it("registers a farmer's polygon with its geodesic area, tenure and a fresh commitment", async () => {
    const { plot, created } = await registry.register(COOP, input(square(120.750013, -1.390027), { tenure: "customary", ref: "PSO-001" }));
    expect(created).to.equal(true);
    expect(plot.plotId).to.match(/^p_[a-z2-7]{20}$/);
    expect(plot.version).to.equal(1);
    expect(plot.commitment).to.match(/^0x[0-9a-f]{64}$/);
    expect(plot.areaM2).to.be.closeTo(10_000, 60);
    expect(plot).to.deep.include({ farmerId: farmer.id, tenure: "customary", ref: "PSO-001", country: "ID" });
    expect(registry.originOf(plot.commitment)).to.deep.include({ plotId: plot.plotId, memberId: COOP, archived: false });
  });

  it("answers an exact duplicate of the same farmer's plot with that plot, writing nothing", async () => {
    const geometry = square(120.760013, -1.390027);
    const first = await registry.register(COOP, input(geometry));
    const before = await plotCount();
    const again = await registry.register(COOP, input(structuredClone(geometry)));
    expect(again.created).to.equal(false);
    expect(again.plot.plotId).to.equal(first.plot.plotId);
    expect(again.plot.commitment).to.equal(first.plot.commitment);
    expect(await plotCount()).to.equal(before);
  });

  it("refuses a plot overlapping another by more than 5 % of the smaller, naming that plot and not its owner", async () => {
    const { plot } = await registry.register(COOP, input(square(120.770013, -1.390027)));
    const error = await refusal(() => registry.register(COOP, input(shifted(square(120.770013, -1.390027), 50), { owner: { farmerId: neighbour.id } })));
    expect(error).to.be.instanceOf(PlotOverlapError);
    expect((error as PlotOverlapError).overlaps.map((o) => o.plotId)).to.deep.equal([plot.plotId]);
    expect(error!.message).to.contain(plot.plotId).and.not.contain(farmer.id);
    expect(error!.message).to.match(/by 5\d(\.\d)? % of the smaller plot \(more than 5 % is refused\)/);
    // The same outline for another farmer, or another cooperative's farmer, is an overlap too.
    expect(await refusal(() => registry.register(COOP, input(square(120.770013, -1.390027), { owner: { farmerId: neighbour.id } })))).to.be.instanceOf(PlotOverlapError);
    expect(await refusal(() => registry.register(OTHER, input(square(120.770013, -1.390027), { owner: { farmerId: otherCoopFarmer.id } })))).to.be.instanceOf(PlotOverlapError);
  });

  it("lets neighbours touch and share up to 5 % of the smaller plot", async () => {
    const base = square(120.780013, -1.390027);
    await registry.register(COOP, input(base));
    const touching = await registry.register(COOP, input(shifted(base, 100), { owner: { farmerId: neighbour.id } }));
    expect(touching.created).to.equal(true);
    const sliver = await registry.register(COOP, input(shifted(base, 0, -97), { owner: { farmerId: neighbour.id } }));
    expect(sliver.created).to.equal(true);
  });

  it("accepts a point of up to 4 ha with its declared area, and refuses a 6 ha point", async () => {
    const small = await registry.register(COOP, input(point(120.800013, -1.390027), { declaredAreaM2: 15_000 }));
    expect(small.plot.areaM2).to.equal(15_000);
    expect(small.plot.declaredAreaM2).to.equal(15_000);
    const large = await refusal(() => registry.register(COOP, input(point(120.810013, -1.390027), { declaredAreaM2: 60_000 })));
    expect(large).to.be.instanceOf(PlotRuleError);
    expect(large!.message).to.contain("6 ha needs a polygon").and.contain("EUDR Art. 2(28)");
    const undeclared = await refusal(() => registry.register(COOP, input(point(120.820013, -1.390027))));
    expect((undeclared as PlotRuleError).issues).to.deep.equal([{ path: "declaredAreaHa", message: "a point plot needs its declared area (at most 4 ha)" }]);
  });

  it("refuses a point inside another plot, and an outline around a point plot", async () => {
    const { plot } = await registry.register(COOP, input(square(120.830013, -1.390027)));
    const inside = await refusal(() => registry.register(COOP, input(point(120.830513, -1.389527), { declaredAreaM2: 5_000, owner: { farmerId: neighbour.id } })));
    expect((inside as PlotOverlapError).overlaps[0]!.plotId).to.equal(plot.plotId);
    const pointPlot = await registry.register(COOP, input(point(120.840513, -1.389527), { declaredAreaM2: 5_000 }));
    const around = await refusal(() => registry.register(COOP, input(square(120.840013, -1.390027), { owner: { farmerId: neighbour.id } })));
    expect((around as PlotOverlapError).overlaps[0]!.plotId).to.equal(pointPlot.plot.plotId);
  });

  it("refuses a farmer of another cooperative, an unknown or archived farmer, foreign evidence, a taken ref and bad names", async () => {
    expect(await refusal(() => registry.register(COOP, input(square(120.850013, -1.390027), { owner: { farmerId: otherCoopFarmer.id } })))).to.be.instanceOf(PlotFarmerError);
    expect(await refusal(() => registry.register(COOP, input(square(120.850013, -1.390027), { owner: { farmerId: "f_0000000000000000" } })))).to.be.instanceOf(PlotFarmerError);
    const archived = await insertFarmer(db, COOP, { archived: true });
    const error = await refusal(() => registry.register(COOP, input(square(120.850013, -1.390027), { owner: { farmerId: archived.id } })));
    expect(error!.message).to.contain("archived");
    expect(await refusal(() => registry.register(COOP, input(square(120.850013, -1.390027), { tenure: "title", tenureEvidenceCid: "bafkreiabc" })))).to.be.instanceOf(PlotEvidenceError);
    expect(await refusal(() => registry.register(COOP, input(square(120.850013, -1.390027), { ref: "PSO-001" })))).to.be.instanceOf(PlotRefTakenError);
    const names = await refusal(() => registry.register(COOP, input(square(120.850013, -1.390027), { country: "IDN", district: " " })));
    expect((names as PlotRuleError).issues.map((issue) => issue.path)).to.deep.equal(["country", "district"]);
  });

  it("accepts tenure evidence the cooperative stored privately", async () => {
    await db.query("insert into private_evidence (cid, member_id, farmer_id, media_type, kind, byte_length) values ($1, $2, $3, 'application/pdf', 'land-title', 10)", ["bafkreititle", COOP, farmer.id]);
    const { plot } = await registry.register(COOP, input(square(120.860013, -1.390027), { tenure: "title", tenureEvidenceCid: "bafkreititle" }));
    expect(plot.tenureEvidenceCid).to.equal("bafkreititle");
    // Evidence without a tenure it proves is refused.
    const error = await refusal(() => registry.register(COOP, input(square(120.870013, -1.390027), { tenure: "none", tenureEvidenceCid: "bafkreititle" })));
    expect((error as PlotRuleError).issues[0]!.path).to.equal("tenureEvidenceCid");
  });

  it("writes an update as a new version with a new commitment; older commitments still name the plot", async () => {
    const { plot } = await registry.register(COOP, input(square(120.880013, -1.390027)));
    const updated = await registry.update(COOP, plot.plotId, { geometry: square(120.880013, -1.390027, 120), tenure: "title" });
    expect(updated.created).to.equal(true);
    expect(updated.plot.version).to.equal(2);
    expect(updated.plot.commitment).to.not.equal(plot.commitment);
    expect(updated.plot.areaM2).to.be.closeTo(14_400, 80);
    expect(registry.originOf(plot.commitment)?.plotId).to.equal(plot.plotId);
    expect(registry.originOf(updated.plot.commitment)?.areaM2).to.equal(updated.plot.areaM2);
    const read = await registry.get(COOP, plot.plotId);
    expect(read!.versions.map((v) => [v.version, v.commitment, v.supersededAt !== null])).to.deep.equal([
      [1, plot.commitment, true],
      [2, updated.plot.commitment, false],
    ]);
    // The same content again writes no version; the plot's own earlier outline is no overlap.
    expect((await registry.update(COOP, plot.plotId, { tenure: "title" })).created).to.equal(false);
    // An update that would overlap another plot is refused and writes nothing.
    const other = await registry.register(COOP, input(square(120.890013, -1.390027), { owner: { farmerId: neighbour.id } }));
    const error = await refusal(() => registry.update(COOP, plot.plotId, { geometry: shifted(other.plot.geometry as never, -30) }));
    expect((error as PlotOverlapError).overlaps[0]!.plotId).to.equal(other.plot.plotId);
  });

  it("archives a plot: it leaves the overlap check, its origin is marked, an update is refused", async () => {
    const geometry = square(120.900013, -1.390027);
    const { plot } = await registry.register(COOP, input(geometry));
    const archived = await registry.archive(COOP, plot.plotId);
    expect(archived.archivedAt).to.be.instanceOf(Date);
    expect(registry.originOf(plot.commitment)?.archived).to.equal(true);
    expect(await refusal(() => registry.update(COOP, plot.plotId, { tenure: "title" }))).to.be.instanceOf(PlotArchivedError);
    const again = await registry.register(COOP, input(geometry, { owner: { farmerId: neighbour.id } }));
    expect(again.created).to.equal(true);
  });

  it("hides another cooperative's plot: get is null, update and archive say not found", async () => {
    const { plot } = await registry.register(COOP, input(square(120.910013, -1.390027)));
    expect(await registry.get(OTHER, plot.plotId)).to.equal(null);
    expect(await refusal(() => registry.update(OTHER, plot.plotId, { tenure: "title" }))).to.be.instanceOf(PlotNotFoundError);
    expect(await refusal(() => registry.archive(OTHER, plot.plotId))).to.be.instanceOf(PlotNotFoundError);
    const listed = await registry.list({ memberId: OTHER, limit: 100 });
    expect(listed.map((p) => p.plotId)).to.not.include(plot.plotId);
  });

  it("loads the index from SQL at start: a new registry refuses the same overlaps", async () => {
    const reloaded = await PlotRegistry.load(db);
    expect(reloaded.size).to.equal(registry.size);
    const error = await refusal(() => reloaded.register(COOP, input(shifted(square(120.770013, -1.390027), 10), { owner: { farmerId: neighbour.id } })));
    expect(error).to.be.instanceOf(PlotOverlapError);
  });

  it("takes a chunk whose insert fails out of the index again, with the chunk checked against it", async () => {
    await db.exec(`create function fail_district() returns trigger language plpgsql as $$
      begin if new.district = 'Fails' then raise exception 'refused by the test'; end if; return new; end $$;
      create trigger fail_district before insert on origin_plots for each row execute function fail_district();`);
    try {
      const at = (k: number) => square(121.200013 + k * 0.01, -1.390027);
      const inputs = [input(at(0)), input(at(1)), input(at(2), { district: "Fails" }), input(at(3)), input(at(4)), input(at(5))];
      const before = registry.size;
      const error = await registry.registerMany(COOP, inputs, { chunk: 2 }).then(() => null, (e: Error) => e);
      expect(error?.message).to.contain("refused by the test");
      // The first chunk is written and indexed; the failed one and the one checked after it are not.
      expect(registry.size).to.equal(before + 2);
      expect(await plotCount()).to.equal((await PlotRegistry.load(db)).size + (await db.query<{ n: number }>("select count(*)::int as n from origin_plots where superseded_at is not null or archived_at is not null")).rows[0]!.n);
      const retry = await registry.register(COOP, input(at(3)));
      expect(retry.created).to.equal(true);
    } finally {
      await db.exec("drop trigger fail_district on origin_plots; drop function fail_district();");
    }
  });

  it("registers many at once, checking each against the ones before it; a dry run writes nothing", async () => {
    const base = square(121.000013, -1.390027);
    const inputs = [input(base), input(shifted(base, 30), { owner: { farmerId: neighbour.id } }), input(shifted(base, 200)), input(base)];
    const before = await plotCount();
    const dry = await registry.registerMany(COOP, inputs, { dryRun: true, chunk: 2 });
    expect(dry.map((r) => ("error" in r ? r.error.name : r.created))).to.deep.equal([true, "PlotOverlapError", true, false]);
    expect(await plotCount()).to.equal(before);
    expect(registry.size).to.equal((await PlotRegistry.load(db)).size);
    const real = await registry.registerMany(COOP, inputs, { chunk: 2 });
    expect(real.map((r) => ("error" in r ? r.error.name : r.created))).to.deep.equal([true, "PlotOverlapError", true, false]);
    expect(await plotCount()).to.equal(before + 2);
    expect("plot" in real[3]! && "plot" in real[0]! && real[3].plot.plotId === real[0].plot.plotId).to.equal(true);
  });
});
