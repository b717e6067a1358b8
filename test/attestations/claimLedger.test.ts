import { expect } from "chai";
import { ClaimLedger, ClaimRuleError, NO_EXPIRY } from "../../src/attestations";

const WET = 1;
const DRY = 2;
const [COOP, PROCESSOR] = [3n, 4n];
const [MB, SG, IP] = [1, 2, 3];

function ledger(): ClaimLedger {
  const model = new ClaimLedger();
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

describe("ClaimLedger", function () {
  it("books a received mass-balance lot into the receiver's credit and spends the lot's claim", function () {
    const model = ledger();
    model.lotMinted(1n, COOP, WET, 10_000n);
    model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n });
    const entries = model.handoverAccepted(1n, PROCESSOR, 9_900n, 100n);
    expect(entries).to.deep.equal([
      { kind: "credit", member: PROCESSOR, scheme: MB, lotId: 1n, form: WET, grams: 9_900n, balance: 9_900n },
    ]);
    expect(model.carriesClaim(1n, MB, 100n)).to.equal(false);
    expect(model.claim(1n, MB).state).to.equal("spent");
  });

  it("refuses a mark beyond the credit with the contract's error and changes nothing", function () {
    const model = ledger();
    model.lotMinted(1n, COOP, WET, 5_000n);
    model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n });
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
    model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n });
    const entries = model.lotsDerived(COOP, [1n, 2n], 10n, [{ form: DRY, grams: 4_001n }], 5n);
    expect(entries.map((entry) => entry.grams)).to.deep.equal([1_333n]);
    expect(model.getLot(1n)?.status).to.equal("consumed");
    expect(model.getLot(10n)).to.deep.equal({ member: COOP, form: DRY, grams: 4_001n, status: "active" });
  });

  it("carries a segregated claim only when every input carries it, with the earliest expiry", function () {
    const model = ledger();
    for (const id of [1n, 2n, 3n]) model.lotMinted(id, COOP, WET, 1_000n);
    model.attested("0x01", { scheme: SG, lotId: 1n, expiresAt: 50n });
    model.attested("0x02", { scheme: SG, lotId: 2n, expiresAt: 40n });
    model.lotsDerived(COOP, [1n, 2n], 10n, [{ form: WET, grams: 2_000n }], 5n);
    expect(model.claim(10n, SG)).to.deep.equal({ state: "carried", validUntil: 40n, family: 0n });
    expect([model.carriesClaim(10n, SG, 39n), model.carriesClaim(10n, SG, 40n)]).to.deep.equal([true, false]);
    model.lotsDerived(COOP, [10n, 3n], 11n, [{ form: WET, grams: 3_000n }], 6n);
    expect(model.carriesClaim(11n, SG, 6n)).to.equal(false);
  });

  it("keeps an identity-preserved claim within one family and loses it across two", function () {
    const model = ledger();
    model.lotMinted(1n, COOP, WET, 2_000n);
    model.lotMinted(2n, COOP, WET, 1_000n);
    model.attested("0x01", { scheme: IP, lotId: 1n, expiresAt: 0n });
    model.attested("0x02", { scheme: IP, lotId: 2n, expiresAt: 0n });
    model.lotsDerived(COOP, [1n], 10n, [{ form: WET, grams: 1_000n }, { form: WET, grams: 1_000n }], 1n);
    model.lotsDerived(COOP, [10n, 11n], 12n, [{ form: WET, grams: 2_000n }], 2n);
    expect(model.claim(12n, IP)).to.deep.equal({ state: "carried", validUntil: NO_EXPIRY, family: 1n });
    model.lotsDerived(COOP, [12n, 2n], 13n, [{ form: WET, grams: 3_000n }], 3n);
    expect(model.carriesClaim(13n, IP, 3n)).to.equal(false);
  });

  it("refuses to attest a lot whose mass-balance claim is spent", function () {
    const model = ledger();
    model.lotMinted(1n, COOP, WET, 1_000n);
    model.attested("0x01", { scheme: MB, lotId: 1n, expiresAt: 0n });
    model.handoverAccepted(1n, PROCESSOR, 1_000n, 1n);
    const error = refusal(() => model.attested("0x02", { scheme: MB, lotId: 1n, expiresAt: 0n }));
    expect([error.errorName, ...error.args]).to.deep.equal(["AttestationRegistryClaimSpent", 1n, MB]);
  });
});
