import fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import pino from "pino";
import { createApp, issueApiToken } from "../../src/api";
import { createEvidenceRoutes } from "../../src/api/evidenceRoutes";
import type { Database } from "../../src/db";
import { openPglite } from "../../src/db/pglite";
import { computeEvidenceCid, openEvidenceStore, type EvidenceStore } from "../../src/evidence";
import { copyMigratedPglite } from "../helpers/engines";

describe("evidence HTTP routes: upload returns the CID, download answers verified bytes with their type", () => {
  let dir: string;
  let db: Database;
  let store: EvidenceStore;
  let server: Server;
  let base: string;
  let auth: Record<string, string>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-evidence-routes-"));
    await copyMigratedPglite(path.join(dir, "pgdata"));
    db = await openPglite({ dir: path.join(dir, "pgdata") });
    store = await openEvidenceStore({ kind: "embedded", dir: path.join(dir, "evidence") }, { maxBytes: 64 * 1024 });
    auth = { authorization: `Bearer ${(await issueApiToken(db, 3n)).token}` };
    const app = createApp({ db, logger: pino({ level: "silent" }), routes: createEvidenceRoutes({ db, store }) });
    server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const upload = (body: Buffer, contentType: string, query = "", headers = auth) =>
    fetch(`${base}/v1/evidence${query}`, { method: "POST", headers: { ...headers, "content-type": contentType }, body: new Uint8Array(body) });

  it("stores a PDF, answers its CID and bytes32, and serves the same bytes back as application/pdf", async () => {
    const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(5_000)]);
    const response = await upload(pdf, "application/pdf");
    expect(response.status).to.equal(201);
    const stored = await response.json();
    const expected = (await computeEvidenceCid([pdf])).toString();
    expect(stored).to.deep.include({ cid: expected, codec: "raw", size: pdf.length, mediaType: "application/pdf", removedMetadata: [] });
    expect(stored.digest).to.match(/^0x[0-9a-f]{64}$/);
    const got = await fetch(`${base}/v1/evidence/${expected}`, { headers: auth });
    expect(got.status).to.equal(200);
    expect(got.headers.get("content-type")).to.equal("application/pdf");
    expect(Buffer.from(await got.arrayBuffer()).equals(pdf)).to.equal(true);
  });

  it("takes JSON as octet-stream with ?type=, and refuses a body the JSON parser already read", async () => {
    const json = Buffer.from('{"moisture": 7.2, "lot": "2000000001"}');
    const refused = await upload(json, "application/json");
    expect(refused.status).to.equal(415);
    expect((await refused.json()).error.message).to.contain("?type=application/json");
    const response = await upload(json, "application/octet-stream", "?type=application/json");
    expect(response.status).to.equal(201);
    const { cid } = await response.json();
    const got = await fetch(`${base}/v1/evidence/${cid}`, { headers: auth });
    expect(got.headers.get("content-type")).to.match(/^application\/json/);
    expect(Buffer.from(await got.arrayBuffer()).equals(json)).to.equal(true);
  });

  it("refuses what evidence may not be, and answers 400, 404 and 401 as the API does", async () => {
    expect((await upload(Buffer.from("<html></html>"), "text/html")).status).to.equal(415);
    expect((await upload(Buffer.from("not a pdf at all"), "application/pdf")).status).to.equal(415);
    const big = await upload(Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(70 * 1024)]), "application/pdf");
    expect(big.status).to.equal(413);
    expect((await fetch(`${base}/v1/evidence/not-a-cid`, { headers: auth })).status).to.equal(400);
    const absent = (await computeEvidenceCid([Buffer.from("%PDF-1.7 never stored")])).toString();
    const missing = await fetch(`${base}/v1/evidence/${absent}`, { headers: auth });
    expect(missing.status).to.equal(404);
    expect((await missing.json()).error.code).to.equal("not_found");
    expect((await upload(Buffer.from("%PDF-1.7\n"), "application/pdf", "", {})).status).to.equal(401);
  });
});
