import type { CID } from "multiformats/cid";
import { parseEvidenceCid } from "./cid";
import { readEvidenceFile } from "./dag";
import { EvidenceNotFoundError, EvidenceStoreUnavailableError, EvidenceTooLargeError } from "./errors";
import { verifyBlock } from "./verify";

/**
 * Fetches evidence from any IPFS trustless gateway (ours, a public one, a pinning service's) and
 * verifies it: one `?format=car` request, every block hashed against its CID, the file
 * reassembled from the root. A verifier needs no IPFS node and does not trust the gateway.
 */
export type FetchEvidenceOptions = {
  /** Largest CAR accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
};

/**
 * @throws {EvidenceCidMismatchError} when the gateway sent a block that is not what its CID says.
 * @throws {EvidenceNotFoundError} when the gateway does not have it, or left blocks out.
 */
export async function fetchEvidenceFromGateway(gateway: string | URL, input: string | CID, options: FetchEvidenceOptions = {}): Promise<Uint8Array> {
  const cid = parseEvidenceCid(input);
  const verified = await fetchVerifiedCar(gateway, cid, { maxBytes: options.maxBytes ?? 64 * 1024 * 1024, fetch: options.fetch ?? fetch, signal: options.signal, label: "trustless gateway" });
  const blocks = new Map([...verified].map(([text, block]) => [text, block.bytes]));
  const chunks: Uint8Array[] = [];
  const fromCar = {
    async getBlock(blockCid: CID): Promise<Uint8Array> {
      const bytes = blocks.get(blockCid.toString());
      if (!bytes) throw new EvidenceNotFoundError({ cid: blockCid.toString(), root: cid.toString() });
      return bytes;
    },
  };
  for await (const chunk of readEvidenceFile(cid, fromCar)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The DAG of `cid` from a trustless gateway as one CAR (`dag-scope=entity`), every block hashed
 * against its CID before it is returned; at most `maxBytes` read.
 *
 * @throws {EvidenceNotFoundError} on a 404. @throws {EvidenceStoreUnavailableError} when the gateway cannot be read.
 */
export async function fetchVerifiedCar(
  gateway: string | URL,
  cid: CID,
  options: { maxBytes: number; fetch: typeof fetch; signal?: AbortSignal | undefined; label: string },
): Promise<Map<string, { cid: CID; bytes: Uint8Array }>> {
  const base = new URL(gateway);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const url = new URL(`ipfs/${cid}?format=car&dag-scope=entity`, base);
  let response: Response;
  try {
    response = await options.fetch(url, { headers: { Accept: "application/vnd.ipld.car; version=1; order=dfs; dups=n" }, signal: options.signal });
  } catch (error) {
    throw new EvidenceStoreUnavailableError({ store: url.origin, operation: `GET ${url.pathname}`, cause: error });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new EvidenceNotFoundError({ cid: cid.toString() });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new EvidenceStoreUnavailableError({ store: url.origin, operation: `GET ${url.pathname}`, cause: new Error(`HTTP ${response.status}`) });
  }
  const { CarBlockIterator } = await import("@ipld/car"); // ESM-only
  const source = `${options.label} ${url.origin}`;
  const blocks = new Map<string, { cid: CID; bytes: Uint8Array }>();
  const iterator = await CarBlockIterator.fromIterable(limited(response.body, options.maxBytes));
  for await (const block of iterator) {
    blocks.set(block.cid.toString(), { cid: block.cid, bytes: verifyBlock(block.cid, block.bytes, source, cid) });
  }
  return blocks;
}

async function* limited(body: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > maxBytes) throw new EvidenceTooLargeError({ maxBytes, receivedBytes: received });
    yield chunk;
  }
}
