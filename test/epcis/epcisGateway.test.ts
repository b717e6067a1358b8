import fs from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { expect } from "chai";
import { Command } from "commander";
import { issueApiToken } from "../../src/api";
import { registerEpcisCommand } from "../../src/cli/commands/epcis";
import type { DemoRecord } from "../../src/demo/seedDemo";
import { cocoaDeliveries, rubberDeliveries } from "../../src/demo/story";
import { copySeededDemo } from "../helpers/demoTemplate";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { client, startTestGateway, type TestGateway } from "../gateway/helpers";

/** GS1's official EPCIS 2.0 JSON Schema, read where the repository's neighbours keep it (never copied in). */
const SCHEMA_FILE = path.resolve(__dirname, "../../../shared/reference/epcis/EPCIS-JSON-Schema.json");

type EpcisEvent = Record<string, any> & { type: string; eventID: string; eventTime: string };

/**
 * The EPCIS export, query interface and Digital Link linksets on the seeded demo story (a copy of
 * the run's seeded data dir, test/helpers/demoTemplate.ts): every demo lot's document validates
 * against GS1's schema, queries page and filter, linksets answer as a resolver would.
 */
describe("EPCIS 2.0 and GS1 Digital Link linksets on the demo story", function () {
  let dir: string;
  let running: TestGateway;
  let demo: DemoRecord;
  let api: ReturnType<typeof client>;
  let anonymous: ReturnType<typeof client>;
  let validate: ValidateFunction;
  let base: string;
  const figures: Record<string, string> = {};
  const documents = new Map<string, { events: EpcisEvent[]; body: any }>();

  before(async function () {
    this.timeout(240_000);
    const started = Date.now();
    dir = makeTempDir("epcis");
    await copySeededDemo(dir);
    running = await startTestGateway(dir);
    demo = JSON.parse(fs.readFileSync(running.config.paths.demoRecord, "utf8")) as DemoRecord;
    base = running.gateway.url;
    api = client(base, (await issueApiToken(running.gateway.db, BigInt(demo.members.brand))).token);
    anonymous = client(base);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));
    figures["seeded demo copied + gateway started"] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
    console.log(`      figures: ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join("; ")}`);
  });

  const demoLots = () => [
    ...demo.cocoa.deliveries,
    ...demo.cocoa.dryBeans,
    ...Object.values(demo.cocoa.salesLots),
    ...["exportLot", "nibs", "liquor", "liquorPressed", "liquorForChocolate", "butter", "cake", "chocolate"].map((key) => (demo.cocoa as unknown as Record<string, string>)[key]!),
    ...demo.rubber.deliveries,
    demo.rubber.truckload,
    demo.rubber.tsr20,
    // The delivery held back from the export (its plot lost forest after 2020).
    ...(demo.eudr ? [demo.eudr.heldBack.lotId] : []),
  ];
  const schemaErrors = () => (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath} ${e.message}`).join("; ");
  async function exported(lotId: string) {
    if (!documents.has(lotId)) {
      const answer = await api.get(`/v1/lots/${lotId}/epcis`);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      documents.set(lotId, { events: answer.body.epcisBody.eventList, body: answer.body });
    }
    return documents.get(lotId)!;
  }
  const quantities = (event: EpcisEvent, list: string) => (event[list] ?? []) as Array<{ epcClass: string; quantity: number; uom: string }>;
  const classesOf = (event: EpcisEvent) => ["quantityList", "inputQuantityList", "outputQuantityList"].flatMap((list) => quantities(event, list).map((q) => q.epcClass));

  describe("GET /v1/lots/{id}/epcis", function () {
    it("exports every demo lot as an EPCISDocument that GS1's EPCIS 2.0 JSON Schema accepts", async function () {
      this.timeout(120_000);
      const started = Date.now();
      const lots = demoLots();
      let events = 0;
      for (const lotId of lots) {
        const { body } = await exported(lotId);
        expect(validate(body), `lot ${lotId}: ${schemaErrors()}`).to.equal(true);
        expect(body.type).to.equal("EPCISDocument");
        expect(body.schemaVersion).to.equal("2.0");
        expect(body["@context"][0]).to.equal("https://ref.gs1.org/standards/epcis/epcis-context.jsonld");
        events += body.epcisBody.eventList.length;
      }
      figures[`${lots.length} documents exported and validated`] = `${((Date.now() - started) / 1000).toFixed(1)} s (${events} events)`;
    });

    it("answers application/ld+json to a member's token only, 404 for an unknown lot and 400 for a malformed id", async function () {
      const answer = await fetch(`${base}/v1/lots/${demo.cocoa.chocolate}/epcis`, { headers: { authorization: `Bearer ${(await issueApiToken(running.gateway.db, BigInt(demo.members.exporter))).token}` } });
      expect(answer.status).to.equal(200);
      expect(answer.headers.get("content-type")).to.match(/^application\/ld\+json/);
      expect((await anonymous.get(`/v1/lots/${demo.cocoa.chocolate}/epcis`)).status).to.equal(401);
      const unknown = await api.get("/v1/lots/999999999/epcis");
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal("not_found");
      expect((await api.get("/v1/lots/12x/epcis")).status).to.equal(400);
    });

    it("tells the chocolate bar's whole story: 40 commissioned deliveries, handovers, merges and transforms down to the bar's GTIN and batch", async function () {
      const { events } = await exported(demo.cocoa.chocolate);
      const chocolate = `${base}/01/${demo.products.chocolate.gtin.padStart(14, "0")}/10/${encodeURIComponent(demo.products.chocolate.batch)}`;
      const commissioned = events.filter((e) => e.type === "ObjectEvent" && e.bizStep === "commissioning");
      expect(commissioned).to.have.length(cocoaDeliveries().length);
      for (const event of commissioned) {
        expect(event.action).to.equal("ADD");
        expect(event.quantityList[0].uom).to.equal("KGM");
        expect(event.quantityList[0].epcClass).to.match(new RegExp(`^${base}/l/\\d+$`));
      }
      const made = events.filter((e) => e.type === "TransformationEvent" && quantities(e, "outputQuantityList").some((q) => q.epcClass === chocolate));
      expect(made, "the transform that made the bar names it by its Digital Link").to.have.length(1);
      expect(quantities(made[0]!, "inputQuantityList").map((q) => q.epcClass)).to.include(`${base}/l/${demo.cocoa.liquorForChocolate}`);
      // Handovers: the cooperatives to the exporter, the exporter to the grinder, the grinder to the brand.
      const shipped = events.filter((e) => e.bizStep === "shipping");
      const received = events.filter((e) => e.bizStep === "receiving");
      expect(shipped.length).to.be.at.least(5);
      expect(received.length).to.equal(shipped.length);
      for (const event of [...shipped, ...received]) {
        expect(event.sourceList.map((s: any) => s.type)).to.deep.equal(["owning_party", "possessing_party"]);
        expect(event.destinationList[0].destination).to.match(new RegExp(`^${base}/v1/members/\\d+$`));
      }
      expect(received.map((e) => e.destinationList[0].destination)).to.include(`${base}/v1/members/${demo.members.brand}`);
      // The export lot is a merge of the three cooperatives' sales lots: mass in, mass out.
      const merge = events.find((e) => e["fm:operation"] === "merged" && quantities(e, "outputQuantityList")[0]!.epcClass === `${base}/l/${demo.cocoa.exportLot}`)!;
      expect(quantities(merge, "inputQuantityList").map((q) => q.epcClass).sort()).to.deep.equal(Object.values(demo.cocoa.salesLots).map((id) => `${base}/l/${id}`).sort());
      const total = (list: string) => quantities(merge, list).reduce((sum, q) => sum + q.quantity, 0);
      expect(total("outputQuantityList")).to.be.closeTo(total("inputQuantityList"), 0.0005);
      // Certifications: the deliveries' plot and lot attestations, as attestation URNs; the revoked one is left out.
      const certified = commissioned.filter((e) => Array.isArray(e.certificationInfo));
      expect(certified.length).to.be.greaterThan(0);
      const uids = new Set(events.flatMap((e) => (e.certificationInfo ?? []) as string[]));
      for (const uid of uids) expect(uid).to.match(/^urn:firstmile:attestation:\d+:0x[0-9a-f]{64}$/);
      for (const revoked of demo.attestations?.revoked ?? []) expect([...uids].some((u) => u.endsWith(revoked.toLowerCase()))).to.equal(false);
      // Chain order, UTC.
      for (const event of events) expect(event.eventTimeZoneOffset).to.equal("+00:00");
      const times = events.map((e) => Date.parse(e.eventTime));
      expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    });

    it("gives each event the same id in every export, and one id per event", async function () {
      const again = await api.get(`/v1/lots/${demo.cocoa.chocolate}/epcis`);
      const first = (await exported(demo.cocoa.chocolate)).events.map((e) => e.eventID);
      expect(again.body.epcisBody.eventList.map((e: EpcisEvent) => e.eventID)).to.deep.equal(first);
      expect(new Set(first).size).to.equal(first.length);
      for (const id of first) expect(id).to.match(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // A delivery's own document and the bar's share the delivery's events, ids included.
      const delivery = (await exported(demo.cocoa.deliveries[0]!)).events;
      for (const event of delivery) expect(first).to.include(event.eventID);
    });

    it("never names a farmer, a plot's location or a delivery's origin commitment", async function () {
      const text = JSON.stringify([...documents.values()].map((d) => d.body));
      for (const delivery of [...cocoaDeliveries(), ...rubberDeliveries()]) {
        expect(text).not.to.include(delivery.farmerRef);
        const [lon, lat] = firstVertex(delivery.geometry);
        expect(text).not.to.include(lon.toFixed(4));
        expect(text).not.to.include(lat.toFixed(4));
      }
      const history = await api.get(`/v1/lots/${demo.cocoa.deliveries[0]}/history`);
      const origin = history.body.items[0].fields.origin as string;
      expect(text.toLowerCase()).not.to.include(origin.slice(2).toLowerCase());
    });

    it("`firstmile epcis --lot <id> --out file` writes the same events through the running gateway", async function () {
      const out = path.join(dir, "chocolate.jsonld");
      const printed: string[] = [];
      const program = new Command().exitOverride();
      registerEpcisCommand(program, { env: running.env, cwd: dir, stdout: new Writable({ write: (chunk, _e, done) => (printed.push(String(chunk)), done()) }) });
      await program.parseAsync(["node", "firstmile", "epcis", "--lot", demo.cocoa.chocolate, "--out", out]);
      const written = JSON.parse(fs.readFileSync(out, "utf8"));
      expect(validate(written), schemaErrors()).to.equal(true);
      expect(written.epcisBody.eventList.map((e: EpcisEvent) => e.eventID)).to.deep.equal((await exported(demo.cocoa.chocolate)).events.map((e) => e.eventID));
      expect(printed.join("")).to.include(`${written.epcisBody.eventList.length} EPCIS events written to ${out}`);
    });
  });

  describe("GET /epcis/events", function () {
    const query = (parameters: Record<string, string>) => api.get(`/epcis/events?${new URLSearchParams(parameters).toString()}`);

    it("pages through every event in chain order as EPCISQueryDocuments, with Link rel=next", async function () {
      this.timeout(60_000);
      const started = Date.now();
      const all = await query({ perPage: "500" });
      expect(all.status, JSON.stringify(all.body)).to.equal(200);
      expect(all.headers.get("content-type")).to.match(/^application\/ld\+json/);
      expect(validate(all.body), schemaErrors()).to.equal(true);
      expect(all.body.type).to.equal("EPCISQueryDocument");
      const everything: EpcisEvent[] = all.body.epcisBody.queryResults.resultsBody.eventList;
      const paged: EpcisEvent[] = [];
      let url: string | null = `/epcis/events?perPage=40`;
      let pages = 0;
      while (url) {
        const page = await api.get(url);
        expect(page.status, JSON.stringify(page.body)).to.equal(200);
        expect(validate(page.body), schemaErrors()).to.equal(true);
        const events: EpcisEvent[] = page.body.epcisBody.queryResults.resultsBody.eventList;
        expect(events.length).to.be.at.most(40);
        paged.push(...events);
        pages += 1;
        const link = page.headers.get("link");
        url = link ? /^<[^>]*?(\/epcis\/events\?[^>]+)>; rel="next"$/.exec(link)![1]! : null;
      }
      expect(pages).to.be.greaterThan(2);
      expect(paged.map((e) => e.eventID)).to.deep.equal(everything.map((e) => e.eventID));
      expect(new Set(paged.map((e) => e.eventID)).size).to.equal(paged.length);
      // Every event of every demo lot's document, and no other (all lots of the story are demo lots or their ancestors).
      const exportedIds = new Set([...documents.values()].flatMap((d) => d.events.map((e) => e.eventID)));
      expect(exportedIds.size).to.be.greaterThan(0);
      expect(new Set(paged.map((e) => e.eventID))).to.deep.equal(exportedIds);
      // The same events as the lots' own documents say, with the same ids.
      const bar = (await exported(demo.cocoa.chocolate)).events;
      const byId = new Map(paged.map((e) => [e.eventID, e]));
      for (const event of bar) expect(byId.get(event.eventID), event.eventID).to.deep.equal(event);
      figures[`query interface, ${paged.length} events in ${pages} pages`] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    });

    it("matches a product by its Digital Link URI (MATCH_anyEPCClass) or a lot URI (MATCH_epc), whatever the host", async function () {
      const chocolate = `https://elsewhere.example/01/${demo.products.chocolate.gtin.padStart(14, "0")}/10/${encodeURIComponent(demo.products.chocolate.batch)}`;
      const answer = await query({ MATCH_anyEPCClass: chocolate });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      const events: EpcisEvent[] = answer.body.epcisBody.queryResults.resultsBody.eventList;
      expect(events.map((e) => e.type)).to.include("TransformationEvent");
      const own = `${base}/01/${demo.products.chocolate.gtin.padStart(14, "0")}/10/${encodeURIComponent(demo.products.chocolate.batch)}`;
      for (const event of events) expect(classesOf(event)).to.include(own);
      const lot = demo.cocoa.exportLot;
      const byLot = await query({ MATCH_epc: `${base}/l/${lot}`, EQ_bizStep: "repackaging" });
      const merges: EpcisEvent[] = byLot.body.epcisBody.queryResults.resultsBody.eventList;
      expect(merges.map((e) => e["fm:operation"])).to.deep.equal(["merged"]);
      expect(classesOf(merges[0]!)).to.include(`${base}/l/${lot}`);
      for (const unknown of [`${base}/01/09506000134352/10/NOPE`, `${base}/l/9999999999999999999`]) {
        const nothing = await query({ MATCH_anyEPCClass: unknown });
        expect(nothing.status, unknown).to.equal(200);
        expect(nothing.body.epcisBody.queryResults.resultsBody.eventList).to.deep.equal([]);
      }
    });

    it("filters by business step and event time", async function () {
      const all: EpcisEvent[] = (await query({ perPage: "500" })).body.epcisBody.queryResults.resultsBody.eventList;
      const shipping = await query({ EQ_bizStep: "shipping", perPage: "500" });
      const shipped: EpcisEvent[] = shipping.body.epcisBody.queryResults.resultsBody.eventList;
      expect(shipped.length).to.equal(all.filter((e) => e.bizStep === "shipping").length).and.to.be.greaterThan(0);
      const both = await query({ EQ_bizStep: "https://ref.gs1.org/cbv/BizStep-shipping|receiving", perPage: "500" });
      expect(both.body.epcisBody.queryResults.resultsBody.eventList).to.have.length(all.filter((e) => e.bizStep === "shipping" || e.bizStep === "receiving").length);
      const times = [...new Set(all.map((e) => e.eventTime))].sort();
      const from = times[Math.floor(times.length / 3)]!;
      const to = times[Math.floor((2 * times.length) / 3)]!;
      const window: EpcisEvent[] = (await query({ GE_eventTime: from, LT_eventTime: to, perPage: "500" })).body.epcisBody.queryResults.resultsBody.eventList;
      expect(window.map((e) => e.eventID)).to.deep.equal(all.filter((e) => e.eventTime >= from && e.eventTime < to).map((e) => e.eventID));
      expect(window.length).to.be.greaterThan(0);
    });

    it("refuses what it cannot answer with a 400 naming the parameter, and anyone without a token with a 401", async function () {
      expect((await anonymous.get("/epcis/events")).status).to.equal(401);
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ MATCH_foo: "x" }, /unknown query parameter "MATCH_foo"/],
        [{ GE_eventTime: "yesterday" }, /the request does not match the schema/],
        [{ EQ_bizStep: "fermenting" }, /EQ_bizStep: "fermenting" is not a CBV business step/],
        [{ MATCH_epc: "urn:epc:id:sgtin:0614141.107346.2017" }, /MATCH_epc: .* is neither a lot URI/],
        [{ perPage: "0" }, /the request does not match the schema/],
        [{ nextPageToken: "garbage" }, /nextPageToken: not a page token/],
        [{ GE_eventTime: "2026-07-01T00:00:00Z", LT_eventTime: "2026-06-01T00:00:00Z" }, /LT_eventTime: must be later than GE_eventTime/],
      ];
      for (const [parameters, message] of cases) {
        const answer = await query(parameters);
        expect(answer.status, JSON.stringify(parameters)).to.equal(400);
        const details = Array.isArray(answer.body.error.details) ? answer.body.error.details.map((d: { message: string }) => d.message).join("; ") : "";
        const said = `${answer.body.error.message} ${details}`;
        expect(said, JSON.stringify(parameters)).to.match(message);
      }
      // A page token goes on with the query that handed it out, not with another.
      const first = await query({ perPage: "2", EQ_bizStep: "commissioning" });
      const token = /nextPageToken=([^&>]+)/.exec(first.headers.get("link")!)![1]!;
      const other = await query({ perPage: "2", EQ_bizStep: "shipping", nextPageToken: decodeURIComponent(token) });
      expect(other.status).to.equal(400);
      expect(other.body.error.message).to.match(/belongs to a query with other parameters/);
    });
  });

  describe("the Digital Link /01/{gtin}/10/{batch} as a resolver", function () {
    const gtin14 = () => demo.products.chocolate.gtin.padStart(14, "0");
    const link = () => `/01/${gtin14()}/10/${encodeURIComponent(demo.products.chocolate.batch)}`;

    it("answers the page by default, with Link headers naming the linkset and each GS1 link", async function () {
      const answer = await fetch(`${base}${link()}`);
      expect(answer.status).to.equal(200);
      expect(answer.headers.get("content-type")).to.match(/^text\/html/);
      const header = answer.headers.get("link")!;
      expect(header).to.include(`<${base}${link()}?linkType=linkset>; rel="linkset"; type="application/linkset+json"`);
      for (const type of ["pip", "traceability", "certificationInfo", "sustainabilityInfo"]) expect(header).to.include(`rel="https://gs1.org/voc/${type}"`);
      expect(answer.headers.get("vary")).to.include("Accept");
    });

    it("answers an RFC 9264 linkset with ?linkType=linkset and to Accept: application/linkset+json, even once the page is kept", async function () {
      await fetch(`${base}${link()}`); // the page is kept now
      for (const answer of [await fetch(`${base}${link()}?linkType=linkset`), await fetch(`${base}${link()}`, { headers: { accept: "application/linkset+json" } })]) {
        expect(answer.status).to.equal(200);
        expect(answer.headers.get("content-type")).to.match(/^application\/linkset\+json/);
        expect(answer.headers.get("vary")).to.include("Accept");
        const body = (await answer.json()) as { linkset: Array<Record<string, any>> };
        const context = body.linkset[0]!;
        expect(context.anchor).to.equal(`${base}${link()}`);
        expect(context["https://gs1.org/voc/pip"][0].href).to.equal(`${base}${link()}`);
        expect(context["https://gs1.org/voc/traceability"][0]).to.deep.include({ href: `${base}/v1/lots/${demo.cocoa.chocolate}/epcis`, type: "application/ld+json" });
        expect(context["https://gs1.org/voc/certificationInfo"][0].href).to.equal(`${base}/v1/lots/${demo.cocoa.chocolate}/attestations`);
        expect(context["https://gs1.org/voc/sustainabilityInfo"][0].href).to.equal(`${base}${link()}?format=json`);
      }
      // And the page again, as HTML, after the linkset.
      expect((await fetch(`${base}${link()}`)).headers.get("content-type")).to.match(/^text\/html/);
    });

    it("redirects ?linkType=gs1:traceability (307) to the lot's EPCIS document", async function () {
      const answer = await fetch(`${base}${link()}?linkType=gs1:traceability`, { redirect: "manual" });
      expect(answer.status).to.equal(307);
      expect(answer.headers.get("location")).to.equal(`${base}/v1/lots/${demo.cocoa.chocolate}/epcis`);
      const followed = await api.get(new URL(answer.headers.get("location")!).pathname);
      expect(followed.status).to.equal(200);
      expect(followed.body.type).to.equal("EPCISDocument");
    });

    it("reads a GTIN-13 as its zero-padded GTIN-14 and names the product by the GTIN-14", async function () {
      expect(gtin14().startsWith("0"), "the demo GTIN has a GTIN-13 form").to.equal(true);
      const answer = await fetch(`${base}/01/${gtin14().slice(1)}/10/${encodeURIComponent(demo.products.chocolate.batch)}?linkType=linkset`);
      expect(answer.status).to.equal(200);
      expect(((await answer.json()) as any).linkset[0].anchor).to.equal(`${base}${link()}`);
    });

    it("refuses a batch outside GS1 AI (10)'s 20 characters of set 82, a wrong check digit, and compressed links (400)", async function () {
      const tooLong = await fetch(`${base}/01/${gtin14()}/10/${"A".repeat(21)}?linkType=linkset`);
      expect(tooLong.status).to.equal(404);
      expect(((await tooLong.json()) as any).error.code).to.equal("invalid_batch");
      const outsideSet = await fetch(`${base}/01/${gtin14()}/10/${encodeURIComponent("BATCH~1")}`, { headers: { accept: "application/json" } });
      expect(((await outsideSet.json()) as any).error.code).to.equal("invalid_batch");
      const wrongDigit = `${gtin14().slice(0, 13)}${(Number(gtin14().at(-1)) + 1) % 10}`;
      expect(((await (await fetch(`${base}/01/${wrongDigit}/10/X1?format=json`)).json()) as any).error.code).to.equal("invalid_gtin");
      for (const compressed of ["/ARFKk4XB0CDKWcnpq", `/01/${gtin14()}/ChDaD5c`]) {
        const answer = await fetch(`${base}${compressed}`, { headers: { accept: "application/json" } });
        expect(answer.status, compressed).to.equal(400);
        const body = (await answer.json()) as any;
        expect(body.error.code).to.equal("compressed_link");
        expect(body.error.message).to.match(/Compressed GS1 Digital Links are not resolved here/);
      }
    });
  });

  describe("with no gateway running", function () {
    it("`firstmile epcis --lot <id>` reads the data dir itself and prints the same document", async function () {
      this.timeout(60_000);
      await running.gateway.stop();
      const printed: string[] = [];
      const program = new Command().exitOverride();
      registerEpcisCommand(program, { env: running.env, cwd: dir, stdout: new Writable({ write: (chunk, _e, done) => (printed.push(String(chunk)), done()) }) });
      await program.parseAsync(["node", "firstmile", "epcis", "--lot", demo.cocoa.deliveries[0]!]);
      const printedDocument = JSON.parse(printed.join(""));
      expect(validate(printedDocument), schemaErrors()).to.equal(true);
      const served = (await exported(demo.cocoa.deliveries[0]!)).body;
      expect(printedDocument.epcisBody).to.deep.equal(served.epcisBody);
      const unknown = new Command().exitOverride();
      registerEpcisCommand(unknown, { env: running.env, cwd: dir, stdout: new Writable({ write: (_c, _e, done) => done() }) });
      let refused: unknown;
      await unknown.parseAsync(["node", "firstmile", "epcis", "--lot", "999999999"]).catch((error: unknown) => (refused = error));
      expect(refused).to.have.property("exitCode", 2);
      expect(String((refused as Error).message)).to.match(/lot 999999999 is not known/);
    });
  });
});

function firstVertex(geometry: { type: string; coordinates: unknown }): [number, number] {
  let node: unknown = geometry.coordinates;
  while (Array.isArray(node) && Array.isArray(node[0])) node = node[0];
  return node as [number, number];
}
