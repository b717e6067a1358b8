import type { CID } from "multiformats/cid";
import { parseEvidenceCid } from "./cid";
import { readEvidenceFile } from "./dag";
import { EvidenceNotFoundError, EvidenceStoreUnavailableError, EvidenceTooLargeError } from "./errors";
import type { EvidenceStore } from "./store";
import { fetchVerifiedCar } from "./trustlessFetch";
import { verifyBlock } from "./verify";

/**
 * Evidence held by another organisation's gateway, read through this one. In a network each
 * gateway keeps the evidence its members uploaded; a lot that changed hands carries digests whose
 * files sit at the gateway that minted it. This store answers from the local store first; on a
 * miss it asks each peer's trustless IPFS endpoint (`/ipfs/{cid}`, raw block or CAR) in turn,
 * verifies every block against its CID (a peer is not trusted), and keeps the blocks locally (and
 * pins a whole file), so the next read, and this gateway's own `/ipfs` endpoint, need no peer.
 *
 * Only reads fall through to peers; `has` stays local (readiness asks it, and a peer that is down
 * must not make this gateway look broken). The trustless endpoint itself must serve the LOCAL
 * store: two gateways that list each other would otherwise ask each other round in circles.
 */
export type EvidencePeersOptions = {
  /** Largest CAR accepted from a peer, bytes (default: the store's upload limit). */
  maxBytes?: number;
  /** Per-peer request time limit, ms (default 5 000). */
  timeoutMs?: number;
  /**
   * Most bytes of fetched blocks held in memory for a store that cannot keep them (Kubo): the
   * oldest go first, and a read of one fetches it again. Default: 64 MiB, or twice `maxBytes`.
   */
  maxCachedBytes?: number;
  fetch?: typeof fetch;
  /** Told when a read was answered by a peer. */
  onFetched?: (event: { cid: string; peer: string; blocks: number }) => void;
};

/** A store that can keep verified blocks (the embedded blockstore); Kubo fetches from peers itself. */
type KeepsBlocks = { putVerifiedBlock(cid: CID, bytes: Uint8Array): Promise<void> };
const keepsBlocks = (store: EvidenceStore): store is EvidenceStore & KeepsBlocks => typeof (store as Partial<KeepsBlocks>).putVerifiedBlock === "function";

