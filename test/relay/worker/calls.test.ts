import { expect } from "chai";
import { Wallet, getAddress } from "ethers";
import { contractErrorsInterface } from "../../../src/chain/contracts";
import { decodeRevert } from "../../../src/relay/contractErrors";
import { ContractRevertError, JsonRpcError, RelayAccountError } from "../../../src/relay/errors";
import type { ForwardRequest, RelayRequest } from "../../../src/relay/outbox";
import { errorRecord, groupByCall, requestIdsOf, revertRecord, sameSigner } from "../../../src/relay/worker/calls";

const member = getAddress(Wallet.createRandom().address);
const registry = "0x00000000000000000000000000000000000000A1";

function forwardRequest(nonce: bigint, from = member): ForwardRequest {
  return { from, to: registry, value: 0n, gas: 200_000n, nonce, deadline: 1_900_000_000n, data: `0x${nonce.toString(16).padStart(8, "0")}` };
}

/** A request as the outbox reads it; signed into call `callId` unless that is null. */
function request(id: bigint, callId: bigint | null, overrides: Partial<RelayRequest> = {}): RelayRequest {
  const signed = callId !== null;
  const now = new Date(0);
  return {
    id,
    memberId: 7n,
    idempotencyKey: `key-${id}`,
    kind: "lots.mint",
    payload: {},
    forwardRequest: signed ? forwardRequest(callId) : null,
    signature: signed ? `0x${callId.toString(16).padStart(2, "0").repeat(65)}` : null,
    callId,
    callOffset: signed ? 0 : null,
    callItems: signed ? 1 : null,
    custodial: signed ? true : null,
    status: signed ? "signed" : "queued",
    txHash: null,
    blockNumber: null,
    outputs: null,
    error: null,
    attempts: 1,
    maxAttempts: 5,
    runAt: now,
    lockedBy: null,
    lockedAt: null,
    submittedAt: null,
    finishedAt: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

describe("relay worker: calls", function () {
  describe("groupByCall", function () {
    it("gathers the requests a coalesced call carries, each row keeping its place in the call, calls in first-seen order", function () {
      const calls = groupByCall([
        request(11n, 5n, { callOffset: 0, callItems: 2 }),
        request(12n, 3n, { kind: "lots.offer" }),
        request(13n, 5n, { callOffset: 2, callItems: 1, memberId: 8n }),
        request(14n, 5n, { callOffset: 3, callItems: 4 }),
      ]);
      expect(calls.map((call) => call.forwardRequest.nonce)).to.deep.equal([5n, 3n]);
      expect(calls[0]!.rows).to.deep.equal([
        { id: 11n, memberId: 7n, kind: "lots.mint", offset: 0, items: 2 },
        { id: 13n, memberId: 8n, kind: "lots.mint", offset: 2, items: 1 },
        { id: 14n, memberId: 7n, kind: "lots.mint", offset: 3, items: 4 },
      ]);
      expect(calls[1]!.rows).to.deep.equal([{ id: 12n, memberId: 7n, kind: "lots.offer", offset: 0, items: 1 }]);
      expect(calls[0]!.forwardRequest).to.deep.equal(forwardRequest(5n));
      expect(calls[0]!.signature).to.equal(request(0n, 5n).signature);
    });

    it("takes the call's request and signature from its first row, and marks nothing as a filler or freshly signed", function () {
      const [call] = groupByCall([request(1n, 9n), request(2n, 9n, { forwardRequest: forwardRequest(99n), signature: "0xff" })]);
      expect(call!.forwardRequest.nonce).to.equal(9n);
      expect(call!.signature).to.equal(request(0n, 9n).signature);
      expect(call).to.not.have.property("filler");
      expect(call).to.not.have.property("fresh");
    });

    it("leaves out requests not signed into a call: no call id, no forward request or no signature", function () {
      const calls = groupByCall([
        request(1n, null),
        request(2n, 4n, { forwardRequest: null }),
        request(3n, 4n, { signature: null }),
        request(4n, 6n),
      ]);
      expect(calls).to.have.length(1);
      expect(calls[0]!.rows.map((row) => row.id)).to.deep.equal([4n]);
      expect(groupByCall([])).to.deep.equal([]);
    });

    it("reads a self-signed call as not custodial, and a row without its place as the call's first and only item", function () {
      const [selfSigned, unplaced] = groupByCall([request(1n, 2n, { custodial: false }), request(2n, 3n, { custodial: null, callOffset: null, callItems: null })]);
      expect(selfSigned!.custodial).to.equal(false);
      expect(unplaced!.custodial).to.equal(false);
      expect(unplaced!.rows).to.deep.equal([{ id: 2n, memberId: 7n, kind: "lots.mint", offset: 0, items: 1 }]);
    });

    it("tells apart two calls with the same nonce from different signers by their call ids", function () {
      const other = getAddress(Wallet.createRandom().address);
      const calls = groupByCall([request(1n, 1n), request(2n, 2n, { forwardRequest: forwardRequest(1n, other) })]);
      expect(calls.map((call) => call.forwardRequest.from)).to.deep.equal([member, other]);
      expect(requestIdsOf(calls)).to.deep.equal([1n, 2n]);
    });
  });

  it("requestIdsOf lists every request of every call, in call and row order", function () {
    const calls = groupByCall([request(1n, 5n), request(2n, 6n), request(3n, 5n)]);
    expect(requestIdsOf(calls)).to.deep.equal([1n, 3n, 2n]);
    expect(requestIdsOf([])).to.deep.equal([]);
  });

  it("sameSigner compares the call's signer whatever the address case", function () {
    const [call] = groupByCall([request(1n, 1n)]);
    expect(sameSigner(call!, member.toLowerCase())).to.equal(true);
    expect(sameSigner(call!, `0x${member.slice(2).toUpperCase()}`)).to.equal(true);
    expect(sameSigner(call!, registry)).to.equal(false);
  });

  describe("errorRecord", function () {
    const caller = getAddress(Wallet.createRandom().address);
    const revert = decodeRevert(contractErrorsInterface.encodeErrorResult("LotRegistryNotCustodian", [caller, 42n, member]))!;

    it("keeps a contract's refusal as its decoded error: name, summary and arguments", function () {
      const record = errorRecord(new ContractRevertError(revert));
      expect(record).to.deep.equal({
        name: "LotRegistryNotCustodian",
        message: `LotRegistryNotCustodian(caller=${caller}, lotId=42, custodian=${member})`,
        revert: { error: "LotRegistryNotCustodian", args: { caller, lotId: "42", custodian: member } },
      });
      expect(revertRecord(revert)).to.deep.equal(record);
    });

    it("keeps another error's class name and short message, without the advice and details below it", function () {
      const error = new RelayAccountError("Member 7 has no account 0x12", { metaMessages: ["Add it first."], details: "secret-looking detail" });
      expect(error.message).to.contain("secret-looking detail");
      expect(errorRecord(error)).to.deep.equal({ name: "RelayAccountError", message: "Member 7 has no account 0x12" });
      expect(errorRecord(new JsonRpcError("eth_call", { code: -32000, message: "header not found" }))).to.include({ name: "JsonRpcError" });
    });

    it("keeps only the first line of a plain error's message, at most 300 characters", function () {
      expect(errorRecord(new TypeError("first line\nsecond line\n    at stack"))).to.deep.equal({ name: "TypeError", message: "first line" });
      expect(errorRecord(new Error("x".repeat(1_000))).message).to.have.length(300);
    });

    it("does not take an ethers revert description (no decoded `error`) for a contract's decoded refusal", function () {
      const ethersLike = Object.assign(new Error("execution reverted (unknown custom error)\ninfo"), { shortMessage: "execution reverted (unknown custom error)", revert: { name: "X", signature: "X()", args: [] } });
      expect(errorRecord(ethersLike)).to.deep.equal({ name: "Error", message: "execution reverted (unknown custom error)" });
    });

    it("records whatever was thrown, even a string, null or an object without a message", function () {
      expect(errorRecord("node went away")).to.deep.equal({ name: "Error", message: "node went away" });
      expect(errorRecord(null)).to.deep.equal({ name: "Error", message: "null" });
      expect(errorRecord(undefined)).to.deep.equal({ name: "Error", message: "undefined" });
      expect(errorRecord({ name: "Odd" })).to.deep.equal({ name: "Odd", message: "[object Object]" });
    });
  });
});
