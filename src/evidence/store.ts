import type { CID } from "multiformats/cid";
import type { BlockSource } from "./dag";
import { openEmbeddedEvidenceStore } from "./embeddedStore";
import { evidenceLimits, type EvidenceLimits } from "./intake";
import { openKuboEvidenceStore } from "./kuboStore";
import type { EvidenceMediaType } from "./mediaTypes";

/**
 * One interface for evidence, whatever holds the blocks: the embedded blockstore under the data
 * directory (default) or a Kubo node over its RPC API (production).
 *
 * Every read is verified: `get`, `getStream` and `getBlock` hash what they return and compare it
 * with the CID, and throw `EvidenceCidMismatchError` rather than hand out a wrong byte.
 * Every write goes through the same intake: size limit, allowed types, magic numbers, photo
 * metadata stripping; a refused upload stores nothing.
 */
export interface EvidenceStore extends BlockSource {
  readonly kind: "embedded" | "kubo";
  readonly limits: EvidenceLimits;

  /** Stores and pins a whole file; returns its CID and what was removed from it. */
  put(bytes: Uint8Array, mediaType: string): Promise<StoredEvidence>;
  /** Same as `put` for a stream. PDF and CSV are never held whole in memory by the embedded store. */
  putStream(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, mediaType: string): Promise<StoredEvidence>;

  /**
   * Stores and pins bytes the gateway sealed itself (a private document's ciphertext, see
   * src/farmers/privateEvidence.ts): the same blocks and CID rules, the size limit, but no media
   * type checks, since ciphertext has none. Never call it with anything but ciphertext: what it
   * stores is served to anyone who asks by CID.
   */
  putSealed(ciphertext: Uint8Array): Promise<{ cid: CID; size: number }>;

  /** The file's bytes, verified against `cid`. */
  get(cid: string | CID): Promise<Uint8Array>;
  /** The file's bytes as verified chunks (one per block), for large files and HTTP responses. */
  getStream(cid: string | CID): AsyncIterable<Uint8Array>;
  /** One block, verified, for any CID whose multihash is sha2-256 (the trustless gateway's raw format). */
  getBlock(cid: CID, root?: CID): Promise<Uint8Array>;
  /** Whether the root block is held here (reads still verify everything). */
  has(cid: string | CID): Promise<boolean>;

  /** Keeps the whole DAG (checks every block is present first). Idempotent. */
  pin(cid: string | CID): Promise<void>;
  /** Stops keeping it. Idempotent. Other evidence sharing blocks is unaffected. */
  unpin(cid: string | CID): Promise<void>;
  /** Pinned roots: what `evidence export` writes to a CAR. */
  pins(): AsyncIterable<CID>;

  close(): Promise<void>;
}

export type StoredEvidence = {
  cid: CID;
  /** Bytes stored (after metadata stripping). */
  size: number;
  mediaType: EvidenceMediaType;
  /** Metadata removed from a photo, e.g. ["Exif (location, device, time)", "XMP"]. */
  removedMetadata: string[];
};

export type EvidenceStoreConfig =
  /** Blocks, pins and staging under `dir` (the gateway uses `<dataDir>/evidence`). */
  | { kind: "embedded"; dir: string }
  /** A Kubo node's RPC API, e.g. http://127.0.0.1:5001. */
  | { kind: "kubo"; url: string; timeoutMs?: number | undefined };

/** Opens the store the config names, with the given limits (defaults: 10 MiB, all allowed types). */
export async function openEvidenceStore(config: EvidenceStoreConfig, limits: Partial<EvidenceLimits> = {}): Promise<EvidenceStore> {
  switch (config.kind) {
    case "embedded":
      return openEmbeddedEvidenceStore(config.dir, evidenceLimits(limits));
    case "kubo":
      return openKuboEvidenceStore({ url: config.url, timeoutMs: config.timeoutMs }, evidenceLimits(limits));
  }
}
