import { expect } from "chai";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import express from "express";
import { createIpfsGatewayRouter } from "../../src/api/ipfsGatewayRouter";
import { blockCidOfDigest, cidToDigest, resolveDigest } from "../../src/evidence/chainDigest";
import { EvidenceCidMismatchError, EvidenceNotFoundError } from "../../src/evidence/errors";
import { withEvidencePeers } from "../../src/evidence/peeredStore";
import { openEvidenceStore, type EvidenceStore } from "../../src/evidence/store";
import { csvOfSize } from "./fixtures";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

async function listen(app: express.Express): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const started = app.listen(0, "127.0.0.1", () => resolve(started));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * Evidence read through other gateways (real HTTP: a peer's trustless endpoint over its own
 * embedded store, and a peer that alters what it relays): fetched, verified by CID, kept.
 */
describe("evidence peers (real HTTP, embedded stores)", () => {
  let dir: string;
  let peerStore: EvidenceStore;
  let peer: { server: Server; base: string };
  let liar: { server: Server; base: string };
  const opened: EvidenceStore[] = [];

  before(async () => {
    dir = makeTempDir("evidence-peers");
    peerStore = await openEvidenceStore({ kind: "embedded", dir: path.join(dir, "peer") });
    const app = express();
    app.use(createIpfsGatewayRouter(peerStore));
    peer = await listen(app);
    // Flips one byte near the end of everything it relays.
    const proxy = express();
    proxy.get("/ipfs/:cid", async (request, response) => {
      const upstream = await fetch(`${peer.base}${request.originalUrl}`, { headers: { Accept: request.get("Accept") ?? "" } });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (body.length > 10) body[body.length - 10] ^= 0x01;
      response.status(upstream.status).type(upstream.headers.get("content-type") ?? "application/octet-stream").send(body);
    });
    liar = await listen(proxy);
  });
  after(async () => {
    await new Promise((resolve) => liar.server.close(resolve));
    await new Promise((resolve) => peer.server.close(resolve));
    await Promise.all([peerStore, ...opened].map((store) => store.close()));
    removeTempDir(dir);
  });

  const localStore = async (name: string) => {
    const store = await openEvidenceStore({ kind: "embedded", dir: path.join(dir, name) });
    opened.push(store);
    return store;
  };

  it("reads a multi-block file the peer holds, verified, and keeps it pinned locally", async () => {
    const bytes = Buffer.concat([csvOfSize(256 * 1024, 3), csvOfSize(200_000, 4)]);
    const { cid } = await peerStore.put(bytes, "text/csv");
    const local = await localStore("a");
    const fetched: string[] = [];
    const store = withEvidencePeers(local, [peer.base], { onFetched: (event) => fetched.push(event.peer) });
    expect(await local.has(cid)).to.equal(false);
    expect(Buffer.from(await store.get(cid)).equals(bytes)).to.equal(true);
    expect(fetched).to.deep.equal([peer.base]);
    expect(await local.has(cid)).to.equal(true);
    const pins: string[] = [];
    for await (const pinned of local.pins()) pins.push(pinned.toString());
    expect(pins).to.include(cid.toString());
    // Read again: from the local store, the peer not asked.
    expect(Buffer.from(await store.get(cid)).equals(bytes)).to.equal(true);
    expect(fetched).to.have.length(1);
  });

  it("resolves a chain digest through a peer (one raw block), as the lot pages do", async () => {
    const { cid } = await peerStore.put(Buffer.from(JSON.stringify({ document: "weigh ticket", kg: 812 })), "application/json");
    const store = withEvidencePeers(await localStore("b"), [peer.base]);
    const digest = cidToDigest(cid);
    expect((await resolveDigest(digest, store)).toString()).to.equal(cid.toString());
    expect(Buffer.from(await store.getBlock(blockCidOfDigest(digest))).toString()).to.include("weigh ticket");
  });

  it("refuses altered bytes from a peer and takes the file from the next one", async () => {
    const bytes = csvOfSize(300_000, 9);
    const { cid } = await peerStore.put(bytes, "text/csv");
    const onlyLiar = withEvidencePeers(await localStore("c"), [liar.base]);
    const error = await onlyLiar.get(cid).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceCidMismatchError);
    const local = await localStore("d");
    const both = withEvidencePeers(local, [liar.base, peer.base]);
    expect(Buffer.from(await both.get(cid)).equals(bytes)).to.equal(true);
  });

  it("answers not found when no peer has the CID, and keeps has() local", async () => {
    const local = await localStore("e");
    const elsewhere = await localStore("f");
    const { cid } = await elsewhere.put(Buffer.from("held by nobody the store knows\n"), "text/csv");
    const store = withEvidencePeers(local, [peer.base]);
    expect(await store.has(cid)).to.equal(false);
    const error = await store.get(cid).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceNotFoundError);
  });

  it("holds what a store that cannot keep blocks fetched in a bounded cache: the oldest go, and are fetched again", async () => {
    const first = csvOfSize(120_000, 11);
    const second = csvOfSize(120_000, 12);
    const [a, b] = [await peerStore.put(first, "text/csv"), await peerStore.put(second, "text/csv")];
    // The embedded store without its way to keep verified blocks, as Kubo's is.
    const embedded = await localStore("g");
    const cannotKeep: EvidenceStore = { ...embedded, get: (cid) => embedded.get(cid), getBlock: (cid, root) => embedded.getBlock(cid, root) } as EvidenceStore;
    delete (cannotKeep as Partial<{ putVerifiedBlock: unknown }>).putVerifiedBlock;
    const fetched: string[] = [];
    const store = withEvidencePeers(cannotKeep, [peer.base], { maxCachedBytes: 150_000, onFetched: (event) => fetched.push(event.cid) });
    expect(Buffer.from(await store.get(a.cid)).equals(first)).to.equal(true);
    expect(Buffer.from(await store.get(b.cid)).equals(second)).to.equal(true);
    expect(fetched).to.deep.equal([a.cid.toString(), b.cid.toString()]);
    // Each file is one raw block. The second is still held: its block is served without the peer.
    expect(Buffer.from(await store.getBlock(b.cid)).equals(second)).to.equal(true);
    expect(fetched).to.have.length(2);
    // The second pushed the first out of the 150 KB: its block is asked of the peer again, verified.
    expect(Buffer.from(await store.getBlock(a.cid)).equals(first)).to.equal(true);
    expect(fetched).to.deep.equal([a.cid.toString(), b.cid.toString(), a.cid.toString()]);
    expect(await embedded.has(a.cid)).to.equal(false);
  });
});
