import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { computeHistoryHead, type LotHistoryEvent } from "../../src/lots/historyHead";
import { FORMS } from "../../src/lots/forms";
import { Form, LotStatus, Roles, delivery, handOver, lotHeldBy, mintLot, networkFixture } from "./fixtures";

const ZERO = ethers.ZeroAddress;
const WET_BEANS_LOSS_BPS = 500;
const WET_BEANS_GAIN_BPS = 50;
const DRY_BEANS_LOSS_BPS = 100;
const DRY_BEANS_GAIN_BPS = 50;

/** A wet-bean lot of 100 kg at 55 % moisture held by the cooperative's first phone, and its minted event. */
async function cooperativeLotFixture() {
  const network = await networkFixture();
  const d = delivery(Form.wetBeans, 100_000n, "handover", 5_500);
  const lotId = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 100_000n, "handover", 5_500);
  const minted: LotHistoryEvent = {
    kind: "minted",
    lotId,
    custodian: network.coopPhone1.address,
    form: Form.wetBeans,
    grams: 100_000n,
    quality: 5_500,
    metadata: String(d.metadata),
    origin: String(d.origin),
  };
  return { ...network, lotId, minted };
}

/** The same lot, offered to the processor. */
async function offeredLotFixture() {
  const network = await cooperativeLotFixture();
  await network.registry.connect(network.coopPhone1).offer(network.lotId, network.processor);
  const offered: LotHistoryEvent = {
    kind: "offered",
    lotId: network.lotId,
    custodian: network.coopPhone1.address,
    receiver: network.processor.address,
  };
  return { ...network, offered };
}

