import fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import pino from "pino";
import { createApp, issueApiToken } from "../../src/api";
import type { Database } from "../../src/db";
import { openPglite } from "../../src/db/pglite";
import { createReadRoutes } from "../../src/api/readRoutes";
import { Role } from "../../src/membership/roles";
import { copyMigratedPglite } from "../helpers/engines";
import { indexSynthetic } from "../indexer/indexSynthetic";
import { SyntheticChain, SyntheticForm as Form } from "../indexer/syntheticChain";

describe("read-model HTTP routes", () => {
  let dir: string;
  let db: Database;
  let server: Server;
  let base: string;
  let auth: Record<string, string>;
  const chain = new SyntheticChain();
  const coop = chain.account("coop");
  const coopMember = chain.addMember(Role.cooperative, [coop]);
  const [a] = chain.mint(coop, [{ form: Form.wetBeans, grams: 100_000n }]);
  const [b, c] = chain.split(a!, [60_000n, 40_000n]);
  const d = chain.merge([b!, c!]);
  const extra = chain.mint(coop, [1, 2, 3].map((i) => ({ form: Form.wetBeans, grams: BigInt(i) * 1000n })));

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-indexer-http-"));
    await copyMigratedPglite(dir);
    db = await openPglite({ dir });
    await indexSynthetic(db, chain.events);
    auth = { authorization: `Bearer ${(await issueApiToken(db, coopMember)).token}` };
    const app = createApp({ db, logger: pino({ level: "silent" }), routes: createReadRoutes({ db }) });
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = async (url: string, headers = auth) => {
    const response = await fetch(base + url, { headers });
    return { status: response.status, body: await response.json() };
  };

  it("serves a lot, its history, ancestry and descendants to members only", async () => {
    expect((await get(`/v1/lots/${d}`, {})).status).to.equal(401);
    const lot = await get(`/v1/lots/${d}`);
    expect(lot.status).to.equal(200);
    expect(lot.body).to.deep.include({ lotId: String(d), grams: "100000", status: "active", genesis: "merged", commodity: "cocoa" });
    const history = await get(`/v1/lots/${a}/history`);
    expect(history.body.items.map((event: { kind: string }) => event.kind)).to.deep.equal(["minted", "split"]);
    const ancestry = await get(`/v1/lots/${d}/ancestry`);
    expect(ancestry.body.items.map((node: { lot: { lotId: string }; paths: number }) => [node.lot.lotId, node.paths])).to.deep.equal([
      [String(b), 1],
      [String(c), 1],
      [String(a), 2],
    ]);
    expect(lot.body.claims).to.deep.equal([]);
    const attestations = await get(`/v1/lots/${d}/attestations`);
    expect(attestations.status).to.equal(200);
    expect(attestations.body).to.deep.include({ lotId: String(d), claims: [], items: [], nextCursor: null });
    expect((await get(`/v1/members/${coopMember}/attestations?status=valid`)).body).to.deep.equal({ items: [], nextCursor: null });
    expect((await get(`/v1/members/${coopMember}/credits`)).body).to.deep.equal({ items: [] });
    const descendants = await get(`/v1/lots/${a}/descendants?maxDepth=1`);
    expect(descendants.body.items.map((node: { lot: { lotId: string } }) => node.lot.lotId)).to.deep.equal([String(b), String(c)]);
  });

  it("answers unknown ids with 404 naming the id, malformed ids with 400", async () => {
    const unknown = await get("/v1/lots/123456789");
    expect(unknown.status).to.equal(404);
    expect(unknown.body).to.deep.equal({ error: { code: "not_found", message: "lot 123456789 not found", details: { lotId: "123456789" } } });
    for (const suffix of ["", "/history", "/ancestry", "/descendants", "/attestations"]) {
      expect((await get(`/v1/lots/123456789${suffix}`)).status, suffix).to.equal(404);
    }
    const member = await get("/v1/members/99/stock");
    expect(member.status).to.equal(404);
    expect(member.body.error.message).to.equal("member 99 not found");
    for (const malformed of ["abc", "0", "-1", "1.5", "99999999999999999999", "9223372036854775808"]) {
      const answer = await get(`/v1/lots/${malformed}`);
      expect(answer.status, malformed).to.equal(400);
      expect(answer.body.error.code).to.equal("invalid_request");
    }
  });

  it("enforces limits: page size, depth, date range, cursors", async () => {
    expect((await get("/v1/lots?limit=501")).status).to.equal(400);
    expect((await get(`/v1/lots/${d}/ancestry?maxDepth=65`)).status).to.equal(400);
    const range = await get(`/v1/members/${coopMember}/deliveries?from=2024-01-01&to=2025-06-01`);
    expect(range.status).to.equal(400);
    expect(range.body.error.message).to.contain("at most 366");
    const cursor = await get("/v1/lots?cursor=bm90LWEtY3Vyc29y");
    expect(cursor.status).to.equal(400);
    expect(cursor.body.error.code).to.equal("bad_request");
    expect((await get("/v1/lots?status=lost")).status).to.equal(400);
    expect((await get(`/v1/members/${coopMember}/attestations?status=maybe`)).status).to.equal(400);
    expect((await get("/v1/members/99/credits")).status).to.equal(404);
  });

  it("pages every list with cursors and filters by commodity, form, status and date", async () => {
    const seen: string[] = [];
    let url = `/v1/members/${coopMember}/lots?status=active&limit=2`;
    for (;;) {
      const page = await get(url);
      expect(page.status).to.equal(200);
      seen.push(...page.body.items.map((lot: { lotId: string }) => lot.lotId));
      if (!page.body.nextCursor) break;
      url = `/v1/members/${coopMember}/lots?status=active&limit=2&cursor=${page.body.nextCursor}`;
    }
    expect(seen).to.deep.equal([d, ...extra].map(String));
    expect((await get("/v1/lots?commodity=rubber")).body.items).to.deep.equal([]);
    const consumed = await get(`/v1/lots?status=consumed&form=${Form.wetBeans}`);
    expect(consumed.body.items.map((lot: { lotId: string }) => lot.lotId)).to.deep.equal([a, b, c].map(String));
    expect((await get("/v1/lots?from=2030-01-01")).body.items).to.deep.equal([]);
    const stock = await get(`/v1/members/${coopMember}/stock`);
    expect(stock.body.items).to.deep.equal([
      { form: { id: Form.wetBeans, name: "cocoa wet beans" }, commodity: "cocoa", active: { lots: 4, grams: "106000" }, inTransit: { lots: 0, grams: "0" } },
    ]);
    const member = await get(`/v1/members/${coopMember}`);
    expect(member.body.accounts).to.deep.equal([{ address: coop, number: 2, active: true }]);
  });
});
