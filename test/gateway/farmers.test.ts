import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { buildPdf } from "../evidence/fixtures";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "./helpers";

/**
 * Farmers through a real gateway: the chain decides who is a cooperative and who a certifier, a
 * token of another cooperative reads nothing, a consented certifier reads, private documents go
 * to the evidence store only as ciphertext, and no personal field reaches the log or any file of
 * the data dir in plain text.
 */
const SITI = { name: "Siti Rahmawati Lamanda", phone: "+6281234567890", nationalId: "7208014501820003", gender: "female", birthYear: 1982, householdSize: 5, femaleHeadedHousehold: true, village: "Desa Tolai Barat Ujung", language: "id" };
const TITLE = buildPdf("SERTIFIKAT HAK MILIK No. 00417 Lamanda");
const PERSONAL = ["Rahmawati Lamanda", "6281234567890", "7208014501820003", "Tolai Barat Ujung", "Ibu Kartini Wulandari", "SERTIFIKAT HAK MILIK"];

type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;

describe("farmers through the gateway (real chain, SQL, keystore and evidence store)", function () {
  this.timeout(300_000);
  let dir: string;
  let running: TestGateway;
  let coop: Member;
  let otherCoop: Member;
  let certifier: Member;
  let brand: Member;
  let farmerId: string;
  let cid: string;
  const api = (member?: Member) => client(running.gateway.url, member?.token);
  const call = async (member: Member | undefined, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const raw = Buffer.isBuffer(body);
    const response = await fetch(`${running.gateway.url}${route}`, {
      method,
      headers: { ...(member ? { authorization: `Bearer ${member.token}` } : {}), ...(body !== undefined && !raw ? { "content-type": "application/json" } : {}), ...headers },
      body: (body === undefined ? undefined : raw ? body : JSON.stringify(body)) as BodyInit | undefined,
    });
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
  };

  before(async function () {
    dir = makeTempDir("farmers-gateway");
    running = await startTestGateway(dir);
    coop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    otherCoop = await addMemberThroughGateway(running.gateway, { roles: ["cooperative"], country: "ID" });
    certifier = await addMemberThroughGateway(running.gateway, { roles: ["certifier"], country: "MY" });
    brand = await addMemberThroughGateway(running.gateway, { roles: ["brand"], country: "NL" });
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  it("lets an active cooperative on chain register a farmer, and refuses a brand", async function () {
    const created = await api(coop).post("/v1/farmers", SITI);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    farmerId = created.body.id;
    expect(created.body).to.deep.include({ name: SITI.name, memberId: coop.memberId, access: "owner" });
    const refused = await api(brand).post("/v1/farmers", SITI);
    expect(refused.status).to.equal(403);
    expect(refused.body.error.message).to.contain("not an active cooperative");
  });

  it("shows a token of another cooperative nothing", async function () {
    expect((await api(otherCoop).get(`/v1/farmers/${farmerId}`)).status).to.equal(404);
    expect((await api(otherCoop).get(`/v1/farmers/${farmerId}/consents`)).status).to.equal(404);
    expect((await api(otherCoop).get("/v1/farmers?status=all")).body).to.deep.equal({ farmers: [], next: null });
    expect((await api(otherCoop).get("/v1/farmers/export?format=json")).body).to.deep.equal({ farmers: [] });
    expect((await api(coop).get(`/v1/farmers/${farmerId}`)).body.name).to.equal(SITI.name);
  });

  it("takes an audit consent only for a member the chain knows as a certifier, and lets that certifier read", async function () {
    const notCertifier = await api(coop).post(`/v1/farmers/${farmerId}/consents`, { scope: "audit", method: "thumbprint", certifierMemberId: otherCoop.memberId, recordedBy: "Agent Yusuf" });
    expect(notCertifier.status).to.equal(422);
    expect(notCertifier.body.error.code).to.equal("not_a_certifier");
    const unknown = await api(coop).post(`/v1/farmers/${farmerId}/consents`, { scope: "audit", method: "thumbprint", certifierMemberId: "987654321", recordedBy: "Agent Yusuf" });
    expect(unknown.status).to.equal(422);

    const stored = await call(coop, "POST", `/v1/private-evidence?kind=land-title&farmerId=${farmerId}`, TITLE, { "content-type": "application/pdf" });
    expect(stored.status, stored.bytes.toString()).to.equal(201);
    cid = JSON.parse(stored.bytes.toString()).cid;
    const audit = await api(coop).post(`/v1/farmers/${farmerId}/consents`, {
      scope: "audit",
      method: "witnessed-verbal",
      witness: "Ibu Kartini Wulandari",
      certifierMemberId: certifier.memberId,
      recordedBy: "Agent Yusuf",
    });
    expect(audit.status, JSON.stringify(audit.body)).to.equal(201);
    const read = await api(certifier).get(`/v1/farmers/${farmerId}`);
    expect(read.status).to.equal(200);
    expect(read.body.access).to.equal("auditor");
    const document = await call(certifier, "GET", `/v1/private-evidence/${cid}`);
    expect(document.status).to.equal(200);
    expect(document.bytes.equals(TITLE)).to.equal(true);
    expect((await call(otherCoop, "GET", `/v1/private-evidence/${cid}`)).status).to.equal(404);
  });

  it("serves the document's ciphertext, never its plaintext, on the public IPFS gateway", async function () {
    const raw = await call(undefined, "GET", `/ipfs/${cid}?format=raw`);
    expect(raw.status).to.equal(200);
    expect(raw.bytes.length).to.equal(TITLE.length + 29);
    expect(raw.bytes.includes(Buffer.from("SERTIFIKAT"))).to.equal(false);
  });

  it("leaves no personal field in plain text in the log or in any file of the data dir", async function () {
    await running.gateway.db.query("checkpoint");
    const log = fs.readFileSync(running.logFile, "utf8");
    expect(log).to.contain(`/v1/farmers/${farmerId}`);
    const files = (fs.readdirSync(dir, { recursive: true }) as string[]).map((file) => path.join(dir, file)).filter((file) => fs.statSync(file).isFile());
    expect(files.length).to.be.greaterThan(10);
    for (const secret of PERSONAL) {
      expect(log, `log: ${secret}`).not.to.contain(secret);
      const needle = Buffer.from(secret, "utf8");
      for (const file of files) expect(fs.readFileSync(file).includes(needle), `${secret} in ${file}`).to.equal(false);
    }
  });
});
