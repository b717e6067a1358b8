import { expect } from "chai";
import { answerOf, bodyOf, createPassportCache, type PassportBuild } from "../../src/web/passport/passportCache";
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
});
