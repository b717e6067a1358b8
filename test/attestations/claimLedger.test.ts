import { expect } from "chai";
import { ClaimLedger, ClaimRuleError, MAX_ATTESTATIONS_PER_SUBJECT, NO_EXPIRY, numberSubject } from "../../src/attestations";
import { FORMS } from "../../src/lots/forms";

/** Cocoa wet beans: loss allowance 5 %, gain 0.5 %. */
const WET = 1;
/** Cocoa dry beans: loss allowance 1 %, gain 0.5 %. */
const DRY = 2;
const [COOP, PROCESSOR, BRAND] = [3n, 4n, 5n];
const [MB, SG, IP] = [1, 2, 3];

function ledger(): ClaimLedger {
  const model = new ClaimLedger();
  for (const form of FORMS) model.registerForm(form.id, form);
  model.registerScheme(MB, "massBalance");
  model.registerScheme(SG, "segregated");
  model.registerScheme(IP, "identityPreserved");
  return model;
}

function refusal(run: () => unknown): ClaimRuleError {
  try {
    run();
  } catch (error) {
    if (error instanceof ClaimRuleError) return error;
    throw error;
  }
  throw new Error("not refused");
}

function carried(validUntil: bigint, family: bigint, derivation: bigint, epoch = 0) {
  return { state: "carried", validUntil, family, derivation, epoch };
}

const one = (grams: bigint, form = WET) => [{ form, grams }];
const two = (a: bigint, b: bigint, form = WET) => [{ form, grams: a }, { form, grams: b }];

