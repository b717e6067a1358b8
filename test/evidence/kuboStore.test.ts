import { expect } from "chai";
import { isRetryable } from "../../src/errors/base";
import { computeEvidenceCid } from "../../src/evidence/cid";
import {
  EvidenceCidMismatchError,
  EvidenceMediaTypeError,
  EvidenceNotFoundError,
  EvidenceStoreUnavailableError,
  EvidenceTooLargeError,
} from "../../src/evidence/errors";
import { openEvidenceStore, type EvidenceStore } from "../../src/evidence/store";
import { freePort } from "../helpers/ports";
import { startFakeKubo, type FakeKubo } from "./fakeKubo";
import { MAKE, buildJpeg, buildPng, csvOfSize, sampleOfEachType } from "./fixtures";

const MIB = 1024 * 1024;

describe("Kubo evidence store (against a local server speaking Kubo's RPC calls)", () => {
  let kubo: FakeKubo;
  let store: EvidenceStore;

  beforeEach(async () => {
    kubo = await startFakeKubo();
    store = await openEvidenceStore({ kind: "kubo", url: kubo.url }, { maxBytes: 2 * MIB });
  });
  afterEach(async () => {
    await store.close();
    await kubo.close();
  });

  it("adds with Kubo-compatible parameters: Kubo's CID equals the one computed offline", async () => {
    for (const bytes of [Buffer.alloc(0), csvOfSize(1, 1), csvOfSize(256 * 1024, 2), csvOfSize(MIB + 1, 3)]) {
      const stored = await store.put(bytes, "text/csv");
      expect(stored.cid.toString(), `${bytes.length} B`).to.equal((await computeEvidenceCid(bytes)).toString());
      expect(kubo.pins.has(stored.cid.toString())).to.equal(true);
    }
  });

  it("round-trips every allowed type through add and cat, verified", async () => {
    for (const { mediaType, bytes } of sampleOfEachType()) {
      const { cid } = await store.put(bytes, mediaType);
      expect(Buffer.from(await store.get(cid)), mediaType).to.deep.equal(bytes);
      expect(await store.has(cid)).to.equal(true);
    }
  });

  it("reads a chunked file block by block with getStream, each block verified", async () => {
    const bytes = csvOfSize(MIB + 1, 4);
    const { cid } = await store.put(bytes, "text/csv");
    const chunks: Uint8Array[] = [];
    for await (const chunk of store.getStream(cid)) chunks.push(chunk);
    expect(chunks).to.have.length(5);
    expect(Buffer.compare(Buffer.concat(chunks), bytes)).to.equal(0);
    expect(kubo.calls.filter((call) => call === "block/get")).to.have.length(6);
  });

  it("falls back to verified blocks when cat lies, and returns the true bytes", async () => {
    const bytes = csvOfSize(MIB + 1, 5);
    const { cid } = await store.put(bytes, "text/csv");
    kubo.tamper.cat = true;
    expect(Buffer.compare(Buffer.from(await store.get(cid)), bytes)).to.equal(0);
    expect(kubo.calls).to.include("block/get");
  });

  it("throws a mismatch naming both CIDs when the node's blocks are tampered", async () => {
    const small = await store.put(Buffer.from("lot,grams\nGH-1,640000\n"), "text/csv");
    const large = await store.put(csvOfSize(MIB + 1, 6), "text/csv");
    kubo.tamper.cat = true;
    kubo.tamper.blocks = true;
    for (const cid of [small.cid, large.cid]) {
      const error = await store.get(cid).then(() => undefined, (e: unknown) => e);
      expect(error, cid.toString()).to.be.instanceOf(EvidenceCidMismatchError);
      const mismatch = error as EvidenceCidMismatchError;
      expect(mismatch.message).to.include(mismatch.expected).and.include(mismatch.actual);
      expect(mismatch.actual).to.not.equal(mismatch.expected);
    }
    const blockError = await store.getBlock(small.cid).then(() => undefined, (e: unknown) => e);
    expect(blockError).to.be.instanceOf(EvidenceCidMismatchError);
  });

  it("refuses a node that chunks differently, and takes back its pin", async () => {
    kubo.tamper.addChunkSize = MIB;
    const bytes = csvOfSize(MIB + 1, 7);
    const error = await store.put(bytes, "text/csv").then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceCidMismatchError);
    expect((error as EvidenceCidMismatchError).expected).to.equal((await computeEvidenceCid(bytes)).toString());
    expect(kubo.pins.size).to.equal(0);
  });

  it("sends nothing to Kubo for a refused upload, and strips photos before adding", async () => {
    const refusals: [() => Promise<unknown>, Function][] = [
      [() => store.put(csvOfSize(2 * MIB + 1), "text/csv"), EvidenceTooLargeError],
      [() => store.putStream([csvOfSize(MIB), csvOfSize(MIB + 1)], "text/csv"), EvidenceTooLargeError],
      [() => store.put(buildPng().bytes, "image/jpeg"), EvidenceMediaTypeError],
      [() => store.put(Buffer.from("<html>"), "text/html"), EvidenceMediaTypeError],
    ];
    for (const [attempt, errorClass] of refusals) expect(await attempt().then(() => undefined, (e: unknown) => e)).to.be.instanceOf(errorClass);
    expect(kubo.calls).to.deep.equal([]);

    const { cid } = await store.put(buildJpeg({ xmp: true }), "image/jpeg");
    expect(Buffer.from(await store.get(cid)).includes(MAKE)).to.equal(false);
  });

  it("pins, unpins (idempotently) and lists evidence pins", async () => {
    const { cid } = await store.put(csvOfSize(1000, 8), "text/csv");
    await store.unpin(cid);
    await store.unpin(cid);
    const listed = async () => {
      const all: string[] = [];
      for await (const pin of store.pins()) all.push(pin.toString());
      return all;
    };
    expect(await listed()).to.deep.equal([]);
    await store.pin(cid);
    expect(await listed()).to.deep.equal([cid.toString()]);
    expect(kubo.calls).to.include.members(["pin/add", "pin/rm", "pin/ls"]);
  });

  it("reports unknown CIDs as not found and an unreachable node as retryable", async () => {
    const unknown = await computeEvidenceCid(Buffer.from("never added"));
    expect(await store.has(unknown)).to.equal(false);
    expect(await store.get(unknown).then(() => undefined, (e: unknown) => e)).to.be.instanceOf(EvidenceNotFoundError);

    const down = await openEvidenceStore({ kind: "kubo", url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2000 });
    const error = await down.put(Buffer.from("a,b\n"), "text/csv").then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceStoreUnavailableError);
    expect(isRetryable(error)).to.equal(true);
  });
});
