import { expect } from "chai";
import { Wallet } from "ethers";
import { connectProvider } from "../../src/chain/provider";
import { encodeLotCall } from "../../src/relay/lotCalls";
import { ERC2771Forwarder__factory } from "../../typechain-types";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "../gateway/helpers";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { insertFarmer, point, shifted, square } from "../origins/fixtures";
import { signOwnRequest } from "../relay/fixtures";

type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;

describe("plots over HTTP: register, list, read, update, archive, capacity (real gateway)", function () {
  this.timeout(300_000);
  let dir: string;
  let running: TestGateway;
  let coop: Member;
  let otherCoop: Member;
  let brand: Member;
  let own: Member;
  const phone = Wallet.createRandom();
  let farmer: { id: string; code: string };
  let neighbour: { id: string; code: string };
  let otherFarmer: { id: string; code: string };
  let ownFarmer: { id: string; code: string };
  let keys = 0;
  const key = () => ({ "idempotency-key": `plots-${++keys}` });
  const api = (token?: string) => client(running.gateway.url, token);
  const body = (geometry: unknown, extra: Record<string, unknown> = {}) => ({ farmerId: farmer.id, geometry, country: "ID", province: "Sulawesi Tengah", district: "Poso", ...extra });
  const counts = async () =>
    (await running.gateway.db.query<{ plots: number; outbox: number; ledger: number }>(
      "select (select count(*) from origin_plots)::int as plots, (select count(*) from outbox)::int as outbox, (select count(*) from plot_deliveries)::int as ledger",
    )).rows[0]!;
  const mintBody = (origin: string, kg: number, form = 1) => ({ form, grams: String(kg * 1000), metadata: `0x${"ab".repeat(32)}`, origin });

  before(async function () {
    dir = makeTempDir("plot-routes");
    running = await startTestGateway(dir);
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    otherCoop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    brand = await addMemberThroughGateway(running.gateway, { roles: ["brand"], country: "NL" });
    own = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "TH", accounts: [phone.address] });
    const db = running.gateway.db;
    [farmer, neighbour] = [await insertFarmer(db, BigInt(coop.memberId)), await insertFarmer(db, BigInt(coop.memberId))];
    otherFarmer = await insertFarmer(db, BigInt(otherCoop.memberId));
    ownFarmer = await insertFarmer(db, BigInt(own.memberId));
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  describe("POST /v1/plots", function () {
    it("registers a farmer's plot and answers it with its id, commitment, area and capacity", async function () {
      const created = await api(coop.token).post("/v1/plots", body(square(120.750013, -1.390027), { tenure: "customary", ref: "PSO-0042" }));
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect(created.body).to.deep.include({ version: 1, farmerId: farmer.id, farmerRef: null, kind: "polygon", tenure: "customary", ref: "PSO-0042", country: "ID", district: "Poso" });
      expect(created.body.id).to.match(/^p_[a-z2-7]{20}$/);
      expect(created.body.commitment).to.match(/^0x[0-9a-f]{64}$/);
      expect(created.body.areaM2).to.be.within(9_900, 10_100);
      expect(created.body.capacityKgPerYear["cocoa-dry-beans"]).to.be.within(2_970, 3_030);
      // An exact duplicate of the same farmer's plot is that plot.
      const again = await api(coop.token).post("/v1/plots", body(square(120.750013, -1.390027), { tenure: "customary", ref: "PSO-0042" }));
      expect(again.status).to.equal(200);
      expect([again.body.id, again.body.commitment]).to.deep.equal([created.body.id, created.body.commitment]);
    });

    it("registers a point plot of up to 4 ha, and refuses a 6 ha point and a point without its area", async function () {
      const small = await api(coop.token).post("/v1/plots", body(point(120.700013, -1.390027), { declaredAreaHa: 1.5 }));
      expect(small.status).to.equal(201);
      expect(small.body).to.deep.include({ kind: "point", areaM2: 15_000, declaredAreaHa: 1.5 });
      const before = await counts();
      const large = await api(coop.token).post("/v1/plots", body(point(120.710013, -1.390027), { declaredAreaHa: 6 }));
      expect(large.status).to.equal(400);
      expect(large.body.error.code).to.equal("invalid_plot");
      expect(large.body.error.message).to.contain("6 ha needs a polygon");
      expect(large.body.error.details).to.deep.equal([{ path: "geometry", message: large.body.error.message.replace(/^geometry: /, "") }]);
      const undeclared = await api(coop.token).post("/v1/plots", body(point(120.720013, -1.390027)));
      expect(undeclared.status).to.equal(400);
      expect(undeclared.body.error.details[0].path).to.equal("declaredAreaHa");
      expect(await counts()).to.deep.equal(before);
    });

    it("refuses five decimals, a crossing outline, out-of-range positions and unknown keys, naming the field", async function () {
      const before = await counts();
      const cases: Array<[unknown, RegExp]> = [
        [body({ type: "Point", coordinates: [120.73001, -1.39002] }, { declaredAreaHa: 1 }), /at least 6 decimal places/],
        [body({ type: "Polygon", coordinates: [[[120.740013, -1.390027], [120.741013, -1.389027], [120.741013, -1.390027], [120.740013, -1.389027], [120.740013, -1.390027]]] }), /crosses itself/],
        [body({ type: "Point", coordinates: [-1.390027, 120.740013] }, { declaredAreaHa: 1 }), /latitude: -90 to 90/],
        [{ ...body(square(120.740013, -1.390027)), owner: "me" }, /unrecognized key/i],
        [{ ...body(square(120.740013, -1.390027)), farmerRef: "KSU-1" }, /farmerId \(or, for older records, farmerRef\), not both/],
      ];
      for (const [sent, message] of cases) {
        const answer = await api(coop.token).post("/v1/plots", sent);
        expect(answer.status, JSON.stringify(answer.body)).to.equal(400);
        expect(answer.body.error).to.have.keys(["code", "message", "details"]);
        expect(JSON.stringify(answer.body.error.details)).to.match(message);
      }
      expect(await counts()).to.deep.equal(before);
    });

    it("refuses an overlap of more than 5 % with 409 naming the other plot, not its owner", async function () {
      const first = await api(coop.token).post("/v1/plots", body(square(120.760013, -1.390027)));
      const before = await counts();
      const overlapping = await api(otherCoop.token).post("/v1/plots", { ...body(shifted(square(120.760013, -1.390027), 40)), farmerId: otherFarmer.id });
      expect(overlapping.status).to.equal(409);
      expect(overlapping.body.error.code).to.equal("plot_overlap");
      expect(overlapping.body.error.details.plots[0].plotId).to.equal(first.body.id);
      expect(overlapping.body.error.details.plots[0].sharePercent).to.be.within(55, 65);
      expect(overlapping.body.error.details.thresholdPercent).to.equal(5);
      expect(JSON.stringify(overlapping.body)).to.not.contain(farmer.id).and.not.contain(coop.memberId === "" ? "x" : `member ${coop.memberId}`);
      expect(await counts()).to.deep.equal(before);
      // Sharing a boundary, or a sliver under the threshold, is fine.
      const touching = await api(coop.token).post("/v1/plots", { ...body(shifted(square(120.760013, -1.390027), 100)), farmerId: neighbour.id });
      expect(touching.status).to.equal(201);
    });

    it("refuses an unknown farmer, another cooperative's farmer, a member that is not a cooperative and an anonymous caller", async function () {
      const before = await counts();
      const unknown = await api(coop.token).post("/v1/plots", { ...body(square(120.780013, -1.390027)), farmerId: "f_0000000000000000" });
      expect([unknown.status, unknown.body.error.code]).to.deep.equal([422, "unknown_farmer"]);
      const foreign = await api(coop.token).post("/v1/plots", { ...body(square(120.780013, -1.390027)), farmerId: otherFarmer.id });
      expect([foreign.status, foreign.body.error.code]).to.deep.equal([422, "unknown_farmer"]);
      const notCoop = await api(brand.token).post("/v1/plots", body(square(120.780013, -1.390027)));
      expect(notCoop.status).to.equal(403);
      expect((await api().post("/v1/plots", body(square(120.780013, -1.390027)))).status).to.equal(401);
      expect(await counts()).to.deep.equal(before);
    });

    it("still takes a legacy farmerRef for cooperatives without farmer records yet", async function () {
      const legacy = await api(coop.token).post("/v1/plots", { farmerRef: "KSU-0042", geometry: square(120.790013, -1.390027), country: "ID", province: "Sulawesi Tengah", district: "Poso" });
      expect(legacy.status).to.equal(201);
      expect(legacy.body).to.deep.include({ farmerId: null, farmerRef: "KSU-0042" });
    });
  });

  describe("GET, PATCH and archive: the registering cooperative only", function () {
    let plotId: string;
    let firstCommitment: string;

    before(async function () {
      const created = await api(coop.token).post("/v1/plots", body(square(120.800013, -1.390027)));
      [plotId, firstCommitment] = [created.body.id, created.body.commitment];
    });

    it("lists the cooperative's plots a page at a time, filtered by farmer; another cooperative sees none of them", async function () {
      const all: string[] = [];
      let cursor: string | null = "";
      while (cursor !== null) {
        const page: Awaited<ReturnType<ReturnType<typeof api>["get"]>> = await api(coop.token).get(`/v1/plots?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.status).to.equal(200);
        expect(page.body.plots.length).to.be.at.most(2);
        all.push(...page.body.plots.map((p: { id: string }) => p.id));
        cursor = page.body.next;
      }
      expect(all).to.include(plotId);
      expect(new Set(all).size).to.equal(all.length);
      const mine = await api(coop.token).get(`/v1/plots?farmerId=${neighbour.id}`);
      expect(mine.body.plots.map((p: { farmerId: string }) => p.farmerId)).to.deep.equal([neighbour.id]);
      const others = await api(otherCoop.token).get("/v1/plots");
      expect(others.body.plots.map((p: { id: string }) => p.id)).to.not.include(plotId);
      expect((await api(coop.token).get("/v1/plots?cursor=bm90LWEtY3Vyc29y")).status).to.equal(400);
    });

    it("reads a plot with its versions and capacity; another cooperative's token gets 404", async function () {
      const read = await api(coop.token).get(`/v1/plots/${plotId}`);
      expect(read.status).to.equal(200);
      expect(read.body.versions.map((v: { commitment: string }) => v.commitment)).to.deep.equal([firstCommitment]);
      expect(read.body.delivered).to.deep.equal({ year: new Date().getUTCFullYear(), kg: {} });
      expect(read.body.geometry.type).to.equal("Polygon");
      const foreign = await api(otherCoop.token).get(`/v1/plots/${plotId}`);
      expect(foreign.status).to.equal(404);
      expect(JSON.stringify(foreign.body)).to.not.contain("coordinates");
      expect((await api(otherCoop.token).patch(`/v1/plots/${plotId}`, { tenure: "title" })).status).to.equal(404);
      expect((await api(otherCoop.token).post(`/v1/plots/${plotId}/archive`, {})).status).to.equal(404);
      expect((await api(coop.token).get("/v1/plots/p_nosuchplotnosuchplo")).status).to.equal(404);
      expect((await api(coop.token).get("/v1/plots/not-a-plot")).status).to.equal(400);
    });

    it("writes an update as a new version with a new commitment, keeping the old one readable", async function () {
      const updated = await api(coop.token).patch(`/v1/plots/${plotId}`, { geometry: square(120.800013, -1.390027, 110), tenure: "title" });
      expect(updated.status, JSON.stringify(updated.body)).to.equal(200);
      expect(updated.body.version).to.equal(2);
      expect(updated.body.commitment).to.not.equal(firstCommitment);
      expect(updated.body.areaM2).to.be.within(11_900, 12_300);
      const read = await api(coop.token).get(`/v1/plots/${plotId}`);
      expect(read.body.versions.map((v: { version: number; supersededAt: string | null }) => [v.version, v.supersededAt === null])).to.deep.equal([[1, false], [2, true]]);
      expect(read.body.versions[0].commitment).to.equal(firstCommitment);
      expect((await api(coop.token).patch(`/v1/plots/${plotId}`, {})).status).to.equal(400);
      expect((await api(coop.token).patch(`/v1/plots/${plotId}`, { colour: "red" })).status).to.equal(400);
    });

    it("archives a plot: deliveries from it are refused with 422, and it no longer blocks an overlap", async function () {
      const archived = await api(coop.token).post(`/v1/plots/${plotId}/archive`, {});
      expect(archived.status).to.equal(200);
      expect(archived.body.archivedAt).to.be.a("string");
      const before = await counts();
      const mint = await api(coop.token).post("/v1/lots/mint", mintBody(firstCommitment, 10), key());
      expect([mint.status, mint.body.error.code]).to.deep.equal([422, "plot_archived"]);
      expect(await counts()).to.deep.equal(before);
      const listed = await api(coop.token).get("/v1/plots?archived=true");
      expect(listed.body.plots.find((p: { id: string }) => p.id === plotId)?.archivedAt).to.be.a("string");
      const reuse = await api(coop.token).post("/v1/plots", { ...body(square(120.800013, -1.390027)), farmerId: neighbour.id });
      expect(reuse.status).to.equal(201);
    });
  });

  describe("capacity: a gateway rule before signing", function () {
    let plot: { id: string; commitment: string };

    before(async function () {
      // 1 ha: at most 10 t of wet beans (or 3 t of dry beans) a year.
      const created = await api(coop.token).post("/v1/plots", body(square(120.850013, -1.390027)));
      plot = created.body;
    });

    it("accepts deliveries up to the capacity and refuses the one above it with 422 naming plot, capacity and delivered so far", async function () {
      const first = await api(coop.token).post("/v1/lots/mint", mintBody(plot.commitment, 9_000), key());
      expect(first.status, JSON.stringify(first.body)).to.equal(202);
      const before = await counts();
      const batch = await api(coop.token).post("/v1/lots/mint-batch", { deliveries: [mintBody(plot.commitment, 600), mintBody(`0x${"cd".repeat(32)}`, 50), mintBody(plot.commitment, 600)] }, key());
      expect(batch.status).to.equal(422);
      expect(batch.body.error.code).to.equal("capacity_exceeded");
      const [excess] = batch.body.error.details.plots;
      expect(excess).to.deep.include({ plotId: plot.id, year: new Date().getUTCFullYear(), form: 1, formKey: "cocoa-wet-beans", deliveredGrams: "9000000", requestedGrams: "1200000" });
      expect(Number(excess.capacityGrams)).to.be.within(9_900_000, 10_100_000);
      expect(batch.body.error.message).to.contain(plot.id).and.contain("9,000 kg delivered so far");
      expect(await counts(), "nothing written: no outbox row, no ledger row").to.deep.equal(before);
      // Dry beans use the same plot's capacity: 10 % of the dry capacity is what is left.
      const dry = await api(coop.token).post("/v1/lots/mint", mintBody(plot.commitment, 400, 2), key());
      expect(dry.status).to.equal(422);
      expect(dry.body.error.details.plots[0]).to.deep.include({ formKey: "cocoa-dry-beans", deliveredGrams: "2700000" });
      const fits = await api(coop.token).post("/v1/lots/mint", mintBody(plot.commitment, 900), key());
      expect(fits.status).to.equal(202);
    });

    it("answers a retried idempotency key with the first request, counting it once", async function () {
      const retry = { "idempotency-key": "plots-capacity-retry" };
      const small = await api(coop.token).post("/v1/plots", body(point(120.860013, -1.390027), { declaredAreaHa: 0.1 }));
      const first = await api(coop.token).post("/v1/lots/mint", mintBody(small.body.commitment, 600), retry);
      const again = await api(coop.token).post("/v1/lots/mint", mintBody(small.body.commitment, 600), retry);
      expect([first.status, again.status, again.body.id]).to.deep.equal([202, 202, first.body.id]);
      const read = await api(coop.token).get(`/v1/plots/${small.body.id}`);
      expect(read.body.delivered.kg).to.deep.equal({ "cocoa-wet-beans": 600 });
    });

    it("holds for a request the member signed with its own key", async function () {
      const own_ = client(running.gateway.url, own.token);
      const created = await own_.post("/v1/plots", { ...body(square(100.400013, 6.950027)), farmerId: ownFarmer.id, country: "TH", province: "Songkhla", district: "Hat Yai" });
      expect(created.status).to.equal(201);
      const { deployments, chainId } = running.gateway.chain;
      const provider = connectProvider(running.gateway.chain.url, Number(chainId));
      const network = {
        chainId,
        forwarder: deployments.contracts.Forwarder!.address,
        registry: deployments.contracts.LotRegistry!.address,
        forwarderContract: ERC2771Forwarder__factory.connect(deployments.contracts.Forwarder!.address, provider),
      };
      const before = await counts();
      // 1 ha of cup lump: at most about 6.7 t a year.
      const signed = await signOwnRequest(network, phone, encodeLotCall("lots.mint", mintBody(created.body.commitment, 7_000, 21)));
      const r = signed.forwardRequest;
      const answer = await own_.post(
        "/v1/relay",
        { request: { from: r.from, to: r.to, value: "0", gas: r.gas.toString(), nonce: r.nonce.toString(), deadline: r.deadline.toString(), data: r.data }, signature: signed.signature },
        key(),
      );
      provider.destroy();
      expect(answer.status, JSON.stringify(answer.body)).to.equal(422);
      expect(answer.body.error.code).to.equal("capacity_exceeded");
      expect(answer.body.error.details.plots[0]).to.deep.include({ plotId: created.body.id, formKey: "rubber-cup-lump", deliveredGrams: "0" });
      expect(await counts()).to.deep.equal(before);
    });

    it("keeps the exact plot off the public lot page", async function () {
      const minted = await api(coop.token).post("/v1/lots/mint", mintBody(plot.commitment, 10), key());
      const { final } = await api(coop.token).settle(minted.body.id);
      expect(final.status).to.equal("mined");
      await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
      const page = await fetch(`${running.gateway.url}/l/${final.outputs.lotIds[0]}`);
      expect(page.status).to.equal(200);
      const html = await page.text();
      expect(html).to.contain("Poso");
      expect(html).to.not.contain("120.850013").and.not.contain(farmer.id).and.not.contain(plot.id);
    });
  });

  it("documents every plot route in /openapi.json", async function () {
    const { paths } = (await api().get("/openapi.json")).body;
    expect(Object.keys(paths["/v1/plots"]).sort()).to.deep.equal(["get", "post"]);
    expect(Object.keys(paths["/v1/plots/{plotId}"]).sort()).to.deep.equal(["get", "patch"]);
    expect(Object.keys(paths["/v1/plots/{plotId}/archive"])).to.deep.equal(["post"]);
    expect(paths["/v1/lots/mint"].post.responses["422"].description).to.contain("capacity_exceeded");
  });
});
