import { createHash } from "node:crypto";
import type { Queryable } from "../../db";
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
  /**
   * Runs a read on one snapshot of the read model (the gateway's `readModelSnapshot`): pages made
   * ahead of a block are confirmed unchanged in it before the block is made known. Without it,
   * refreshAhead makes nothing ahead.
   */
  snapshot?: <T>(read: (q: Queryable) => Promise<T>) => Promise<T>;
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
  /**
   * Whole answers by variant (form, language, host, path, encoding): headers and body made once
   * per build, so a view of a kept page only writes them (`answerOf`); bounded.
   */
  readonly answers: Map<string, PreparedAnswer>;
  /** See `PassportBuild.recheck`. */
  readonly recheck: (() => Promise<PassportBuild | null>) | undefined;
  /** The build this page came from, for making it again when the read model has moved on. */
  readonly build: () => Promise<PassportBuild>;
  /** See `PassportBuild.unchanged`. */
  readonly unchanged: ((q: Queryable) => Promise<boolean>) | undefined;
};

/** One variant of a kept page, ready to write: the 200's and the 304's headers (flat name, value lists) and the body. */
export type PreparedAnswer = {
  readonly etag: string;
  readonly ok: ReadonlyArray<string | number>;
  readonly notModified: ReadonlyArray<string | number>;
  readonly body: Buffer;
};

/**
 * What a build finds: the checked page, or what is missing. `recheck`, when given, makes the same
 * page at a later block for less than a build (its rows unchanged, checked against the chain
 * again), or answers null when only a build will do.
 */
export type PassportBuild = ({ passport: LotPassport; missing: null } | { passport: null; missing: "lot" | "product" }) & {
  recheck?: (() => Promise<PassportBuild | null>) | undefined;
  /** Milliseconds the build's local check (heads recomputed from the events) took. */
  localCheckMs?: number | undefined;
  /** Whether the rows the page was made from are still as they were, read in `q`'s snapshot. */
  unchanged?: ((q: Queryable) => Promise<boolean>) | undefined;
};

export type PassportCache = {
  /** The page under `key` (a lot id, or a Digital Link), built by `build` unless the one kept is current. */
  get(key: string, build: () => Promise<PassportBuild>): Promise<CachedPassport>;
  /**
   * The page under `key` if the one kept is current, without waiting: null when it is not kept,
   * is older than the read model, or the read model's block is not known at once.
   */
  peek(key: string): CachedPassport | null;
  /**
   * For a key whose page is kept: the page if it is current (as `peek`), else the one shared
   * remaking of it at the read model's block (a recheck, or its build again), which every view
   * waiting meanwhile gets. Null when nothing is kept under `key` or the read model's block is not
   * known at once (the route then builds it).
   */
  current(key: string): CachedPassport | Promise<CachedPassport> | null;
  /** The page kept under `key`, at whatever block (for telling whether a key is a known page). */
  kept(key: string): CachedPassport | undefined;
  /** Forgets every page (the next view of each builds it). */
  clear(): void;
  /**
   * Remakes at `block` (a recheck, or a build) the pages viewed since the last call, before the
   * read model's new block is made known to views: while it runs, views are answered with the
   * pages kept at the block before, which say so, and none waits for a check against the chain.
   * At most `maxPages` pages, `concurrency` at a time; gives up waiting after `budgetMs` (the
   * remakes go on, and views then wait for them as when nothing was made ahead). Resolves with
   * the number of pages remade in time.
   */
  refreshAhead(block: number, limits?: { maxPages?: number; concurrency?: number; budgetMs?: number }): Promise<number>;
  /**
   * Views answered from a kept page, full builds, pages made again by a recheck, the last full
   * build's local check (heads recomputed from the events; a recheck does not repeat it), ms,
   * pages made ahead of a block, and views answered before Express (the router's `atOnce`).
   */
  readonly stats: { hits: number; builds: number; rechecks: number; localCheckMs: number; refreshedAhead: number; viewsAtOnce: number };
};

const MAX_BODIES = 16;
const MAX_ANSWERS = 48;

