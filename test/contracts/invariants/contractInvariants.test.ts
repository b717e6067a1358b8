import { expect } from "chai";
import { fuzzContracts, type FuzzParameters } from "./runner";
import { AROUND_HOLES, EVERYTHING, type Scenario } from "./commands";

/**
 * Random sequences of lot, claim and governance calls by random members, checked step by step
 * against the reference model and the invariants (docs/invariants.md). The short runs below are
 * part of `npm test`; `npm run fuzz:contracts` runs the long one (FUZZ_RUNS, FUZZ_SEED, FUZZ_PATH).
 */
const DEFAULT_SEED = 20_261_202;
const SEED = Number(process.env.FUZZ_SEED ?? DEFAULT_SEED);
const PATH = process.env.FUZZ_PATH;
const SHORT = { runs: 30, maxCommands: 40 };

function run(name: string, scenario: Scenario, extra: Partial<FuzzParameters> = {}) {
  return fuzzContracts({ name, scenario, seed: SEED, path: PATH, ...SHORT, ...extra });
}

if (process.env.FUZZ_RUNS) {
  describe("contract invariants, long run", function () {
    this.timeout(0);
    it(`hold over ${process.env.FUZZ_RUNS} random sequences of everything`, async () => {
      const { runs, tally } = await run("long run", EVERYTHING, {
        runs: Number(process.env.FUZZ_RUNS),
        maxCommands: Number(process.env.FUZZ_COMMANDS ?? 40),
        progressEvery: 100,
      });
      const calls = Object.values(tally).reduce((sum, counts) => sum + counts.accepted + counts.refused, 0);
      console.log(`      ${runs} sequences, ${calls} calls (seed ${SEED}): ${JSON.stringify(tally)}`);
    });
  });
} else {
  describe("contract invariants", function () {
    this.timeout(600_000);

    describe("around the known holes", () => {
      it("hold over random sequences of every call by random members", async () => {
        const { tally } = await run("around the known holes", AROUND_HOLES);
        console.log(`      steps: ${JSON.stringify(tally)}`);
        // The run is worth something only if every kind of call was both carried out and refused.
        // A mark needs mass-balance credit first (attest, then hand over or derive the lot), which
        // some seeds never build up: it must be tried, and carried out at least by the pinned seed.
        // Governance-only calls made directly are refused whoever makes them: never carried out.
        const both = ["mint", "offer", "accept", "reject", "cancel", "split", "merge", "transform", "attest", "revoke", "markClaimed", "setMemberActive", "propose", "approve", "execute"];
        for (const kind of [...both, "setFormTolerance", "governanceOnly"]) {
          const mayNotRun = kind === "markClaimed" && SEED !== DEFAULT_SEED;
          if (both.includes(kind) && !mayNotRun) expect(tally[kind]?.accepted ?? 0, `${kind} carried out`).to.be.greaterThan(0);
          expect(tally[kind]?.refused ?? 0, `${kind} refused`).to.be.greaterThan(0);
        }
      });
    });

    // Each of these provokes one hole a security review found in earlier contracts (each failed
    // there, which showed the suite finds it); they guard the fixes against regressions.
    describe("regression, known hole 1: transform yield bounds per output form", () => {
      it("outputs of one form together stay within the form's yield bounds", async () => {
        await run("known hole 1", { ...AROUND_HOLES, repeatedOutputForms: true });
      });
    });
    describe("regression, known hole 2: handover tolerance compounds upward", () => {
      it("accepting more grams than were sent never raises a lot's mass or credit", async () => {
        await run("known hole 2", { ...AROUND_HOLES, overweightAccepts: true });
      });
    });
    describe("regression, known hole 3: carried claims outlive a revoked source", () => {
      it("a carried claim ends when its source attestation is revoked, and credit it became is withdrawn", async () => {
        await run("known hole 3", { ...AROUND_HOLES, revokeCarriedSources: true });
      });
    });
    describe("regression, known hole 4: a newer dead attestation hides an older valid one", () => {
      it("a lot carries the claim while any attestation of it is valid", async () => {
        await run("known hole 4", { ...AROUND_HOLES, reattest: true });
      });
    });
    describe("regression, known hole 5: cooperatives mint forms that are not mintable at origin", () => {
      it("minting a processed form (nibs, liquor, butter, powder) at origin is refused with LotRegistryNotMintable", async () => {
        await run("known hole 5", { ...AROUND_HOLES, mintNonMintableForms: true });
      });
    });
  });
}
