import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { CID } from "multiformats/cid";
import { exportEvidenceCar, importEvidenceCar, readFileChunks } from "../../src/evidence/car";
import { walkEvidenceBlocks } from "../../src/evidence/dag";
import type { EmbeddedEvidenceStore } from "../../src/evidence/embeddedStore";
import { EvidenceCidMismatchError, EvidenceNotFoundError } from "../../src/evidence/errors";
import { openEvidenceStore } from "../../src/evidence/store";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { buildJpeg, csvOfSize, sampleOfEachType } from "./fixtures";

async function blockCids(store: EmbeddedEvidenceStore, roots: string[]): Promise<string[]> {
  const all = new Set<string>();
  for (const root of roots) {
    for await (const block of walkEvidenceBlocks(CID.parse(root), store, { duplicates: false })) all.add(block.cid.toString());
  }
  return [...all].sort();
}

async function pinList(store: EmbeddedEvidenceStore): Promise<string[]> {
  const all: string[] = [];
  for await (const cid of store.pins()) all.push(cid.toString());
  return all.sort();
}

describe("CAR export and import", () => {
  let dir: string;
  let source: EmbeddedEvidenceStore;
  let target: EmbeddedEvidenceStore;

  beforeEach(async () => {
    dir = makeTempDir("car");
    source = (await openEvidenceStore({ kind: "embedded", dir: path.join(dir, "source") })) as EmbeddedEvidenceStore;
    target = (await openEvidenceStore({ kind: "embedded", dir: path.join(dir, "target") })) as EmbeddedEvidenceStore;
  });
  afterEach(async () => {
    await source.close();
    await target.close();
    removeTempDir(dir);
  });

  it("exports all evidence to a CAR that imports into a fresh store with every CID identical", async () => {
    const stored: { cid: string; bytes: Uint8Array }[] = [];
    for (const { mediaType, bytes } of sampleOfEachType()) {
      const result = await source.put(bytes, mediaType);
      stored.push({ cid: result.cid.toString(), bytes: await source.get(result.cid) });
    }
    // Chunked files, one of them repeating a chunk, and a file shared as a block of another.
    const repeated = Buffer.concat([csvOfSize(256 * 1024, 1), csvOfSize(256 * 1024, 1), csvOfSize(1000, 2)]);
    for (const bytes of [csvOfSize(3 * 1024 * 1024 + 7, 3), repeated, csvOfSize(256 * 1024, 1)]) {
      const result = await source.put(bytes, "text/csv");
      stored.push({ cid: result.cid.toString(), bytes });
    }

    const carFile = path.join(dir, "evidence.car");
    const summary = await exportEvidenceCar(source, carFile);
    expect(summary.roots.map(String).sort()).to.deep.equal(stored.map((s) => s.cid).sort());
    expect(fs.statSync(carFile).size).to.equal(summary.bytes);

    // The CAR itself: v1, the roots in its header, each block exactly once and matching its CID.
    const { CarBlockIterator } = await import("@ipld/car"); // ESM-only
    const iterator = await CarBlockIterator.fromIterable(fs.createReadStream(carFile));
    expect(iterator.version).to.equal(1);
    expect((await iterator.getRoots()).map(String).sort()).to.deep.equal(stored.map((s) => s.cid).sort());
    const inCar: string[] = [];
    for await (const block of iterator) inCar.push(block.cid.toString());
    expect(new Set(inCar).size).to.equal(inCar.length);
    expect(inCar.length).to.equal(summary.blocks);

    const imported = await importEvidenceCar(target, readFileChunks(carFile));
    expect(imported.incomplete).to.deep.equal([]);
    expect(await pinList(target)).to.deep.equal(await pinList(source));
    const roots = await pinList(source);
    expect(await blockCids(target, roots)).to.deep.equal(await blockCids(source, roots));
    expect([...inCar].sort()).to.deep.equal(await blockCids(source, roots));
    for (const { cid, bytes } of stored) expect(Buffer.compare(Buffer.from(await target.get(cid)), Buffer.from(bytes)), cid).to.equal(0);
  });

  it("refuses a CAR with an altered block and pins nothing", async () => {
    await source.put(buildJpeg({ exif: false }), "image/jpeg");
    await source.put(csvOfSize(600_000, 4), "text/csv");
    const carFile = path.join(dir, "evidence.car");
    await exportEvidenceCar(source, carFile);
    const car = fs.readFileSync(carFile);
    car[car.length - 100] ^= 0x01; // inside the last block's bytes
    fs.writeFileSync(carFile, car);

    const error = await importEvidenceCar(target, readFileChunks(carFile)).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(EvidenceCidMismatchError);
    expect(await pinList(target)).to.deep.equal([]);
  });

  it("reports roots whose blocks are missing from the CAR instead of pinning them", async () => {
    const { cid } = await source.put(csvOfSize(600_000, 5), "text/csv");
    const carFile = path.join(dir, "evidence.car");
    await exportEvidenceCar(source, carFile);
    // Keep the header and the first block (the root) only.
    const { CarBlockIterator, CarWriter } = await import("@ipld/car");
    const iterator = await CarBlockIterator.fromIterable(fs.createReadStream(carFile));
    const { writer, out } = CarWriter.create(await iterator.getRoots());
    const chunks: Uint8Array[] = [];
    const collecting = (async () => {
      for await (const chunk of out) chunks.push(chunk);
    })();
    for await (const block of iterator) {
      if (block.cid.equals(cid)) await writer.put(block);
    }
    await writer.close();
    await collecting;
    fs.writeFileSync(carFile, Buffer.concat(chunks));

    const imported = await importEvidenceCar(target, readFileChunks(carFile));
    expect(imported.pinned).to.deep.equal([]);
    expect(imported.incomplete.map(String)).to.deep.equal([cid.toString()]);
  });

  it("refuses to export when nothing is pinned, leaving no file behind", async () => {
    const carFile = path.join(dir, "empty.car");
    expect(await exportEvidenceCar(source, carFile).then(() => undefined, (e: unknown) => e)).to.be.instanceOf(EvidenceNotFoundError);
    expect(fs.readdirSync(dir).filter((name) => name.includes("empty.car"))).to.deep.equal([]);
  });
});
