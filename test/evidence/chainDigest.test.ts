import { expect } from "chai";
import { createHash } from "node:crypto";
import { blockCidOfDigest, cidToDigest, codecOf, codecOfRootBlock, digestToCid, resolveDigest } from "../../src/evidence/chainDigest";
import { computeEvidenceCid } from "../../src/evidence/cid";
import { EvidenceInvalidCidError } from "../../src/evidence/errors";
import { openEvidenceStore, type EvidenceStore } from "../../src/evidence/store";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { csvOfSize, sampleOfEachType } from "./fixtures";

describe("evidence on chain: CID -> bytes32 -> CID", () => {
  let dir: string;
  let store: EvidenceStore;

  before(async () => {
    dir = makeTempDir("chain-digest");
    store = await openEvidenceStore({ kind: "embedded", dir });
  });
  after(async () => {
    await store.close();
    removeTempDir(dir);
  });

  it("stores the sha2-256 digest: for a one-block file, the file's own sha256", async () => {
    const bytes = Buffer.from("lot,grams\nGH-1,640000\n");
    const cid = await computeEvidenceCid(bytes);
    expect(cidToDigest(cid)).to.equal(`0x${createHash("sha256").update(bytes).digest("hex")}`);
  });

  it("round-trips raw and dag-pb CIDs when the codec travels with the digest", async () => {
    for (const bytes of [csvOfSize(100, 1), csvOfSize(1024 * 1024 + 1, 2)]) {
      const cid = await computeEvidenceCid(bytes);
      const digest = cidToDigest(cid);
      expect(digest).to.match(/^0x[0-9a-f]{64}$/);
      expect(digestToCid(digest, codecOf(cid)).equals(cid)).to.equal(true);
    }
  });

  it("gives a different CID for the same digest under the other codec: a bare digest is ambiguous", async () => {
    const cid = await computeEvidenceCid(csvOfSize(1024 * 1024 + 1, 3));
    const other = digestToCid(cidToDigest(cid), "raw");
    expect(other.equals(cid)).to.equal(false);
    expect(other.multihash.bytes).to.deep.equal(cid.multihash.bytes);
  });

  it("recovers the codec from the stored block for every allowed type, small and chunked", async () => {
    const samples = [...sampleOfEachType(), { mediaType: "text/csv", bytes: csvOfSize(600_000, 4) }, { mediaType: "text/csv", bytes: Buffer.alloc(0) }];
    for (const { mediaType, bytes } of samples) {
      const { cid } = await store.put(bytes, mediaType);
      const recovered = await resolveDigest(cidToDigest(cid), store);
      expect(recovered.toString(), `${mediaType} of ${bytes.length} bytes`).to.equal(cid.toString());
    }
  });

  it("reads a dag-pb root block as dag-pb and a raw block as raw, by the block's bytes", async () => {
    const chunked = await store.put(csvOfSize(300_000, 5), "text/csv");
    const rootBlock = await store.getBlock(blockCidOfDigest(cidToDigest(chunked.cid)));
    expect(rootBlock[0]).to.equal(0x12);
    expect(await codecOfRootBlock(rootBlock)).to.equal("dag-pb");
    // A text file that starts like a protobuf field is refused at upload, so raw evidence never does.
    expect(await codecOfRootBlock(Buffer.from("lot,grams\n"))).to.equal("raw");
    expect(await codecOfRootBlock(Buffer.from([0x12, 0x00, 0x41]))).to.equal("raw");
  });

  it("refuses malformed digests and non-evidence CIDs", () => {
    expect(() => digestToCid("0x1234", "raw")).to.throw(EvidenceInvalidCidError);
    expect(() => digestToCid(`0x${"zz".repeat(32)}`, "raw")).to.throw(EvidenceInvalidCidError);
    expect(() => cidToDigest("QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u")).to.throw(EvidenceInvalidCidError);
  });
});
