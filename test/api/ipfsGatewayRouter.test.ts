import { expect } from "chai";
import fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import express from "express";
import { CID } from "multiformats/cid";
import { createIpfsGatewayRouter } from "../../src/api/ipfsGatewayRouter";
import { computeEvidenceCid } from "../../src/evidence/cid";
import { walkEvidenceBlocks } from "../../src/evidence/dag";
import { EvidenceCidMismatchError } from "../../src/evidence/errors";
import { openEvidenceStore, type EvidenceStore } from "../../src/evidence/store";
import { fetchEvidenceFromGateway } from "../../src/evidence/trustlessFetch";
import { verifyBlock } from "../../src/evidence/verify";
import { base32upper } from "multiformats/bases/base32";
import { csvOfSize } from "../evidence/fixtures";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

type CarContent = { roots: string[]; blocks: { cid: CID; bytes: Uint8Array }[] };

async function readCar(body: ArrayBuffer): Promise<CarContent> {
  const { CarBlockIterator } = await import("@ipld/car"); // ESM-only
  const iterator = await CarBlockIterator.fromBytes(new Uint8Array(body));
  const blocks: CarContent["blocks"] = [];
  for await (const block of iterator) blocks.push({ cid: block.cid, bytes: block.bytes });
  return { roots: (await iterator.getRoots()).map(String), blocks };
}

