import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import type { JsonRpcProvider } from "ethers";
import { schemeByKey } from "../../src/attestations/schemes";
import { connectProvider } from "../../src/chain/provider";
import { registerEudrCommand } from "../../src/cli/commands/eudr";
import { generateLayers, writeGeoTiff, type EudrCheckReport } from "../../src/eudr";
import { applyGoverned } from "../../src/governance";
import { AttestationRegistry__factory, type AttestationRegistry } from "../../typechain-types";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "../gateway/helpers";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { point, square } from "../origins/fixtures";

type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;

/** Runs `firstmile eudr check ...` in-process against the running gateway's control socket. */
async function firstmile(env: Record<string, string>, cwd: string, args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerEudrCommand(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", "eudr", "check", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

// Around Poso (Sulawesi Tengah): 200 x 200 pixels of 0.0001° (about 11 m).
const AREA = { west: 120.74, south: -1.4, east: 120.76, north: -1.38 };
const layers = generateLayers({
  area: AREA,
  pixelDeg: 0.0001,
  // Land cleared long before 2020 (a cocoa garden), replanted in 2022: not deforestation.
  notForest: [{ west: 120.744, south: -1.396, east: 120.747, north: -1.393 }],
  loss: [
    { box: { west: 120.744, south: -1.396, east: 120.747, north: -1.393 }, year: 2022 },
    // Loss in 2019 on plot A: before the cut-off, not counted.
    { box: { west: 120.745, south: -1.391, east: 120.7465, north: -1.389 }, year: 2019 },
    // Loss in 2023 over the west half of plot B.
    { box: { west: 120.749, south: -1.391, east: 120.7505, north: -1.388 }, year: 2023 },
  ],
  // A cloud over plot H.
  noData: [{ west: 120.751, south: -1.386, east: 120.754, north: -1.383 }],
});

const PLOTS = {
  A: { geometry: square(120.745013, -1.390027, 100) },
  B: { geometry: square(120.750013, -1.390027, 100) },
  C: { geometry: point(120.742013, -1.385027), declaredAreaHa: 2 },
  // Astride the raster's east edge (120.76): about half of it outside.
  D: { geometry: square(120.759513, -1.390027, 100) },
  // One pixel column of eighteen outside the east edge.
  E: { geometry: square(120.758263, -1.395027, 200) },
  F: { geometry: square(120.800013, -1.390027, 100) },
  G: { geometry: square(120.745013, -1.395027, 100) },
  H: { geometry: square(120.752013, -1.385027, 100) },
} as const;
type Name = keyof typeof PLOTS;

describe("the deforestation check (real gateway: anvil, PGlite, relay, evidence store)", function () {
  this.timeout(600_000);
  let dir: string;
  let files: string;
  let running: TestGateway;
  let provider: JsonRpcProvider;
  let registry: AttestationRegistry;
  let coop: Member;
  let monitor: Member;
  let unaccredited: Member;
  let brand: Member;
  let scheme: number;
  const ids = {} as Record<Name, string>;
  const commitments = {} as Record<Name, string>;
  const api = (token?: string) => client(running.gateway.url, token);
  const env = () => ({ FIRSTMILE_DATA_DIR: path.join(dir, "data"), FIRSTMILE_LOG_LEVEL: "silent" });

  const check = async (token: string, fields: Record<string, string>, forest: Uint8Array, loss: { name: string; bytes: Uint8Array }) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append("forest2020", new Blob([new Uint8Array(forest)]), "gfc2020_poso.tif");
    form.append("loss", new Blob([new Uint8Array(loss.bytes)]), loss.name);
    const response = await fetch(`${running.gateway.url}/v1/eudr/checks`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: response.status, body: (await response.json()) as any };
  };
  const counts = async () =>
    (await running.gateway.db.query<{ outbox: number; evidence: number }>("select (select count(*) from outbox)::int as outbox, (select count(*) from evidence_uploads)::int as evidence")).rows[0]!;
  const byPlot = (report: EudrCheckReport) => Object.fromEntries((Object.keys(PLOTS) as Name[]).filter((name) => report.plots.some((p) => p.plotId === ids[name])).map((name) => [name, report.plots.find((p) => p.plotId === ids[name])!]));

  before(async function () {
    dir = makeTempDir("eudr-check");
    files = path.join(dir, "files");
    fs.mkdirSync(files);
    fs.writeFileSync(path.join(files, "forest2020.tif"), layers.forest2020);
    fs.writeFileSync(path.join(files, "lossyear.tif"), layers.lossYear);
    fs.writeFileSync(path.join(files, "alerts.geojson"), layers.alerts);
    running = await startTestGateway(path.join(dir, "data"));
    const { url, chainId, deployments } = running.gateway.chain;
    provider = connectProvider(url, Number(chainId));
    const governor = await provider.getSigner(0);
    registry = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry!.address, governor);
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    monitor = await addMemberThroughGateway(running.gateway, { roles: ["certifier"], country: "ID" });
    unaccredited = await addMemberThroughGateway(running.gateway, { roles: ["certifier"], country: "NL" });
    brand = await addMemberThroughGateway(running.gateway, { roles: ["brand"], country: "NL" });
    const spec = schemeByKey("no-forest-loss-since-2020");
    scheme = Number(await registry.schemeIdOf(spec.name, spec.version));
    expect(scheme).to.be.greaterThan(0);
    const now = (await provider.getBlock("latest"))!.timestamp;
    await applyGoverned(governor, deployments, [{
      target: await registry.getAddress(),
      data: registry.interface.encodeFunctionData("accredit", [scheme, BigInt(monitor.memberId), now + 365 * 24 * 3600]),
      description: "accredit the forest monitor for the deforestation-free scheme",
    }]);
    for (const [name, plot] of Object.entries(PLOTS) as Array<[Name, (typeof PLOTS)[Name]]>) {
      const answer = await api(coop.token).post("/v1/plots", { farmerRef: `F-${name}`, ...plot, country: "ID", province: "Sulawesi Tengah", district: "Poso" });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      ids[name] = answer.body.id;
      commitments[name] = answer.body.commitment;
    }
  });
  after(async function () {
    await running?.gateway.stop();
    provider?.destroy();
    removeTempDir(dir);
  });

  it("finds loss on a lossyear raster, attests only the clear plots on chain, with the stored report as evidence", async function () {
    const answer = await check(monitor.token, { plots: `cooperative:${coop.memberId}` }, layers.forest2020, { name: "lossyear_poso.tif", bytes: layers.lossYear });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    const { report } = answer.body as { report: EudrCheckReport };
    const plots = byPlot(report);
    const results = Object.fromEntries(Object.entries(plots).map(([name, line]) => [name, line.result]));
    expect(results).to.deep.equal({ A: "clear", B: "loss_found", C: "clear", D: "no_data", E: "clear", F: "no_data", G: "clear", H: "no_data" });
    expect(report.totals).to.deep.include({ plots: 8, clear: 4, loss_found: 1, no_data: 3 });

    expect(plots.A).to.include({ forestShare2020: 1, lossHa: 0, coverage: 1, firstLoss: null });
    expect(plots.B!.lossHa).to.be.within(0.4, 0.7);
    expect(plots.B!.firstLoss).to.equal("2023");
    // A point plot of 2 ha, checked as a circle of 2 ha.
    expect(plots.C!.kind).to.equal("point");
    expect(plots.C!.forestHa2020).to.be.within(1.9, 2.1);
    expect(plots.D!.coverage).to.be.within(0.4, 0.6);
    expect(plots.D!.reason).to.match(/^data for \d+\.\d % of the plot; at least 90 % needed$/);
    expect(plots.E!.coverage).to.be.within(0.9, 0.99);
    expect(plots.F).to.include({ coverage: 0, forestShare2020: null, reason: "outside the 2020 forest map (or no data there)" });
    // Replanting land that was not forest in 2020 is not deforestation.
    expect(plots.G).to.include({ forestShare2020: 0, lossHa: 0 });
    expect(plots.H!.coverage).to.equal(0);
    expect(answer.body.lossPlots).to.deep.equal([ids.B]);

    // The datasets named with their digests; no coordinates anywhere in the report.
    expect(report.datasets.map((d) => [d.role, d.name, d.format])).to.deep.equal([["forest_2020", "gfc2020_poso.tif", "geotiff"], ["loss", "lossyear_poso.tif", "geotiff"]]);
    const { createHash } = await import("node:crypto");
    expect(report.datasets[0]!.sha256).to.equal(createHash("sha256").update(layers.forest2020).digest("hex"));
    const stored = JSON.parse(new TextDecoder().decode(await running.gateway.evidence.get(answer.body.reportCid))) as EudrCheckReport;
    expect(stored.plots).to.deep.equal(report.plots);
    expect(stored.summary).to.contain("| " + ids.B + " | " + coop.memberId + " | loss_found |");
    expect(JSON.stringify(stored)).not.to.contain("120.75").and.not.to.contain("coordinates");

    expect(answer.body.requests).to.have.length(1);
    const { final } = await api(monitor.token).settle(answer.body.requests[0], 60_000);
    expect(final.status, JSON.stringify(final.error)).to.equal("mined");
    expect(final.outputs.uids).to.have.length(4);
    for (const name of Object.keys(PLOTS) as Name[]) {
      const [uid, valid] = await registry.currentAttestation(2, commitments[name], scheme);
      const clear = results[name] === "clear";
      expect(valid, name).to.equal(clear);
      if (clear) {
        const attestation = await registry.getAttestation(uid);
        expect(attestation.attester).to.equal(monitor.accounts[0]!.address);
      }
    }
    // The evidence digest in the Attested events is the report's.
    expect(final.outputs.events.every((event: { args: { evidence: string } }) => event.args.evidence === answer.body.reportDigest)).to.equal(true);
  });

  it("finds the same loss in GeoJSON alerts from the command line, for plots named by id, and attests nothing without a monitor", async function () {
    const before = await counts();
    const listFile = path.join(files, "plots.txt");
    fs.writeFileSync(listFile, `${ids.A}\n${ids.B}\n${ids.G}\n`);
    const printed = await firstmile(env(), files, ["--plots", listFile, "--forest-2020", "forest2020.tif", "--loss", "alerts.geojson", "--out", "out"]);
    expect(printed).to.contain("3 plots, 2 clear, 1 with loss");
    expect(printed).to.contain(`${ids.B} loss_found:`);
    expect(printed).to.contain("(first 2023-06-15)");
    expect(printed).to.contain("no --monitor: nothing attested");
    const report = JSON.parse(fs.readFileSync(path.join(files, "out", "report.json"), "utf8")) as EudrCheckReport;
    expect(report.datasets[1]).to.include({ name: "alerts.geojson", format: "geojson", detail: "3 alerts, 2 dated after 2020-12-31" });
    const plots = byPlot(report);
    // The 2019 alert over A is before the cut-off; G's 2022 alert lies on land that was not forest in 2020.
    expect(Object.fromEntries(Object.entries(plots).map(([name, line]) => [name, line.result]))).to.deep.equal({ A: "clear", B: "loss_found", G: "clear" });
    expect(plots.B!.lossHa).to.be.within(0.4, 0.7);
    expect(fs.readFileSync(path.join(files, "out", "report.md"), "utf8")).to.contain("# Deforestation check, cut-off 2020-12-31");
    const after = await counts();
    expect(after.outbox).to.equal(before.outbox);
    expect(after.evidence).to.equal(before.evidence + 1);
  });

  it("attests no plot twice, and lists a plot with loss that still holds an attestation from an earlier check", async function () {
    // An earlier (wrong) attestation of plot B, as a check before the loss would have made.
    const earlier = await api(monitor.token).post("/v1/attestations", { scheme, subjectKind: "plot", subject: commitments.B, evidence: `0x${"e1".repeat(32)}` }, { "idempotency-key": "earlier-b" });
    expect(earlier.status, JSON.stringify(earlier.body)).to.equal(202);
    const { final } = await api(monitor.token).settle(earlier.body.id, 60_000);
    expect(final.status, JSON.stringify(final.error)).to.equal("mined");
    await running.gateway.indexer.waitForBlock(Number(final.transaction.blockNumber));

    const before = await counts();
    const answer = await check(monitor.token, { plots: `cooperative:${coop.memberId}` }, layers.forest2020, { name: "lossyear_poso.tif", bytes: layers.lossYear });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    expect(answer.body.requests).to.deep.equal([]);
    expect(answer.body.attested).to.equal(0);
    expect([...answer.body.alreadyAttested].sort()).to.deep.equal([ids.A, ids.C, ids.E, ids.G].sort());
    expect(answer.body.attestedWithLoss).to.deep.equal([{ plotId: ids.B, uids: [final.outputs.uids[0]] }]);
    const after = await counts();
    expect(after).to.deep.equal({ outbox: before.outbox, evidence: before.evidence + 1 });
  });

  describe("refuses what it cannot use, naming the file, and writes nothing", function () {
    const expectRefused = async (answer: { status: number; body: any }, status: number, code: string, message: RegExp) => {
      expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
      expect(answer.body.error.code).to.equal(code);
      expect(answer.body.error.message).to.match(message);
      expect(answer.body.error).to.have.property("details");
    };
    let before: { outbox: number; evidence: number };
    beforeEach(async () => {
      before = await counts();
    });
    afterEach(async () => {
      expect(await counts()).to.deep.equal(before);
    });
    const selection = () => ({ plots: `cooperative:${coop.memberId}` });
    const loss = () => ({ name: "lossyear.tif", bytes: layers.lossYear });

    it("a forest map that is not a GeoTIFF", async () => {
      await expectRefused(await check(monitor.token, selection(), new TextEncoder().encode("plot,forest\n1,1\n"), loss()), 400, "eudr_not_geotiff", /^gfc2020_poso\.tif: not a GeoTIFF/);
    });
    it("a raster in a projected coordinate system", async () => {
      const utm = writeGeoTiff({ width: 10, height: 10, west: 500000, north: 9850000, pixelDeg: 10, values: new Uint8Array(100).fill(1), projectedEpsg: 32751 });
      await expectRefused(await check(monitor.token, selection(), utm, loss()), 400, "eudr_wrong_crs", /gfc2020_poso\.tif: a projected coordinate system \(EPSG:32751\)/);
    });
    it("a forest map with values other than 0, 1 and nodata", async () => {
      const percent = generateLayers({ area: AREA, pixelDeg: 0.0001 });
      const values = new Uint8Array(200 * 200).fill(80);
      const tif = writeGeoTiff({ ...percent.grid, values });
      await expectRefused(await check(monitor.token, selection(), tif, loss()), 400, "eudr_bad_values", /gfc2020_poso\.tif: value 80 at pixel/);
    });
    it("an alert without a date", async () => {
      const alerts = JSON.parse(new TextDecoder().decode(layers.alerts));
      delete alerts.features[2].properties.date;
      const answer = await check(monitor.token, selection(), layers.forest2020, { name: "radd.geojson", bytes: new TextEncoder().encode(JSON.stringify(alerts)) });
      await expectRefused(answer, 400, "eudr_unknown_alert_date", /^radd\.geojson: feature 2 has no readable date/);
    });
    it("alerts in another coordinate system", async () => {
      const alerts = { ...JSON.parse(new TextDecoder().decode(layers.alerts)), crs: { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::32751" } } };
      await expectRefused(await check(monitor.token, selection(), layers.forest2020, { name: "alerts.geojson", bytes: new TextEncoder().encode(JSON.stringify(alerts)) }), 400, "eudr_wrong_crs", /alerts\.geojson: coordinate system/);
    });
    it("a plot id this gateway does not have", async () => {
      await expectRefused(await check(monitor.token, { plots: `${ids.A},p_aaaaaaaaaaaaaaaaaaaa` }, layers.forest2020, loss()), 422, "eudr_unknown_plots", /no live plot p_aaaaaaaaaaaaaaaaaaaa/);
    });
    it("a certifier not accredited for the scheme, and a brand", async () => {
      await expectRefused(await check(unaccredited.token, selection(), layers.forest2020, loss()), 403, "eudr_not_accredited", /not accredited/);
      await expectRefused(await check(brand.token, selection(), layers.forest2020, loss()), 403, "eudr_not_a_certifier", /not an active certifier/);
    });
    it("from the command line: a file that is not a GeoTIFF, named in the message", async () => {
      fs.writeFileSync(path.join(files, "forest.png"), Buffer.from("89504e470d0a1a0a0000", "hex"));
      const refused = await firstmile(env(), files, ["--plots", `cooperative:${coop.memberId}`, "--forest-2020", "forest.png", "--loss", "lossyear.tif", "--monitor", monitor.memberId]).then(
        () => null,
        (error: Error) => error,
      );
      expect(refused?.message).to.match(/^forest\.png: not a GeoTIFF/);
    });
  });
  describe("from the command line with the gateway stopped", function () {
    before(async function () {
      await running.gateway.stop();
    });

    it("checks and stores the report without a monitor, and refuses to attest without the gateway's relay", async function () {
      const printed = await firstmile(env(), files, ["--plots", `${ids.A},${ids.B}`, "--forest-2020", "forest2020.tif", "--loss", "lossyear.tif"]);
      expect(printed).to.contain("2 plots, 1 clear, 1 with loss");
      const cid = /report stored as evidence (\S+) /.exec(printed)?.[1];
      expect(cid).to.match(/^baf/);
      const refused = await firstmile(env(), files, ["--plots", ids.A, "--forest-2020", "forest2020.tif", "--loss", "lossyear.tif", "--monitor", monitor.memberId]).then(
        () => null,
        (error: Error) => error,
      );
      expect(refused?.message).to.match(/^no gateway runs on .*: start it \(npm start\) to attest/);
    });
  });
});
