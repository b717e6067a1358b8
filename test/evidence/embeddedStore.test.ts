import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { base32upper } from "multiformats/bases/base32";
import type { CID } from "multiformats/cid";
import { computeEvidenceCid, importEvidenceFile } from "../../src/evidence/cid";
import { walkEvidenceBlocks } from "../../src/evidence/dag";
import {
  EvidenceCidMismatchError,
  EvidenceMalformedError,
  EvidenceMediaTypeError,
  EvidenceNotFoundError,
  EvidenceTooLargeError,
} from "../../src/evidence/errors";
import { openEvidenceStore, type EvidenceStore } from "../../src/evidence/store";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { MAKE, MODEL, buildJpeg, buildPdf, buildPng, csvOfSize, jpegSegments, sampleOfEachType, tiffTags } from "./fixtures";

const MIB = 1024 * 1024;

/** Every file under a directory, recursively: what "stores nothing" is checked against. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name)).sort();
}

/** The file blockstore-fs keeps a block in: base32 multihash, sharded by its last two characters. */
function blockFile(dir: string, cid: CID): string {
  const name = base32upper.encoder.encode(cid.multihash.bytes);
  return path.join(dir, "blocks", name.slice(-2), `${name}.data`);
}

describe("embedded evidence store (real blockstore on disk)", () => {
  let dir: string;
  let store: EvidenceStore;

  beforeEach(async () => {
    dir = makeTempDir("evidence");
    store = await openEvidenceStore({ kind: "embedded", dir });
  });
  afterEach(async () => {
    await store.close();
    removeTempDir(dir);
  });

  it("round-trips every allowed type, verified", async () => {
    for (const { mediaType, bytes } of sampleOfEachType()) {
      const stored = await store.put(bytes, mediaType);
      expect(stored.mediaType).to.equal(mediaType);
      expect(Buffer.from(await store.get(stored.cid)), mediaType).to.deep.equal(bytes);
      expect(await store.has(stored.cid)).to.equal(true);
    }
  });

  it("gives the CID computed offline for files of 0 B, 1 B, 256 KiB, 1 MiB + 1 B and 5 MiB", async () => {
    for (const size of [0, 1, 256 * 1024, MIB + 1, 5 * MIB]) {
      const bytes = csvOfSize(size, size + 11);
      const stored = await store.put(bytes, "text/csv");
      expect(stored.cid.toString(), `${size} B`).to.equal((await computeEvidenceCid(bytes)).toString());
      expect(stored.size).to.equal(size);
      const back = await store.get(stored.cid);
      expect(back.length).to.equal(size);
      expect(Buffer.compare(Buffer.from(back), bytes), `${size} B`).to.equal(0);
    }
  });

  it("keeps evidence across a restart (reopened from the same directory)", async () => {
    const small = await store.put(Buffer.from("lot,grams\nGH-1,640000\n"), "text/csv");
    const large = await store.put(csvOfSize(MIB + 1, 42), "text/csv");
    await store.close();

    store = await openEvidenceStore({ kind: "embedded", dir });
    expect(Buffer.from(await store.get(small.cid)).toString()).to.equal("lot,grams\nGH-1,640000\n");
    expect(Buffer.compare(Buffer.from(await store.get(large.cid.toString())), csvOfSize(MIB + 1, 42))).to.equal(0);
    const pins: string[] = [];
    for await (const cid of store.pins()) pins.push(cid.toString());
    expect(pins).to.have.members([small.cid.toString(), large.cid.toString()]);
  });

  it("shares its block layout with blockstore-fs both ways, so stores of earlier versions read unchanged", async () => {
    // ESM-only package whose `module-sync` export points at a file it does not ship: import().
    const { FsBlockstore } = await import("blockstore-fs");
    const theirs = new FsBlockstore(path.join(dir, "blocks"));
    await theirs.open();
    const written = csvOfSize(MIB + 3, 99);
    const byThem = await importEvidenceFile(written, theirs);
    expect(Buffer.compare(Buffer.from(await store.get(byThem)), written)).to.equal(0);

    const ours = await store.put(buildPdf("% ours\n"), "application/pdf");
    const chunks: Uint8Array[] = [];
    for await (const chunk of theirs.get(ours.cid)) chunks.push(chunk);
    expect(Buffer.compare(Buffer.concat(chunks), buildPdf("% ours\n"))).to.equal(0);
    expect(fs.existsSync(blockFile(dir, ours.cid))).to.equal(true);
    // No block's bytes are left outside the blocks folder once a put returns.
    expect(filesUnder(path.join(dir, "staging"))).to.deep.equal([]);
  });

  it("detects a block altered on disk and names both CIDs", async () => {
    const bytes = csvOfSize(MIB + 1, 7);
    const { cid } = await store.put(bytes, "text/csv");
    const leaves: CID[] = [];
    for await (const block of walkEvidenceBlocks(cid, store, { duplicates: false })) if (!block.cid.equals(cid)) leaves.push(block.cid);
    const victim = leaves[2]!;
    const file = blockFile(dir, victim);
    const altered = fs.readFileSync(file);
    altered[1000] ^= 0x01;
    fs.writeFileSync(file, altered);

    const error = await store.get(cid).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceCidMismatchError);
    const mismatch = error as EvidenceCidMismatchError;
    expect(mismatch.expected).to.equal(victim.toString());
    expect(mismatch.actual).to.equal((await computeEvidenceCid(altered)).toString());
    expect(mismatch.message).to.include(victim.toString()).and.include(mismatch.actual).and.include(cid.toString());

    // The streaming read hands out the blocks before the bad one, then stops.
    const chunks: Uint8Array[] = [];
    const streamError = await (async () => {
      for await (const chunk of store.getStream(cid)) chunks.push(chunk);
    })().then(() => undefined, (e: unknown) => e);
    expect(streamError).to.be.instanceOf(EvidenceCidMismatchError);
    expect(chunks).to.have.length(2);
  });

  it("detects a single-block file altered on disk", async () => {
    const { cid } = await store.put(buildPdf(), "application/pdf");
    const file = blockFile(dir, cid);
    fs.writeFileSync(file, buildPdf("% forged\n"));
    const error = await store.get(cid).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceCidMismatchError);
    expect((error as EvidenceCidMismatchError).expected).to.equal(cid.toString());
  });

  it("stores nothing for an upload over the limit, a type outside the list, or bytes that contradict the type", async () => {
    const before = filesUnder(dir);
    const small = await openEvidenceStore({ kind: "embedded", dir }, { maxBytes: 64 * 1024 });
    const refusals: [() => Promise<unknown>, Function][] = [
      [() => small.put(csvOfSize(64 * 1024 + 1), "text/csv"), EvidenceTooLargeError],
      [() => small.putStream([csvOfSize(40 * 1024, 1), csvOfSize(40 * 1024, 2)], "text/csv"), EvidenceTooLargeError],
      [() => small.putStream([buildJpeg(), Buffer.alloc(70 * 1024)], "image/jpeg"), EvidenceTooLargeError],
      [() => store.put(Buffer.from("GIF89a...."), "image/gif"), EvidenceMediaTypeError],
      [() => store.put(buildPng().bytes, "application/pdf"), EvidenceMediaTypeError],
      [() => store.put(buildPdf(), "image/jpeg"), EvidenceMediaTypeError],
      [() => store.put(Buffer.from([0x61, 0x00, 0x62]), "text/csv"), EvidenceMediaTypeError],
      [() => store.putStream([buildPdf().subarray(0, 3), buildPng().bytes], "application/pdf"), EvidenceMediaTypeError],
      [() => store.putStream([csvOfSize(300_000, 3), Buffer.from([0xff, 0xfe])], "text/csv"), EvidenceMediaTypeError],
      [() => store.put(buildJpeg().subarray(0, 100), "image/jpeg"), EvidenceMalformedError],
    ];
    for (const [attempt, errorClass] of refusals) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(errorClass);
    }
    await small.close();
    expect(filesUnder(dir)).to.deep.equal(before);
  });

  it("streams a CSV in, with the same CID as a whole-buffer put", async () => {
    const bytes = csvOfSize(3 * MIB + 5, 13);
    const pieces = [bytes.subarray(0, 10), bytes.subarray(10, MIB), bytes.subarray(MIB)];
    const streamed = await store.putStream(pieces, "text/csv");
    expect(streamed.cid.toString()).to.equal((await computeEvidenceCid(bytes)).toString());
    expect(streamed.size).to.equal(bytes.length);
    expect(Buffer.compare(Buffer.from(await store.get(streamed.cid)), bytes)).to.equal(0);
    expect(filesUnder(path.join(dir, "staging"))).to.deep.equal([]);
  });

  it("strips EXIF before storing: the stored JPEG has no GPS tags", async () => {
    const photo = buildJpeg({ orientation: 6, xmp: true, comment: true });
    const stored = await store.putStream([photo.subarray(0, 50), photo.subarray(50)], "image/jpeg");
    expect(stored.removedMetadata).to.include("Exif (location, device, time)");
    const kept = Buffer.from(await store.get(stored.cid));
    expect(stored.cid.toString()).to.not.equal((await computeEvidenceCid(photo)).toString());
    for (const segment of jpegSegments(kept).filter((s) => s.marker === 0xe1)) {
      const tags = tiffTags(segment.payload.subarray(6));
      expect(tags.has(0x8825), "GPS IFD pointer").to.equal(false);
      expect(tags.has(0x0002), "GPSLatitude").to.equal(false);
    }
    expect(kept.includes(MAKE)).to.equal(false);
    expect(kept.includes(MODEL)).to.equal(false);
    // And the photo as uploaded is nowhere on disk.
    expect(await store.has(await computeEvidenceCid(photo))).to.equal(false);
  });

  it("pins on put, unpins, pins again only when every block is present", async () => {
    const { cid } = await store.put(csvOfSize(MIB + 1, 21), "text/csv");
    await store.unpin(cid);
    await store.unpin(cid); // idempotent
    const pinned = async () => {
      const all: string[] = [];
      for await (const pin of store.pins()) all.push(pin.toString());
      return all;
    };
    expect(await pinned()).to.deep.equal([]);
    await store.pin(cid);
    expect(await pinned()).to.deep.equal([cid.toString()]);

    let leaf: CID | undefined;
    for await (const block of walkEvidenceBlocks(cid, store, { duplicates: false })) if (!block.cid.equals(cid)) leaf = block.cid;
    fs.rmSync(blockFile(dir, leaf!));
    await store.unpin(cid);
    const error = await store.pin(cid).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceNotFoundError);
    expect((error as Error).message).to.include(leaf!.toString()).and.include(cid.toString());
    expect(await pinned()).to.deep.equal([]);
  });

  it("answers has() and get() for unknown CIDs", async () => {
    const unknown = await computeEvidenceCid(Buffer.from("never stored"));
    expect(await store.has(unknown)).to.equal(false);
    const error = await store.get(unknown).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceNotFoundError);
  });
});