async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const started = app.listen(0, "127.0.0.1", () => resolve(started));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("IPFS trustless gateway router (real HTTP server)", () => {
  let dir: string;
  let store: EvidenceStore;
  let server: Server;
  let base: string;
  let small: { cid: CID; bytes: Buffer };
  let large: { cid: CID; bytes: Buffer };

  before(async () => {
    dir = makeTempDir("gateway");
    store = await openEvidenceStore({ kind: "embedded", dir });
    const smallBytes = Buffer.from("lot,grams\nGH-2025-0001,640000\n");
    const largeBytes = Buffer.concat([csvOfSize(256 * 1024, 1), csvOfSize(256 * 1024, 1), csvOfSize(300_000, 2)]); // a repeated chunk
    small = { cid: (await store.put(smallBytes, "text/csv")).cid, bytes: smallBytes };
    large = { cid: (await store.put(largeBytes, "text/csv")).cid, bytes: largeBytes };
    const app = express();
    app.use(createIpfsGatewayRouter(store));
    ({ server, base } = await listen(app));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    removeTempDir(dir);
  });

  it("serves a raw block by ?format=raw with the trustless headers", async () => {
    const response = await fetch(`${base}/ipfs/${small.cid}?format=raw`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
    expect(response.headers.get("etag")).to.equal(`"${small.cid}.raw"`);
    expect(response.headers.get("content-disposition")).to.equal(`attachment; filename="${small.cid}.bin"`);
    expect(response.headers.get("cache-control")).to.include("immutable");
    expect(response.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(response.headers.get("x-ipfs-roots")).to.equal(small.cid.toString());
    expect(response.headers.get("content-location")).to.equal(null);
    expect(Buffer.from(await response.arrayBuffer())).to.deep.equal(small.bytes);
  });

  it("serves the same block for Accept: application/vnd.ipld.raw, pointing at the ?format URL", async () => {
    const response = await fetch(`${base}/ipfs/${large.cid}`, { headers: { Accept: "application/vnd.ipld.raw" } });
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-location")).to.equal(`/ipfs/${large.cid}?format=raw`);
    const block = new Uint8Array(await response.arrayBuffer());
    expect(verifyBlock(large.cid, block, "test")).to.equal(block);
  });

  it("answers 304 to If-None-Match with the block's Etag", async () => {
    const response = await fetch(`${base}/ipfs/${small.cid}?format=raw`, { headers: { "If-None-Match": `"${small.cid}.raw"` } });
    expect(response.status).to.equal(304);
  });

  it("serves a file's DAG as a CARv1 (?format=car), depth-first, each block once", async () => {
    const response = await fetch(`${base}/ipfs/${large.cid}?format=car`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.equal("application/vnd.ipld.car; version=1; order=dfs; dups=n");
    expect(response.headers.get("etag")).to.equal(`"${large.cid}.car.all.dfs.n"`);
    expect(response.headers.get("content-disposition")).to.equal(`attachment; filename="${large.cid}.car"`);
    const car = await readCar(await response.arrayBuffer());
    expect(car.roots).to.deep.equal([large.cid.toString()]);
    expect(car.blocks[0]!.cid.toString()).to.equal(large.cid.toString());
    for (const block of car.blocks) verifyBlock(block.cid, block.bytes, "test");
    const expected: string[] = [];
    for await (const block of walkEvidenceBlocks(large.cid, store, { duplicates: false })) expected.push(block.cid.toString());
    expect(car.blocks.map((block) => block.cid.toString())).to.deep.equal(expected);
    expect(expected).to.have.length(4); // root, the repeated chunk once, two more chunks
  });

  it("negotiates CAR by Accept, with duplicates when asked and the root only for dag-scope=block", async () => {
    const withDups = await fetch(`${base}/ipfs/${large.cid}`, { headers: { Accept: "application/vnd.ipld.car; version=1; order=dfs; dups=y" } });
    expect(withDups.headers.get("content-type")).to.equal("application/vnd.ipld.car; version=1; order=dfs; dups=y");
    expect((await readCar(await withDups.arrayBuffer())).blocks).to.have.length(5); // the repeated chunk twice

    const rootOnly = await fetch(`${base}/ipfs/${large.cid}?format=car&dag-scope=block`);
    const car = await readCar(await rootOnly.arrayBuffer());
    expect(car.blocks.map((b) => b.cid.toString())).to.deep.equal([large.cid.toString()]);
    expect(rootOnly.headers.get("etag")).to.equal(`"${large.cid}.car.block.dfs.n"`);
  });

  it("answers HEAD with headers only", async () => {
    const response = await fetch(`${base}/ipfs/${large.cid}?format=car`, { method: "HEAD" });
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-type")).to.include("application/vnd.ipld.car");
    expect((await response.arrayBuffer()).byteLength).to.equal(0);
    const missing = await fetch(`${base}/ipfs/${await computeEvidenceCid(Buffer.from("nope"))}?format=raw`, { method: "HEAD" });
    expect(missing.status).to.equal(404);
  });

  it("answers the identity-CID probe (bafkqaaa) for raw and CAR", async () => {
    const raw = await fetch(`${base}/ipfs/bafkqaaa?format=raw`);
    expect(raw.status).to.equal(200);
    expect((await raw.arrayBuffer()).byteLength).to.equal(0);
    const car = await readCar(await (await fetch(`${base}/ipfs/bafkqaaa?format=car`)).arrayBuffer());
    expect(car.roots).to.deep.equal(["bafkqaaa"]);
    expect(car.blocks).to.deep.equal([]);
  });

  it("answers 400 for a malformed CID, a missing format, a path, or an unsupported option; 406 for other types", async () => {
    const cases: [string, Record<string, string>, number][] = [
      [`/ipfs/not-a-cid?format=raw`, {}, 400],
      [`/ipfs/${small.cid}`, {}, 400],
      [`/ipfs/${small.cid}`, { Accept: "*/*" }, 400],
      [`/ipfs/${small.cid}`, { Accept: "text/html" }, 406],
      [`/ipfs/${small.cid}?format=tar`, {}, 400],
      [`/ipfs/${small.cid}/file.csv?format=car`, {}, 400],
      [`/ipfs/${large.cid}?format=car&entity-bytes=0:10`, {}, 400],
      [`/ipfs/${large.cid}?format=car&car-version=2`, {}, 400],
      [`/ipfs/${large.cid}`, { Accept: "application/vnd.ipld.car; version=2" }, 406],
      [`/ipfs/${large.cid}?format=car&dag-scope=everything`, {}, 400],
    ];
    for (const [url, headers, status] of cases) {
      const response = await fetch(`${base}${url}`, { headers });
      expect(response.status, `${url} ${JSON.stringify(headers)}`).to.equal(status);
      expect(response.headers.get("cache-control")).to.equal("no-store");
      expect(await response.text()).to.not.equal("");
    }
  });

  it("answers 404 for a CID it does not hold", async () => {
    const unknown = await computeEvidenceCid(Buffer.from("never stored"));
    expect((await fetch(`${base}/ipfs/${unknown}?format=raw`)).status).to.equal(404);
    expect((await fetch(`${base}/ipfs/${unknown}?format=car`)).status).to.equal(404);
  });

  it("lets anyone fetch and verify evidence over it with no IPFS node", async () => {
    expect(Buffer.from(await fetchEvidenceFromGateway(base, large.cid))).to.deep.equal(large.bytes);
    expect(Buffer.from(await fetchEvidenceFromGateway(`${base}/`, small.cid.toString()))).to.deep.equal(small.bytes);
  });

  it("cuts a CAR stream short when a block below the root is missing", async () => {
    const bytes = csvOfSize(700_000, 9);
    const { cid } = await store.put(bytes, "text/csv");
    const leaves: CID[] = [];
    for await (const block of walkEvidenceBlocks(cid, store, { duplicates: false })) if (!block.cid.equals(cid)) leaves.push(block.cid);
    const name = base32upper.encoder.encode(leaves[1]!.multihash.bytes);
    fs.rmSync(path.join(dir, "blocks", name.slice(-2), `${name}.data`));
    const response = await fetch(`${base}/ipfs/${cid}?format=car`);
    expect(response.status).to.equal(200); // committed once the root was read, as the spec allows
    // The connection is closed mid-body: the client sees a failed transfer, never a complete-looking CAR.
    const error = await response.arrayBuffer().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.equal("terminated");
  });

  it("never serves a block that fails verification", async () => {
    const bytes = Buffer.from("lot,grams\nGH-2025-0999,1\n");
    const { cid } = await store.put(bytes, "text/csv");
    const name = base32upper.encoder.encode(cid.multihash.bytes);
    fs.writeFileSync(path.join(dir, "blocks", name.slice(-2), `${name}.data`), Buffer.from("lot,grams\nGH-2025-0999,9\n"));
    const response = await fetch(`${base}/ipfs/${cid}?format=raw`);
    expect(response.status).to.equal(500);
    expect(await response.text()).to.include(cid.toString()).and.not.include("GH-2025-0999,9");
  });
});

describe("verified fetch from a gateway that lies", () => {
  let dir: string;
  let store: EvidenceStore;
  let honest: { server: Server; base: string };
  let liar: { server: Server; base: string };

  before(async () => {
    dir = makeTempDir("liar");
    store = await openEvidenceStore({ kind: "embedded", dir });
    const app = express();
    app.use(createIpfsGatewayRouter(store));
    honest = await listen(app);
    // A proxy that flips one byte near the end of every CAR it relays.
    const proxy = express();
    proxy.get("/ipfs/:cid", async (request, response) => {
      const upstream = await fetch(`${honest.base}${request.originalUrl}`, { headers: { Accept: request.get("Accept") ?? "" } });
      const body = Buffer.from(await upstream.arrayBuffer());
      body[body.length - 10] ^= 0x01;
      response.status(upstream.status).type(upstream.headers.get("content-type") ?? "application/octet-stream").send(body);
    });
    liar = await listen(proxy);
  });
  after(async () => {
    await new Promise((resolve) => liar.server.close(resolve));
    await new Promise((resolve) => honest.server.close(resolve));
    await store.close();
    removeTempDir(dir);
  });

  it("throws a mismatch naming both CIDs instead of returning altered bytes", async () => {
    const { cid } = await store.put(csvOfSize(400_000, 8), "text/csv");
    const error = await fetchEvidenceFromGateway(liar.base, cid).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceCidMismatchError);
    const mismatch = error as EvidenceCidMismatchError;
    expect(mismatch.message).to.include(mismatch.expected).and.include(mismatch.actual).and.include(cid.toString());
  });
});