describe("ClaimLedger", function () {
  describe("handover", function () {
    it("books a received mass-balance lot into the receiver's credit and spends the lot's claim", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 10_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      const entries = model.handoverAccepted(1n, PROCESSOR, 9_900n, 100n);
      expect(entries).to.deep.equal([
        { kind: "credit", member: PROCESSOR, scheme: MB, lotId: 1n, form: WET, grams: 9_900n, balance: 9_900n },
      ]);
      expect(model.carriesClaim(1n, MB, 100n)).to.equal(false);
      expect(model.claim(1n, MB).state).to.equal("spent");
      expect(model.getLot(1n)?.grams).to.equal(9_900n);
    });

    it("never raises the lot's quantity: a gain within the allowance keeps the sent weight, and credits only that", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 10_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      const [entry] = model.handoverAccepted(1n, PROCESSOR, 10_050n, 2n);
      expect([entry.grams, model.getLot(1n)?.grams]).to.deep.equal([10_000n, 10_000n]);
      // Passing it back and forth at the top of the allowance cannot grow it.
      model.handoverAccepted(1n, BRAND, 10_050n, 3n);
      expect(model.getLot(1n)?.grams).to.equal(10_000n);
    });

    it("refuses a weight beyond the loss or the gain allowance, with the contract's error, and changes nothing", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 10_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      model.handoverOffered(1n);
      const below = refusal(() => model.handoverAccepted(1n, PROCESSOR, 9_499n, 2n));
      expect([below.errorName, ...below.args]).to.deep.equal(["LotRegistryOutsideTolerance", 1n, 10_000n, 9_499n, 500, 50]);
      const above = refusal(() => model.handoverAccepted(1n, PROCESSOR, 10_051n, 2n));
      expect([above.errorName, ...above.args]).to.deep.equal(["LotRegistryOutsideTolerance", 1n, 10_000n, 10_051n, 500, 50]);
      expect(refusal(() => model.handoverAccepted(1n, PROCESSOR, 0n, 2n)).errorName).to.equal("LotRegistryZeroQuantity");
      expect(model.getLot(1n)).to.deep.equal({ member: COOP, form: WET, grams: 10_000n, status: "inTransit" });
      expect([model.carriesClaim(1n, MB, 2n), model.creditOf(PROCESSOR, MB, WET)]).to.deep.equal([true, 0n]);
      // The edges themselves are accepted: exactly 5 % lost.
      expect(model.handoverAccepted(1n, PROCESSOR, 9_500n, 2n)[0].grams).to.equal(9_500n);
    });
  });

  describe("marks and derivations", function () {
    it("refuses a mark beyond the credit with the contract's error and changes nothing", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 5_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      model.handoverAccepted(1n, PROCESSOR, 5_000n, 1n);
      model.lotMinted(2n, PROCESSOR, WET, 1_000n);
      const error = refusal(() => model.markClaimed("0xp", PROCESSOR, MB, [2n, 1n], 2n, () => "0xp"));
      expect([error.errorName, ...error.args]).to.deep.equal([
        "AttestationRegistryInsufficientCredit", PROCESSOR, MB, WET, 4_000n, 5_000n,
      ]);
      expect(model.creditOf(PROCESSOR, MB, WET)).to.equal(5_000n);
      expect(model.carriesClaim(2n, MB, 2n)).to.equal(false);
    });

    it("credits a transform's outputs with the claimed share of their grams, rounded down", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 3_333n);
      model.lotMinted(2n, COOP, WET, 6_667n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      const entries = model.lotsDerived(COOP, [1n, 2n], 10n, one(4_001n, DRY), 5n);
      expect(entries.map((entry) => entry.grams)).to.deep.equal([1_333n]);
      expect(model.getLot(1n)?.status).to.equal("consumed");
      expect(model.getLot(10n)).to.deep.equal({ member: COOP, form: DRY, grams: 4_001n, status: "active" });
      expect(model.claim(1n, MB)).to.deep.include({ state: "spent", derivation: 10n });
      expect(model.claim(2n, MB).state).to.equal("none");
    });

    it("carries a segregated claim only when every input carries it, with the earliest expiry", function () {
      const model = ledger();
      for (const id of [1n, 2n, 3n]) model.lotMinted(id, COOP, WET, 1_000n);
      model.attested("0x01", { scheme: SG, lotId: 1n, expiresAt: 50n }, 1n);
      model.attested("0x02", { scheme: SG, lotId: 2n, expiresAt: 40n }, 1n);
      model.lotsDerived(COOP, [1n, 2n], 10n, one(2_000n), 5n);
      expect(model.claim(10n, SG)).to.deep.equal(carried(40n, 0n, 10n));
      expect([model.carriesClaim(10n, SG, 39n), model.carriesClaim(10n, SG, 40n)]).to.deep.equal([true, false]);
      model.lotsDerived(COOP, [10n, 3n], 11n, one(3_000n), 6n);
      expect(model.carriesClaim(11n, SG, 6n)).to.equal(false);
    });

    it("keeps an identity-preserved claim within one family and loses it across two", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 2_000n);
      model.lotMinted(2n, COOP, WET, 1_000n);
      model.attested("0x01", { scheme: IP, lotId: 1n, expiresAt: 0n }, 1n);
      model.attested("0x02", { scheme: IP, lotId: 2n, expiresAt: 0n }, 1n);
      model.lotsDerived(COOP, [1n], 10n, two(1_000n, 1_000n), 1n);
      model.lotsDerived(COOP, [10n, 11n], 12n, one(2_000n), 2n);
      expect(model.claim(12n, IP)).to.deep.equal(carried(NO_EXPIRY, 1n, 12n));
      model.lotsDerived(COOP, [12n, 2n], 13n, one(3_000n), 3n);
      expect(model.carriesClaim(13n, IP, 3n)).to.equal(false);
    });
  });

  describe("several attestations of one lot", function () {
    it("carries the claim while any of them is valid, not only the latest", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 1_000n);
      model.attested("0x01", { scheme: SG, lotId: 1n, expiresAt: 0n }, 1n);
      model.attested("0x02", { scheme: SG, lotId: 1n, expiresAt: 30n }, 2n);
      model.revoked("0x02", 3n);
      expect(model.carriesClaim(1n, SG, 3n)).to.equal(true);
      model.revoked("0x01", 4n);
      expect(model.carriesClaim(1n, SG, 4n)).to.equal(false);
    });

    it("takes the one that expires last as the claim's validUntil", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 1_000n);
      model.attested("0x01", { scheme: SG, lotId: 1n, expiresAt: 90n }, 1n);
      model.attested("0x02", { scheme: SG, lotId: 1n, expiresAt: 40n }, 2n);
      model.lotsDerived(COOP, [1n], 10n, one(1_000n), 3n);
      expect(model.claim(10n, SG).validUntil).to.equal(90n);
    });

    it(`refuses a lot attestation beyond ${MAX_ATTESTATIONS_PER_SUBJECT} valid ones, and takes one again once one expired`, function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 1_000n);
      for (let index = 0; index < MAX_ATTESTATIONS_PER_SUBJECT; index++) {
        model.attested(`0x${index}`, { scheme: SG, lotId: 1n, expiresAt: index === 0 ? 10n : 0n }, 1n);
      }
      const error = refusal(() => model.attested("0xff", { scheme: SG, lotId: 1n, expiresAt: 0n }, 9n));
      expect([error.errorName, ...error.args]).to.deep.equal([
        "AttestationRegistryTooManyAttestations", 1, numberSubject(1n), SG, MAX_ATTESTATIONS_PER_SUBJECT,
      ]);
      expect(model.isValid("0xff", 9n)).to.equal(false);
      model.attested("0xff", { scheme: SG, lotId: 1n, expiresAt: 0n }, 10n);
      expect(model.isValid("0xff", 10n)).to.equal(true);
    });
  });

  describe("revocation of a carried claim's origin", function () {
    /** Lots 1 and 2 attested segregated; 1 split into 10, 11; 10 merged with 2 into 12. */
    function splitAndMerge(origin1 = ["0x01"]) {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 2_000n);
      model.lotMinted(2n, COOP, WET, 1_000n);
      for (const uid of origin1) model.attested(uid, { scheme: SG, lotId: 1n, expiresAt: 0n }, 1n);
      model.attested("0x02", { scheme: SG, lotId: 2n, expiresAt: 0n }, 1n);
      model.lotsDerived(COOP, [1n], 10n, two(1_000n, 1_000n), 2n);
      model.lotsDerived(COOP, [10n, 2n], 12n, one(2_000n), 3n);
      return model;
    }

    it("stops the claims of everything derived from it, through split and merge", function () {
      const model = splitAndMerge();
      expect(model.claim(12n, SG)).to.deep.equal(carried(NO_EXPIRY, 0n, 12n));
      expect([11n, 12n].map((id) => model.carriesClaim(id, SG, 4n))).to.deep.equal([true, true]);
      expect(model.revoked("0x01", 4n)).to.deep.equal([]);
      expect([1n, 11n, 12n, 2n].map((id) => model.carriesClaim(id, SG, 5n))).to.deep.equal([false, false, false, true]);
    });

    it("stops them for the identity-preserved model too", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 2_000n);
      model.attested("0x01", { scheme: IP, lotId: 1n, expiresAt: 0n }, 1n);
      model.lotsDerived(COOP, [1n], 10n, two(1_000n, 1_000n), 2n);
      model.lotsDerived(COOP, [10n, 11n], 12n, one(2_000n), 3n);
      model.lotsDerived(COOP, [12n], 13n, one(800n, DRY), 4n);
      model.revoked("0x01", 5n);
      expect(model.carriesClaim(13n, IP, 5n)).to.equal(false);
    });

    it("keeps them while the revoked attestation was not the origin's only valid one", function () {
      const model = splitAndMerge(["0x01", "0x03"]);
      model.revoked("0x01", 4n);
      expect([11n, 12n].map((id) => model.carriesClaim(id, SG, 5n))).to.deep.equal([true, true]);
      model.revoked("0x03", 5n);
      expect([11n, 12n].map((id) => model.carriesClaim(id, SG, 6n))).to.deep.equal([false, false]);
    });

    it("keeps them after a revocation elsewhere in the scheme: the walk finds every origin backed", function () {
      const model = splitAndMerge();
      model.lotMinted(3n, COOP, WET, 1_000n);
      model.attested("0x09", { scheme: SG, lotId: 3n, expiresAt: 0n }, 4n);
      model.revoked("0x09", 5n);
      expect(model.claim(12n, SG).epoch).to.equal(0);
      expect([11n, 12n].map((id) => model.carriesClaim(id, SG, 6n))).to.deep.equal([true, true]);
      // Claims carried after the revocation record its count, and need no walk.
      model.lotsDerived(COOP, [12n], 20n, one(2_000n), 6n);
      expect(model.claim(20n, SG)).to.deep.equal(carried(NO_EXPIRY, 0n, 20n, 1));
    });

    it("a lot attested in its own right keeps its claim, and backs what is derived from it", function () {
      const model = splitAndMerge();
      model.attested("0x04", { scheme: SG, lotId: 11n, expiresAt: 0n }, 4n);
      model.lotsDerived(COOP, [11n], 20n, one(1_000n), 5n);
      model.revoked("0x01", 6n);
      expect([11n, 20n, 12n].map((id) => model.carriesClaim(id, SG, 7n))).to.deep.equal([true, true, false]);
    });
  });

  describe("mass-balance withdrawal on revocation", function () {
    it("withdraws the credit a handover booked, as far as the balance still holds it", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 10_000n);
      model.lotMinted(2n, PROCESSOR, WET, 3_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      model.handoverAccepted(1n, PROCESSOR, 9_900n, 2n);
      model.markClaimed("0xp", PROCESSOR, MB, [2n], 3n, () => "0xp");
      expect(model.revoked("0x01", 4n)).to.deep.equal([
        { kind: "withdrawal", member: PROCESSOR, scheme: MB, lotId: 1n, form: WET, grams: 6_900n, balance: 0n, uid: "0x01" },
      ]);
      expect(model.claim(1n, MB).state).to.equal("withdrawn");
      // The marked lot stays marked.
      expect(model.carriesClaim(2n, MB, 4n)).to.equal(true);
      const error = refusal(() => model.attested("0x02", { scheme: MB, lotId: 1n, expiresAt: 0n }, 5n));
      expect(error.errorName).to.equal("AttestationRegistryClaimSpent");
    });

    it("withdraws a derivation input's share of each output form, at most what is left", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 3_333n);
      model.lotMinted(2n, COOP, WET, 6_667n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      const credited = model.lotsDerived(COOP, [1n, 2n], 10n, two(2_001n, 2_000n, DRY), 2n);
      // Each output is credited its own rounded-down share: 666 + 666.
      expect(credited.map((entry) => entry.grams)).to.deep.equal([666n, 666n]);
      // The lot's share of the form is floor(4,001 × 3,333 / 10,000) = 1,333: one gram more than is left.
      expect(model.revoked("0x01", 3n)).to.deep.equal([
        { kind: "withdrawal", member: COOP, scheme: MB, lotId: 1n, form: DRY, grams: 1_332n, balance: 0n, uid: "0x01" },
      ]);
      expect(model.claim(1n, MB)).to.deep.include({ state: "withdrawn", derivation: 10n });
    });

    it("withdraws nothing while another valid attestation backs the lot", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 5_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      model.attested("0x02", { scheme: MB, lotId: 1n, expiresAt: 0n }, 2n);
      model.lotsDerived(COOP, [1n], 10n, two(2_000n, 3_000n), 3n);
      expect(model.revoked("0x02", 4n)).to.deep.equal([]);
      expect([model.claim(1n, MB).state, model.creditOf(COOP, MB, WET)]).to.deep.equal(["spent", 5_000n]);
      expect(model.revoked("0x01", 5n).map((entry) => entry.grams)).to.deep.equal([5_000n]);
      expect(model.creditOf(COOP, MB, WET)).to.equal(0n);
    });

    it("never withdraws credit that came from a marked claim", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 4_000n);
      model.lotMinted(2n, COOP, WET, 4_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      model.lotsDerived(COOP, [1n], 10n, one(4_000n), 2n);
      model.markClaimed("0xc", COOP, MB, [2n], 3n, () => "0xc");
      // The marked lot is attested as well, then handed over: its claim was the mark, not the attestation.
      model.attested("0x02", { scheme: MB, lotId: 2n, expiresAt: 0n }, 4n);
      model.handoverAccepted(2n, PROCESSOR, 4_000n, 5n);
      expect(model.revoked("0x02", 6n)).to.deep.equal([]);
      expect([model.claim(2n, MB).state, model.creditOf(PROCESSOR, MB, WET)]).to.deep.equal(["spent", 4_000n]);
    });

    it("withdraws nothing for a claim not yet spent: the lot just stops carrying it", function () {
      const model = ledger();
      model.lotMinted(1n, COOP, WET, 4_000n);
      model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
      expect(model.revoked("0x01", 2n)).to.deep.equal([]);
      expect([model.carriesClaim(1n, MB, 2n), model.claim(1n, MB).state]).to.deep.equal([false, "none"]);
    });
  });

  it("refuses to attest a lot whose mass-balance claim is spent", function () {
    const model = ledger();
    model.lotMinted(1n, COOP, WET, 1_000n);
    model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n }, 1n);
    model.handoverAccepted(1n, PROCESSOR, 1_000n, 1n);
    const error = refusal(() => model.attested("0x02", { scheme: MB, lotId: 1n, expiresAt: 0n }, 2n));
    expect([error.errorName, ...error.args]).to.deep.equal(["AttestationRegistryClaimSpent", 1n, MB]);
  });

  it("refuses revoking an unknown attestation and revoking one twice", function () {
    const model = ledger();
    model.lotMinted(1n, COOP, WET, 1_000n);
    model.attested("0x01", { scheme: SG, lotId: 1n, expiresAt: 0n }, 1n);
    model.revoked("0x01", 2n);
    expect(refusal(() => model.revoked("0x01", 3n)).errorName).to.equal("AttestationRegistryAlreadyRevoked");
    expect(refusal(() => model.revoked("0x09", 3n)).errorName).to.equal("AttestationRegistryUnknownAttestation");
  });
});