export function createPassportCache({ indexedBlock, maxEntries = 2_000, snapshot }: PassportCacheParameters): PassportCache {
  const entries = new Map<string, CachedPassport>();
  const building = new Map<string, { atLeast: number | null; promise: Promise<CachedPassport> }>();
  const stats = { hits: 0, builds: 0, rechecks: 0, localCheckMs: 0, refreshedAhead: 0, viewsAtOnce: 0 };
  // Keys viewed since the last refreshAhead (from a kept page or not): the pages a crowd is viewing.
  // Bounded like the pages: while the indexer catches up nothing empties it, and any URL adds a key.
  const viewed = new Set<string>();
  const view = (key: string) => {
    if (viewed.size < maxEntries) viewed.add(key);
  };
  const hit = (key: string, entry: CachedPassport) => {
    stats.hits += 1;
    view(key);
    return entry;
  };

  const fresh = (entry: CachedPassport | undefined, block: number | null): entry is CachedPassport =>
    entry !== undefined && entry.block !== null && block !== null && entry.block >= block;

  async function rebuild(key: string, build: () => Promise<PassportBuild>, block: number | null): Promise<CachedPassport> {
    const previous = entries.get(key);
    const rechecked = (await previous?.recheck?.()) ?? null;
    if (rechecked) stats.rechecks += 1;
    else stats.builds += 1;
    const made = rechecked ?? (await build());
    const { passport, missing, recheck, unchanged } = made;
    if (!rechecked && made.localCheckMs !== undefined) stats.localCheckMs = made.localCheckMs;
    // The chain not answering is no result to keep: the next view asks again.
    const transient = passport?.verification.mismatches.some((m) => m.kind === "chain") ?? false;
    const builtAt = passport ? passport.verification.block.number : block;
    const entry: CachedPassport = { block: transient ? null : builtAt, passport, missing, digest: rechecked && previous ? digestOfRecheck(previous.digest, rechecked.passport) : digestOf(passport), bodies: new Map(), answers: new Map(), recheck, build, unchanged };
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
      return hit(key, entry);
    },
    kept: (key) => entries.get(key),
    current(key) {
      const block = indexedBlock();
      if (typeof block !== "number") return null;
      const entry = entries.get(key);
      if (entry === undefined) return null;
      if (entry.block !== null && entry.block >= block) return hit(key, entry);
      view(key);
      return remake(key, entry.build, block);
    },
    async get(key, build) {
      const block = await indexedBlock();
      const entry = entries.get(key);
      if (fresh(entry, block)) return hit(key, entry);
      view(key);
      return remake(key, build, block);
    },
    async refreshAhead(block, { maxPages = 32, concurrency = 4, budgetMs = 2_000 } = {}) {
      const keys = [...viewed].filter((key) => {
        const entry = entries.get(key);
        return entry?.passport != null && entry.block !== null && entry.block < block;
      });
      viewed.clear();
      if (!snapshot || keys.length === 0) return 0;
      // The most recently built first out of the cache are the least viewed: the newest first.
      const chosen = keys.slice(-maxPages);
      const made: string[] = [];
      let next = 0;
      const work = async () => {
        while (next < chosen.length) {
          const key = chosen[next++]!;
          const entry = entries.get(key);
          if (!entry) continue;
          // A failed remake is made again by the next view, as without refreshing ahead.
          await remake(key, entry.build, block).then(() => made.push(key), () => {});
        }
      };
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), budgetMs)));
      const inTime = await Promise.race([Promise.all(Array.from({ length: Math.min(concurrency, chosen.length) }, work)).then(() => true), budget]);
      clearTimeout(timer);
      if (!inTime) return 0;
      // A row changed after a page was remade (a write behind the indexer's back): the page is
      // dropped, not shown at the new block, and its first view builds it again. All in one
      // snapshot, the last read before the block is made known: a change this read misses
      // commits after it, and is shown from the next block on.
      const changed = await snapshot(async (q) => {
        const found: string[] = [];
        for (const key of made) {
          const entry = entries.get(key);
          if (entry?.unchanged && !(await entry.unchanged(q))) found.push(key);
        }
        return found;
      });
      for (const key of changed) entries.delete(key);
      stats.refreshedAhead += made.length - changed.length;
      return made.length - changed.length;
    },
  };

  /** The one remaking of `key` at `block` or later: views that come while it runs wait for it. */
  function remake(key: string, build: () => Promise<PassportBuild>, block: number | null): Promise<CachedPassport> {
    const pending = building.get(key);
    if (pending && pending.atLeast !== null && block !== null && pending.atLeast >= block) return pending.promise;
    const promise = rebuild(key, build, block).finally(() => {
      if (building.get(key)?.promise === promise) building.delete(key);
    });
    building.set(key, { atLeast: block, promise });
    return promise;
  }
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

/** The prepared answer of `entry` for `variant` (see `CachedPassport.answers`), made once. */
export function answerOf(entry: CachedPassport, variant: string, prepare: () => PreparedAnswer): PreparedAnswer {
  let answer = entry.answers.get(variant);
  if (answer === undefined) {
    answer = prepare();
    if (entry.answers.size >= MAX_ANSWERS) entry.answers.delete(entry.answers.keys().next().value!);
    entry.answers.set(variant, answer);
  }
  return answer;
}

/**
 * A rechecked page's digest: the page it was rechecked from differs from it in its verification
 * only (the block and time it was checked at, what was checked), so that page's digest and the new
 * verification give it without hashing the whole page again.
 */
function digestOfRecheck(previous: string, passport: LotPassport | null): string {
  if (!passport) return "none";
  const { checkedAt: _checkedAt, ...verification } = passport.verification;
  return createHash("sha256").update(previous).update(JSON.stringify(verification)).digest("base64url").slice(0, 27);
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
