import { exporter } from "ipfs-unixfs-exporter";
import type { CID } from "multiformats/cid";
import { DAG_PB_CODEC, RAW_CODEC } from "./cid";
import { EvidenceNotAFileError } from "./errors";

/**
 * Walking an evidence DAG (a UnixFS file) block by block, over any source of verified blocks:
 * the embedded blockstore, Kubo's `block/get`, or the blocks of a CAR from a remote gateway.
 * Because each block is verified against the link that named it, the file's bytes are verified
 * against the root CID whatever chunking produced it.
 */

/** Where the walk gets blocks. Implementations return bytes already checked against `cid`. */
export interface BlockSource {
  getBlock(cid: CID, root?: CID): Promise<Uint8Array>;
}

export type DecodedFileNode = {
  /** Bytes held in this node itself, before its children's (usually empty with raw leaves). */
  data: Uint8Array;
  /** Children in file order. */
  links: CID[];
  /** The file size this node says it covers. */
  fileSize: bigint;
  /** Bytes under each link, in link order. */
  blockSizes: bigint[];
};

/**
 * Decodes a dag-pb block as a UnixFS file node. The exporter does the protobuf and UnixFS decoding;
 * it is handed this one block, so it reads nothing else.
 *
 * @throws {EvidenceNotAFileError} for a directory, a symlink, or a block that is not UnixFS.
 */
export async function decodeFileNode(cid: CID, bytes: Uint8Array): Promise<DecodedFileNode> {
  const oneBlock = {
    async *get(): AsyncGenerator<Uint8Array> {
      yield bytes;
    },
  };
  let entry;
  try {
    entry = await exporter(cid, oneBlock);
  } catch (error) {
    throw new EvidenceNotAFileError({ cid: cid.toString(), found: `a dag-pb block that is not UnixFS (${error instanceof Error ? error.message : String(error)})` });
  }
  if (entry.type !== "file") throw new EvidenceNotAFileError({ cid: cid.toString(), found: `a UnixFS ${entry.type}` });
  return {
    data: entry.unixfs.data ?? new Uint8Array(0),
    links: entry.node.Links.map((link) => link.Hash),
    fileSize: entry.unixfs.fileSize(),
    blockSizes: entry.unixfs.blockSizes,
  };
}

/** The file's bytes in order, one verified block at a time (a streaming read). */
export async function* readEvidenceFile(root: CID, source: BlockSource): AsyncGenerator<Uint8Array> {
  for await (const block of walkEvidenceBlocks(root, source, { duplicates: true })) {
    if (block.cid.code === RAW_CODEC) {
      if (block.bytes.length > 0) yield block.bytes;
    } else if (block.node && block.node.data.length > 0) {
      yield block.node.data;
    }
  }
}

export type EvidenceBlock = { cid: CID; bytes: Uint8Array; node?: DecodedFileNode };

/**
 * Every block of the DAG in depth-first order (the order a CAR with `order=dfs` lists them).
 * With `duplicates: false` a block reached twice (a file with repeated chunks) is yielded once.
 */
export async function* walkEvidenceBlocks(root: CID, source: BlockSource, options: { duplicates: boolean }): AsyncGenerator<EvidenceBlock> {
  const seen = new Set<string>();
  // An explicit stack instead of recursion: one level per 174 links is shallow, but nested
  // async generators cost a promise hop per chunk per level.
  const stack: CID[] = [root];
  while (stack.length > 0) {
    const cid = stack.pop()!;
    if (!options.duplicates) {
      const key = cid.toString();
      if (seen.has(key)) continue;
      seen.add(key);
    }
    const bytes = await source.getBlock(cid, root);
    if (cid.code === RAW_CODEC) {
      yield { cid, bytes };
    } else if (cid.code === DAG_PB_CODEC) {
      const node = await decodeFileNode(cid, bytes);
      yield { cid, bytes, node };
      for (let i = node.links.length - 1; i >= 0; i--) stack.push(node.links[i]!);
    } else {
      throw new EvidenceNotAFileError({ cid: cid.toString(), found: `a block with codec 0x${cid.code.toString(16)}` });
    }
  }
}
