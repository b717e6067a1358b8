import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import pino from "pino";
import { createApp, createRateLimiter, issueApiToken } from "../../src/api";
import { createEvidenceRoutes } from "../../src/api/evidenceRoutes";
import { createFarmerRoutes } from "../../src/api/farmerRoutes";
import { createIpfsGatewayRouter } from "../../src/api/ipfsGatewayRouter";
import { createPrivateEvidenceRoutes } from "../../src/api/privateEvidenceRoutes";
import { farmerCodeCheckSymbol } from "../../src/farmers";
import { Role, type MemberStanding } from "../../src/membership";
import { buildPdf } from "../evidence/fixtures";
import { SITI, SITI_STORED, farmerTablesText, openFarmerFixture, type FarmerFixture } from "../farmers/helpers";

/**
 * The farmer and private-evidence routes in the gateway's own Express app, on a real SQL engine,
 * keystore and evidence store. The chain's answer about a member's roles is a table here (the
 * routes take it as a function); test/gateway/farmers.test.ts asks the real chain.
 */
const COOP = 101n;
const OTHER_COOP = 102n;
const CERTIFIER = 103n;
const BRAND = 104n;
const STANDINGS = new Map<bigint, MemberStanding>([
  [COOP, { active: true, roles: Role.cooperative }],
  [OTHER_COOP, { active: true, roles: Role.cooperative }],
  [CERTIFIER, { active: true, roles: Role.certifier }],
  [BRAND, { active: true, roles: Role.brand }],
]);

const PERSONAL = ["Siti", "Rahmawati", "6281234567890", "7208014501820003", "Tolai", "Pak Lurah Wayan", "SERTIFIKAT HAK MILIK"];
const TITLE = buildPdf("SERTIFIKAT HAK MILIK No. 00417");

type Answer = { status: number; headers: Headers; body: any; bytes: Buffer };

