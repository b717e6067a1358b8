import { expect } from "chai";
import type { PlannedCall } from "../../../src/relay/worker/calls";
import { callGas, packCalls } from "../../../src/relay/worker/pack";

const account = "0x00000000000000000000000000000000000000c1";

function planned(nonce: bigint, gas = 100_000n): PlannedCall {
  return {
    forwardRequest: { from: account, to: account, value: 0n, gas, nonce, deadline: 1n, data: "0x" },
    signature: "0x",
    custodial: true,
    rows: [{ id: nonce, memberId: 1n, kind: "lots.offer", offset: 0, items: 1 }],
  };
}

const noncesOf = (chunks: PlannedCall[][]) => chunks.map((chunk) => chunk.map((call) => call.forwardRequest.nonce));

describe("relay worker: packing calls into transactions", function () {
  it("counts a call's gas, what the 63/64 rule keeps back and the forwarder's checks", function () {
    expect(callGas(planned(0n, 630_000n))).to.equal(630_000n + 10_000n + 60_000n);
  });

  it("fills batches in nonce order, at most batchSize calls each", function () {
    const calls = [5n, 1n, 4n, 2n, 3n].map((nonce) => planned(nonce));
    expect(noncesOf(packCalls(calls, 2, 10n ** 9n))).to.deep.equal([[1n, 2n], [3n, 4n], [5n]]);
  });

  it("starts a new batch before the gas cap would be passed, and still sends a call larger than the cap alone", function () {
    const each = callGas(planned(0n));
    const calls = [0n, 1n, 2n].map((nonce) => planned(nonce));
    expect(noncesOf(packCalls(calls, 50, each * 2n))).to.deep.equal([[0n, 1n], [2n]]);
    expect(noncesOf(packCalls([planned(0n, 10n ** 8n), planned(1n)], 50, each))).to.deep.equal([[0n], [1n]]);
  });

  it("packs nothing into no transaction", function () {
    expect(packCalls([], 10, 10n ** 9n)).to.deep.equal([]);
  });
});
