import type { KuboRPCClient } from "kubo-rpc-client";
import { CID } from "multiformats/cid";
import { redactUrl } from "../config/redactConfig";
import { BaseError } from "../errors/base";
import { CHUNK_SIZE, DAG_PB_CODEC, IDENTITY_CODE, RAW_CODEC, computeEvidenceCid, parseEvidenceCid } from "./cid";
import { readEvidenceFile } from "./dag";
import { EvidenceCidMismatchError, EvidenceNotFoundError, EvidenceStoreUnavailableError } from "./errors";
import { checkSealedSize, collectLimited, prepareEvidence, type EvidenceLimits } from "./intake";
import type { EvidenceStore, StoredEvidence } from "./store";
import { verifyBlock, verifyFileBytes } from "./verify";

/**
 * Production: a Kubo node (or an IPFS Cluster proxy) through its RPC API, behind the same
 * interface as the embedded store. RPC calls used: `add`, `cat`, `block/get`, `block/stat`,
 * `pin/add`, `pin/rm`, `pin/ls`.
 *
 * Kubo is trusted with nothing:
 * - `put` computes the CID offline first and refuses a different answer from Kubo (a node
 *   configured with another chunker or CID profile would otherwise publish different CIDs);
 * - `get` hashes what `cat` returns; if it does not match it walks the DAG with `block/get`,
 *   verifying every block, so content chunked elsewhere still reads and tampered content throws.
 */

/** `ipfs add --cid-version=1 --raw-leaves --chunker=size-262144 --hash=sha2-256 --pin`, balanced layout. */
const KUBO_ADD_OPTIONS = {
  cidVersion: 1,
  rawLeaves: true,
  chunker: `size-${CHUNK_SIZE}`,
  hashAlg: "sha2-256",
  trickle: false,
  pin: true,
  wrapWithDirectory: false,
} as const;

/** A `cat` larger than this is refused before it fills memory; bigger files stream with `getStream`. */
const CAT_LIMIT_BYTES = 1024 * 1024 * 1024;

export async function openKuboEvidenceStore(options: { url: string; timeoutMs?: number | undefined }, limits: EvidenceLimits): Promise<KuboEvidenceStore> {
  // Loaded here, not with the module: about 0.3 s of CPU that a gateway on its local store never needs.
  const { create } = require("kubo-rpc-client") as typeof import("kubo-rpc-client");
  const client = create({ url: options.url, timeout: options.timeoutMs ?? 60_000 });
  return new KuboEvidenceStore(client, options.url, limits);
}

export class KuboEvidenceStore implements EvidenceStore {
  readonly kind = "kubo" as const;
  private readonly source: string;

  constructor(
    private readonly client: KuboRPCClient,
    private readonly url: string,
    readonly limits: EvidenceLimits,
  ) {
    this.source = `Kubo at ${redactUrl(url)}`;
  }

  async put(bytes: Uint8Array, mediaType: string): Promise<StoredEvidence> {
    const prepared = prepareEvidence(bytes, mediaType, this.limits);
    const cid = await this.add(prepared.bytes);
    return { cid, size: prepared.bytes.length, mediaType: prepared.mediaType, removedMetadata: prepared.removedMetadata };
  }

  async putSealed(ciphertext: Uint8Array): Promise<{ cid: CID; size: number }> {
    checkSealedSize(ciphertext, this.limits);
    return { cid: await this.add(ciphertext), size: ciphertext.length };
  }

  /** Adds (and pins) bytes as they are, and checks the node's CID is ours. */
  private async add(bytes: Uint8Array): Promise<CID> {
    const expected = await computeEvidenceCid(bytes);
    const added = await this.rpc("add", () => this.client.add(bytes, KUBO_ADD_OPTIONS));
    if (added.cid.toString() !== expected.toString()) {
      // Kubo stored it under a CID nobody should publish: take that pin back, then refuse.
      await this.client.pin.rm(added.cid).catch(() => undefined);
      throw new EvidenceCidMismatchError({
        expected: expected.toString(),
        actual: added.cid.toString(),
        source: `${this.source} (add: the node chunks differently; check its Import.* settings)`,
      });
    }
    return expected;
  }