export function withEvidencePeers(local: EvidenceStore, peers: readonly string[], options: EvidencePeersOptions = {}): EvidenceStore {
  if (peers.length === 0) return local;
  const maxBytes = options.maxBytes ?? local.limits.maxBytes;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? fetch;
  /** Blocks fetched but not kept (a store that cannot keep them), by CID, oldest first. */
  const fetched = new Map<string, Uint8Array>();
  const maxCachedBytes = options.maxCachedBytes ?? Math.max(64 * 1024 * 1024, 2 * maxBytes);
  let cachedBytes = 0;
  const cache = (text: string, bytes: Uint8Array) => {
    if (fetched.has(text)) return;
    fetched.set(text, bytes);
    cachedBytes += bytes.length;
    for (const [key, value] of fetched) {
      if (cachedBytes <= maxCachedBytes) break;
      if (key === text) continue;
      fetched.delete(key);
      cachedBytes -= value.length;
    }
  };
  /** One fetch per CID at a time: concurrent readers of a page share it. */
  const inFlight = new Map<string, Promise<void>>();

  /** Fetches `cid` (the whole file's DAG, or one block) from the first peer that has it; throws EvidenceNotFoundError when none has. */
  function fromPeers(cid: CID, scope: "entity" | "block"): Promise<void> {
    const key = `${scope}:${cid}`;
    let running = inFlight.get(key);
    if (!running) {
      running = fetchFromPeers(cid, scope).finally(() => inFlight.delete(key));
      inFlight.set(key, running);
    }
    return running;
  }

  async function fetchFromPeers(cid: CID, scope: "entity" | "block"): Promise<void> {
    let unavailable: unknown = null;
    for (const peer of peers) {
      try {
        const blocks = await fetchVerifiedBlocks(peer, cid, scope, { maxBytes, timeoutMs, fetch: doFetch });
        if (!blocks.has(cid.toString())) throw new EvidenceNotFoundError({ cid: cid.toString() });
        for (const [text, { cid: blockCid, bytes }] of blocks) {
          if (keepsBlocks(local)) await local.putVerifiedBlock(blockCid, bytes);
          else cache(text, bytes);
        }
        // A whole file is kept as if uploaded here (it is exported with the others); a lone block is a cache entry.
        if (scope === "entity" && keepsBlocks(local)) await local.pin(cid).catch(() => undefined);
        options.onFetched?.({ cid: cid.toString(), peer, blocks: blocks.size });
        return;
      } catch (error) {
        if (error instanceof EvidenceNotFoundError) continue;
        unavailable = error; // a peer that is down or lied: ask the next one
      }
    }
    if (unavailable) throw unavailable;
    throw new EvidenceNotFoundError({ cid: cid.toString() });
  }

  const isMissing = (error: unknown) => error instanceof EvidenceNotFoundError;

  const store: EvidenceStore = {
    kind: local.kind,
    limits: local.limits,
    put: (bytes, mediaType) => local.put(bytes, mediaType),
    putStream: (source, mediaType) => local.putStream(source, mediaType),
    putSealed: (ciphertext) => local.putSealed(ciphertext),
    has: (cid) => local.has(cid),
    pin: (cid) => local.pin(cid),
    unpin: (cid) => local.unpin(cid),
    pins: () => local.pins(),
    close: () => local.close(),
    async get(input: string | CID): Promise<Uint8Array> {
      const cid = parseEvidenceCid(input);
      try {
        return await local.get(cid);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      await fromPeers(cid, "entity");
      const chunks: Uint8Array[] = [];
      for await (const chunk of readEvidenceFile(cid, store)) chunks.push(chunk);
      return Buffer.concat(chunks);
    },
    getStream(input: string | CID): AsyncIterable<Uint8Array> {
      const cid = parseEvidenceCid(input);
      return (async function* () {
        // The root decides: held here, stream from here; else fetch the whole file first.
        if (!(await local.has(cid)) && !fetched.has(cid.toString())) await fromPeers(cid, "entity");
        yield* readEvidenceFile(cid, store);
      })();
    },
    async getBlock(cid: CID, root?: CID): Promise<Uint8Array> {
      const kept = fetched.get(cid.toString());
      if (kept) return verifyBlock(cid, kept, "evidence peer", root);
      try {
        return await local.getBlock(cid, root);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      await fromPeers(cid, "block");
      const now = fetched.get(cid.toString());
      return now ? verifyBlock(cid, now, "evidence peer", root) : local.getBlock(cid, root);
    },
  };
  return store;
}

/**
 * `cid` from one peer's trustless endpoint: the file's DAG as a CAR (`entity`, as any trustless
 * gateway is read), or one raw block (`block`). Every block is checked against its CID before it
 * is returned.
 */
async function fetchVerifiedBlocks(
  peer: string,
  cid: CID,
  scope: "entity" | "block",
  options: { maxBytes: number; timeoutMs: number; fetch: typeof fetch },
): Promise<Map<string, { cid: CID; bytes: Uint8Array }>> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  if (scope === "entity") return fetchVerifiedCar(peer, cid, { maxBytes: options.maxBytes, fetch: options.fetch, signal, label: "evidence peer" });
  const url = new URL(`${peer.replace(/\/+$/, "")}/ipfs/${cid}?format=raw`);
  let response: Response;
  try {
    response = await options.fetch(url, { headers: { Accept: "application/vnd.ipld.raw" }, signal });
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
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.byteLength > options.maxBytes) throw new EvidenceTooLargeError({ maxBytes: options.maxBytes, receivedBytes: bytes.byteLength });
  return new Map([[cid.toString(), { cid, bytes: verifyBlock(cid, bytes, `evidence peer ${url.origin}`) }]]);
}
