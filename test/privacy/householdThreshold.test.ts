import { expect } from "chai";
import { MIN_PUBLIC_HOUSEHOLDS, publicHouseholdCount } from "../../src/privacy/householdThreshold";

describe("privacy: the household threshold of public aggregates", () => {
  it("says a count of households only from 5 up", () => {
    expect(MIN_PUBLIC_HOUSEHOLDS).to.equal(5);
    expect([0, 1, 4].map(publicHouseholdCount)).to.deep.equal([null, null, null]);
    expect([5, 6, 4_000].map(publicHouseholdCount)).to.deep.equal([5, 6, 4_000]);
  });
});
