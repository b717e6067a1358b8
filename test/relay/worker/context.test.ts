import { expect } from "chai";
import { MAX_BATCH } from "../../../src/relay/lotCalls";
import { chainLimitsFor } from "../../../src/relay/worker/context";

/** What a delivery in a coalesced mintBatch is budgeted at (gas), forwarder and margin included. */
const PER_DELIVERY_GAS = 70_000n;

describe("relay worker: chain limits", function () {
  it("on a 30M-gas QBFT block: transactions of at most a quarter block, coalesced mints of at most half", function () {
    const limits = chainLimitsFor(30_000_000n);
    expect(limits.txGasCap).to.equal(7_500_000n);
    expect(limits.maxCoalesce).to.equal(214); // 15M / 70k
    // (chai 4 compares numbers only: bigint comparisons are asserted as booleans)
    expect(BigInt(limits.maxCoalesce) * PER_DELIVERY_GAS <= 15_000_000n).to.equal(true);
    expect(BigInt(limits.maxCoalesce + 1) * PER_DELIVERY_GAS > 15_000_000n).to.equal(true);
  });

  it("never coalesces more than the registry's MAX_BATCH, however large the block (anvil's 1e9)", function () {
    expect(chainLimitsFor(1_000_000_000n)).to.deep.equal({ txGasCap: 250_000_000n, maxCoalesce: MAX_BATCH });
    // The smallest block whose half fits MAX_BATCH deliveries, and one gas below it.
    const fits = 2n * BigInt(MAX_BATCH) * PER_DELIVERY_GAS;
    expect(chainLimitsFor(fits).maxCoalesce).to.equal(MAX_BATCH);
    expect(chainLimitsFor(fits - 1n).maxCoalesce).to.equal(MAX_BATCH - 1);
  });

  it("still mints one delivery per call on a chain whose half block holds none", function () {
    expect(chainLimitsFor(100_000n)).to.deep.equal({ txGasCap: 25_000n, maxCoalesce: 1 });
    expect(chainLimitsFor(0n)).to.deep.equal({ txGasCap: 0n, maxCoalesce: 1 });
  });

  it("grows with the block, never past a quarter of it per transaction", function () {
    let previous = 0;
    for (let limit = 1_000_000n; limit <= 200_000_000n; limit += 7_000_001n) {
      const { txGasCap, maxCoalesce } = chainLimitsFor(limit);
      expect(txGasCap * 4n <= limit && limit - txGasCap * 4n < 4n, `block ${limit}`).to.equal(true);
      expect(maxCoalesce).to.be.at.least(previous);
      previous = maxCoalesce;
    }
  });
});