describe("farmer and private evidence routes (HTTP)", function () {
  this.timeout(60_000);
  let fixture: FarmerFixture;
  let server: Server;
  let base: string;
  const tokens = new Map<bigint, string>();
  const tokenIds = new Map<bigint, number>();
  const logLines: string[] = [];
  let siti: any;

  async function call(member: bigint | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const raw = Buffer.isBuffer(body);
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(member !== null ? { authorization: `Bearer ${tokens.get(member)}` } : {}),
        ...(body === undefined || raw ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: (body === undefined ? undefined : raw ? body : JSON.stringify(body)) as BodyInit | undefined,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    let parsed: unknown = bytes.toString("utf8");
    try {
      parsed = JSON.parse(parsed as string);
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed, bytes };
  }
  const expectProblem = (answer: Answer, status: number, code?: string) => {
    expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
    expect(Object.keys(answer.body)).to.deep.equal(["error"]);
    expect(Object.keys(answer.body.error)).to.deep.equal(["code", "message", "details"]);
    if (code) expect(answer.body.error.code).to.equal(code);
  };
  const withCheck = (data: string) => data + farmerCodeCheckSymbol(data);

  before(async () => {
    fixture = await openFarmerFixture({ maxBytes: 64 * 1024 });
    for (const member of STANDINGS.keys()) {
      const issued = await issueApiToken(fixture.db, member);
      tokens.set(member, issued.token);
      tokenIds.set(member, issued.id);
    }
    const records = fixture.keystore.records;
    const app = createApp({
      db: fixture.db,
      logger: pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) }),
      routes: [
        ...createEvidenceRoutes({ db: fixture.db, store: fixture.store }),
        ...createFarmerRoutes({ db: fixture.db, records, standing: async (id) => STANDINGS.get(id) ?? null }),
        ...createPrivateEvidenceRoutes({ db: fixture.db, store: fixture.store, records }),
      ],
      routers: [{ path: "/", router: createIpfsGatewayRouter(fixture.store) }],
      limits: { perToken: createRateLimiter({ capacity: 10_000, perSecond: 10_000 }), perIp: createRateLimiter({ capacity: 10_000, perSecond: 10_000 }) },
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await fixture?.close();
  });

  describe("POST /v1/farmers", () => {
    it("registers a cooperative's farmer: 201, Location, the record with pseudonym and a printed-style code", async () => {
      const answer = await call(COOP, "POST", "/v1/farmers", SITI);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      siti = answer.body;
      expect(answer.headers.get("location")).to.equal(`/v1/farmers/${siti.id}`);
      expect(siti).to.deep.include({ ...SITI_STORED, memberId: String(COOP), archivedAt: null, access: "owner" });
      expect(siti.code).to.match(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(siti.pseudonym).to.match(/^[0-9a-f]{64}$/);
    });

    it("refuses a member that is not a cooperative (403) and a caller without a token (401), writing nothing", async () => {
      const count = async () => (await fixture.db.query<{ n: number }>("select count(*)::int as n from farmers")).rows[0]!.n;
      const before = await count();
      expectProblem(await call(BRAND, "POST", "/v1/farmers", SITI), 403, "forbidden");
      expectProblem(await call(null, "POST", "/v1/farmers", SITI), 401, "unauthorized");
      expect(await count()).to.equal(before);
    });

    it("validates strictly: an unknown key, a code with a typo, out-of-range values, each named", async () => {
      const unknown = await call(COOP, "POST", "/v1/farmers", { ...SITI, farmerRef: "KSU-1" });
      expectProblem(unknown, 400, "invalid_request");
      expect(JSON.stringify(unknown.body.error.details)).to.contain("farmerRef");
      const code = withCheck("HK4T2Q9");
      const typo = `${code.slice(0, 2)}${code[3]}${code[2]}${code.slice(4)}`;
      const swapped = await call(COOP, "POST", "/v1/farmers", { name: "Dewi", code: typo });
      expectProblem(swapped, 400, "invalid_request");
      expect(swapped.body.error.details).to.deep.equal([{ path: "code", message: "the check symbol does not match: a symbol is mistyped or two are swapped" }]);
      const ranges = await call(COOP, "POST", "/v1/farmers", { name: "Dewi", birthYear: 1700, householdSize: 0, language: "fr" });
      expect(ranges.body.error.details.map((d: { path: string }) => d.path).sort()).to.deep.equal(["birthYear", "householdSize", "language"]);
    });

    it("takes a card code already printed, and answers 409 for a code printed for another farmer", async () => {
      const code = withCheck("HK4T2Q9");
      const first = await call(COOP, "POST", "/v1/farmers", { name: "Dewi", code: `${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase() });
      expect(first.status).to.equal(201);
      expect(first.body.code).to.equal(`${code.slice(0, 4)}-${code.slice(4)}`);
      expectProblem(await call(OTHER_COOP, "POST", "/v1/farmers", { name: "Eka", code }), 409, "farmer_code_taken");
    });
  });

  describe("reading", () => {
    it("shows the record to its cooperative, and to another cooperative nothing, exactly as for an id that does not exist", async () => {
      const own = await call(COOP, "GET", `/v1/farmers/${siti.id}`);
      expect(own.status).to.equal(200);
      expect(own.body).to.deep.equal(siti);
      const foreign = await call(OTHER_COOP, "GET", `/v1/farmers/${siti.id}`);
      const missingId = `f_${"0".repeat(26)}`;
      const missing = await call(OTHER_COOP, "GET", `/v1/farmers/${missingId}`);
      expectProblem(foreign, 404, "not_found");
      expect(foreign.body).to.deep.equal(JSON.parse(JSON.stringify(missing.body).replaceAll(missingId, siti.id)));
      expectProblem(await call(OTHER_COOP, "GET", `/v1/farmers/${siti.id}/consents`), 404);
      expectProblem(await call(OTHER_COOP, "PATCH", `/v1/farmers/${siti.id}`, { name: "Taken over" }), 404);
      expectProblem(await call(OTHER_COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "traceability", method: "thumbprint", recordedBy: "x" }), 404);
      const listed = await call(OTHER_COOP, "GET", `/v1/farmers?status=all&code=${siti.code}`);
      expect(listed.body).to.deep.equal({ farmers: [], next: null });
      expect((await call(COOP, "GET", `/v1/farmers/${siti.id}`)).body.name).to.equal("Siti Rahmawati");
    });

    it("lists page by page with a cursor, finds by card code as typed, and refuses unknown or bad query parameters", async () => {
      for (let i = 0; i < 4; i++) expect((await call(OTHER_COOP, "POST", "/v1/farmers", { name: `Petani ${i}` })).status).to.equal(201);
      const names: string[] = [];
      let path = "/v1/farmers?limit=3";
      for (let pages = 0; ; pages++) {
        const page = await call(OTHER_COOP, "GET", path);
        expect(page.status).to.equal(200);
        names.push(...page.body.farmers.map((farmer: { name: string }) => farmer.name));
        if (!page.body.next) break;
        path = `/v1/farmers?limit=3&after=${encodeURIComponent(page.body.next)}`;
        expect(pages).to.be.lessThan(5);
      }
      expect(names).to.deep.equal(["Eka", "Petani 0", "Petani 1", "Petani 2", "Petani 3"].filter((name) => name !== "Eka"));
      const byCode = await call(COOP, "GET", `/v1/farmers?code=${siti.code.toLowerCase().replace("-", "")}`);
      expect(byCode.body.farmers.map((farmer: { id: string }) => farmer.id)).to.deep.equal([siti.id]);
      expectProblem(await call(COOP, "GET", "/v1/farmers?after=bm90IGEgY3Vyc29y"), 400, "bad_request");
      expectProblem(await call(COOP, "GET", "/v1/farmers?limit=501"), 400, "invalid_request");
      expectProblem(await call(COOP, "GET", "/v1/farmers?memberId=102"), 400, "invalid_request");
      expectProblem(await call(COOP, "GET", `/v1/farmers?code=${siti.code.slice(0, -1)}${siti.code.at(-1) === "0" ? "1" : "0"}`), 400, "invalid_request");
      expectProblem(await call(COOP, "GET", "/v1/farmers/not-an-id"), 400, "invalid_request");
    });
  });

  describe("PATCH /v1/farmers/:id", () => {
    it("changes fields, clears one with null, archives and restores; refuses an empty or unknown change", async () => {
      const created = (await call(COOP, "POST", "/v1/farmers", { name: "Ahmad Yani", phone: "0812 1111 2222", village: "Sausu" })).body;
      const changed = await call(COOP, "PATCH", `/v1/farmers/${created.id}`, { phone: null, householdSize: 4 });
      expect(changed.status).to.equal(200);
      expect(changed.body).to.deep.include({ phone: null, householdSize: 4, name: "Ahmad Yani", village: "Sausu" });
      const archived = await call(COOP, "PATCH", `/v1/farmers/${created.id}`, { archived: true });
      expect(archived.body.archivedAt).to.be.a("string");
      const active = (await call(COOP, "GET", "/v1/farmers?limit=500")).body.farmers.map((farmer: { id: string }) => farmer.id);
      expect(active).not.to.include(created.id);
      const archivedList = (await call(COOP, "GET", "/v1/farmers?status=archived")).body.farmers.map((farmer: { id: string }) => farmer.id);
      expect(archivedList).to.deep.equal([created.id]);
      expect((await call(COOP, "GET", `/v1/farmers/${created.id}`)).status).to.equal(200);
      expect((await call(COOP, "PATCH", `/v1/farmers/${created.id}`, { archived: false })).body.archivedAt).to.equal(null);
      expectProblem(await call(COOP, "PATCH", `/v1/farmers/${created.id}`, {}), 400, "invalid_request");
      expectProblem(await call(COOP, "PATCH", `/v1/farmers/${created.id}`, { pseudonym: "00" }), 400, "invalid_request");
    });
  });

  describe("consents", () => {
    it("records, lists and withdraws (appended, with the id of the token that wrote each; a second withdrawal is 409)", async () => {
      const recorded = await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "research", method: "witnessed-verbal", witness: "Pak Lurah Wayan", recordedBy: "Agent Yusuf" });
      expect(recorded.status, JSON.stringify(recorded.body)).to.equal(201);
      expect(recorded.body).to.deep.include({ scope: "research", method: "witnessed-verbal", witness: "Pak Lurah Wayan", recordedBy: "Agent Yusuf", recordedByToken: tokenIds.get(COOP), active: true, withdrawal: null });
      const withdrawn = await call(COOP, "POST", `/v1/farmers/${siti.id}/consents/${recorded.body.id}/withdraw`, { recordedBy: "Agent Yusuf", reason: "changed mind" });
      expect(withdrawn.status).to.equal(200);
      expect(withdrawn.body.active).to.equal(false);
      expect(withdrawn.body.withdrawal).to.deep.include({ recordedBy: "Agent Yusuf", recordedByToken: tokenIds.get(COOP), reason: "changed mind" });
      expectProblem(await call(COOP, "POST", `/v1/farmers/${siti.id}/consents/${recorded.body.id}/withdraw`, { recordedBy: "Agent Yusuf" }), 409, "conflict");
      const listed = await call(COOP, "GET", `/v1/farmers/${siti.id}/consents`);
      expect(listed.body.consents.map((consent: { id: string; active: boolean }) => [consent.id, consent.active])).to.deep.equal([[recorded.body.id, false]]);
    });

    it("refuses a consent without its proof, a signed form that is not a private document of the cooperative, and an audit naming a non-certifier", async () => {
      expectProblem(await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "traceability", method: "signed-form", recordedBy: "A" }), 400, "invalid_request");
      expectProblem(await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "traceability", method: "signed-form", evidenceCid: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", recordedBy: "A" }), 400, "bad_request");
      expectProblem(await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "audit", method: "thumbprint", certifierMemberId: String(BRAND), recordedBy: "A" }), 422, "not_a_certifier");
      expectProblem(await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "audit", method: "thumbprint", certifierMemberId: "999", recordedBy: "A" }), 422, "not_a_certifier");
      expect((await call(COOP, "GET", `/v1/farmers/${siti.id}/consents`)).body.consents).to.have.length(1);
    });

    it("a withdrawal of the name consent changes the export: the name leaves the CSV", async () => {
      await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "traceability", method: "thumbprint", recordedBy: "Agent Yusuf" });
      const named = await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "eudr-statement-with-name", method: "thumbprint", recordedBy: "Agent Yusuf" });
      const first = await call(COOP, "GET", "/v1/farmers/export");
      expect(first.status).to.equal(200);
      expect(first.headers.get("content-type")).to.equal("text/csv; charset=utf-8");
      expect(first.headers.get("cache-control")).to.equal("private, no-store");
      const lines = first.bytes.toString("utf8").trim().split("\r\n");
      expect(lines).to.deep.equal(["pseudonym,code,name,village,language", `${siti.pseudonym},${siti.code},Siti Rahmawati,Desa Tolai Barat,id`]);

      await call(COOP, "POST", `/v1/farmers/${siti.id}/consents/${named.body.id}/withdraw`, { recordedBy: "Agent Yusuf" });
      const second = await call(COOP, "GET", "/v1/farmers/export");
      expect(second.bytes.toString("utf8").trim().split("\r\n")[1]).to.equal(`${siti.pseudonym},${siti.code},,Desa Tolai Barat,id`);
      const json = await call(COOP, "GET", "/v1/farmers/export?format=json");
      expect(json.body.farmers).to.deep.equal([{ pseudonym: siti.pseudonym, code: siti.code, name: null, village: "Desa Tolai Barat", language: "id" }]);
      expect((await call(OTHER_COOP, "GET", "/v1/farmers/export?format=json")).body.farmers).to.deep.equal([]);
    });

    it("lets a certifier named in an audit consent read, never change, until the consent is withdrawn", async () => {
      expectProblem(await call(CERTIFIER, "GET", `/v1/farmers/${siti.id}`), 404);
      const audit = await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "audit", method: "thumbprint", certifierMemberId: Number(CERTIFIER), recordedBy: "Agent Yusuf" });
      expect(audit.status, JSON.stringify(audit.body)).to.equal(201);
      const read = await call(CERTIFIER, "GET", `/v1/farmers/${siti.id}`);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.include({ name: "Siti Rahmawati", access: "auditor" });
      expect((await call(CERTIFIER, "GET", "/v1/farmers?view=audit")).body.farmers.map((farmer: { id: string }) => farmer.id)).to.deep.equal([siti.id]);
      expect((await call(CERTIFIER, "GET", `/v1/farmers/${siti.id}/consents`)).status).to.equal(200);
      expectProblem(await call(CERTIFIER, "PATCH", `/v1/farmers/${siti.id}`, { name: "Audited" }), 403, "forbidden");
      expectProblem(await call(CERTIFIER, "POST", `/v1/farmers/${siti.id}/consents/${audit.body.id}/withdraw`, { recordedBy: "C" }), 403, "forbidden");
      await call(COOP, "POST", `/v1/farmers/${siti.id}/consents/${audit.body.id}/withdraw`, { recordedBy: "Agent Yusuf" });
      expectProblem(await call(CERTIFIER, "GET", `/v1/farmers/${siti.id}`), 404);
    });
  });

  describe("private evidence", () => {
    let cid: string;

    it("stores a land title sealed, and gives its cooperative the plaintext back", async () => {
      const stored = await call(COOP, "POST", `/v1/private-evidence?kind=land-title&farmerId=${siti.id}`, TITLE, { "content-type": "application/pdf" });
      expect(stored.status, JSON.stringify(stored.body)).to.equal(201);
      cid = stored.body.cid;
      expect(stored.body).to.deep.include({ farmerId: siti.id, kind: "land-title", mediaType: "application/pdf", size: TITLE.length, memberId: String(COOP) });
      const read = await call(COOP, "GET", `/v1/private-evidence/${cid}`);
      expect(read.status).to.equal(200);
      expect(read.bytes.equals(TITLE)).to.equal(true);
      expect(read.headers.get("content-type")).to.equal("application/pdf");
      expect(read.headers.get("cache-control")).to.equal("private, no-store");
      expect((await call(COOP, "GET", `/v1/private-evidence?farmerId=${siti.id}`)).body.documents.map((d: { cid: string }) => d.cid)).to.deep.equal([cid]);
    });

    it("serves only ciphertext on the public evidence path and the IPFS gateway", async () => {
      const evidence = await call(OTHER_COOP, "GET", `/v1/evidence/${cid}`);
      expect(evidence.status).to.equal(200);
      expect(evidence.bytes.length).to.equal(TITLE.length + 29);
      expect(evidence.bytes.includes(Buffer.from("SERTIFIKAT"))).to.equal(false);
      const raw = await call(null, "GET", `/ipfs/${cid}?format=raw`);
      expect(raw.status).to.equal(200);
      expect(raw.bytes.equals(evidence.bytes)).to.equal(true);
      const car = await call(null, "GET", `/ipfs/${cid}?format=car`);
      expect(car.status).to.equal(200);
      expect(car.bytes.includes(Buffer.from("SERTIFIKAT"))).to.equal(false);
    });

    it("answers 404 to another cooperative and to a certifier without the farmer's audit consent; the consented certifier reads it", async () => {
      expectProblem(await call(OTHER_COOP, "GET", `/v1/private-evidence/${cid}`), 404, "not_found");
      expectProblem(await call(CERTIFIER, "GET", `/v1/private-evidence/${cid}`), 404, "not_found");
      expect((await call(OTHER_COOP, "GET", "/v1/private-evidence")).body.documents).to.deep.equal([]);
      await call(COOP, "POST", `/v1/farmers/${siti.id}/consents`, { scope: "audit", method: "signed-form", evidenceCid: cid, certifierMemberId: String(CERTIFIER), recordedBy: "Agent Yusuf" });
      const read = await call(CERTIFIER, "GET", `/v1/private-evidence/${cid}`);
      expect(read.status).to.equal(200);
      expect(read.bytes.equals(TITLE)).to.equal(true);
    });

    it("refuses what evidence refuses (415, 413) and a farmer of another cooperative (404), storing nothing", async () => {
      const count = async () => (await fixture.db.query<{ n: number }>("select count(*)::int as n from private_evidence")).rows[0]!.n;
      const before = await count();
      expectProblem(await call(COOP, "POST", "/v1/private-evidence?kind=id-scan", Buffer.from("hello"), { "content-type": "text/plain" }), 415);
      expectProblem(await call(COOP, "POST", "/v1/private-evidence?kind=id-scan", { a: 1 }), 415);
      expectProblem(await call(COOP, "POST", "/v1/private-evidence?kind=id-scan", Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(70 * 1024, 0x25)]), { "content-type": "application/pdf" }), 413);
      expectProblem(await call(OTHER_COOP, "POST", `/v1/private-evidence?kind=land-title&farmerId=${siti.id}`, TITLE, { "content-type": "application/pdf" }), 404);
      expectProblem(await call(COOP, "POST", "/v1/private-evidence?kind=passport", TITLE, { "content-type": "application/pdf" }), 400, "invalid_request");
      expectProblem(await call(COOP, "GET", "/v1/private-evidence/not-a-cid"), 404);
      expect(await count()).to.equal(before);
    });
  });

  describe("the whole", () => {
    it("lists every route in /openapi.json, with strict request bodies", async () => {
      const document = (await call(null, "GET", "/openapi.json")).body;
      const methods = (path: string) => Object.keys(document.paths[path] ?? {}).sort();
      expect(methods("/v1/farmers")).to.deep.equal(["get", "post"]);
      expect(methods("/v1/farmers/export")).to.deep.equal(["get"]);
      expect(methods("/v1/farmers/{id}")).to.deep.equal(["get", "patch"]);
      expect(methods("/v1/farmers/{id}/consents")).to.deep.equal(["get", "post"]);
      expect(methods("/v1/farmers/{id}/consents/{consentId}/withdraw")).to.deep.equal(["post"]);
      expect(methods("/v1/private-evidence")).to.deep.equal(["get", "post"]);
      expect(methods("/v1/private-evidence/{cid}")).to.deep.equal(["get"]);
      const create = document.paths["/v1/farmers"].post.requestBody.content["application/json"].schema;
      expect(create.additionalProperties).to.equal(false);
      expect(create.required).to.deep.equal(["name"]);
      expect(create.properties.language.enum).to.deep.equal(["en", "id", "th", "vi"]);
      expect(document.paths["/v1/farmers/{id}"].patch.requestBody.content["application/json"].schema.additionalProperties).to.equal(false);
    });

    it("never writes a personal field to a log line or a table in plain text", async () => {
      const logs = logLines.join("");
      expect(logs).to.contain("/v1/farmers"); // the requests were logged
      const tables = await farmerTablesText(fixture.db);
      for (const secret of PERSONAL) {
        expect(logs, `log: ${secret}`).not.to.contain(secret);
        expect(tables, `tables: ${secret}`).not.to.contain(secret);
      }
    });
  });
});
