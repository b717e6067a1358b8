import { createHash } from "node:crypto";
import type { LotPassport } from "./types";

/**
 * Built and checked pages, one per (lot, way in) and indexed block.
 *
 * A page is a function of the read model and of the chain at the block the read model holds: the
 * indexer writes rows and its checkpoint in one transaction, so while the checkpoint stays at a
 * block nothing the indexer writes can change the page. A page built at block N is therefore
 * served to every view while the read model is at N, and built and checked against the chain
 * again (from the read model, not from the cached rows) once the read model reaches a later block.
 * A read model changed behind the indexer's back is caught by the first view after the next
 * block; a cached page never outlives the block it says it was checked at.
 *
 * Views that miss together share one build (a QR code scanned by a crowd costs one build per block).
 */
export type PassportCacheParameters = {
  /** The block the read model holds now (null: nothing indexed yet, so nothing is kept). */
  indexedBlock: () => number | null | Promise<number | null>;
  /** Pages kept (least recently built first out; default 2,000). */
  maxEntries?: number;
};

/** One built page and its rendered bodies. */
export type CachedPassport = {
  /** The read model's block the page was built at (null: built without a checkpoint, not kept). */
  readonly block: number | null;
  readonly passport: LotPassport | null;
  /** Why there is no page (the lot, or the product a Digital Link names, is not known). */
  readonly missing: "lot" | "product" | null;
  /** Hash of the page's content (everything but the wall-clock time of the check). */
  readonly digest: string;
  /** Rendered bodies by variant (language, path, URL); bounded. */
  readonly bodies: Map<string, Buffer>;
  /** See `PassportBuild.recheck`. */
  readonly recheck: (() => Promise<PassportBuild | null>) | undefined;
};

/**
 * What a build finds: the checked page, or what is missing. `recheck`, when given, makes the same
 * page at a later block for less than a build (its rows unchanged, checked against the chain
 * again), or answers null when only a build will do.
 */
export type PassportBuild = ({ passport: LotPassport; missing: null } | { passport: null; missing: "lot" | "product" }) & {
  recheck?: (() => Promise<PassportBuild | null>) | undefined;
};

export type PassportCache = {
  /** The page under `key` (a lot id, or a Digital Link), built by `build` unless the one kept is current. */
  get(key: string, build: () => Promise<PassportBuild>): Promise<CachedPassport>;
  /**
   * The page under `key` if the one kept is current, without waiting: null when it is not kept,
   * is older than the read model, or the read model's block is not known at once.
   */
  peek(key: string): CachedPassport | null;
  /** Forgets every page (the next view of each builds it). */
  clear(): void;
  /** Views answered from a kept page, full builds, pages made again by a recheck. */
  readonly stats: { hits: number; builds: number; rechecks: number };
};

const MAX_BODIES = 16;

export function createPassportCache({ indexedBlock, maxEntries = 2_000 }: PassportCacheParameters): PassportCache {
  const entries = new Map<string, CachedPassport>();
  const building = new Map<string, { atLeast: number | null; promise: Promise<CachedPassport> }>();
  const stats = { hits: 0, builds: 0, rechecks: 0 };

  const fresh = (entry: CachedPassport | undefined, block: number | null): entry is CachedPassport =>
    entry !== undefined && entry.block !== null && block !== null && entry.block >= block;

  async function rebuild(key: string, build: () => Promise<PassportBuild>, block: number | null): Promise<CachedPassport> {
    const rechecked = (await entries.get(key)?.recheck?.()) ?? null;
    if (rechecked) stats.rechecks += 1;
    else stats.builds += 1;
    const { passport, missing, recheck } = rechecked ?? (await build());
    // The chain not answering is no result to keep: the next view asks again.
    const transient = passport?.verification.mismatches.some((m) => m.kind === "chain") ?? false;
    const builtAt = passport ? passport.verification.block.number : block;
    const entry: CachedPassport = { block: transient ? null : builtAt, passport, missing, digest: digestOf(passport), bodies: new Map(), recheck };
    if (entry.block !== null) {
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return entry;
  }

  return {
    stats,
    clear: () => entries.clear(),
    peek(key) {
      const block = indexedBlock();
      if (typeof block !== "number") return null;
      const entry = entries.get(key);
      if (!fresh(entry, block)) return null;
      stats.hits += 1;
      return entry;
    },
    async get(key, build) {
      const block = await indexedBlock();
      const entry = entries.get(key);
      if (fresh(entry, block)) {
        stats.hits += 1;
        return entry;
      }
      const pending = building.get(key);
      if (pending && pending.atLeast !== null && block !== null && pending.atLeast >= block) return pending.promise;
      const promise = rebuild(key, build, block).finally(() => {
        if (building.get(key)?.promise === promise) building.delete(key);
      });
      building.set(key, { atLeast: block, promise });
      return promise;
    },
  };
}

/** The same page checked at the same block hashes the same, whenever the check ran. */
function digestOf(passport: LotPassport | null): string {
  if (!passport) return "none";
  const { checkedAt: _checkedAt, ...verification } = passport.verification;
  return createHash("sha256")
    .update(JSON.stringify({ ...passport, verification }))
    .digest("base64url")
    .slice(0, 27);
}

/** A rendered body of `entry` for `variant`, made (and encoded) once. */
export function bodyOf(entry: CachedPassport, variant: string, render: () => string): Buffer {
  let body = entry.bodies.get(variant);
  if (body === undefined) {
    body = Buffer.from(render());
    if (entry.bodies.size >= MAX_BODIES) entry.bodies.delete(entry.bodies.keys().next().value!);
    entry.bodies.set(variant, body);
  }
  return body;
}
