import { randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CID } from "multiformats/cid";
import { IDENTITY_CODE } from "./cid";
import { walkEvidenceBlocks, type BlockSource } from "./dag";
import type { EmbeddedEvidenceStore } from "./embeddedStore";
import { EvidenceNotFoundError } from "./errors";
import type { EvidenceStore } from "./store";
import { verifyBlock } from "./verify";

/**
 * CAR (Content Addressable aRchive, v1) export and import. A CAR of all evidence can be imported
 * and pinned by any IPFS node (`ipfs dag import evidence.car`) or pinning service, which then
 * serves exactly the same CIDs. Blocks are written depth-first from each root, each block once.
 */

export type CarSummary = { roots: CID[]; blocks: number; bytes: number };

/**
 * Writes a CARv1 with `roots` and every block of their DAGs (depth-first, no duplicates unless
 * asked) to `sink`. Blocks are verified as they are read, so a CAR never carries a bad block:
 * a mismatch stops the write with `EvidenceCidMismatchError`.
 */
export async function writeEvidenceCar(
  source: BlockSource,
  roots: readonly CID[],
  sink: Writable,
  options: { duplicates?: boolean; rootBlockOnly?: boolean } = {},
): Promise<CarSummary> {
  const { CarWriter } = await import("@ipld/car"); // ESM-only: no `require` entry point
  const { writer, out } = CarWriter.create([...roots]);
  let bytes = 0;
  const counted = Readable.from(out).on("data", (chunk: Uint8Array) => (bytes += chunk.length));
  const piping = pipeline(counted, sink);
  let blocks = 0;
  const seen = new Set<string>();
  try {
    for (const root of roots) {
      const walk = options.rootBlockOnly ? [{ cid: root, bytes: await source.getBlock(root) }] : walkEvidenceBlocks(root, source, { duplicates: options.duplicates ?? false });
      for await (const block of walk) {
        // Identity CIDs carry their bytes inline: the trustless gateway spec forbids sending them as blocks.
        if (block.cid.multihash.code === IDENTITY_CODE) continue;
        const key = block.cid.toString();
        if (!options.duplicates && seen.has(key)) continue; // shared between two roots
        seen.add(key);
        await writer.put({ cid: block.cid, bytes: block.bytes });
        blocks++;
      }
    }
  } catch (error) {
    counted.destroy(error as Error); // an incomplete CAR must not look complete
    await piping.catch(() => undefined);
    throw error;
  }
  await writer.close();
  await piping;
  return { roots: [...roots], blocks, bytes };
}

/**
 * Writes every pinned evidence file to one CAR file. The file appears only when complete
 * (written beside it, then renamed).
 *
 * @throws {EvidenceNotFoundError} when nothing is pinned (a CAR needs at least one root).
 */
export async function exportEvidenceCar(store: Pick<EvidenceStore, "pins" | "getBlock">, outFile: string): Promise<CarSummary> {
  const roots: CID[] = [];
  for await (const cid of store.pins()) roots.push(cid);
  if (roots.length === 0) throw new EvidenceNotFoundError({ cid: "(any)", cause: new Error("no evidence is pinned, so there is nothing to export") });
  const target = path.resolve(outFile);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.tmp`);
  try {
    const summary = await writeEvidenceCar(store, roots, fs.createWriteStream(temporary));
    await fsp.rename(temporary, target);
    return summary;
  } finally {
    await fsp.rm(temporary, { force: true });
  }
}

/**
 * Imports a CAR into the embedded store: every block is verified against its CID before it is
 * written, then each root whose DAG is complete is pinned. Roots with missing blocks are
 * reported, not pinned.
 */
export async function importEvidenceCar(
  store: EmbeddedEvidenceStore,
  car: AsyncIterable<Uint8Array>,
): Promise<{ pinned: CID[]; incomplete: CID[]; blocks: number }> {
  const { CarBlockIterator } = await import("@ipld/car");
  const iterator = await CarBlockIterator.fromIterable(car);
  const roots = await iterator.getRoots();
  let blocks = 0;
  for await (const block of iterator) {
    verifyBlock(block.cid, block.bytes, "CAR file");
    await store.putVerifiedBlock(block.cid, block.bytes);
    blocks++;
  }
  const pinned: CID[] = [];
  const incomplete: CID[] = [];
  for (const root of roots) {
    try {
      await store.pin(root);
      pinned.push(root);
    } catch (error) {
      if (!(error instanceof EvidenceNotFoundError)) throw error;
      incomplete.push(root);
    }
  }
  return { pinned, incomplete, blocks };
}

/** A file as the async byte iterable `importEvidenceCar` reads. */
export function readFileChunks(file: string): AsyncIterable<Uint8Array> {
  return fs.createReadStream(file);
}
