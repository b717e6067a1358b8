import { createHash } from "node:crypto";
import { importer, type ImporterOptions, type WritableStorage } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { EvidenceInvalidCidError } from "./errors";

/**
 * How evidence bytes become a CID, with no node and no I/O: the one definition shared by the
 * stores, the verifier and anyone checking evidence fetched from elsewhere.
 *
 * The DAG parameters are Kubo's for `ipfs add --cid-version=1` (which implies raw leaves), so a
 * Kubo node importing the same bytes gets the same CID:
 * - CIDv1, sha2-256 everywhere;
 * - fixed-size chunks of 256 KiB (Kubo's `size-262144`);
 * - raw leaves (codec raw 0x55, no UnixFS wrapper);
 * - balanced layout, at most 174 links per node (Kubo's default);
 * - a file of one chunk (<= 256 KiB, the empty file included) is that single raw block, `bafkrei…`;
 *   anything larger has a dag-pb (0x70) UnixFS root, `bafybei…`.
 * These equal ipfs-unixfs-importer 17's defaults; they are spelled out so a library upgrade
 * (its `unixfs-v1-2025` profile uses 1 MiB chunks and 1024 links) cannot change our CIDs.
 */
export const CHUNK_SIZE = 262_144;
export const MAX_LINKS_PER_NODE = 174;

/** Multicodec codes. */
export const RAW_CODEC = 0x55;
export const DAG_PB_CODEC = 0x70;
export const SHA2_256_CODE = 0x12;
export const IDENTITY_CODE = 0x00;

/** The two codecs an evidence root can have: one raw block, or a dag-pb UnixFS file. */
export type EvidenceCodec = "raw" | "dag-pb";

export function codecName(code: number): EvidenceCodec | undefined {
  return code === RAW_CODEC ? "raw" : code === DAG_PB_CODEC ? "dag-pb" : undefined;
}

export function codecCode(codec: EvidenceCodec): number {
  return codec === "raw" ? RAW_CODEC : DAG_PB_CODEC;
}

/** Fresh importer options each call: the importer may write defaults into the object it is given. */
export function evidenceImporterOptions(): ImporterOptions {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_LINKS_PER_NODE }),
    // All blocks of a 10 MiB file in flight at once: writes overlap hashing on a second core.
    blockWriteConcurrency: 64,
  };
}

export type EvidenceContent = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Chunks the content as UnixFS, writes every block to `blocks`, and returns the root CID.
 * A single buffer is handed over as 256 KiB views so the chunker never copies it.
 */
export async function importEvidenceFile(content: EvidenceContent, blocks: WritableStorage): Promise<CID> {
  const source = content instanceof Uint8Array ? chunkViews(content) : content;
  let root: CID | undefined;
  for await (const entry of importer([{ content: source }], blocks, evidenceImporterOptions())) root = entry.cid;
  if (!root) throw new Error("the UnixFS importer produced no root"); // cannot happen for one file candidate
  return root;
}

/** The CID these bytes get in any firstmile store, or in Kubo with `--cid-version=1`. No node needed. */
export async function computeEvidenceCid(content: EvidenceContent): Promise<CID> {
  return importEvidenceFile(content, { put: async (cid: CID) => cid });
}

/** sha2-256 of the bytes, with the CPU's SHA instructions when it has them. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** The CIDv1 of one block with the given codec: what the block's bytes say about themselves. */
export function blockCid(bytes: Uint8Array, code: number): CID {
  return CID.createV1(code, Digest.create(SHA2_256_CODE, sha256(bytes)));
}

/**
 * Parses a CID given as evidence: CIDv1, sha2-256, codec raw or dag-pb. Anything else
 * (CIDv0, identity or other hashes, dag-cbor) is refused, so every evidence reference means one
 * thing and fits the chain's bytes32.
 *
 * @throws {EvidenceInvalidCidError}
 */
export function parseEvidenceCid(input: string | CID): CID {
  const cid = typeof input === "string" ? parseAnyCid(input) : input;
  const shown = typeof input === "string" ? input : cid.toString();
  if (cid.version !== 1) throw new EvidenceInvalidCidError({ input: shown, reason: `CIDv${cid.version}; evidence uses CIDv1` });
  if (cid.multihash.code !== SHA2_256_CODE || cid.multihash.size !== 32) {
    throw new EvidenceInvalidCidError({ input: shown, reason: `hash function 0x${cid.multihash.code.toString(16)}; evidence uses sha2-256 (0x12)` });
  }
  if (codecName(cid.code) === undefined) {
    throw new EvidenceInvalidCidError({ input: shown, reason: `codec 0x${cid.code.toString(16)}; evidence is raw (0x55) or dag-pb (0x70)` });
  }
  return cid;
}

/**
 * Parses any well-formed CID (v0 or v1, any codec or hash). The gateway serves blocks by
 * multihash, so it accepts more than evidence references do.
 *
 * @throws {EvidenceInvalidCidError} when the string is not a CID at all.
 */
export function parseAnyCid(input: string): CID {
  try {
    return CID.parse(input.trim());
  } catch (error) {
    throw new EvidenceInvalidCidError({ input, reason: error instanceof Error ? error.message : String(error), cause: error });
  }
}

function* chunkViews(bytes: Uint8Array): Generator<Uint8Array> {
  if (bytes.length === 0) {
    yield bytes;
    return;
  }
  for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) yield bytes.subarray(offset, offset + CHUNK_SIZE);
}
