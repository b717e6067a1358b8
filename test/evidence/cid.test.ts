import { expect } from "chai";
import { createHash } from "node:crypto";
import { MemoryBlockstore } from "blockstore-core/memory";
import { CID } from "multiformats/cid";
import { CHUNK_SIZE, DAG_PB_CODEC, MAX_LINKS_PER_NODE, RAW_CODEC, computeEvidenceCid, importEvidenceFile, parseEvidenceCid } from "../../src/evidence/cid";
import { decodeFileNode } from "../../src/evidence/dag";
import { EvidenceInvalidCidError } from "../../src/evidence/errors";
import { verifyBlock, verifyFileBytes } from "../../src/evidence/verify";
import { EvidenceCidMismatchError } from "../../src/evidence/errors";
import { csvOfSize } from "./fixtures";

describe("evidence CIDs (offline, no node)", () => {
  it("gives the CID Kubo gives for `printf 'hello world' | ipfs add --cid-version=1`", async () => {
    const cid = await computeEvidenceCid(Buffer.from("hello world"));
    expect(cid.toString()).to.equal("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  });

  it("makes a file of up to 256 KiB one raw block whose digest is the file's sha2-256", async () => {
    for (const size of [0, 1, CHUNK_SIZE]) {
      const bytes = csvOfSize(size, size);
      const cid = await computeEvidenceCid(bytes);
      expect(cid.version).to.equal(1);
      expect(cid.code, `size ${size}`).to.equal(RAW_CODEC);
      expect(Buffer.from(cid.multihash.digest).toString("hex")).to.equal(createHash("sha256").update(bytes).digest("hex"));
    }
    expect((await computeEvidenceCid(new Uint8Array(0))).toString()).to.equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  });

  it("chunks anything larger into 256 KiB raw leaves under a dag-pb root", async () => {
    const bytes = csvOfSize(5 * 1024 * 1024 + 1, 3);
    const blocks = new MemoryBlockstore();
    const root = await importEvidenceFile(bytes, blocks);
    expect(root.code).to.equal(DAG_PB_CODEC);
    expect(root.toString()).to.match(/^bafybei/);
    const node = await decodeFileNode(root, await collect(blocks.get(root)));
    expect(node.links).to.have.length(21);
    expect(node.fileSize).to.equal(BigInt(bytes.length));
    expect(node.links.every((link) => link.code === RAW_CODEC)).to.equal(true);
    const first = await collect(blocks.get(node.links[0]!));
    expect(first.length).to.equal(CHUNK_SIZE);
    expect(Buffer.compare(first, bytes.subarray(0, CHUNK_SIZE))).to.equal(0);
  });

  it("builds a balanced tree of at most 174 links per node, like Kubo", async () => {
    // 175 chunks: one full node of 174 leaves plus one, joined under a new root.
    const bytes = new Uint8Array(CHUNK_SIZE * (MAX_LINKS_PER_NODE + 1));
    for (let i = 0; i < bytes.length; i += CHUNK_SIZE) bytes[i] = (i / CHUNK_SIZE) % 251; // distinct chunks
    const blocks = new MemoryBlockstore();
    const root = await importEvidenceFile(bytes, blocks);
    const top = await decodeFileNode(root, await collect(blocks.get(root)));
    expect(top.links).to.have.length(2);
    const left = await decodeFileNode(top.links[0]!, await collect(blocks.get(top.links[0]!)));
    expect(left.links).to.have.length(MAX_LINKS_PER_NODE);
    expect((await computeEvidenceCid(bytes)).equals(root)).to.equal(true);
  });

  it("gives the same CID for a stream as for the same bytes in one buffer", async () => {
    const bytes = csvOfSize(700_000, 9);
    const pieces = [bytes.subarray(0, 1), bytes.subarray(1, 300_001), bytes.subarray(300_001)];
    expect((await computeEvidenceCid(pieces)).equals(await computeEvidenceCid(bytes))).to.equal(true);
  });

  it("accepts only CIDv1 sha2-256 raw or dag-pb as evidence", () => {
    expect(parseEvidenceCid("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e").code).to.equal(RAW_CODEC);
    const refused = [
      "QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u", // CIDv0
      "bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", // dag-cbor
      "bafkqaaa", // identity hash
      "not-a-cid",
    ];
    for (const input of refused) expect(() => parseEvidenceCid(input), input).to.throw(EvidenceInvalidCidError);
  });

  it("verifies blocks and files against their CID and names both CIDs on a mismatch", async () => {
    const bytes = csvOfSize(400_000, 5);
    const cid = await computeEvidenceCid(bytes);
    expect(await verifyFileBytes(cid, bytes, "test")).to.equal(bytes);
    const tampered = Buffer.from(bytes);
    tampered[123_456] ^= 1;
    const actual = await computeEvidenceCid(tampered);
    const error = await verifyFileBytes(cid, tampered, "test").then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceCidMismatchError);
    expect((error as EvidenceCidMismatchError).expected).to.equal(cid.toString());
    expect((error as EvidenceCidMismatchError).actual).to.equal(actual.toString());
    expect((error as Error).message).to.include(cid.toString()).and.include(actual.toString());

    const small = Buffer.from("lot,grams\n");
    const smallCid = await computeEvidenceCid(small);
    expect(() => verifyBlock(smallCid, Buffer.from("lot,gramz\n"), "test")).to.throw(EvidenceCidMismatchError, smallCid.toString());
    expect(CID.asCID(smallCid)).to.not.equal(null);
  });
});

async function collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
