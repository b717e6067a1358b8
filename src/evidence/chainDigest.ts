import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import { DAG_PB_CODEC, SHA2_256_CODE, codecCode, codecName, parseEvidenceCid, type EvidenceCodec } from "./cid";
import { decodeFileNode, type BlockSource } from "./dag";
import { EvidenceInvalidCidError } from "./errors";

/**
 * How the chain refers to evidence: contracts store the CID's sha2-256 digest as `bytes32`.
 *
 * A CIDv1 is (version, codec, multihash). Version and hash are fixed for evidence (v1, sha2-256),
 * so the digest loses only the codec: raw (0x55) for a file of one block (<= 256 KiB), dag-pb
 * (0x70) for a chunked file. Our decision:
 *
 * 1. Where a context carries the codec (API records, lot metadata JSON, attestation data hold the
 *    full CID string), use it: `digestToCid(digest, codec)`.
 * 2. Where only the `bytes32` is known (reading the chain cold), the codec is recovered from the
 *    block the digest names: `codecOfRootBlock(bytes)`. Both CIDs name the same block bytes (a
 *    blockstore is keyed by multihash, so `/ipfs/<raw cid>?format=raw` fetches it either way); the
 *    block is a dag-pb root exactly when it starts with 0x12 (dag-pb's Links field, always first
 *    in a UnixFS file root with children) and decodes as a UnixFS file node.
 *
 * Rule 2 is unambiguous for evidence stored through firstmile because no accepted upload can
 * start with byte 0x12: JPEG, PNG, WebP and PDF start with their magic numbers, and JSON, GeoJSON
 * and CSV must be text without control characters (see `mediaTypes.ts`).
 */

/** 0x-prefixed 32-byte hex, as ethers and the contracts' `bytes32` use it. */
export type Bytes32 = `0x${string}`;

/**
 * The `bytes32` the contracts store for an evidence CID.
 *
 * @throws {EvidenceInvalidCidError} for anything that is not an evidence CID.
 */
export function cidToDigest(input: string | CID): Bytes32 {
  const cid = parseEvidenceCid(input);
  return `0x${Buffer.from(cid.multihash.digest).toString("hex")}`;
}

/**
 * The evidence CID for a digest from the chain and its codec.
 *
 * @throws {EvidenceInvalidCidError} when the digest is not 32 bytes of hex.
 */
export function digestToCid(digest: string, codec: EvidenceCodec): CID {
  if (!/^0x[0-9a-fA-F]{64}$/.test(digest)) {
    throw new EvidenceInvalidCidError({ input: digest, reason: "a bytes32 digest is 0x followed by 64 hex characters" });
  }
  return CID.createV1(codecCode(codec), Digest.create(SHA2_256_CODE, Buffer.from(digest.slice(2), "hex")));
}

/** The codec of a CID, for storing next to the digest when a context has room for it. */
export function codecOf(input: string | CID): EvidenceCodec {
  return codecName(parseEvidenceCid(input).code)!;
}

/**
 * Which codec a root block was stored under, from the block's own bytes (rule 2 above).
 * The caller must have verified the block against the digest first.
 */
export async function codecOfRootBlock(bytes: Uint8Array): Promise<EvidenceCodec> {
  if (bytes.length === 0 || bytes[0] !== 0x12) return "raw";
  try {
    const node = await decodeFileNode(CID.createV1(DAG_PB_CODEC, Digest.create(SHA2_256_CODE, new Uint8Array(32))), bytes);
    return node.links.length > 0 ? "dag-pb" : "raw";
  } catch {
    return "raw";
  }
}

/** The raw-codec CID of a digest: fetches the block bytes from any store or gateway, whatever its codec. */
export function blockCidOfDigest(digest: string): CID {
  return digestToCid(digest, "raw");
}

/**
 * The full evidence CID for a digest read from the chain, recovering the codec from the block
 * (rule 2). One block read from any verified source: a store, Kubo, a remote gateway's blocks.
 */
export async function resolveDigest(digest: string, source: BlockSource): Promise<CID> {
  const block = await source.getBlock(blockCidOfDigest(digest));
  return digestToCid(digest, await codecOfRootBlock(block));
}
