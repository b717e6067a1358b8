import { expect } from "chai";
import { paymentCreateSchema } from "../../src/payments";
import { householdFigures } from "../../src/payments/publicFigures";

const payment = (change: Record<string, unknown>) => ({
  farmerId: "f_0123456789abcdef",
  deliveryLotIds: ["3000000041"],
  grossGrams: 600_000,
  price: { perKg: 3_500_000, basis: "wet" },
  currency: "IDR",
  minorUnits: 2,
  paidAt: "2026-05-04T09:00:00+08:00",
  method: "cash",
  ...change,
});

const issues = (input: unknown) => {
  const result = paymentCreateSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
};

describe("payment rules at the boundary", function () {
  it("takes a payment made now or in the past", function () {
    expect(issues(payment({}))).to.deep.equal([]);
    expect(issues(payment({ paidAt: new Date().toISOString() }))).to.deep.equal([]);
  });

  it("refuses a paidAt in the future (beyond five minutes of clock skew)", function () {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect(issues(payment({ paidAt: tomorrow }))).to.deep.equal([`paidAt: paidAt ${tomorrow} is in the future: record a payment once it is made`]);
  });

  it("refuses minor units other than the currency's ISO 4217 exponent, and fractions", function () {
    expect(issues(payment({ currency: "VND", minorUnits: 2 }))[0]).to.match(/^minorUnits: VND has 0 minor-unit digits/);
    expect(issues(payment({ currency: "IDR", minorUnits: 0 }))[0]).to.match(/^minorUnits: IDR has 2 minor-unit digits/);
    expect(issues(payment({ price: { perKg: 35_000.5, basis: "wet" } })).join()).to.match(/^price.perKg: /);
  });
});

describe("households paid, women among them and the median days to payment", function () {
  const DAY = 86_400;
  const leaf = (pseudonym: string, gender: string, lot: string, days: number) => ({ pseudonym, gender, deliveryLotIds: [lot], paidAt: Date.parse("2026-05-01T00:00:00Z") / 1000 + days * DAY });

  it("counts distinct households, the share of women and the median days from weigh-in to payment", function () {
    const leaves = [leaf("a", "female", "1", 3), leaf("b", "male", "2", 2), leaf("c", "female", "3", 5), leaf("d", "unknown", "4", 3), leaf("e", "male", "5", 10), leaf("a", "female", "6", 4)];
    expect(householdFigures(leaves, () => "2026-05-01T00:00:00Z")).to.deep.equal({ farmers: { count: 5, fewerThan5: false }, womenShareBps: 4000, medianDaysToPayment: 3.5 });
  });

  it("shows none of them over fewer than 5 households", function () {
    const leaves = [leaf("a", "female", "1", 3), leaf("b", "male", "2", 2)];
    expect(householdFigures(leaves, () => "2026-05-01T00:00:00Z")).to.deep.equal({ farmers: { count: null, fewerThan5: true }, womenShareBps: null, medianDaysToPayment: null });
  });
});