  /** Kubo's `add` needs the CID checked against ours, so the upload is read whole (within the limit) first. */
  async putStream(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, mediaType: string): Promise<StoredEvidence> {
    return this.put(await collectLimited(source, this.limits.maxBytes), mediaType);
  }

  async get(input: string | CID): Promise<Uint8Array> {
    const cid = parseEvidenceCid(input);
    const bytes = await this.rpc(`cat ${cid}`, () => collectLimited(this.client.cat(cid), CAT_LIMIT_BYTES), cid);
    try {
      return await verifyFileBytes(cid, bytes, `${this.source} (cat)`);
    } catch (error) {
      if (!(error instanceof EvidenceCidMismatchError) || cid.code === RAW_CODEC) throw error;
      // Either chunked with other parameters, or tampered: the block walk tells which.
      const chunks: Uint8Array[] = [];
      for await (const chunk of readEvidenceFile(cid, this)) chunks.push(chunk);
      return Buffer.concat(chunks);
    }
  }

  getStream(input: string | CID): AsyncIterable<Uint8Array> {
    return readEvidenceFile(parseEvidenceCid(input), this);
  }

  async getBlock(cid: CID, root?: CID): Promise<Uint8Array> {
    if (cid.multihash.code === IDENTITY_CODE) return verifyBlock(cid, cid.multihash.digest, this.source, root);
    const bytes = await this.rpc(`block/get ${cid}`, () => this.client.block.get(cid), cid, root);
    return verifyBlock(cid, bytes, `${this.source} (block/get)`, root);
  }

  async has(input: string | CID): Promise<boolean> {
    const cid = parseEvidenceCid(input);
    try {
      // offline: answer from the node's own blockstore instead of searching the network.
      await this.client.block.stat(cid, { searchParams: new URLSearchParams({ offline: "true" }) });
      return true;
    } catch (error) {
      if (isNotFoundMessage(error)) return false;
      throw new EvidenceStoreUnavailableError({ store: this.url, operation: `block/stat ${cid}`, cause: error });
    }
  }

  async pin(input: string | CID): Promise<void> {
    const cid = parseEvidenceCid(input);
    await this.rpc(`pin/add ${cid}`, () => this.client.pin.add(cid, { recursive: true }), cid);
  }

  async unpin(input: string | CID): Promise<void> {
    const cid = parseEvidenceCid(input);
    try {
      await this.client.pin.rm(cid, { recursive: true });
    } catch (error) {
      // Kubo's RPC has no error codes: "not pinned or pinned indirectly" is the message to match.
      if (errorMessage(error).includes("not pinned")) return;
      throw new EvidenceStoreUnavailableError({ store: this.url, operation: `pin/rm ${cid}`, cause: error });
    }
  }

  /** Recursive pins that are evidence CIDs (v1, sha2-256, raw or dag-pb); a shared node may pin other things too. */
  async *pins(): AsyncGenerator<CID> {
    const found: CID[] = [];
    try {
      for await (const pin of this.client.pin.ls({ type: "recursive" })) found.push(pin.cid);
    } catch (error) {
      throw new EvidenceStoreUnavailableError({ store: this.url, operation: "pin/ls", cause: error });
    }
    const evidence = found.filter((cid) => cid.version === 1 && cid.multihash.code === 0x12 && (cid.code === RAW_CODEC || cid.code === DAG_PB_CODEC));
    yield* evidence.sort((a, b) => a.toString().localeCompare(b.toString()));
  }

  async close(): Promise<void> {
    // The RPC client holds no connection of its own.
  }

  private async rpc<T>(operation: string, call: () => Promise<T>, cid?: CID, root?: CID): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof BaseError) throw error; // already ours (a limit, a mismatch)
      if (cid && isNotFoundMessage(error)) throw new EvidenceNotFoundError({ cid: cid.toString(), root: root?.toString(), cause: error });
      throw new EvidenceStoreUnavailableError({ store: this.url, operation, cause: error });
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Kubo's words for a block it does not have ("block was not found locally", "ipld: could not find"). */
function isNotFoundMessage(error: unknown): boolean {
  return /not found|could not find/i.test(errorMessage(error));
}
