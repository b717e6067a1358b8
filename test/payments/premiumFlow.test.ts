import { expect } from "chai";
import { apportion, commitmentTotal, premiumFlow, shareScaled, type FlowCommitment, type FlowLot, type FlowNode } from "../../src/payments/premiumFlow";

const lot = (lotId: string, genesis: FlowLot["genesis"], grams: number, members: string[]): FlowLot => ({ lotId, genesis, grams: String(grams), createdAt: null, members });
const node = (l: FlowLot, share: string, parentIds: string[] = []): FlowNode => ({ lot: l, downstreamShare: share, parentIds });

/**
 * Two cooperative deliveries (600 kg and 400 kg wet beans, member 3) merged by the processor
 * (member 4) and transformed to 400 kg of dry beans the brand (member 5) holds and commits
 * 1,000 IDR minor units per kg on.
 */
function story(): FlowCommitment {
  const d1 = lot("1", "minted", 600_000, ["3"]);
  const d2 = lot("2", "minted", 400_000, ["3"]);
  const merged = lot("10", "merged", 1_000_000, ["4"]);
  const dry = lot("11", "transformed", 400_000, ["4", "5"]);
  return {
    commitmentId: "1",
    lotId: "11",
    member: "5",
    scheme: "living-income",
    currency: "IDR",
    ratePerKg: 1_000n,
    grams: 400_000n,
    txHash: "0x",
    ancestry: [node(dry, "1", ["10"]), node(merged, "1", ["1", "2"]), node(d1, "0.6", []), node(d2, "0.4", [])],
  };
}

describe("premium flow", function () {
  it("owes each origin delivery its mass share of the commitment through merge and transform", function () {
    const commitment = story();
    expect(commitmentTotal(commitment)).to.equal(400_000n);
    const flow = premiumFlow([commitment], []);
    expect(flow.deliveries).to.deep.equal([
      { lotId: "1", currency: "IDR", owed: 240_000n, paid: 0n },
      { lotId: "2", currency: "IDR", owed: 160_000n, paid: 0n },
    ]);
  });

  it("counts a leaf's premium against its deliveries by grams, at most what each is owed, and in the commitment's currency only", function () {
    const flow = premiumFlow(
      [story()],
      [
        { pseudonym: "a", deliveryLotIds: ["1"], currency: "IDR", amount: 9_000_000n, premium: 300_000n, paidAt: 0, gender: "female", root: "0x1" },
        { pseudonym: "b", deliveryLotIds: ["2"], currency: "IDR", amount: 6_000_000n, premium: 80_000n, paidAt: 0, gender: "male", root: "0x1" },
        { pseudonym: "b", deliveryLotIds: ["2"], currency: "USD", amount: 500n, premium: 90n, paidAt: 0, gender: "male", root: "0x2" },
      ],
    );
    expect(flow.deliveries.map((d) => [d.lotId, d.paid])).to.deep.equal([
      ["1", 240_000n],
      ["2", 80_000n],
    ]);
  });

  it("shows each intermediary's premium received and passed on, never the committing buyer", function () {
    const flow = premiumFlow([story()], [{ pseudonym: "a", deliveryLotIds: ["1", "2"], currency: "IDR", amount: 1n, premium: 200_000n, paidAt: 0, gender: "female", root: "0x1" }]);
    // 200,000 spread 600:400 -> 120,000 and 80,000, both under what is owed.
    expect(flow.intermediaries).to.deep.equal([
      { memberId: "3", currency: "IDR", received: 400_000n, passedOn: 200_000n },
      { memberId: "4", currency: "IDR", received: 400_000n, passedOn: 200_000n },
    ]);
  });

  it("reads shares to 12 decimals", function () {
    expect(shareScaled("1")).to.equal(10n ** 12n);
    expect(shareScaled("0.000000000001")).to.equal(1n);
    expect(shareScaled("0.5")).to.equal(5n * 10n ** 11n);
  });
});

describe("premium owed: the largest-remainder rule", function () {
  it("splits a commitment over three equal deliveries so the parts add up to the total exactly", function () {
    const d = ["1", "2", "3"].map((id) => lot(id, "minted", 100_000, ["3"]));
    const merged = lot("10", "merged", 300_000, ["4"]);
    const commitment: FlowCommitment = {
      commitmentId: "1", lotId: "10", member: "4", scheme: "s", currency: "IDR", ratePerKg: 1_000n, grams: 100n, txHash: "0x",
      ancestry: [node(merged, "1", ["1", "2", "3"]), ...d.map((l) => node(l, "0.333333333333"))],
    };
    expect(commitmentTotal(commitment)).to.equal(100n);
    const owed = premiumFlow([commitment], []).deliveries.map((x) => x.owed);
    // Rounding each part down would owe 33 + 33 + 33 = 99: one minor unit lost.
    expect(owed).to.deep.equal([34n, 33n, 33n]);
    expect(owed.reduce((a, b) => a + b, 0n)).to.equal(100n);
  });

  it("gives the leftover units to the largest remainders, never more than one each", function () {
    const parts = apportion(1_000n, [
      { key: "7", share: shareScaled("0.1234") },
      { key: "8", share: shareScaled("0.5555") },
      { key: "9", share: shareScaled("0.3211") },
    ]);
    // Exact: 123.4, 555.5, 321.1 -> floors 123, 555, 321 (999); the one left goes to .5.
    expect([...parts.values()]).to.deep.equal([123n, 556n, 321n]);
  });
});
