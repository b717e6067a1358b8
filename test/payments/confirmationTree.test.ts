import { expect } from "chai";
import { buildConfirmationTree, confirmationRecordOf, fallbackRecordText, sha256Hex, verifyConfirmationLeaf, type ConfirmationRecord } from "../../src/payments/confirmationTree";
import { buildPayoutTree, newSalt, payoutLeafHash } from "../../src/payments/payoutTree";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

describe("confirmation records and their tree", function () {
  const run = buildPayoutTree(
    [0, 1, 2].map((i) => ({
      pseudonym: `${i}`.repeat(64),
      deliveryLotIds: [3_000_000_001n + BigInt(i)],
      currency: "IDR",
      amount: 10_000_000n,
      premium: 900_000n,
      paidAt: 1_780_000_000,
      gender: "female" as const,
      salt: newSalt(),
    })),
  );
  const records: ConfirmationRecord[] = [
    { paymentLeaf: payoutLeafHash(run.leaves[0]!.value), verdict: "confirmed", kind: "passkey", proofHash: sha256Hex('{"v":"firstmile.confirmation.v1"}') },
    {
      paymentLeaf: payoutLeafHash(run.leaves[1]!.value),
      verdict: "disputed",
      kind: "paper",
      proofHash: sha256Hex(fallbackRecordText({ id: "pc_0000000000000000", paymentDigest: `0x${"ab".repeat(32)}`, kind: "paper", verdict: "disputed", evidenceCid: "bafkreiexample", recordedAt: new Date(0) })),
    },
    { paymentLeaf: payoutLeafHash(run.leaves[2]!.value), verdict: "confirmed", kind: "agent-code", proofHash: sha256Hex("agent") },
  ];

  it("names a payment by its leaf hash in the run, as the run's tree hashes it", function () {
    const tree = StandardMerkleTree.of(run.leaves.map((l) => l.value), ["bytes32", "uint256[]", "bytes3", "uint256", "uint256", "uint64", "uint8", "bytes32"]);
    expect(payoutLeafHash(run.leaves[1]!.value)).to.equal(tree.leafHash(run.leaves[1]!.value));
  });

  it("proves every record to the batch root; a changed verdict, kind, payment or proof hash does not", function () {
    const batch = buildConfirmationTree(records);
    expect(batch.count).to.equal(3);
    for (const leaf of batch.leaves) expect(verifyConfirmationLeaf(batch.root, leaf.value, leaf.proof)).to.equal(true);
    expect(batch.leaves.map((l) => confirmationRecordOf(l.value))).to.deep.equal(records);
    const changed = (index: number, value: unknown) => {
      const leaf = structuredClone(batch.leaves[0]!);
      (leaf.value as unknown[])[index] = value;
      return verifyConfirmationLeaf(batch.root, leaf.value, leaf.proof);
    };
    expect(changed(1, 2)).to.equal(false);
    expect(changed(2, 2)).to.equal(false);
    expect(changed(0, payoutLeafHash(run.leaves[1]!.value))).to.equal(false);
    expect(changed(3, sha256Hex("another statement"))).to.equal(false);
    expect(verifyConfirmationLeaf(batch.root, ["not hex", 1, 1, "x"] as never, [])).to.equal(false);
    expect(() => buildConfirmationTree([])).to.throw(RangeError);
  });

  it("holds nothing that names the farmer: only hashes and two small codes", function () {
    const batch = buildConfirmationTree(records);
    for (const { value } of batch.leaves) {
      expect(value[0]).to.match(/^0x[0-9a-f]{64}$/);
      expect([1, 2]).to.include(value[1]);
      expect([1, 2, 3]).to.include(value[2]);
      expect(value[3]).to.match(/^0x[0-9a-f]{64}$/);
    }
    expect(JSON.stringify(batch.leaves)).not.to.contain("0".repeat(64));
    expect(confirmationRecordOf([records[0]!.paymentLeaf, 9, 1, records[0]!.proofHash])).to.equal(null);
  });
});
