import { expect } from "chai";
import { applyGoverned } from "../../src/governance";
import { PassThrough } from "node:stream";
import { Wallet, parseEther } from "ethers";
import { schemeByKey } from "../../src/attestations/schemes";
import { connectProvider } from "../../src/chain/provider";
import { sendControlCommand } from "../../src/gateway/controlSocket";
import { cidToDigest } from "../../src/evidence";
import { formByKey } from "../../src/lots/forms";
import { registerPlot } from "../../src/origins";
import { gtinCheckDigit, registerProduct } from "../../src/products";
import { runVerify } from "../../src/cli/commands/verify";
import { jsonRpcClient } from "../../src/chain/jsonRpc";
import { verifyPassportIndependently } from "../../src/web/passport/verify";
import { LOCALES, NAMES } from "../../src/web/i18n";
import type { LotPassport } from "../../src/web/passport/types";
import { AttestationRegistry__factory } from "../../typechain-types";
import { captureStreams } from "../helpers/capture";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { addMemberThroughGateway, client, startTestGateway, type TestGateway } from "../gateway/helpers";
import { fetchPastLimits } from "../../src/http/fetchPastLimits";

type Member = Awaited<ReturnType<typeof addMemberThroughGateway>>;

const XSS = ["<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "javascript:alert(1)", "</style><b>x</b>", `' onmouseover='alert(1)`];
const FARMER_REF = "FARMER-REF-SECRET-4711";

/** A small square plot near (lon, lat), with coordinates that must never reach the page. */
function square(lon: number, lat: number) {
  const d = 0.0009;
  return { type: "Polygon" as const, coordinates: [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]] };
}

async function verifyCli(target: string, rpc: string, gateway?: string): Promise<{ code: number; out: string; err: string }> {
  const { stdout, stderr, text } = captureStreams();
  const code = await runVerify(target, { rpc, gateway }, { stdout, stderr });
  return { code, ...text() };
}

