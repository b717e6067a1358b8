import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { PayoutRegistry__factory } from "../../typechain-types";
import { buildPayoutTree, currencyBytes3, newSalt, payoutLeafHash, verifyPayoutLeaf } from "../../src/payments/payoutTree";
import { Role } from "../../src/membership/roles";
import { buildConfirmationTree } from "../../src/payments/confirmationTree";
import { Form, country, digest, handOver, lotHeldBy, mintLot, networkFixture, receiptOf } from "./fixtures";

const scheme = (name: string) => ethers.encodeBytes32String(name);

async function payoutFixture() {
  const network = await networkFixture();
  const payouts = await new PayoutRegistry__factory(network.governor).deploy(network.forwarder, network.registry);
  return { ...network, payouts };
}

function run(count = 2) {
  return buildPayoutTree(
    Array.from({ length: count }, (_, i) => ({
      pseudonym: ethers.id(`farmer ${i}`).slice(2),
      deliveryLotIds: [1_000_000_001n + BigInt(i)],
      currency: "IDR",
      amount: 5_000_000n + BigInt(i),
      premium: 200_000n,
      paidAt: 1_760_000_000,
      gender: i % 2 === 0 ? "female" : "male",
      salt: newSalt(),
    })),
  );
}

describe("PayoutRegistry", function () {
  describe("commitPremium", function () {
    it("records a brand's premium on a lot it holds, with the lot's grams", async function () {
      const network = await loadFixture(payoutFixture);
      const lotId = await lotHeldBy(network, network.brand, Form.dryBeans, 1_000_000n);
      await expect(network.payouts.connect(network.brand).commitPremium(lotId, scheme("fairtrade"), currencyBytes3("USD"), 24n))
        .to.emit(network.payouts, "PremiumCommitted")
        .withArgs(1n, lotId, network.members.brand, scheme("fairtrade"), currencyBytes3("USD"), 24n, 1_000_000n);
      const commitment = await network.payouts.premiumCommitment(1n);
      expect(commitment.lotId).to.equal(lotId);
      expect(commitment.grams).to.equal(1_000_000n);
      expect(await network.payouts.commitmentCount()).to.equal(1n);
    });

    it("refuses a lot the caller's member does not hold", async function () {
      const network = await loadFixture(payoutFixture);
      const lotId = await lotHeldBy(network, network.processor, Form.dryBeans, 1_000_000n);
      await expect(network.payouts.connect(network.brand).commitPremium(lotId, scheme("eudr"), currencyBytes3("USD"), 5n))
        .to.be.revertedWithCustomError(network.payouts, "PayoutRegistryNotCustodian")
        .withArgs(network.brand.address, lotId, network.processor.address);
    });

    it("refuses a lot in transit to the caller (not yet accepted) and a lot that does not exist", async function () {
      const network = await loadFixture(payoutFixture);
      const lotId = await mintLot(network.registry, network.coopPhone1, Form.dryBeans, 500_000n);
      await handOver(network.registry, lotId, network.coopPhone1, network.processor);
      await network.registry.connect(network.processor).offer(lotId, network.brand);
      await expect(network.payouts.connect(network.brand).commitPremium(lotId, scheme("eudr"), currencyBytes3("USD"), 5n)).to.be.revertedWithCustomError(
        network.payouts,
        "PayoutRegistryNotCustodian",
      );
      await expect(network.payouts.connect(network.brand).commitPremium(999n, scheme("eudr"), currencyBytes3("USD"), 5n))
        .to.be.revertedWithCustomError(network.registry, "LotRegistryUnknownLot")
        .withArgs(999n);
    });

    it("refuses a cooperative (not a buyer), a zero rate and a currency that is not three capitals", async function () {
      const network = await loadFixture(payoutFixture);
      const lotId = await mintLot(network.registry, network.coopPhone1, Form.dryBeans, 500_000n);
      await expect(network.payouts.connect(network.coopPhone1).commitPremium(lotId, scheme("eudr"), currencyBytes3("USD"), 5n)).to.be.revertedWithCustomError(
        network.registry,
        "MembershipUnauthorized",
      );
      const held = await lotHeldBy(network, network.brand, Form.dryBeans, 1_000n);
      await expect(network.payouts.connect(network.brand).commitPremium(held, scheme("eudr"), currencyBytes3("USD"), 0n)).to.be.revertedWithCustomError(
        network.payouts,
        "PayoutRegistryInvalidInput",
      );
      await expect(network.payouts.connect(network.brand).commitPremium(held, scheme("eudr"), currencyBytes3("usd"), 5n))
        .to.be.revertedWithCustomError(network.payouts, "PayoutRegistryInvalidCurrency")
        .withArgs(currencyBytes3("usd"));
    });
  });

  describe("publishPayoutRun", function () {
    it("publishes a run's root with its count and totals, and each leaf's proof checks against it", async function () {
      const network = await loadFixture(payoutFixture);
      const tree = run(3);
      const receipt = await receiptOf(
        network.payouts.connect(network.coopPhone2).publishPayoutRun(tree.root, tree.count, [currencyBytes3("IDR")], [tree.totals[0]!.total]),
      );
      expect(receipt.status).to.equal(1);
      const stored = await network.payouts.payoutRun(tree.root);
      expect(stored.member).to.equal(network.members.cooperative);
      expect(stored.count).to.equal(3n);
      for (const leaf of tree.leaves) expect(verifyPayoutLeaf(tree.root, leaf.value, leaf.proof)).to.equal(true);
      const changed = [...tree.leaves[0]!.value] as typeof tree.leaves[0]["value"];
      changed[3] = (BigInt(changed[3]) + 1n).toString();
      expect(verifyPayoutLeaf(tree.root, changed, tree.leaves[0]!.proof)).to.equal(false);
    });

    it("refuses a root published before, by anyone", async function () {
      const network = await loadFixture(payoutFixture);
      const tree = run();
      await network.payouts.connect(network.coopPhone1).publishPayoutRun(tree.root, tree.count, [currencyBytes3("IDR")], [1n]);
      await expect(network.payouts.connect(network.coopPhone2).publishPayoutRun(tree.root, tree.count, [currencyBytes3("IDR")], [1n]))
        .to.be.revertedWithCustomError(network.payouts, "PayoutRegistryRootPublished")
        .withArgs(tree.root, network.members.cooperative);
    });

    it("refuses a non-cooperative, a zero root or count, totals that do not match the currencies, a currency twice", async function () {
      const network = await loadFixture(payoutFixture);
      const tree = run();
      const idr = currencyBytes3("IDR");
      await expect(network.payouts.connect(network.brand).publishPayoutRun(tree.root, 2, [idr], [1n])).to.be.revertedWithCustomError(network.registry, "MembershipUnauthorized");
      const coop = network.payouts.connect(network.coopPhone1);
      await expect(coop.publishPayoutRun(ethers.ZeroHash, 2, [idr], [1n])).to.be.revertedWithCustomError(network.payouts, "PayoutRegistryInvalidInput").withArgs("root is zero");
      await expect(coop.publishPayoutRun(tree.root, 0, [idr], [1n])).to.be.revertedWithCustomError(network.payouts, "PayoutRegistryInvalidInput").withArgs("count is zero");
      await expect(coop.publishPayoutRun(tree.root, 2, [idr], [])).to.be.revertedWithCustomError(network.payouts, "PayoutRegistryInvalidInput");
      await expect(coop.publishPayoutRun(tree.root, 2, [idr, idr], [1n, 2n])).to.be.revertedWithCustomError(network.payouts, "PayoutRegistryInvalidInput").withArgs("a currency twice");
      expect((await network.payouts.payoutRun(tree.root)).member).to.equal(0n);
    });
  });

  describe("publishConfirmationRoot", function () {
    /** A published run of 3 payments, and a batch of confirmation records of two of them. */
    async function publishedRun() {
      const network = await loadFixture(payoutFixture);
      const tree = run(3);
      await network.payouts.connect(network.coopPhone1).publishPayoutRun(tree.root, tree.count, [currencyBytes3("IDR")], [tree.totals[0]!.total]);
      const batch = buildConfirmationTree([
        { paymentLeaf: payoutLeafHash(tree.leaves[0]!.value), verdict: "confirmed", kind: "passkey", proofHash: ethers.sha256(ethers.toUtf8Bytes("statement 0")) },
        { paymentLeaf: payoutLeafHash(tree.leaves[1]!.value), verdict: "disputed", kind: "paper", proofHash: ethers.sha256(ethers.toUtf8Bytes("record 1")) },
      ]);
      return { ...network, tree, batch };
    }

    it("binds a batch's root and count to a published run, by the run's cooperative (any of its accounts), in about 80k gas", async function () {
      const network = await publishedRun();
      const { tree, batch } = network;
      const tx = network.payouts.connect(network.coopPhone2).publishConfirmationRoot(tree.root, batch.root, batch.count);
      await expect(tx).to.emit(network.payouts, "ConfirmationRootPublished").withArgs(batch.root, tree.root, network.members.cooperative, 2n);
      const receipt = await receiptOf(network.payouts.connect(network.coopPhone2).publishConfirmationRoot(tree.root, buildConfirmationTree([{ ...batch.records[0]!, verdict: "disputed" }]).root, 1));
      console.log(`      (publishConfirmationRoot: ${receipt.gasUsed} gas)`);
      expect(receipt.gasUsed).to.be.below(90_000n);
      const stored = await network.payouts.confirmationBatch(batch.root);
      expect([stored.member, stored.count, stored.runRoot]).to.deep.equal([network.members.cooperative, 2n, tree.root]);
      expect(stored.publishedAt).to.be.above(0n);
      expect((await network.payouts.confirmationBatch(ethers.ZeroHash)).member).to.equal(0n);
    });

    it("refuses the same batch root again, a batch for an unknown run, and another cooperative's run, writing nothing", async function () {
      const network = await publishedRun();
      const { tree, batch } = network;
      const coop = network.payouts.connect(network.coopPhone1);
      await coop.publishConfirmationRoot(tree.root, batch.root, batch.count);
      await expect(coop.publishConfirmationRoot(tree.root, batch.root, batch.count))
        .to.be.revertedWithCustomError(network.payouts, "PayoutRegistryConfirmationsPublished")
        .withArgs(batch.root, tree.root);
      const other = buildConfirmationTree([{ ...batch.records[0]!, proofHash: ethers.ZeroHash }]);
      const unknownRun = ethers.id("no such run");
      await expect(coop.publishConfirmationRoot(unknownRun, other.root, 1)).to.be.revertedWithCustomError(network.payouts, "PayoutRegistryUnknownRun").withArgs(unknownRun);
      await network.membership.connect(network.governor).addMember(Role.cooperative, country("ID"), digest("another cooperative"), [network.spare1]);
      await expect(network.payouts.connect(network.spare1).publishConfirmationRoot(tree.root, other.root, 1))
        .to.be.revertedWithCustomError(network.payouts, "PayoutRegistryNotRunPublisher")
        .withArgs(network.spare1.address, tree.root, network.members.cooperative);
      expect((await network.payouts.confirmationBatch(other.root)).member).to.equal(0n);
    });

    it("refuses a non-cooperative, a zero batch root and a zero count", async function () {
      const network = await publishedRun();
      const { tree, batch } = network;
      await expect(network.payouts.connect(network.brand).publishConfirmationRoot(tree.root, batch.root, 2)).to.be.revertedWithCustomError(network.registry, "MembershipUnauthorized");
      const coop = network.payouts.connect(network.coopPhone1);
      await expect(coop.publishConfirmationRoot(tree.root, ethers.ZeroHash, 2)).to.be.revertedWithCustomError(network.payouts, "PayoutRegistryInvalidInput").withArgs("batch root is zero");
      await expect(coop.publishConfirmationRoot(tree.root, batch.root, 0)).to.be.revertedWithCustomError(network.payouts, "PayoutRegistryInvalidInput").withArgs("count is zero");
      expect((await network.payouts.confirmationBatch(batch.root)).member).to.equal(0n);
    });
  });
});
