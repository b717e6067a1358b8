import { randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { WritableStorage } from "ipfs-unixfs-importer";
import { CID } from "multiformats/cid";
import { BlockFiles } from "./blockFiles";
import { IDENTITY_CODE, RAW_CODEC, SHA2_256_CODE, importEvidenceFile, parseEvidenceCid } from "./cid";
import { decodeFileNode, readEvidenceFile, walkEvidenceBlocks, type DecodedFileNode } from "./dag";
import { EvidenceInvalidCidError, EvidenceNotFoundError, EvidenceStoreUnavailableError } from "./errors";
import { checkSealedSize, checkedStream, collectLimited, isStreamable, prepareEvidence, type EvidenceLimits } from "./intake";
import { parseEvidenceMediaType, type EvidenceMediaType } from "./mediaTypes";
import type { EvidenceStore, StoredEvidence } from "./store";
import { verifyBlock, verifyBlockOffThread } from "./verify";

/**
 * The embedded default: real IPFS blocks in the gateway's own process, on disk under one
 * directory, persistent across restarts.
 *
 *   <dir>/blocks/   blockstore-fs layout: one file per block, named by its base32 multihash
 *                   (so a block is found by digest whatever the codec), in a folder named by the
 *                   name's last two characters (see `BlockFiles`)
 *   <dir>/pins/     one `<cid>.json` per pinned root: what `evidence export` writes
 *   <dir>/staging/  blocks of a streamed upload until it has passed every check, and each
 *                   block's bytes until they are renamed into place
 *
 * Block files are read and written synchronously, in one call each: blockstore-fs's `get`
 * streams a block through a ReadStream (measured three times slower than one read) and its `put`
 * makes five trips through the thread pool per block.
 */
const SOURCE = "embedded blockstore";
/** Block reads and writes are synchronous: let other requests run every 16 blocks (4 MiB). */
const YIELD_EVERY_BLOCKS = 16;

type PinRecord = { pinnedAt: string; mediaType?: EvidenceMediaType; size?: number; sealed?: true };

export async function openEmbeddedEvidenceStore(dir: string, limits: EvidenceLimits): Promise<EmbeddedEvidenceStore> {
  const root = path.resolve(dir);
  const dirs = { root, blocks: path.join(root, "blocks"), pins: path.join(root, "pins"), staging: path.join(root, "staging") };
  try {
    await fsp.mkdir(dirs.pins, { recursive: true });
    // Leftovers of uploads interrupted by a crash: never committed, never pinned.
    await fsp.rm(dirs.staging, { recursive: true, force: true });
    await fsp.mkdir(dirs.staging, { recursive: true });
    await fsp.mkdir(dirs.blocks, { recursive: true });
    return new EmbeddedEvidenceStore(dirs, new BlockFiles(dirs.blocks, dirs.staging), limits);
  } catch (error) {
    throw new EvidenceStoreUnavailableError({ store: root, operation: "open", cause: error });
  }
}

export class EmbeddedEvidenceStore implements EvidenceStore {
  readonly kind = "embedded" as const;

  constructor(
    readonly dirs: { root: string; blocks: string; pins: string; staging: string },
    private readonly blocks: BlockFiles,
    readonly limits: EvidenceLimits,
  ) {}

  async put(bytes: Uint8Array, mediaType: string): Promise<StoredEvidence> {
    const prepared = prepareEvidence(bytes, mediaType, this.limits);
    const cid = await importEvidenceFile(prepared.bytes, writesTo(this.blocks));
    await this.writePin(cid, { mediaType: prepared.mediaType, size: prepared.bytes.length });
    return { cid, size: prepared.bytes.length, mediaType: prepared.mediaType, removedMetadata: prepared.removedMetadata };
  }

  async putSealed(ciphertext: Uint8Array): Promise<{ cid: CID; size: number }> {
    checkSealedSize(ciphertext, this.limits);
    const cid = await importEvidenceFile(ciphertext, writesTo(this.blocks));
    await this.writePin(cid, { size: ciphertext.length, sealed: true });
    return { cid, size: ciphertext.length };
  }

  async putStream(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, mediaType: string): Promise<StoredEvidence> {
    const type = parseEvidenceMediaType(mediaType, this.limits.mediaTypes);
    if (!isStreamable(type)) return this.put(await collectLimited(source, this.limits.maxBytes), type);

    // Blocks land in a private staging blockstore; only a stream that passed every check is moved
    // into the real one, so a refused upload leaves nothing behind.
    const stagingDir = path.join(this.dirs.staging, randomUUID());
    await fsp.mkdir(stagingDir);
    const staging = new BlockFiles(stagingDir, stagingDir);
    const written = new Map<string, CID>();
    let size = 0;
    const counted = async function* (chunks: AsyncIterable<Uint8Array>) {
      for await (const chunk of chunks) {
        size += chunk.length;
        yield chunk;
      }
    };
    try {
      const cid = await importEvidenceFile(counted(checkedStream(source, type, this.limits)), {
        put: async (blockCid: CID, block: Uint8Array) => {
          staging.write(blockCid, block);
          written.set(blockCid.toString(), blockCid);
          if (written.size % YIELD_EVERY_BLOCKS === 0) await nextTurn();
          return blockCid;
        },
      });
      for (const blockCid of written.values()) await this.commitStagedBlock(staging, blockCid);
      await this.writePin(cid, { mediaType: type, size });
      return { cid, size, mediaType: type, removedMetadata: [] };
    } finally {
      await fsp.rm(stagingDir, { recursive: true, force: true });
    }
  }

  async get(input: string | CID): Promise<Uint8Array> {
    const cid = parseEvidenceCid(input);
    const rootBlock = await this.getBlock(cid);
    if (cid.code === RAW_CODEC) return rootBlock;
    const root = await decodeFileNode(cid, rootBlock);
    if (isFlatRawFile(root)) return this.readFlatFile(cid, root);
    // Any other UnixFS shape (nested trees above 43.5 MiB, leaves chunked elsewhere): the general walk.
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of readEvidenceFile(cid, this)) {
      chunks.push(chunk);
      total += chunk.length;
      if (chunks.length % YIELD_EVERY_BLOCKS === 0) await nextTurn();
    }
    return Buffer.concat(chunks, total);
  }

  /**
   * The shape firstmile writes for files up to 174 chunks: a root whose links are all raw leaves.
   * Each leaf is read straight into its place in the output buffer and hashed there: one
   * allocation, no copy, every block still verified against its link.
   */
  private async readFlatFile(cid: CID, root: DecodedFileNode): Promise<Uint8Array> {
    const out = Buffer.allocUnsafe(Number(root.fileSize));
    const checks: Promise<unknown>[] = [];
    let offset = 0;
    for (let i = 0; i < root.links.length; i++) {
      const leaf = root.links[i]!;
      const size = Number(root.blockSizes[i]!);
      let read: number;
      try {
        // Synchronous, as in getBlock; the loop yields to other requests every 4 MiB.
        const fd = fs.openSync(this.blockPath(leaf), "r");
        try {
          read = fs.readSync(fd, out, offset, size, 0);
        } finally {
          fs.closeSync(fd);
        }
      } catch (error) {
        if (isNotFound(error)) throw new EvidenceNotFoundError({ cid: leaf.toString(), root: cid.toString(), cause: error });
        throw new EvidenceStoreUnavailableError({ store: this.dirs.root, operation: `read of block ${leaf}`, cause: error });
      }
      // A short read (a truncated block file) fails here too: its hash is not the link's. The hash
      // runs on the thread pool while this loop reads the next leaf; all are awaited below.
      const check = verifyBlockOffThread(leaf, out.subarray(offset, offset + read), SOURCE, cid);
      // Observed at once so that a read error thrown below cannot leave a rejection unhandled.
      check.catch(() => {});
      checks.push(check);
      offset += size;
      if ((i + 1) % YIELD_EVERY_BLOCKS === 0) await nextTurn();
    }
    await Promise.all(checks);
    return out;
  }

  getStream(input: string | CID): AsyncIterable<Uint8Array> {
    return readEvidenceFile(parseEvidenceCid(input), this);
  }

  async getBlock(cid: CID, root?: CID): Promise<Uint8Array> {
    if (cid.multihash.code === IDENTITY_CODE) return verifyBlock(cid, cid.multihash.digest, SOURCE, root);
    if (cid.multihash.code !== SHA2_256_CODE) {
      throw new EvidenceInvalidCidError({ input: cid.toString(), reason: "this store holds sha2-256 blocks only" });
    }
    let bytes: Buffer;
    try {
      // Synchronous on purpose: a 256 KiB read from the page cache is tens of microseconds, far less
      // than the three thread-pool round trips of an async open/read/close.
      bytes = fs.readFileSync(this.blockPath(cid));
    } catch (error) {
      if (isNotFound(error)) throw new EvidenceNotFoundError({ cid: cid.toString(), root: root?.toString(), cause: error });
      throw new EvidenceStoreUnavailableError({ store: this.dirs.root, operation: `read of block ${cid}`, cause: error });
    }
    return verifyBlock(cid, bytes, SOURCE, root);
  }

  async has(input: string | CID): Promise<boolean> {
    const cid = parseEvidenceCid(input);
    return fs.existsSync(this.blockPath(cid));
  }

  async pin(input: string | CID): Promise<void> {
    const cid = parseEvidenceCid(input);
    // Reads (and verifies) every block: a pin promises the whole file is here.
    for await (const block of walkEvidenceBlocks(cid, this, { duplicates: false })) void block;
    await this.writePin(cid, {});
  }

  async unpin(input: string | CID): Promise<void> {
    await fsp.rm(this.pinPath(parseEvidenceCid(input)), { force: true });
  }

  async *pins(): AsyncGenerator<CID> {
    const names = (await fsp.readdir(this.dirs.pins)).filter((name) => name.endsWith(".json")).sort();
    for (const name of names) {
      const cid = tryParse(name.slice(0, -".json".length));
      if (cid) yield cid; // anything else in the folder is not ours
    }
  }

  /**
   * Writes an already-verified block (from a CAR import). The caller checks the block against
   * its CID first; see `importEvidenceCar`.
   */
  async putVerifiedBlock(cid: CID, bytes: Uint8Array): Promise<void> {
    this.blocks.write(cid, bytes);
  }

  async close(): Promise<void> {
    // Every write finished before its put returned: nothing is buffered.
  }

  private blockPath(cid: CID): string {
    return this.blocks.pathOf(cid);
  }

  private pinPath(cid: CID): string {
    return path.join(this.dirs.pins, `${cid.toString()}.json`);
  }

  private async writePin(cid: CID, record: Omit<PinRecord, "pinnedAt">): Promise<void> {
    const target = this.pinPath(cid);
    if (fs.existsSync(target)) return; // keep the first record: when it was pinned, as what
    const temporary = `${target}.${randomUUID()}.tmp`;
    await fsp.writeFile(temporary, JSON.stringify({ pinnedAt: new Date().toISOString(), ...record }) + "\n");
    await fsp.rename(temporary, target);
  }

  private async commitStagedBlock(staging: BlockFiles, cid: CID): Promise<void> {
    const { folder, file } = this.blocks.location(cid);
    await fsp.mkdir(folder, { recursive: true });
    // Same file system: a rename, no copy. Replacing an existing block replaces it with the same bytes.
    await fsp.rename(staging.pathOf(cid), file);
  }
}

/** The importer's storage, writing each block as it comes and letting other requests run every 16 blocks. */
function writesTo(blocks: BlockFiles): WritableStorage {
  let written = 0;
  return {
    put: async (cid: CID, bytes: Uint8Array) => {
      blocks.write(cid, bytes);
      if (++written % YIELD_EVERY_BLOCKS === 0) await nextTurn();
      return cid;
    },
  };
}

function isFlatRawFile(root: DecodedFileNode): boolean {
  if (root.data.length > 0 || root.links.length !== root.blockSizes.length) return false;
  let total = 0n;
  for (let i = 0; i < root.links.length; i++) {
    if (root.links[i]!.code !== RAW_CODEC) return false;
    total += root.blockSizes[i]!;
  }
  return total === root.fileSize;
}

function tryParse(text: string): CID | null {
  try {
    return CID.parse(text);
  } catch {
    return null;
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}