describe("public lot page, its JSON twin and firstmile verify (real gateway)", function () {
  let dir: string;
  let running: TestGateway;
  let coop: Member;
  let processor: Member;
  let certifier: Member;
  let keys = 0;
  const key = () => ({ "idempotency-key": `passport-${++keys}` });
  const api = (token?: string) => client(running.gateway.url, token);
  const certifierKey = Wallet.createRandom();
  let deliveries: string[];
  let merged: string;
  let dry: string;
  let gtin: string;
  let revokedUid: string;
  let lastBlock = 0;

  async function mined(token: string, path: string, body: unknown) {
    const answer = await api(token).post(path, body, key());
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const { final } = await api(token).settle(answer.body.id, 60_000);
    expect(final.status, JSON.stringify(final.error)).to.equal("mined");
    lastBlock = Math.max(lastBlock, Number(final.transaction.blockNumber));
    return final;
  }
  async function metadataDigest(document: unknown): Promise<string> {
    const stored = await running.gateway.evidence.put(Buffer.from(JSON.stringify(document)), "application/json");
    return cidToDigest(stored.cid);
  }
  /** One view, as a shopper's phone asks for it. */
  const pageOnce = (path: string, headers: Record<string, string> = {}, method = "GET") => fetch(`${running.gateway.url}${path}`, { headers, method });
  // The file's own views, from one address, can outrun the per-address limit (30 at once, 3 a
  // second) on a fast machine: they wait as told and ask again, as a client would; only the test
  // of the limit counts the refusals.
  const page = (path: string, headers: Record<string, string> = {}) => fetchPastLimits(`${running.gateway.url}${path}`, { headers });

  before(async function () {
    this.timeout(300_000);
    dir = makeTempDir("web-passport");
    running = await startTestGateway(dir);
    const { gateway } = running;
    certifier = await addMemberThroughGateway(gateway, { roles: ["certifier"], country: "DE", accounts: [certifierKey.address] });
    // Names come from metadata documents whose digests the chain holds; one name is an XSS payload.
    const coopName = await metadataDigest({ name: "Koperasi Tani Maju Parigi" });
    const processorName = await metadataDigest({ name: XSS.join(" ") });
    const named = async (roles: string[], country: string, metadata: string) => {
      const answer = await sendControlCommand(gateway.controlSocket!, "POST", "/members", { roles, country, metadata });
      if (!answer || answer.status !== 200) throw new Error(JSON.stringify(answer));
      return answer.body as Member;
    };
    coop = await named(["cooperative"], "ID", coopName);
    processor = await named(["processor"], "MY", processorName);

    // Plots: two in Parigi Moutong, one in Poso.
    const plots = [];
    for (const [i, district] of ["Parigi Moutong", "Parigi Moutong", "Poso"].entries()) {
      plots.push(
        await registerPlot(gateway.db, {
          memberId: BigInt(coop.memberId),
          farmerRef: `${FARMER_REF}-${i}`,
          geometry: square(120.123456 + i * 0.01, -0.654321),
          country: "ID",
          province: "Sulawesi Tengah",
          district,
        }),
      );
    }
    const metadata = `0x${"ab".repeat(32)}`;
    const minted = await mined(coop.token, "/v1/lots/mint-batch", {
      deliveries: plots.map((plot, i) => ({ form: 1, grams: String(100_000 + i * 10_000), quality: 5_500 + i * 100, metadata, origin: plot.commitment })),
    });
    deliveries = minted.outputs.lotIds;
    // A certifier (own key) attests one delivery, and attests then revokes another.
    const { url, chainId, deployments } = gateway.chain;
    const provider = connectProvider(url, Number(chainId));
    const governor = await provider.getSigner(0);
    await (await governor.sendTransaction({ to: certifierKey.address, value: parseEther("1") })).wait();
    const registry = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry!.address, governor);
    const scheme = schemeByKey("organic");
    const organic = Number(await registry.schemeIdOf(scheme.name, scheme.version));
    const now = (await provider.getBlock("latest"))!.timestamp;
    // Accreditation adds trust: a governance proposal (run at once on the embedded network).
    await applyGoverned(governor, deployments, [{
      target: await registry.getAddress(),
      data: registry.interface.encodeFunctionData("accredit", [organic, BigInt(certifier.memberId), now + 365 * 24 * 3600]),
      description: "accredit the certifier for organic",
    }]);
    const asCertifier = registry.connect(certifierKey.connect(provider));
    const report = await metadataDigest({ report: "organic audit 2026", result: "pass" });
    const lotSubject = (id: string) => `0x${BigInt(id).toString(16).padStart(64, "0")}`;
    await (await asCertifier.attest(organic, { subjectKind: 1, subject: lotSubject(deliveries[1]!), expiresAt: now + 180 * 24 * 3600, evidence: report, dataHash: `0x${"00".repeat(32)}` })).wait();
    const revocable = await (await asCertifier.attest(organic, { subjectKind: 1, subject: lotSubject(deliveries[0]!), expiresAt: 0, evidence: `0x${"00".repeat(32)}`, dataHash: `0x${"00".repeat(32)}` })).wait();
    revokedUid = revocable!.logs.map((log) => registry.interface.parseLog(log)).find((e) => e?.name === "Attested")!.args.uid;
    const revoked = await (await asCertifier.revoke(revokedUid, 3)).wait();
    lastBlock = Math.max(lastBlock, revoked!.blockNumber);
    provider.destroy();
    merged = (await mined(coop.token, "/v1/lots/merge", { lotIds: deliveries, metadata })).outputs.lotIds[0];
    await mined(coop.token, `/v1/lots/${merged}/offer`, { receiver: processor.accounts[0]!.address });
    await mined(processor.token, `/v1/lots/${merged}/accept`, { gramsReceived: "329000", quality: 5_450 });
    dry = (await mined(processor.token, "/v1/lots/transform", { inputIds: [merged], outputs: [{ form: 2, grams: "125000", quality: 720, metadata }] })).outputs.lotIds[0];
    gtin = `0950110153000${gtinCheckDigit("0950110153000")}`;
    await registerProduct(gateway.db, { gtin, batch: "B2026-07", lotId: BigInt(dry), memberId: BigInt(processor.memberId), name: `Dark chocolate ${XSS[0]}${XSS[3]}` });

    await gateway.indexer.waitForBlock(lastBlock);
  });
  after(async function () {
    await running?.gateway.stop();
    removeTempDir(dir);
  });

  it("renders the story: origin by district, custody steps with the yield, claims, verified against the chain", async function () {
    const started = performance.now();
    const response = await page(`/l/${dry}`);
    const ms = performance.now() - started;
    const html = await response.text();
    console.log(`      lot page of the story: ${Buffer.byteLength(html)} bytes in ${ms.toFixed(0)} ms`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.match(/^text\/html/);
    expect(response.headers.get("content-security-policy")).to.equal("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    expect(response.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(html).to.not.match(/<script/i);
    for (const text of ["Parigi Moutong", "Poso", "Sulawesi Tengah", "3 plots", "3 farm deliveries", "Koperasi Tani Maju Parigi", "Merged by", "Handed over from", "Processed by", "yield 38 %", formByKey("cocoa-dry-beans").name, "125 kg", "<dt>Moisture</dt><dd>7.2 %</dd>", "Verified against the blockchain", "revoked (reason code 3)", "valid", "<svg"]) {
      expect(html, text).to.include(text);
    }
    expect(html).to.match(/Checked at block \d+/);
    expect(html).to.include('href="/ipfs/bafkrei');
    expect(html).to.not.include("Does NOT match");
  });

  it("never shows a farmer's reference or a plot's coordinates, in the page or its twin", async function () {
    const html = await (await page(`/l/${dry}`)).text();
    const json = await (await page(`/l/${dry}?format=json`)).text();
    for (const body of [html, json]) {
      expect(body).to.not.include(FARMER_REF);
      expect(body).to.not.include("120.12");
      expect(body).to.not.include("654321");
    }
  });

  it("answers the JSON twin: events with heads, attestations, evidence digests, the verification", async function () {
    const response = await page(`/l/${dry}`, { accept: "application/json" });
    expect(response.headers.get("content-type")).to.match(/^application\/json/);
    const twin = (await response.json()) as LotPassport;
    expect(twin.format).to.equal("firstmile.passport.v1");
    expect(twin.chainId).to.equal(running.gateway.chain.chainId.toString());
    expect(twin.contracts.LotRegistry).to.equal(running.gateway.chain.deployments.contracts.LotRegistry!.address);
    expect(twin.lots.map((l) => l.lotId)).to.include.members([dry, merged, ...deliveries]);
    expect(twin.lots[0]!.events[0]!.event).to.include({ kind: "derived", grams: "125000" });
    expect(twin.lot.form).to.deep.equal({ id: 2, key: "cocoa-dry-beans", name: formByKey("cocoa-dry-beans").name });
    expect(twin.lot.quality).to.deep.equal({ bps: 720, measure: "moisture" });
    // The merged lot: its deliveries' weighted moisture, re-measured by the processor on receipt.
    const mergedLot = twin.lots.find((l) => l.lotId === merged)!;
    expect(mergedLot.events.map((e) => e.event).find((e) => e.kind === "accepted")).to.include({ quality: 5_450 });
    expect(twin.attestations.map((a) => a.status).sort()).to.deep.equal(["revoked", "valid"]);
    expect(twin.evidence.some((e) => e.source.kind === "attestation" && e.cid)).to.equal(true);
    expect(twin.verification).to.include({ ok: true, lotsChecked: 5, attestationsChecked: 2 });
  });

  it("resolves the GS1 Digital Link, and names a wrong check digit or an unknown product in a 404 page", async function () {
    const link = await page(`/01/${gtin}/10/B2026-07`);
    expect(link.status).to.equal(200);
    const html = await link.text();
    expect(html).to.include("Processed by");
    expect(html).to.include(`GTIN ${gtin}`);
    const wrong = `${gtin.slice(0, -1)}${(Number(gtin.at(-1)) + 1) % 10}`;
    const bad = await page(`/01/${wrong}/10/B2026-07`);
    expect(bad.status).to.equal(404);
    expect(bad.headers.get("content-type")).to.match(/^text\/html/);
    expect(await bad.text()).to.match(/check digit \d is wrong: expected \d/);
    const unknown = await page(`/01/${gtin}/10/NOPE`);
    expect(unknown.status).to.equal(404);
    expect(await unknown.text()).to.include("No product with code");
    for (const malformed of ["/01/abc/10/x", "/01/123", "/01/" + gtin + "/21/x", "/l/abc", "/l/"]) {
      const answer = await page(malformed);
      expect(answer.status, malformed).to.be.oneOf([400, 404]);
      expect(answer.headers.get("content-type"), malformed).to.match(/^text\/html/);
    }
    expect((await page("/l/999999999")).status).to.equal(404);
  });

  it("escapes XSS payloads from a product name and a member's metadata document", async function () {
    const html = await (await page(`/01/${gtin}/10/B2026-07`)).text();
    expect(html).to.not.include("<script>alert(1)</script>");
    expect(html).to.not.include("<img src=x");
    expect(html).to.not.include("</style><b>");
    expect(html).to.not.match(/href="javascript:/i);
    expect(html).to.not.include("' onmouseover='");
    expect(html).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).to.include("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    expect(html.match(/<style>/g)).to.have.length(1);
    expect(html.match(/<\/style>/g)).to.have.length(1);
  });

  it("answers 304 to a matching If-None-Match, with Cache-Control", async function () {
    // The tag covers the block the page was checked at, and the chain makes a block a second:
    // ask again until two answers fall in one block.
    let etag = "";
    let again: Response | null = null;
    for (let attempt = 0; attempt < 5 && again?.status !== 304; attempt++) {
      const first = await page(`/l/${dry}`);
      etag = first.headers.get("etag")!;
      expect(etag).to.match(/^W\/"/);
      expect(first.headers.get("cache-control")).to.match(/max-age=\d+/);
      again = await page(`/l/${dry}`, { "if-none-match": etag });
      expect(again.status).to.be.oneOf([200, 304]);
    }
    expect(again!.status).to.equal(304);
    const thai = await page(`/l/${dry}?lang=th`, { "if-none-match": etag });
    expect(thai.status).to.equal(200);
  });

  it("answers a kept page's next views before Express as its routes answer them: the same status, headers and body, and the client's request id", async function () {
    const stats = running.gateway.pages.stats;
    const variants: Array<{ path: string; method?: string; headers?: Record<string, string> }> = [
      { path: `/l/${dry}` },
      { path: `/l/${dry}?format=json` },
      { path: `/01/${gtin}/10/B2026-07`, headers: { "accept-language": "th-TH,th;q=0.9" } },
      { path: `/l/${dry}?lang=id`, headers: { "accept-encoding": "br" } },
      { path: `/l/${dry}`, method: "HEAD" },
    ];
    let seen = 0;
    for (const { path, method = "GET", headers = {} } of variants) {
      // An Accept value never sent before: the first view goes the usual path (which learns what
      // the value asks for), the next one is answered at once. Both at one block, to compare.
      let usual: Response | null = null;
      let atOnce: Response | null = null;
      for (let attempt = 0; attempt < 5; attempt++) {
        const fresh = { accept: `text/html, application/xhtml+xml, */*;q=0.${++seen}`, ...headers };
        const before = stats.viewsAtOnce;
        usual = await pageOnce(path, fresh, method);
        expect(stats.viewsAtOnce, path).to.equal(before);
        atOnce = await pageOnce(path, { ...fresh, "x-request-id": `view-${seen}` }, method);
        expect(stats.viewsAtOnce, path).to.equal(before + 1);
        if (atOnce.headers.get("etag") === usual.headers.get("etag")) break;
      }
      expect(atOnce!.status, path).to.equal(200);
      expect(atOnce!.headers.get("x-request-id")).to.equal(`view-${seen}`);
      expect(usual!.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
      const comparable = (answer: Response) => [...answer.headers].filter(([name]) => name !== "date" && name !== "x-request-id");
      expect(comparable(atOnce!), path).to.deep.equal(comparable(usual!));
      expect(Buffer.from(await atOnce!.arrayBuffer()).equals(Buffer.from(await usual!.arrayBuffer())), path).to.equal(true);
    }
    // A conditional view answered at once: 304, no body, the tag and Cache-Control.
    const etag = (await pageOnce(`/l/${dry}`)).headers.get("etag")!;
    const before = stats.viewsAtOnce;
    const notModified = await pageOnce(`/l/${dry}`, { "if-none-match": etag });
    if (notModified.status === 304) {
      expect(stats.viewsAtOnce).to.equal(before + 1);
      expect(notModified.headers.get("cache-control")).to.match(/max-age=\d+/);
      expect(await notModified.text()).to.equal("");
    } else expect(notModified.headers.get("etag")).not.to.equal(etag); // a block came in between
  });

  it("speaks the reader's language: Accept-Language, and the ?lang= switch", async function () {
    const thai = await (await page(`/l/${dry}`, { "accept-language": "th-TH,th;q=0.9,en;q=0.5" })).text();
    expect(thai).to.include(`<html lang="th"`);
    expect(thai).to.include(LOCALES.th.title);
    const indonesian = await (await page(`/l/${dry}?lang=id`, { "accept-language": "th" })).text();
    expect(indonesian).to.include(LOCALES.id.title);
    expect(indonesian).to.include('href="?lang=vi"');
    // Form and scheme names in the reader's language; Thai areas in rai too.
    expect(thai).to.include(`<dd>${NAMES.th.forms["cocoa-dry-beans"]}</dd>`);
    expect(thai).to.include(NAMES.th.schemes.organic);
    expect(thai).to.match(/3 แปลง [\d.]+ เฮกตาร์ \([\d.]+ ไร่\)/);
    expect(indonesian).to.include(`<dd>${NAMES.id.forms["cocoa-dry-beans"]}</dd>`);
    expect(indonesian).not.to.include("ไร่");
  });

  it("has the same message keys in every language", function () {
    const keys = Object.keys(LOCALES.en).sort();
    for (const [code, messages] of Object.entries(LOCALES)) expect(Object.keys(messages).sort(), code).to.deep.equal(keys);
  });

  it("firstmile verify: exit 0 when everything matches, 2 on bad input", async function () {
    const rpc = running.gateway.chain.url;
    const ok = await verifyCli(`${running.gateway.url}/l/${dry}`, rpc);
    expect(ok.code, ok.out + ok.err).to.equal(0);
    expect(ok.out).to.include("VERIFIED");
    expect(ok.out).to.match(/evidence bafkrei\w+ \(\d+ bytes\) matches its CID/);
    expect((await verifyCli(dry, rpc, running.gateway.url)).code).to.equal(0);
    const noRpc = await runVerify(dry, { gateway: running.gateway.url }, { stdout: new PassThrough(), stderr: new PassThrough() });
    expect(noRpc).to.equal(2);
    const badUrl = await verifyCli("ftp://example/l/1", rpc);
    expect(badUrl.code).to.equal(2);
    expect(badUrl.err).to.include("neither a lot id nor an http(s) URL");
    expect((await verifyCli(dry, rpc)).err).to.include("needs --gateway");
  });

  it("firstmile verify: a member's name or place that its metadata document does not say is named", async function () {
    const twin = (await (await page(`/l/${dry}?format=json`)).json()) as LotPassport;
    const member = twin.members.find((m) => m.memberId === coop.memberId)!;
    expect(member.name).to.equal("Koperasi Tani Maju Parigi");
    const rpc = jsonRpcClient(running.gateway.chain.url);
    const honest = await verifyPassportIndependently({ passport: twin, rpc, evidenceGateway: running.gateway.url });
    expect(honest.findings.filter((f) => !f.ok)).to.deep.equal([]);
    for (const lie of [{ region: "Bogor, Jawa Barat" }, { name: "Koperasi Lain" }]) {
      const forged = { ...twin, members: twin.members.map((m) => (m.memberId === coop.memberId ? { ...m, ...lie } : m)) };
      const report = await verifyPassportIndependently({ passport: forged, rpc, evidenceGateway: running.gateway.url });
      expect(report.ok, JSON.stringify(lie)).to.equal(false);
      expect(report.findings.filter((f) => !f.ok).map((f) => f.what).join("\n")).to.include(`member ${coop.memberId}: shown as`);
    }
  });

  describe("when the gateway's SQL is tampered with", function () {
    /** Until the read model holds a later block than now: a page is built and checked again once per block. */
    const nextBlock = async () => {
      const { indexer } = running.gateway;
      await indexer.waitForBlock((indexer.status().indexedBlock ?? 0) + 1);
    };

    it("a changed weight in lot_events, after the page was cached: the next view after the next block is red naming the lot, HTML and JSON, no 304 for the old tags; firstmile verify exits 1 naming it", async function () {
      const db = running.gateway.db;
      // Cached and verified first, in both forms.
      const before = await page(`/l/${dry}`);
      expect(await before.text()).to.include("Verified against the blockchain");
      const beforeTwin = await page(`/l/${dry}?format=json`);
      const cached = (await beforeTwin.json()) as LotPassport;
      expect(cached.verification.ok).to.equal(true);
      // Kept in every encoding too (each variant is prepared once and then only written).
      for (const encoding of ["gzip", "br"]) {
        const kept = await page(`/l/${dry}`, { "accept-encoding": encoding });
        expect(kept.headers.get("content-encoding")).to.equal(encoding);
        expect(await kept.text()).to.include("Verified against the blockchain");
      }
      await db.query(`update lot_events set fields = jsonb_set(fields::jsonb, '{grams}', '"999999"')::json where lot_id = $1 and seq = 0`, [merged]);
      try {
        await nextBlock();
        // A crowd at once after the block, HTML and JSON in every encoding, with the old tags: every
        // view waits for the one check at the new block, none is given the kept "verified" page.
        const crowd = await Promise.all(
          Array.from({ length: 6 }, async (_, i) => {
            const json = i % 2 === 1;
            const encoding = ["identity", "gzip", "br"][i % 3]!;
            const answer = await page(`/l/${dry}${json ? "?format=json" : ""}`, { "accept-encoding": encoding, "if-none-match": (json ? beforeTwin : before).headers.get("etag")! });
            return { json, status: answer.status, text: await answer.text() };
          }),
        );
        for (const view of crowd) {
          expect(view.status).to.equal(200);
          if (view.json) expect((JSON.parse(view.text) as LotPassport).verification.ok).to.equal(false);
          else expect(view.text).to.include("Does NOT match the blockchain").and.not.include("Verified against the blockchain");
        }
        const answer = await page(`/l/${dry}`, { "if-none-match": before.headers.get("etag")! });
        expect(answer.status).to.equal(200);
        const html = await answer.text();
        expect(html).to.include("Does NOT match the blockchain");
        expect(html).to.include(`lot ${merged}: the history head recomputed from the events shown`);
        expect(html).to.not.include("&#10003;");
        const twinAnswer = await page(`/l/${dry}?format=json`, { "if-none-match": beforeTwin.headers.get("etag")! });
        expect(twinAnswer.status).to.equal(200);
        const twin = (await twinAnswer.json()) as LotPassport;
        expect(twin.verification.ok).to.equal(false);
        expect(twin.verification.block.number).to.be.greaterThan(cached.verification.block.number);
        const report = await verifyCli(`${running.gateway.url}/l/${dry}`, running.gateway.chain.url);
        expect(report.code, report.out + report.err).to.equal(1);
        expect(report.out).to.include(`FAIL lot ${merged}: the history head recomputed from the events shown`);
        expect(report.out).to.include("MISMATCH");
      } finally {
        await db.query(`update lot_events set fields = jsonb_set(fields::jsonb, '{grams}', '"330000"')::json where lot_id = $1 and seq = 0`, [merged]);
      }
      await nextBlock();
      expect(await (await page(`/l/${dry}`)).text()).to.include("Verified against the blockchain");
    });

    it("a changed weight in the lots table turns the page red naming the lot, from the next block on", async function () {
      const db = running.gateway.db;
      await db.query("update lots set grams = grams + 1 where lot_id = $1", [deliveries[1]]);
      try {
        await nextBlock();
        const html = await (await page(`/l/${dry}`)).text();
        expect(html).to.include("Does NOT match the blockchain");
        expect(html).to.include(`lot ${deliveries[1]}: the gateway&#39;s lots table says grams 110001, its events say 110000`);
      } finally {
        await db.query("update lots set grams = grams - 1 where lot_id = $1", [deliveries[1]]);
      }
    });
    it("a changed attestation expiry turns the page and the Digital Link's page red naming the attestation, from the next block on", async function () {
      const db = running.gateway.db;
      const { rows } = await db.query<{ uid: string }>("select uid from attestations where revoked = false and lot_id = $1", [deliveries[1]]);
      const uid = rows[0]!.uid;
      await db.query("update attestations set expires_at = expires_at + 31536000 where uid = $1", [uid]);
      try {
        await nextBlock();
        for (const path of [`/l/${dry}`, `/01/${gtin}/10/B2026-07`]) {
          const html = await (await page(path)).text();
          expect(html, path).to.include("Does NOT match the blockchain");
          expect(html, path).to.include(`attestation ${uid}: its fields as shown`);
        }
      } finally {
        await db.query("update attestations set expires_at = expires_at - 31536000 where uid = $1", [uid]);
      }
      await nextBlock();
      expect(await (await page(`/l/${dry}`)).text()).to.include("Verified against the blockchain");
    });
  });

  describe("when one client asks too often", function () {
    it("limits pages per client address (429 with Retry-After, as a page)", async function () {
      // Cheap answers (a malformed lot id) still count, and so does a page kept from an earlier
      // view (answered without the router): both at once, alternating, from one address, three
      // times the bucket (30). Asked one after the other, the bucket's refill (3 a second) could
      // let the last one through on a slow machine. This runs last: it drains this client's bucket.
      const paths = Array.from({ length: 90 }, (_, i) => (i % 2 === 0 ? "/l/not-a-lot" : `/l/${dry}`));
      const answers = await Promise.all(paths.map((path) => pageOnce(path)));
      for (const kind of ["/l/not-a-lot", `/l/${dry}`]) {
        const refused = answers.filter((a, i) => paths[i] === kind && a.status === 429);
        expect(refused.length, kind).to.be.greaterThan(0);
        expect(refused[0]!.headers.get("retry-after")).to.match(/^\d+$/);
        expect(refused[0]!.headers.get("content-type")).to.match(/^text\/html/);
      }
      // firstmile verify, refused the same way, waits as told and asks again.
      const report = await verifyCli(`${running.gateway.url}/l/${dry}`, running.gateway.chain.url);
      expect(report.err).to.match(/limits requests from this address; asking again in \d+ s/);
      expect(report.code, report.out + report.err).to.equal(0);
    });
  });
  // Last (mocha runs a describe's own tests before its nested ones): this one views the page
  // again, waiting out the per-address limit as a reader would, and must not take the views the
  // tamper tests' firstmile verify counts on.
  describe("when a crowd is viewing a page", function () {
    it("a page being viewed is checked at the next block before views are told of it: the first view after the block does not wait", async function () {
      const { pages, indexer } = running.gateway;
      const viewed = await page(`/l/${dry}?format=json`);
      const before = ((await viewed.json()) as LotPassport).verification.block.number;
      const ahead = pages.stats.refreshedAhead;
      // The chain makes a block a second; the indexer tells of each one after remaking this page at it.
      await indexer.waitForBlock(Math.max(before, indexer.status().indexedBlock ?? 0) + 1);
      expect(pages.stats.refreshedAhead).to.be.greaterThan(ahead);
      const kept = pages.current(dry.toString());
      expect(kept, "kept at the block the views are told of, not remade on the view").to.not.be.instanceOf(Promise);
      const next = (await (await page(`/l/${dry}?format=json`)).json()) as LotPassport;
      expect(next.verification.ok).to.equal(true);
      expect(next.verification.block.number).to.be.greaterThan(before);
    });
  });
});
