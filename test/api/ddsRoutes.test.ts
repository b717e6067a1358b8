import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import { DdsCommandError, registerDdsCommand } from "../../src/cli/commands/dds";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import booleanValid from "@turf/boolean-valid";
import type { JsonRpcProvider } from "ethers";
import { applyGoverned } from "../../src/governance";
import { schemeByKey } from "../../src/attestations/schemes";
import { connectProvider } from "../../src/chain/provider";
import { MIN_DECIMALS } from "../../src/origins";
import { AttestationRegistry__factory, DdsRegistry__factory, type AttestationRegistry } from "../../typechain-types";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "../gateway/helpers";
import { point, square } from "../origins/fixtures";

type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;
type Feature = { type: string; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } };
type FeatureCollection = { type: string; features: Feature[] };

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, "../../src/eudr/dds/statement.schema.json"), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validateStatement = ajv.compile(schema);

/** The geolocation rules of the EU information system, checked one by one. */
function checkGeolocation(collection: FeatureCollection, text: string): void {
  expect(collection.type).to.equal("FeatureCollection");
  expect(Buffer.byteLength(text)).to.be.below(25 * 1024 * 1024);
  for (const feature of collection.features) {
    expect(feature.type).to.equal("Feature");
    expect(["Point", "Polygon", "MultiPolygon"]).to.include(feature.geometry.type);
    expect(Object.keys(feature.properties).sort()).to.satisfy((keys: string[]) => keys.every((key) => ["Area", "ProducerCountry", "ProducerName", "ProductionPlace"].includes(key)));
    expect(feature.properties.ProducerCountry).to.match(/^[A-Z]{2}$/);
    expect(feature.properties.ProductionPlace).to.be.a("string").and.not.empty;
    expect(feature.properties.Area).to.be.a("number").above(0);
    if (feature.geometry.type === "Point") expect(feature.properties.Area as number).to.be.at.most(4);
    // WGS 84 longitude, latitude.
    const positions = (value: unknown): number[][] => (typeof (value as unknown[])[0] === "number" ? [value as number[]] : (value as unknown[]).flatMap(positions));
    for (const [lon, lat] of positions(feature.geometry.coordinates)) {
      expect(lon).to.be.within(-180, 180);
      expect(lat).to.be.within(-90, 90);
    }
    // The independent parser: turf's validity check of the feature's geometry (closed rings, no kinks).
    expect(booleanValid(feature as never), JSON.stringify(feature.geometry)).to.equal(true);
  }
  // At least 6 decimals in the file's text, trailing zeros included (what JSON.parse would lose).
  for (const match of text.matchAll(/"coordinates":(\[[^"]*\])/g)) {
    for (const number of match[1]!.match(/-?\d+(\.\d+)?/g) ?? []) expect(number.split(".")[1]?.length ?? 0, number).to.be.at.least(MIN_DECIMALS);
  }
}

/** Runs `firstmile dds ...` in-process (through the running gateway's control socket) and returns what it printed. */
async function firstmile(env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerDdsCommand(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

describe("EU due diligence statements over HTTP (real gateway: anvil, PGlite, relay worker, indexer)", function () {
  this.timeout(600_000);
  let dir: string;
  let running: TestGateway;
  let provider: JsonRpcProvider;
  let attestations: AttestationRegistry;
  let eudr: number;
  let coop: Member;
  let certifier: Member;
  let brand: Member;
  const plots: Record<"named" | "withdrawn" | "unchecked", { id: string; commitment: string }> = {} as never;
  const lots: Record<string, string> = {};
  let keys = 0;
  const key = () => ({ "idempotency-key": `dds-${++keys}` });
  const api = (token?: string) => client(running.gateway.url, token);
  const parts0 = () => lots.clear;

  async function mined(token: string, route: string, body: unknown) {
    const answer = await api(token).post(route, body, key());
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const { final } = await api(token).settle(answer.body.id, 60_000);
    expect(final.status, JSON.stringify(final.error)).to.equal("mined");
    await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));
    return final;
  }

  async function farmer(name: string, nameConsent: "given" | "withdrawn" | "none"): Promise<string> {
    const created = await api(coop.token).post("/v1/farmers", { name, village: "Desa Tolai", language: "id" });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.id as string;
    await api(coop.token).post(`/v1/farmers/${id}/consents`, { scope: "traceability", method: "thumbprint", recordedBy: "Agent Yusuf" });
    if (nameConsent !== "none") {
      const consent = await api(coop.token).post(`/v1/farmers/${id}/consents`, { scope: "eudr-statement-with-name", method: "thumbprint", recordedBy: "Agent Yusuf" });
      expect(consent.status, JSON.stringify(consent.body)).to.equal(201);
      if (nameConsent === "withdrawn") {
        const withdrawn = await api(coop.token).post(`/v1/farmers/${id}/consents/${consent.body.id}/withdraw`, { recordedBy: "Agent Yusuf", reason: "asked to" });
        expect(withdrawn.status, JSON.stringify(withdrawn.body)).to.equal(200);
      }
    }
    return id;
  }

  async function plot(farmerId: string, geometry: unknown, extra: Record<string, unknown> = {}) {
    const created = await api(coop.token).post("/v1/plots", { farmerId, geometry, country: "ID", province: "Sulawesi Tengah", district: "Poso", ...extra });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return { id: created.body.id as string, commitment: created.body.commitment as string };
  }

  const delivery = (origin: string, kg: number) => ({ form: 2, grams: String(kg * 1000), quality: 750, metadata: `0x${"ab".repeat(32)}`, origin });

  before(async function () {
    dir = makeTempDir("dds-routes");
    running = await startTestGateway(dir);
    const { url, chainId, deployments } = running.gateway.chain;
    provider = connectProvider(url, Number(chainId));
    const governor = await provider.getSigner(0);
    attestations = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry!.address, governor);
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    certifier = await addMemberThroughGateway(running.gateway, { roles: ["certifier"], country: "DE" });
    brand = await addMemberThroughGateway(running.gateway, { roles: ["brand"], country: "NL" });
    const spec = schemeByKey("no-forest-loss-since-2020");
    eudr = Number(await attestations.schemeIdOf(spec.name, spec.version));
    const now = (await provider.getBlock("latest"))!.timestamp;
    await applyGoverned(governor, deployments, [{
      target: await attestations.getAddress(),
      data: attestations.interface.encodeFunctionData("accredit", [eudr, BigInt(certifier.memberId), now + 365 * 24 * 3600]),
      description: "accredit the forest monitor",
    }]);

    plots.named = await plot(await farmer("Siti Rahmawati", "given"), square(120.750013, -1.390027));
    plots.withdrawn = await plot(await farmer("Made Wirawan", "withdrawn"), point(120.760017, -1.380021), { declaredAreaHa: 2 });
    plots.unchecked = await plot(await farmer("Yohanis Tandi", "given"), square(120.770011, -1.370023));

    // The forest monitor attests the two clear plots (the check itself is `firstmile eudr check`).
    await mined(certifier.token, "/v1/attestations/batch", {
      scheme: eudr,
      attestations: [plots.named, plots.withdrawn].map((p) => ({ subjectKind: "plot", subject: p.commitment, evidence: `0x${"e1".repeat(32)}` })),
    });
    const minted = await mined(coop.token, "/v1/lots/mint-with-origin-claims", {
      deliveries: [delivery(plots.named.commitment, 300), delivery(plots.withdrawn.commitment, 200), delivery(plots.named.commitment, 100), delivery(plots.unchecked.commitment, 50)],
    });
    [lots.named, lots.withdrawn, lots.named2, lots.unchecked] = minted.outputs.lotIds;
    // The request's outputs name the claims minted with the lots (the attestation registry observes mints).
    expect(minted.outputs.events.filter((event: { name: string }) => event.name === "OriginClaimed").map((event: { args: { lotId: string } }) => event.args.lotId)).to.deep.equal([lots.named, lots.withdrawn, lots.named2]);
    lots.clear = (await mined(coop.token, "/v1/lots/merge", { lotIds: [lots.named, lots.withdrawn], metadata: `0x${"cd".repeat(32)}` })).outputs.lotIds[0];
    lots.mixed = (await mined(coop.token, "/v1/lots/merge", { lotIds: [lots.named2, lots.unchecked], metadata: `0x${"ce".repeat(32)}` })).outputs.lotIds[0];
  });
  after(async function () {
    await running?.gateway.stop();
    provider?.destroy();
    removeTempDir(dir);
  });

  it("mints the claim on chain: deliveries from attested plots carry it, the merge with an unchecked plot does not", async function () {
    const ids = [lots.named, lots.withdrawn, lots.unchecked, lots.clear, lots.mixed].map(BigInt);
    expect(await attestations.carriesClaims(ids, ids.map(() => eudr))).to.deep.equal([true, true, false, true, false]);
    const view = await api(coop.token).get(`/v1/lots/${lots.clear}`);
    expect(view.status).to.equal(200);
  });

  it("mints a day's deliveries that all carry the claim in one request: the relay sizes the observer's gas by estimate", async function () {
    // Each claimed delivery costs the attestation registry's hook about 90k gas on top of the mint.
    const minted = await mined(coop.token, "/v1/lots/mint-with-origin-claims", {
      deliveries: Array.from({ length: 8 }, (_, i) => delivery((i % 2 ? plots.withdrawn : plots.named).commitment, 40 + i)),
    });
    const ids = (minted.outputs.lotIds as string[]).map(BigInt);
    expect(ids).to.have.length(8);
    expect(await attestations.carriesClaims(ids, ids.map(() => eudr))).to.deep.equal(ids.map(() => true));
  });

  it("answers the complete statement and its geolocation to the custodian, valid against the schema and the EU rules", async function () {
    const answer = await api(coop.token).get(`/v1/lots/${lots.clear}/dds`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    const { statement, geolocation } = answer.body;
    expect(validateStatement(statement), JSON.stringify(validateStatement.errors)).to.equal(true);
    expect(statement).to.deep.include({ partial: false, activity: "export", countriesOfProduction: ["ID"], referencedStatements: [], missing: [] });
    expect(statement.commodity).to.deep.equal({ hsCode: "1801.00", description: "cocoa beans, fermented and dried (cocoa)", netMassKg: 500 });
    expect(statement.operator).to.deep.equal({ memberId: coop.memberId, country: "ID" });
    expect(statement.geolocation).to.deep.equal({ files: ["geolocation.geojson"], split: false, plots: 2, deliveries: 2 });
    expect(statement.productionPeriod.start).to.match(/^\d{4}-\d{2}-\d{2}$/);
    expect(statement.deforestationEvidence.attestations.map((a: { plotId: string }) => a.plotId).sort()).to.deep.equal([plots.named.id, plots.withdrawn.id].sort());
    for (const attestation of statement.deforestationEvidence.attestations) expect(await attestations.isValid(attestation.uid)).to.equal(true);

    expect(geolocation).to.have.length(1);
    const collection = JSON.parse(geolocation[0].geojson) as FeatureCollection;
    checkGeolocation(collection, geolocation[0].geojson);
    expect(collection.features).to.have.length(2);
    const polygon = collection.features.find((f) => f.geometry.type === "Polygon")!;
    const pointFeature = collection.features.find((f) => f.geometry.type === "Point")!;
    expect(polygon.properties).to.deep.include({ ProducerCountry: "ID", ProductionPlace: "Poso, Sulawesi Tengah", ProducerName: "Siti Rahmawati" });
    expect(polygon.properties.Area as number).to.be.within(0.99, 1.01);
    // A withdrawn consent: the plot is there, the farmer's name is not.
    expect(pointFeature.properties).to.deep.equal({ ProducerCountry: "ID", ProductionPlace: "Poso, Sulawesi Tengah", Area: 2 });
    // Nothing of the farmers beyond the consented name: no village, no farmer id.
    expect(JSON.stringify(answer.body)).to.not.match(/Desa Tolai|Made Wirawan|f_[0-9a-z]{16}/);
  });

  it("refuses a lot that mixes in a plot without the claim, naming the lot and the plot, and changes nothing", async function () {
    const answer = await api(coop.token).get(`/v1/lots/${lots.mixed}/dds`);
    expect(answer.status).to.equal(409);
    expect(answer.body.error.code).to.equal("dds_incomplete");
    expect(answer.body.error.details.lots).to.deep.equal([lots.unchecked]);
    expect(answer.body.error.details.plots).to.deep.equal([plots.unchecked.id]);
    expect(answer.body.error.details.gaps[0]).to.include({ reason: "no-claim" });
  });

  it("writes a statement marked partial when asked, with only the plots that carry the claim", async function () {
    const answer = await api(coop.token).get(`/v1/lots/${lots.mixed}/dds?allowPartial=true`);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    const { statement, geolocation } = answer.body;
    expect(validateStatement(statement), JSON.stringify(validateStatement.errors)).to.equal(true);
    expect(statement.partial).to.equal(true);
    expect(statement.missing).to.deep.equal([{ lotId: lots.unchecked, plotId: plots.unchecked.id, origin: plots.unchecked.commitment, reason: "no-claim" }]);
    const collection = JSON.parse(geolocation[0].geojson) as FeatureCollection;
    checkGeolocation(collection, geolocation[0].geojson);
    expect(collection.features).to.have.length(1);
    expect(collection.features[0]!.properties.ProducerName).to.equal("Siti Rahmawati");
  });

  it("firstmile dds writes statement.json and geolocation.geojson, and refuses a mixed lot listing what lacks the claim", async function () {
    const printed = await firstmile(running.env, dir, "dds", "--lot", lots.clear, "--member", coop.memberId, "--out", "dds-clear");
    expect(printed).to.contain(`due diligence statement of lot ${lots.clear}: 500 kg`);
    const statement = JSON.parse(fs.readFileSync(path.join(dir, "dds-clear", "statement.json"), "utf8"));
    expect(validateStatement(statement), JSON.stringify(validateStatement.errors)).to.equal(true);
    const text = fs.readFileSync(path.join(dir, "dds-clear", "geolocation.geojson"), "utf8");
    checkGeolocation(JSON.parse(text), text);
    const refused = await firstmile(running.env, dir, "dds", "--lot", lots.mixed, "--member", coop.memberId, "--out", "dds-mixed").then(() => null, (error: unknown) => error);
    expect(refused).to.be.instanceOf(DdsCommandError);
    expect((refused as Error).message).to.contain(`lot ${lots.unchecked}: plot ${plots.unchecked.id} has no valid deforestation-free attestation`);
    expect(fs.existsSync(path.join(dir, "dds-mixed", "statement.json"))).to.equal(false);
    await firstmile(running.env, dir, "dds", "--lot", lots.mixed, "--member", coop.memberId, "--out", "dds-mixed", "--allow-partial");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "dds-mixed", "statement.json"), "utf8")).partial).to.equal(true);
  });

  it("answers 404 to a member that does not hold the lot, and 400 to a bad id or option", async function () {
    expect((await api(brand.token).get(`/v1/lots/${lots.clear}/dds`)).status).to.equal(404);
    expect((await api(certifier.token).get(`/v1/lots/${lots.clear}/dds`)).status).to.equal(404);
    expect((await api(coop.token).get("/v1/lots/abc/dds")).status).to.equal(400);
    expect((await api(coop.token).get(`/v1/lots/${lots.clear}/dds?activity=smuggling`)).status).to.equal(400);
    expect((await api().get(`/v1/lots/${lots.clear}/dds`)).status).to.equal(401);
  });

  describe("the reference of a filed statement, on chain", function () {
    it("is recorded by the custodian (DdsReferenced, member-signed through the relay), refused for another member", async function () {
      const refused = await api(brand.token).post(`/v1/lots/${lots.clear}/dds-references`, { referenceNumber: "25IDSN6LX69730", verificationNumber: "K7R8LA5F" }, key());
      expect(refused.status).to.equal(202);
      const { final: failed } = await api(brand.token).settle(refused.body.id, 60_000);
      expect(failed.status).to.equal("failed");
      expect(JSON.stringify(failed.error)).to.contain("DdsRegistryNotCustodian");
      const bad = await api(coop.token).post(`/v1/lots/${lots.clear}/dds-references`, { referenceNumber: "25 ID", verificationNumber: "K7R8LA5F" }, key());
      expect(bad.status).to.equal(400);

      const final = await mined(coop.token, `/v1/lots/${lots.clear}/dds-references`, { referenceNumber: "25IDSN6LX69730", verificationNumber: "K7R8LA5F" });
      expect(final.outputs.events.map((event: { name: string }) => event.name)).to.deep.equal(["DdsReferenced"]);
      expect(final.outputs.events[0].args).to.include({ lotId: lots.clear, member: coop.memberId, referenceNumber: "25IDSN6LX69730", verificationNumber: "K7R8LA5F" });
      const dds = DdsRegistry__factory.connect(running.gateway.chain.deployments.contracts.DdsRegistry!.address, provider);
      expect(await dds.referenceCount(BigInt(lots.clear))).to.equal(1n);
      const [event] = await dds.queryFilter(dds.filters.DdsReferenced(BigInt(lots.clear)), Number(final.transaction.blockNumber));
      expect(event!.args.referenceNumber).to.equal("25IDSN6LX69730");
      expect(event!.args.by).to.equal(coop.accounts[0]!.address);
      const rows = await running.gateway.db.query("select lot_id::text, member_id::text, reference_number, verification_number from dds_references");
      expect(rows.rows).to.deep.equal([{ lot_id: lots.clear, member_id: coop.memberId, reference_number: "25IDSN6LX69730", verification_number: "K7R8LA5F" }]);
    });

    it("is listed by the downstream trader's statement, which carries no coordinates of the upstream plots", async function () {
      await mined(coop.token, `/v1/lots/${lots.clear}/offer`, { receiver: brand.accounts[0]!.address });
      await mined(brand.token, `/v1/lots/${lots.clear}/accept`, { gramsReceived: "500000" });
      const parts = await mined(brand.token, `/v1/lots/${lots.clear}/split`, { parts: [{ form: 2, grams: "200000", metadata: `0x${"01".repeat(32)}` }, { form: 2, grams: "300000", metadata: `0x${"02".repeat(32)}` }] });
      const answer = await api(brand.token).get(`/v1/lots/${parts.outputs.lotIds[0]}/dds`);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      const { statement, geolocation } = answer.body;
      expect(validateStatement(statement), JSON.stringify(validateStatement.errors)).to.equal(true);
      expect(statement).to.deep.include({ partial: false, activity: "import" });
      expect(statement.operator.country).to.equal("NL");
      expect(statement.commodity.netMassKg).to.equal(200);
      expect(statement.referencedStatements).to.deep.equal([{ referenceNumber: "25IDSN6LX69730", verificationNumber: "K7R8LA5F", lotId: lots.clear, memberId: coop.memberId }]);
      expect(statement.geolocation).to.include({ plots: 0, deliveries: 0 });
      expect(JSON.parse(geolocation[0].geojson).features).to.deep.equal([]);
      expect(JSON.stringify(answer.body)).to.not.contain("120.75");

      // The consumer page of the brand's part says the statement was filed, in every language.
      const expected = {
        en: "EU due diligence statement filed: reference 25IDSN6LX69730",
        id: "Pernyataan uji tuntas UE telah diajukan: nomor referensi 25IDSN6LX69730",
        th: "ยื่นคำแถลงการตรวจสอบวิเคราะห์สถานะของสหภาพยุโรปแล้ว: เลขอ้างอิง 25IDSN6LX69730",
        vi: "Đã nộp bản công bố thẩm định của EU: số tham chiếu 25IDSN6LX69730",
      };
      for (const [lang, text] of Object.entries(expected)) {
        const page = await fetch(`${running.gateway.url}/l/${parts.outputs.lotIds[0]}?lang=${lang}`);
        expect(page.status).to.equal(200);
        expect(await page.text(), lang).to.contain(text);
      }
      const twin = await (await fetch(`${running.gateway.url}/l/${parts.outputs.lotIds[0]}?format=json`)).json();
      expect(twin.statements).to.deep.equal([{ lotId: lots.clear, memberId: coop.memberId, referenceNumber: "25IDSN6LX69730" }]);
      expect(JSON.stringify(twin)).to.not.contain("K7R8LA5F");
    });

    it("shows on the mixed lot's page that it lost the claim, and why", async function () {
      const page = await (await fetch(`${running.gateway.url}/l/${lots.mixed}?lang=en`)).text();
      expect(page).to.contain("does not carry the claim: only 1 of 2 deliveries it was made from carried it");
      const clear = await (await fetch(`${running.gateway.url}/l/${parts0()}?lang=en`)).text();
      expect(clear).to.not.contain("does not carry the claim");
    });
  });
});
