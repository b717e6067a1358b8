import { expect } from "chai";
import { answerOf, bodyOf, createPassportCache, type PassportBuild } from "../../src/web/passport/passportCache";
import type { Queryable } from "../../src/db";
import type { LotPassport, VerificationMismatch } from "../../src/web/passport/types";
import { cocoaPassport } from "./passportFixture";

/** A page as the builder makes it at `block` (checked at `checkedAt`), with `mismatches`. */
function built(block: number, mismatches: VerificationMismatch[] = [], checkedAt = new Date().toISOString()): LotPassport {
  const passport = cocoaPassport({ deliveries: 2 });
  return { ...passport, verification: { ...passport.verification, ok: mismatches.length === 0, block: { number: block, time: null }, checkedAt, mismatches } };
}

describe("passport cache: one build and chain check per lot and indexed block", function () {
  let block: number | null;
  let builds: number;
  let mismatchesNext: VerificationMismatch[];
  const build = async (): Promise<PassportBuild> => {
    builds += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { passport: built(block ?? 0, mismatchesNext), missing: null };
  };
  beforeEach(function () {
    block = 100;
    builds = 0;
    mismatchesNext = [];
  });

  it("serves every view at one block from one build, also views that missed together", async function () {
    const cache = createPassportCache({ indexedBlock: () => block });
    const pages = await Promise.all(Array.from({ length: 50 }, () => cache.get("7", build)));
    expect(builds).to.equal(1);
    expect(new Set(pages).size).to.equal(1);
    await cache.get("7", build);
    expect(builds).to.equal(1);
    expect(cache.peek("7")).to.equal(pages[0]);
    expect(cache.peek("8")).to.equal(null);
    expect(cache.stats).to.deep.include({ hits: 2, builds: 1, rechecks: 0 });
    block = 101;
    expect(cache.peek("7"), "older than the read model").to.equal(null);
  });

  it("builds and checks again once the read model holds a later block, and then shows what that build found", async function () {
    const cache = createPassportCache({ indexedBlock: () => block });
    const first = await cache.get("7", build);
    expect(first.passport!.verification.ok).to.equal(true);
    // The read model changes behind the indexer's back: nothing shows it at this block...
    mismatchesNext = [{ kind: "readModel", lotId: "7", field: "grams", shown: "1", events: "2", what: "lot 7: grams" }];
    expect((await cache.get("7", build)).passport!.verification.ok).to.equal(true);
    // ... the first view after the next block does.
    block = 101;
    const next = await cache.get("7", build);
    expect(builds).to.equal(2);
    expect(next.passport!.verification.ok).to.equal(false);
    expect(next.passport!.verification.block.number).to.equal(101);
    expect(next.digest).to.not.equal(first.digest);
  });

  it("at a later block, makes the page again by its recheck while that can, and builds it when the recheck says no", async function () {
    const cache = createPassportCache({ indexedBlock: () => block });
    let rechecks = 0;
    let unchanged = true;
    const withRecheck = async (): Promise<PassportBuild> => ({ ...(await build()), recheck });
    const recheck = async (): Promise<PassportBuild | null> => {
      rechecks += 1;
      return unchanged ? { passport: built(block!), missing: null, recheck } : null;
    };
    const first = await cache.get("7", withRecheck);
    block = 101;
    const again = await cache.get("7", withRecheck);
    expect([builds, rechecks]).to.deep.equal([1, 1]);
    expect(again.passport!.verification.block.number).to.equal(101);
    // Checked at another block: another tag, so no view is told its copy from the last block is current.
    expect(again.digest).to.not.equal(first.digest);
    unchanged = false;
    block = 102;
    mismatchesNext = [{ kind: "readModel", lotId: "7", field: "grams", shown: "1", events: "2", what: "lot 7: grams" }];
    const rebuilt = await cache.get("7", withRecheck);
    expect([builds, rechecks]).to.deep.equal([2, 2]);
    expect(rebuilt.passport!.verification.ok).to.equal(false);
    expect(cache.stats).to.deep.include({ builds: 2, rechecks: 1 });
  });

  it("keeps nothing while the read model holds no block, nor a page whose chain did not answer", async function () {
    block = null;
    const cache = createPassportCache({ indexedBlock: () => block });
    await cache.get("7", build);
    await cache.get("7", build);
    expect(builds).to.equal(2);
    block = 100;
    mismatchesNext = [{ kind: "chain", what: "the chain could not be asked: timeout" }];
    await cache.get("7", build);
    await cache.get("7", build);
    expect(builds).to.equal(4);
    mismatchesNext = [];
    await cache.get("7", build);
    await cache.get("7", build);
    expect(builds).to.equal(5);
  });

  it("keeps pages per key, up to maxEntries, and a missing lot like a page", async function () {
    const cache = createPassportCache({ indexedBlock: () => block, maxEntries: 2 });
    const missing = async (): Promise<PassportBuild> => {
      builds += 1;
      return { passport: null, missing: "product" };
    };
    expect((await cache.get("01/x/10/y", missing)).missing).to.equal("product");
    await cache.get("01/x/10/y", missing);
    expect(builds).to.equal(1);
    await cache.get("1", build);
    await cache.get("2", build);
    await cache.get("01/x/10/y", missing); // the oldest, pushed out by the third
    expect(builds).to.equal(4);
  });

  it("gives the same digest to the same page checked at another time, and renders each variant once", async function () {
    const cache = createPassportCache({ indexedBlock: () => block });
    const a = await cache.get("a", async () => ({ passport: built(100, [], "2026-01-01T00:00:00.000Z"), missing: null }));
    const b = await cache.get("b", async () => ({ passport: built(100, [], "2026-01-01T00:00:09.000Z"), missing: null }));
    expect(a.digest).to.equal(b.digest);
    let renders = 0;
    const render = () => `page ${++renders}`;
    expect(bodyOf(a, "en", render).toString()).to.equal("page 1");
    expect(bodyOf(a, "en", render).toString()).to.equal("page 1");
    expect(bodyOf(a, "th", render).toString()).to.equal("page 2");
  });

  it("current: a kept page at once; at a later block one remaking shared by every view; nothing for a key never built", async function () {
    const cache = createPassportCache({ indexedBlock: () => block });
    expect(cache.current("7")).to.equal(null);
    const first = await cache.get("7", build);
    expect(cache.current("7")).to.equal(first);
    block = 101;
    mismatchesNext = [{ kind: "readModel", lotId: "7", field: "grams", shown: "1", events: "2", what: "lot 7: grams" }];
    const views = Array.from({ length: 20 }, () => cache.current("7"));
    expect(views.every((view) => view instanceof Promise)).to.equal(true);
    const pages = await Promise.all(views);
    expect(builds).to.equal(2);
    expect(new Set(pages).size).to.equal(1);
    // The remade page is what the build at the new block found, never the kept one.
    expect(pages[0]!.passport!.verification.ok).to.equal(false);
    expect(pages[0]!.passport!.verification.block.number).to.equal(101);
    expect(cache.current("7")).to.equal(pages[0]);
    block = null;
    expect(cache.current("7"), "the read model's block not known at once").to.equal(null);
  });

  it("prepares each variant's answer once per build, and a build at a later block prepares afresh", async function () {
    const cache = createPassportCache({ indexedBlock: () => block });
    const page = await cache.get("7", build);
    let prepared = 0;
    const prepare = () => ({ etag: `W/"${page.digest}.en"`, ok: ["etag", `W/"${page.digest}.en"`], notModified: [], body: Buffer.from(`page ${++prepared}`) });
    expect(answerOf(page, "en gzip", prepare).body.toString()).to.equal("page 1");
    expect(answerOf(page, "en gzip", prepare).body.toString()).to.equal("page 1");
    expect(answerOf(page, "en br", prepare).body.toString()).to.equal("page 2");
    block = 101;
    const next = await cache.get("7", build);
    expect(next.answers.size).to.equal(0);
  });

  it("a build that throws fails every view waiting on it and is not kept", async function () {
    const cache = createPassportCache({ indexedBlock: () => block });
    const failing = async (): Promise<PassportBuild> => {
      builds += 1;
      throw new Error("too large");
    };
    const answers = await Promise.allSettled([cache.get("9", failing), cache.get("9", failing)]);
    expect(answers.map((a) => a.status)).to.deep.equal(["rejected", "rejected"]);
    expect(builds).to.equal(1);
    await cache.get("9", build);
    expect(builds).to.equal(2);
  });
  describe("refreshAhead: the pages a crowd views, made at a new block before views are told of it", function () {
    /** The block the read model's rows are at (the indexer has committed it) and the block views are told of. */
    let committed: number;
    let told: number;
    let remade: string[];
    /** Rows changed after the pages were remade (read by the confirmation's snapshot). */
    let changedSince: Set<string>;
    let snapshots: number;
    const snapshot = async <T>(read: (q: Queryable) => Promise<T>): Promise<T> => {
      snapshots += 1;
      return read({} as Queryable);
    };
    const buildAt = (key: string, mismatches: () => VerificationMismatch[] = () => []) => async (): Promise<PassportBuild> => {
      remade.push(key);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { passport: built(committed, mismatches()), missing: null, unchanged: async () => !changedSince.has(key) };
    };
    beforeEach(function () {
      committed = 100;
      told = 100;
      remade = [];
      changedSince = new Set();
      snapshots = 0;
    });

    it("remakes only the pages viewed since the last time; views meanwhile get the page of the block they are told of, then the new one without waiting", async function () {
      const cache = createPassportCache({ indexedBlock: () => told, snapshot });
      let tampered = false;
      const seven = buildAt("7", () => (tampered ? [{ kind: "readModel", lotId: "7", field: "grams", shown: "1", events: "2", what: "lot 7: grams" }] : []));
      await cache.get("7", seven);
      await cache.get("8", buildAt("8"));
      // Both were viewed (built) at 100, which every page is at: nothing to make, and the views are counted from here.
      expect(await cache.refreshAhead(100)).to.equal(0);
      remade = [];
      // Views of 7 only; then the rows of 7 change and the indexer commits block 101.
      expect(cache.current("7")).to.have.nested.property("passport.verification.ok", true);
      tampered = true;
      committed = 101;
      const refreshing = cache.refreshAhead(101);
      // Told of 100 still: answered at once with the page checked at 100, which says so.
      const meanwhile = cache.current("7");
      expect(meanwhile).to.not.be.instanceOf(Promise);
      expect((meanwhile as { passport: LotPassport }).passport.verification.block.number).to.equal(100);
      expect(await refreshing).to.equal(1);
      expect(remade, "8 was not viewed since").to.deep.equal(["7"]);
      told = 101;
      const after = cache.current("7");
      expect(after, "no view waits").to.not.be.instanceOf(Promise);
      expect((after as { passport: LotPassport }).passport.verification).to.include({ ok: false });
      expect((after as { passport: LotPassport }).passport.verification.block.number).to.equal(101);
      // 8 was not made ahead: its first view at 101 waits for its remaking, as before.
      const eight = cache.current("8");
      expect(eight).to.be.instanceOf(Promise);
      await eight;
      expect(cache.stats.refreshedAhead).to.equal(1);
      // Both were viewed at 101 (8 waited for): both are made at 102. Then nothing was viewed.
      remade = [];
      committed = 102;
      expect(await cache.refreshAhead(102)).to.equal(2);
      expect(remade.sort()).to.deep.equal(["7", "8"]);
      expect(await cache.refreshAhead(103)).to.equal(0);
    });

    it("stops waiting after its budget and leaves the remaking to the views, which share it", async function () {
      const cache = createPassportCache({ indexedBlock: () => told, snapshot });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let slow = false;
      let calls = 0;
      const build = async (): Promise<PassportBuild> => {
        calls += 1;
        if (slow) await gate;
        return { passport: built(committed), missing: null };
      };
      await cache.get("7", build);
      cache.current("7");
      slow = true;
      committed = 101;
      const started = performance.now();
      expect(await cache.refreshAhead(101, { budgetMs: 50 })).to.equal(0);
      expect(performance.now() - started).to.be.lessThan(1_000);
      told = 101;
      const views = [cache.current("7"), cache.current("7")];
      expect(views.every((view) => view instanceof Promise)).to.equal(true);
      release();
      const pages = await Promise.all(views);
      expect(new Set(pages).size).to.equal(1);
      expect(pages[0]!.passport!.verification.block.number).to.equal(101);
      expect(calls, "one build at 101, the one begun ahead").to.equal(2);
    });

    it("remakes at most maxPages, the most recently built", async function () {
      const cache = createPassportCache({ indexedBlock: () => told, snapshot });
      for (const key of ["1", "2", "3", "4"]) await cache.get(key, buildAt(key));
      for (const key of ["1", "2", "3", "4"]) cache.current(key);
      remade = [];
      committed = 101;
      expect(await cache.refreshAhead(101, { maxPages: 2, concurrency: 1 })).to.equal(2);
      expect(remade).to.deep.equal(["3", "4"]);
    });
      it("drops a page whose rows changed after it was remade, so its first view at the new block builds it afresh", async function () {
      const cache = createPassportCache({ indexedBlock: () => told, snapshot });
      await cache.get("7", buildAt("7"));
      await cache.get("8", buildAt("8"));
      committed = 101;
      // 7's rows are written to behind the indexer's back while it is remade at 101.
      const refreshing = cache.refreshAhead(101);
      changedSince.add("7");
      expect(await refreshing).to.equal(1);
      expect(snapshots, "one snapshot confirms every page").to.equal(1);
      told = 101;
      expect(cache.kept("7"), "not shown at 101").to.equal(undefined);
      expect(cache.current("8")).to.not.be.instanceOf(Promise);
      changedSince.clear();
      remade = [];
      const seven = await cache.get("7", buildAt("7"));
      expect(remade).to.deep.equal(["7"]);
      expect(seven.passport!.verification.block.number).to.equal(101);
    });

    it("makes nothing ahead without a snapshot to confirm pages in", async function () {
      const cache = createPassportCache({ indexedBlock: () => told });
      await cache.get("7", buildAt("7"));
      remade = [];
      committed = 101;
      expect(await cache.refreshAhead(101)).to.equal(0);
      expect(remade).to.deep.equal([]);
    });
});
});
