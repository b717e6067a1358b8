import { expect } from "chai";
import { Transaction, Wallet, getAddress } from "ethers";
import { forwarderInterface } from "../../src/chain/contracts";
import { encodeExecuteBatch, signedTransaction, unsignedTransactionHash, type Eip1559Transaction } from "../../src/relay/batchTransaction";
import { RelayInvalidRequestError } from "../../src/relay/errors";

const relayer = Wallet.createRandom();
const member = getAddress(Wallet.createRandom().address);
const target = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const signature = `0x${"5a".repeat(64)}1c`;
const FORWARDER_ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

function call(overrides: Partial<{ value: bigint; gas: bigint; nonce: bigint; deadline: bigint; data: string; from: string; to: string }> = {}, sig = signature) {
  return { forwardRequest: { from: member, to: target, value: 0n, gas: 90_000n, nonce: 0n, deadline: 1_900_000_000n, data: "0x", ...overrides }, signature: sig };
}

function transaction(overrides: Partial<Eip1559Transaction> = {}): Eip1559Transaction {
  return { chainId: 31337n, nonce: 0n, maxPriorityFeePerGas: 1n, maxFeePerGas: 2n, gasLimit: 21_000n, to: target, value: 0n, data: Buffer.alloc(0), ...overrides };
}

describe("batch transaction", function () {
  describe("encodeExecuteBatch", function () {
    it("round-trips through the forwarder's ABI: every request field, its signature and the refund receiver", function () {
      const calls = [call({ value: 5n, gas: 2n ** 64n, nonce: 9n, data: `0x${"c3".repeat(33)}` }), call({ deadline: 2n ** 48n - 1n, to: member, data: "0x01" }, `0x${"ee".repeat(65)}`)];
      const decoded = forwarderInterface.decodeFunctionData("executeBatch", encodeExecuteBatch(calls, relayer.address));
      expect(decoded.refundReceiver).to.equal(relayer.address);
      const requests = decoded[0];
      expect(requests).to.have.length(2);
      const fields = (request: Record<string, unknown>) => ({
        from: request.from,
        to: request.to,
        value: request.value,
        gas: request.gas,
        deadline: request.deadline,
        data: request.data,
        signature: request.signature,
      });
      expect(fields(requests[0])).to.deep.equal({ from: member, to: target, value: 5n, gas: 2n ** 64n, deadline: 1_900_000_000n, data: `0x${"c3".repeat(33)}`, signature });
      expect(fields(requests[1])).to.deep.equal({ from: member, to: member, value: 0n, gas: 90_000n, deadline: 2n ** 48n - 1n, data: "0x01", signature: `0x${"ee".repeat(65)}` });
    });

    it("leaves the nonce out: the forwarder reads it from its own state", function () {
      const a = encodeExecuteBatch([call({ nonce: 1n })], relayer.address);
      const b = encodeExecuteBatch([call({ nonce: 2n ** 200n })], relayer.address);
      expect(a.equals(b)).to.equal(true);
    });

    it("encodes an empty batch as an empty array", function () {
      const decoded = forwarderInterface.decodeFunctionData("executeBatch", encodeExecuteBatch([], relayer.address));
      expect(decoded[0]).to.have.length(0);
      expect(decoded[1]).to.equal(relayer.address);
    });

    it("refuses calldata, signatures and addresses that are not whole hex bytes", function () {
      const refuse = (calls: ReturnType<typeof call>[], receiver = relayer.address) => expect(() => encodeExecuteBatch(calls, receiver)).to.throw(RelayInvalidRequestError);
      refuse([call({ data: "0xabc" })]);
      refuse([call({ data: "0x12zz34" })]);
      refuse([call({}, "0xnot-a-signature")]);
      refuse([call({ to: "0x1234" })]);
      refuse([call({ from: `${member}00` })]);
      refuse([call()], "0xrelayer");
      refuse([call({ value: -1n })]);
      refuse([call({ gas: 2n ** 256n })]);
    });
  });

  describe("EIP-1559 envelope", function () {
    it("signs a transaction ethers parses back field by field, from the relayer", function () {
      const data = encodeExecuteBatch([call()], relayer.address);
      const tx = transaction({ nonce: 300n, maxPriorityFeePerGas: 1n, maxFeePerGas: 2_000_000_001n, gasLimit: 30_000_000n, to: FORWARDER_ADDRESS, value: 0n, data });
      const { raw, hash } = signedTransaction(tx, relayer.signingKey.sign(unsignedTransactionHash(tx)));
      const parsed = Transaction.from(raw);
      expect(parsed.type).to.equal(2);
      expect(parsed.hash).to.equal(hash);
      expect(parsed.from).to.equal(relayer.address);
      expect({ chainId: parsed.chainId, nonce: parsed.nonce, tip: parsed.maxPriorityFeePerGas, maxFee: parsed.maxFeePerGas, gas: parsed.gasLimit, to: parsed.to, value: parsed.value, data: parsed.data }).to.deep.equal({
        chainId: 31337n,
        nonce: 300,
        tip: 1n,
        maxFee: 2_000_000_001n,
        gas: 30_000_000n,
        to: FORWARDER_ADDRESS,
        value: 0n,
        data: `0x${data.toString("hex")}`,
      });
      expect(parsed.accessList).to.deep.equal([]);
    });

    it("writes RLP lengths and integers at their boundaries as ethers does", function () {
      // One byte below 0x80 stands for itself; 0x80 and above take a prefix; 56 bytes and more a long prefix.
      const values = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, 2n ** 64n, 2n ** 256n - 1n];
      const sizes = [0, 1, 55, 56, 255, 256, 70_000];
      for (const value of values) {
        const tx = transaction({ value, maxPriorityFeePerGas: value, maxFeePerGas: value, data: Buffer.from([0x7f]) });
        expect(unsignedTransactionHash(tx), `value ${value}`).to.equal(Transaction.from({ type: 2, ...tx, nonce: 0, data: "0x7f" }).unsignedHash);
      }
      for (const size of sizes) {
        const data = Buffer.alloc(size, 0x80);
        const tx = transaction({ nonce: BigInt(size), data });
        expect(unsignedTransactionHash(tx), `${size} bytes`).to.equal(Transaction.from({ type: 2, ...tx, nonce: size, data: `0x${data.toString("hex")}` }).unsignedHash);
      }
    });

    it("refuses a negative or oversized integer and a malformed recipient", function () {
      expect(() => unsignedTransactionHash(transaction({ nonce: -1n }))).to.throw(RelayInvalidRequestError);
      expect(() => unsignedTransactionHash(transaction({ value: 2n ** 256n }))).to.throw(RelayInvalidRequestError);
      expect(() => unsignedTransactionHash(transaction({ to: "0x00" }))).to.throw(RelayInvalidRequestError);
    });
  });
});