describe("LotRegistry: handover", function () {
  describe("when the custodian offers a lot", function () {
    it("puts it in transit to the receiver, custody unchanged", async function () {
      const { registry, coopPhone1, processor, lotId, minted } = await loadFixture(cooperativeLotFixture);
      const head = computeHistoryHead([
        minted,
        { kind: "offered", lotId, custodian: coopPhone1.address, receiver: processor.address },
      ]);
      await expect(registry.connect(coopPhone1).offer(lotId, processor))
        .to.emit(registry, "HandoverOffered")
        .withArgs(lotId, coopPhone1.address, processor.address, head);

      const { lot, head: stored, pendingReceiver } = await registry.getLot(lotId);
      expect(lot.status).to.equal(LotStatus.InTransit);
      expect(lot.custodian).to.equal(coopPhone1.address);
      expect(stored).to.equal(head);
      expect(pendingReceiver).to.equal(processor.address);
      expect(await registry.ownerOf(lotId)).to.equal(coopPhone1.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(1n);
      expect(await registry.balanceOf(processor)).to.equal(0n);
    });

    it("lets a sibling account of the same cooperative offer it", async function () {
      const { registry, coopPhone1, coopPhone2, brand, lotId, minted } = await loadFixture(cooperativeLotFixture);
      const head = computeHistoryHead([
        minted,
        { kind: "offered", lotId, custodian: coopPhone1.address, receiver: brand.address },
      ]);
      await expect(registry.connect(coopPhone2).offer(lotId, brand))
        .to.emit(registry, "HandoverOffered")
        .withArgs(lotId, coopPhone1.address, brand.address, head);
    });

    for (const other of ["processor", "brand"] as const) {
      it(`refuses another member's account (${other}) with LotRegistryNotCustodian`, async function () {
        const network = await loadFixture(cooperativeLotFixture);
        const { registry, coopPhone1, brand, processor, lotId } = network;
        const caller = network[other];
        await expect(registry.connect(caller).offer(lotId, other === "brand" ? processor : brand))
          .to.be.revertedWithCustomError(registry, "LotRegistryNotCustodian")
          .withArgs(caller.address, lotId, coopPhone1.address);
      });
    }

    it("refuses an account without a custodian role before anything else", async function () {
      const { registry, membership, certifier, processor, lotId } = await loadFixture(cooperativeLotFixture);
      await expect(registry.connect(certifier).offer(lotId, processor))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(certifier.address, Roles.custodians);
    });

    it("refuses an unknown lot", async function () {
      const { registry, coopPhone1, processor } = await loadFixture(cooperativeLotFixture);
      await expect(registry.connect(coopPhone1).offer(99n, processor))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(99n);
    });

    it("refuses a lot already in transit", async function () {
      const { registry, coopPhone1, brand, lotId } = await loadFixture(offeredLotFixture);
      await expect(registry.connect(coopPhone1).offer(lotId, brand))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(lotId, LotStatus.InTransit);
    });

    it("accepts a processor or a brand as receiver", async function () {
      const { registry, coopPhone1, processor, brand, lotId } = await loadFixture(cooperativeLotFixture);
      const second = await mintLot(registry, coopPhone1, Form.wetBeans, 1_000n);
      await registry.connect(coopPhone1).offer(lotId, processor);
      await registry.connect(coopPhone1).offer(second, brand);
      expect((await registry.getLot(lotId)).pendingReceiver).to.equal(processor.address);
      expect((await registry.getLot(second)).pendingReceiver).to.equal(brand.address);
    });

    describe("when the receiver cannot take custody", function () {
      const invalid = {
        "a certifier": "certifier",
        "a relayer": "relayer",
        "a governor": "governor",
        "a stranger": "stranger",
        "a sibling account of the same cooperative": "coopPhone2",
        "the custodian itself": "coopPhone1",
      } as const;
      for (const [label, name] of Object.entries(invalid)) {
        it(`refuses ${label} with LotRegistryInvalidReceiver`, async function () {
          const network = await loadFixture(cooperativeLotFixture);
          const receiver = network[name];
          await expect(network.registry.connect(network.coopPhone1).offer(network.lotId, receiver))
            .to.be.revertedWithCustomError(network.registry, "LotRegistryInvalidReceiver")
            .withArgs(receiver.address);
        });
      }

      it("refuses the zero address", async function () {
        const { registry, coopPhone1, lotId } = await loadFixture(cooperativeLotFixture);
        await expect(registry.connect(coopPhone1).offer(lotId, ZERO))
          .to.be.revertedWithCustomError(registry, "LotRegistryInvalidReceiver")
          .withArgs(ZERO);
      });

      it("refuses a suspended account and an account of a suspended member", async function () {
        const { registry, membership, members, coopPhone1, processor, brand, lotId } = await loadFixture(
          cooperativeLotFixture,
        );
        await membership.setAccountActive(processor, false);
        await expect(registry.connect(coopPhone1).offer(lotId, processor))
          .to.be.revertedWithCustomError(registry, "LotRegistryReceiverSuspended")
          .withArgs(processor.address, members.processor);
        await membership.setMemberActive(members.brand, false);
        await expect(registry.connect(coopPhone1).offer(lotId, brand))
          .to.be.revertedWithCustomError(registry, "LotRegistryReceiverSuspended")
          .withArgs(brand.address, members.brand);
      });
    });
  });

  describe("when the receiver accepts", function () {
    it("moves custody and records the weight received, keeping the lot's quality when none is measured", async function () {
      const { registry, coopPhone1, processor, lotId, minted, offered } = await loadFixture(offeredLotFixture);
      const head = computeHistoryHead([
        minted,
        offered,
        {
          kind: "accepted",
          lotId,
          previousCustodian: coopPhone1.address,
          custodian: processor.address,
          gramsSent: 100_000n,
          gramsReceived: 98_500n,
          quality: 5_500,
        },
      ]);
      await expect(registry.connect(processor).accept(lotId, 98_500n, 0))
        .to.emit(registry, "HandoverAccepted")
        .withArgs(lotId, coopPhone1.address, processor.address, 100_000n, 98_500n, 5_500, head)
        .and.to.emit(registry, "Transfer")
        .withArgs(coopPhone1.address, processor.address, lotId);

      const { lot, head: stored, pendingReceiver } = await registry.getLot(lotId);
      expect([lot.custodian, lot.grams, lot.status, lot.quality]).to.deep.equal([
        processor.address,
        98_500n,
        LotStatus.Active,
        5_500n,
      ]);
      expect(stored).to.equal(head);
      expect(pendingReceiver).to.equal(ZERO);
      expect(await registry.ownerOf(lotId)).to.equal(processor.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(0n);
      expect(await registry.balanceOf(processor)).to.equal(1n);
    });

    it("records the quality the receiver measures, in the lot and in its head", async function () {
      const { registry, coopPhone1, processor, lotId, minted, offered } = await loadFixture(offeredLotFixture);
      const accepted: LotHistoryEvent = {
        kind: "accepted",
        lotId,
        previousCustodian: coopPhone1.address,
        custodian: processor.address,
        gramsSent: 100_000n,
        gramsReceived: 96_000n,
        quality: 5_100,
      };
      await expect(registry.connect(processor).accept(lotId, 96_000n, 5_100))
        .to.emit(registry, "HandoverAccepted")
        .withArgs(lotId, coopPhone1.address, processor.address, 100_000n, 96_000n, 5_100, computeHistoryHead([minted, offered, accepted]));
      expect((await registry.getLot(lotId)).lot.quality).to.equal(5_100n);
    });

    it("refuses a measured quality above 100 %", async function () {
      const { registry, processor, lotId } = await loadFixture(offeredLotFixture);
      await expect(registry.connect(processor).accept(lotId, 100_000n, 10_001))
        .to.be.revertedWithCustomError(registry, "LotRegistryInvalidQuality")
        .withArgs(0, 10_001);
      await expect(registry.connect(processor).accept(lotId, 100_000n, 10_000)).to.emit(registry, "HandoverAccepted");
    });

    it("makes the accepting account the custodian when a sibling of the receiver accepts", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, processor, coopPhone1, coopPhone2 } = network;
      const lotId = await lotHeldBy(network, processor, Form.dryBeans, 20_000n);
      await registry.connect(processor).offer(lotId, coopPhone1);
      await expect(registry.connect(coopPhone2).accept(lotId, 20_000n, 0))
        .to.emit(registry, "Transfer")
        .withArgs(processor.address, coopPhone2.address, lotId);
      expect(await registry.ownerOf(lotId)).to.equal(coopPhone2.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(0n);
      expect(await registry.balanceOf(coopPhone2)).to.equal(1n);
    });

    it("lets the previous custodian no longer act on the lot", async function () {
      const { registry, coopPhone1, processor, brand, lotId } = await loadFixture(offeredLotFixture);
      await registry.connect(processor).accept(lotId, 100_000n, 0);
      await expect(registry.connect(coopPhone1).offer(lotId, brand))
        .to.be.revertedWithCustomError(registry, "LotRegistryNotCustodian")
        .withArgs(coopPhone1.address, lotId, processor.address);
      await expect(registry.connect(processor).offer(lotId, brand)).to.emit(registry, "HandoverOffered");
    });

    describe("when the weight differs from the sent weight", function () {
      // Wet beans: a 5 % loss (5 000 of 100 000 g) and a 0.5 % gain (500 g) are allowed.
      const loss = (100_000n * BigInt(WET_BEANS_LOSS_BPS)) / 10_000n;
      const gain = (100_000n * BigInt(WET_BEANS_GAIN_BPS)) / 10_000n;
      it("accepts exactly the loss allowance and takes the lighter weight", async function () {
        const { registry, coopPhone1, processor, lotId } = await loadFixture(offeredLotFixture);
        await expect(registry.connect(processor).accept(lotId, 100_000n - loss, 0))
          .to.emit(registry, "HandoverAccepted")
          .withArgs(lotId, coopPhone1.address, processor.address, 100_000n, 100_000n - loss, 5_500, anyValue);
        expect((await registry.getLot(lotId)).lot.grams).to.equal(100_000n - loss);
      });

      it("accepts exactly the gain allowance, records the reading, and keeps the sent weight", async function () {
        const { registry, coopPhone1, processor, lotId } = await loadFixture(offeredLotFixture);
        await expect(registry.connect(processor).accept(lotId, 100_000n + gain, 0))
          .to.emit(registry, "HandoverAccepted")
          .withArgs(lotId, coopPhone1.address, processor.address, 100_000n, 100_000n + gain, 5_500, anyValue);
        expect((await registry.getLot(lotId)).lot.grams).to.equal(100_000n);
      });

      for (const [label, received] of [
        ["one gram over the gain allowance", 100_000n + gain + 1n],
        ["one gram under the loss allowance", 100_000n - loss - 1n],
      ] as const) {
        it(`refuses ${label} with LotRegistryOutsideTolerance`, async function () {
          const { registry, processor, lotId } = await loadFixture(offeredLotFixture);
          await expect(registry.connect(processor).accept(lotId, received, 0))
            .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
            .withArgs(lotId, 100_000n, received, WET_BEANS_LOSS_BPS, WET_BEANS_GAIN_BPS);
        });
      }

      it("rounds the allowances down to whole grams (1 % of 123 457 g is 1 234.57 g, 0.5 % is 617.285 g)", async function () {
        const network = await loadFixture(networkFixture);
        const { registry, coopPhone1, processor } = network;
        const lotIds = [
          await mintLot(registry, coopPhone1, Form.dryBeans, 123_457n, "a"),
          await mintLot(registry, coopPhone1, Form.dryBeans, 123_457n, "b"),
        ];
        for (const lotId of lotIds) await registry.connect(coopPhone1).offer(lotId, processor);
        await expect(registry.connect(processor).accept(lotIds[0], 123_457n + 618n, 0))
          .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
          .withArgs(lotIds[0], 123_457n, 123_457n + 618n, DRY_BEANS_LOSS_BPS, DRY_BEANS_GAIN_BPS);
        await expect(registry.connect(processor).accept(lotIds[0], 123_457n - 1_235n, 0))
          .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
          .withArgs(lotIds[0], 123_457n, 123_457n - 1_235n, DRY_BEANS_LOSS_BPS, DRY_BEANS_GAIN_BPS);
        await registry.connect(processor).accept(lotIds[0], 123_457n + 617n, 0);
        await registry.connect(processor).accept(lotIds[1], 123_457n - 1_234n, 0);
        expect((await registry.getLot(lotIds[0])).lot.grams).to.equal(123_457n);
        expect((await registry.getLot(lotIds[1])).lot.grams).to.equal(122_223n);
      });

      // Every form of the catalogue, at both edges of both allowances: a loss is what the form really
      // loses between two scales, a gain beyond scale error is refused (soaked lump, watered latex).
      for (const form of FORMS) {
        it(`holds ${form.key} to a ${form.lossBps / 100} % loss and a ${form.gainBps / 100} % gain, to the gram`, async function () {
          const network = await loadFixture(networkFixture);
          const { registry, coopPhone1, processor } = network;
          const sent = 1_000_000n;
          const maxLoss = (sent * BigInt(form.lossBps)) / 10_000n;
          const maxGain = (sent * BigInt(form.gainBps)) / 10_000n;
          const lots = [];
          for (const tag of ["loss", "gain", "over", "under"]) {
            const lotId = await mintLot(registry, coopPhone1, form.id, sent, `${form.key} ${tag}`);
            await registry.connect(coopPhone1).offer(lotId, processor);
            lots.push(lotId);
          }
          const [atLoss, atGain, overGain, underLoss] = lots;
          await expect(registry.connect(processor).accept(overGain, sent + maxGain + 1n, 0))
            .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
            .withArgs(overGain, sent, sent + maxGain + 1n, form.lossBps, form.gainBps);
          await expect(registry.connect(processor).accept(underLoss, sent - maxLoss - 1n, 0))
            .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
            .withArgs(underLoss, sent, sent - maxLoss - 1n, form.lossBps, form.gainBps);
          await registry.connect(processor).accept(atLoss, sent - maxLoss, 0);
          await registry.connect(processor).accept(atGain, sent + maxGain, 0);
          expect((await registry.getLot(atLoss)).lot.grams).to.equal(sent - maxLoss);
          expect((await registry.getLot(atGain)).lot.grams).to.equal(sent);
        });
      }

      it("applies the form's allowances as governance changes them, even to a lot in transit", async function () {
        const { registry, processor, lotId } = await loadFixture(offeredLotFixture);
        await registry.setFormTolerance(Form.wetBeans, 0, 0);
        await expect(registry.connect(processor).accept(lotId, 99_999n, 0))
          .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
          .withArgs(lotId, 100_000n, 99_999n, 0, 0);
        await expect(registry.connect(processor).accept(lotId, 100_001n, 0))
          .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
          .withArgs(lotId, 100_000n, 100_001n, 0, 0);
        await expect(registry.connect(processor).accept(lotId, 100_000n, 0)).to.emit(registry, "HandoverAccepted");
      });

      it("refuses zero grams received", async function () {
        const { registry, processor, lotId } = await loadFixture(offeredLotFixture);
        await registry.setFormTolerance(Form.wetBeans, 1_000, 1_000);
        await expect(registry.connect(processor).accept(lotId, 0n, 0))
          .to.be.revertedWithCustomError(registry, "LotRegistryZeroQuantity")
          .withArgs(0);
      });
    });

    it("refuses a third party with LotRegistryNotReceiver", async function () {
      const { registry, brand, processor, lotId } = await loadFixture(offeredLotFixture);
      await expect(registry.connect(brand).accept(lotId, 100_000n, 0))
        .to.be.revertedWithCustomError(registry, "LotRegistryNotReceiver")
        .withArgs(brand.address, lotId, processor.address);
    });

    it("refuses the sender itself with LotRegistryNotReceiver", async function () {
      const { registry, coopPhone1, coopPhone2, processor, lotId } = await loadFixture(offeredLotFixture);
      for (const phone of [coopPhone1, coopPhone2]) {
        await expect(registry.connect(phone).accept(lotId, 100_000n, 0))
          .to.be.revertedWithCustomError(registry, "LotRegistryNotReceiver")
          .withArgs(phone.address, lotId, processor.address);
      }
    });

    it("refuses an account without a custodian role", async function () {
      const { registry, membership, certifier, lotId } = await loadFixture(offeredLotFixture);
      await expect(registry.connect(certifier).accept(lotId, 100_000n, 0))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(certifier.address, Roles.custodians);
    });

    it("refuses a lot that is not in transit", async function () {
      const { registry, processor, lotId } = await loadFixture(cooperativeLotFixture);
      await expect(registry.connect(processor).accept(lotId, 100_000n, 0))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(lotId, LotStatus.Active);
    });

    it("refuses a lot accepted already", async function () {
      const { registry, processor, lotId } = await loadFixture(offeredLotFixture);
      await registry.connect(processor).accept(lotId, 100_000n, 0);
      await expect(registry.connect(processor).accept(lotId, 100_000n, 0))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(lotId, LotStatus.Active);
    });

    it("refuses an unknown lot", async function () {
      const { registry, processor } = await loadFixture(offeredLotFixture);
      await expect(registry.connect(processor).accept(5n, 1n, 0))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(5n);
    });
  });

  describe("when the receiver rejects", function () {
    it("returns the lot to active with the sender, with the reason", async function () {
      const { registry, coopPhone1, processor, lotId, minted, offered } = await loadFixture(offeredLotFixture);
      const head = computeHistoryHead([
        minted,
        offered,
        { kind: "rejected", lotId, custodian: coopPhone1.address, receiver: processor.address, reason: 2 },
      ]);
      await expect(registry.connect(processor).reject(lotId, 2))
        .to.emit(registry, "HandoverRejected")
        .withArgs(lotId, coopPhone1.address, processor.address, 2, head)
        .and.not.to.emit(registry, "Transfer");
      const { lot, head: stored, pendingReceiver } = await registry.getLot(lotId);
      expect([lot.custodian, lot.grams, lot.status]).to.deep.equal([coopPhone1.address, 100_000n, LotStatus.Active]);
      expect(stored).to.equal(head);
      expect(pendingReceiver).to.equal(ZERO);
      expect(await registry.balanceOf(processor)).to.equal(0n);
    });

    it("lets the sender offer it again, to anyone", async function () {
      const { registry, coopPhone1, processor, brand, lotId } = await loadFixture(offeredLotFixture);
      await registry.connect(processor).reject(lotId, 1);
      await registry.connect(coopPhone1).offer(lotId, brand);
      await expect(registry.connect(processor).accept(lotId, 100_000n, 0))
        .to.be.revertedWithCustomError(registry, "LotRegistryNotReceiver")
        .withArgs(processor.address, lotId, brand.address);
      await expect(registry.connect(brand).accept(lotId, 100_000n, 0)).to.emit(registry, "HandoverAccepted");
    });

    it("refuses the sender and third parties with LotRegistryNotReceiver", async function () {
      const { registry, coopPhone1, brand, processor, lotId } = await loadFixture(offeredLotFixture);
      for (const caller of [coopPhone1, brand]) {
        await expect(registry.connect(caller).reject(lotId, 1))
          .to.be.revertedWithCustomError(registry, "LotRegistryNotReceiver")
          .withArgs(caller.address, lotId, processor.address);
      }
    });

    it("refuses a lot that is not in transit", async function () {
      const { registry, processor, lotId } = await loadFixture(cooperativeLotFixture);
      await expect(registry.connect(processor).reject(lotId, 1))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(lotId, LotStatus.Active);
    });
  });

  describe("when the sender cancels", function () {
    it("withdraws the offer", async function () {
      const { registry, coopPhone1, processor, lotId, minted, offered } = await loadFixture(offeredLotFixture);
      const head = computeHistoryHead([
        minted,
        offered,
        { kind: "cancelled", lotId, custodian: coopPhone1.address, receiver: processor.address },
      ]);
      await expect(registry.connect(coopPhone1).cancel(lotId))
        .to.emit(registry, "HandoverCancelled")
        .withArgs(lotId, coopPhone1.address, processor.address, head);
      const { lot, pendingReceiver } = await registry.getLot(lotId);
      expect(lot.status).to.equal(LotStatus.Active);
      expect(pendingReceiver).to.equal(ZERO);
      await expect(registry.connect(processor).accept(lotId, 100_000n, 0))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(lotId, LotStatus.Active);
    });

    it("lets a sibling account of the sender cancel", async function () {
      const { registry, coopPhone1, coopPhone2, processor, lotId } = await loadFixture(offeredLotFixture);
      await expect(registry.connect(coopPhone2).cancel(lotId))
        .to.emit(registry, "HandoverCancelled")
        .withArgs(lotId, coopPhone1.address, processor.address, anyValue);
    });

    it("lets the sender take back a lot offered to a member suspended since", async function () {
      const { registry, membership, members, coopPhone1, processor, lotId } = await loadFixture(offeredLotFixture);
      await membership.setMemberActive(members.processor, false);
      await expect(registry.connect(coopPhone1).cancel(lotId))
        .to.emit(registry, "HandoverCancelled")
        .withArgs(lotId, coopPhone1.address, processor.address, anyValue);
      expect((await registry.getLot(lotId)).lot.status).to.equal(LotStatus.Active);
    });

    it("refuses the receiver and third parties with LotRegistryNotCustodian", async function () {
      const { registry, coopPhone1, processor, brand, lotId } = await loadFixture(offeredLotFixture);
      for (const caller of [processor, brand]) {
        await expect(registry.connect(caller).cancel(lotId))
          .to.be.revertedWithCustomError(registry, "LotRegistryNotCustodian")
          .withArgs(caller.address, lotId, coopPhone1.address);
      }
    });

    it("refuses a lot that is not in transit", async function () {
      const { registry, coopPhone1, lotId } = await loadFixture(cooperativeLotFixture);
      await expect(registry.connect(coopPhone1).cancel(lotId))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(lotId, LotStatus.Active);
    });
  });

  describe("when a lot passes along the chain", function () {
    it("goes cooperative -> processor -> brand, each weighing it", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, coopPhone1, processor, brand } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.dryBeans, 500_000n);
      await handOver(registry, lotId, coopPhone1, processor, 496_000n);
      await handOver(registry, lotId, processor, brand, 495_000n);
      const accepted = await registry.queryFilter(registry.filters.HandoverAccepted(lotId));
      expect(
        accepted.map((event) => [
          event.args.previousCustodian,
          event.args.custodian,
          event.args.gramsSent,
          event.args.gramsReceived,
        ]),
      ).to.deep.equal([
        [coopPhone1.address, processor.address, 500_000n, 496_000n],
        [processor.address, brand.address, 496_000n, 495_000n],
      ]);
      expect(await registry.ownerOf(lotId)).to.equal(brand.address);
      expect(await registry.balanceOf(processor)).to.equal(0n);
      expect(await registry.balanceOf(brand)).to.equal(1n);
    });
  });
});
