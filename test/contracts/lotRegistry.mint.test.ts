import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setStorageAt } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ILotRegistry, LotRegistry } from "../../typechain-types";
import { computeHistoryHead } from "../../src/lots/historyHead";
import {
  Form,
  LOT_ID_BASE,
  LotStatus,
  MAX_BATCH,
  MAX_FORM,
  Role,
  delivery,
  lotHeldBy,
  logsOf,
  output,
  networkFixture,
  receiptOf,
  type Network,
} from "./fixtures";

/** The head a freshly minted lot must have, computed off chain. */
function mintedHead(lotId: bigint, custodian: string, d: ILotRegistry.DeliveryStruct): string {
  return computeHistoryHead([
    {
      kind: "minted",
      lotId,
      custodian,
      form: Number(d.form),
      grams: BigInt(d.grams),
      quality: Number(d.quality),
      metadata: String(d.metadata),
      origin: String(d.origin),
    },
  ]);
}

function deliveries(count: number, form: number = Form.wetBeans): ILotRegistry.DeliveryStruct[] {
  // Moisture as a buying station reads it: 50.00 % upwards, one a day unmeasured.
  return Array.from({ length: count }, (_, index) =>
    delivery(form, 10_000n + BigInt(index), `day 1 farmer ${index}`, index % 7 === 3 ? 0 : 5_000 + index),
  );
}

/** Mints `batch` and checks every promise of mintBatch: ids, events, heads, records and balances. */
async function expectBatchMinted(
  network: Network,
  custodian: HardhatEthersSigner,
  batch: ILotRegistry.DeliveryStruct[],
): Promise<bigint[]> {
  const { registry } = network;
  const first = await registry.nextLotId(custodian);
  const balanceBefore = await registry.balanceOf(custodian);
  expect(await registry.connect(custodian).mintBatch.staticCall(batch)).to.equal(first);

  const receipt = await receiptOf(registry.connect(custodian).mintBatch(batch));
  const ids = batch.map((_, index) => first + BigInt(index));
  const last = ids[ids.length - 1];

  const transfers = logsOf(receipt, registry, "Transfer");
  const consecutive = logsOf(receipt, registry, "ConsecutiveTransfer");
  if (batch.length === 1) {
    expect(consecutive).to.have.length(0);
    expect(transfers.map((log) => [...log.args])).to.deep.equal([[ZERO, custodian.address, first]]);
  } else {
    expect(transfers).to.have.length(0);
    expect(consecutive.map((log) => [...log.args])).to.deep.equal([[first, last, ZERO, custodian.address]]);
  }

  const minted = logsOf(receipt, registry, "LotsMinted");
  expect(minted).to.have.length(1);
  const { args } = minted[0];
  expect(args.custodian).to.equal(custodian.address);
  expect(args.firstLotId).to.equal(first);
  expect(
    args.deliveries.map((d: ILotRegistry.DeliveryStructOutput) => [d.form, d.grams, d.quality, d.metadata, d.origin]),
  ).to.deep.equal(batch.map((d) => [BigInt(d.form), BigInt(d.grams), BigInt(d.quality), d.metadata, d.origin]));
  const expectedHeads = batch.map((d, index) => mintedHead(ids[index], custodian.address, d));
  expect([...args.heads]).to.deep.equal(expectedHeads);
  expect(await registry.historyHeads(ids)).to.deep.equal(expectedHeads);

  expect(await registry.nextLotId(custodian)).to.equal(last + 1n);
  expect(await registry.balanceOf(custodian)).to.equal(balanceBefore + BigInt(batch.length));
  for (const [index, lotId] of ids.entries()) {
    const { lot, head, pendingReceiver } = await registry.getLot(lotId);
    expect([lot.custodian, lot.grams, lot.form, lot.status, lot.quality]).to.deep.equal([
      custodian.address,
      BigInt(batch[index].grams),
      BigInt(batch[index].form),
      LotStatus.Active,
      BigInt(batch[index].quality),
    ]);
    expect(head).to.equal(expectedHeads[index]);
    expect(pendingReceiver).to.equal(ZERO);
    expect(await registry.ownerOf(lotId)).to.equal(custodian.address);
  }
  return ids;
}

const ZERO = "0x0000000000000000000000000000000000000000";

/**
 * Sets the last lot sequence number `account` has used, as if it had minted that many lots. The
 * account's record is one storage slot: member id (64 bits) | active (8) | roles (8) | account number
 * (32) | lot sequence (32) | balance (64) | known forms (48). The slot is found, not assumed: it is the
 * mapping entry whose member id and account number match what the contract reports.
 */
async function setLotSequence(registry: LotRegistry, account: HardhatEthersSigner, sequence: bigint): Promise<void> {
  const [memberId] = await registry.accountOf(account);
  const accountNumber = (await registry.nextLotId(account)) / LOT_ID_BASE;
  for (let mappingSlot = 0; mappingSlot < 32; mappingSlot++) {
    const slot = ethers.keccak256(
      ethers.AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [account.address, mappingSlot]),
    );
    const value = BigInt(await ethers.provider.getStorage(registry, slot));
    if ((value & (2n ** 64n - 1n)) === memberId && ((value >> 80n) & 0xffffffffn) === accountNumber) {
      const cleared = value & ~(0xffffffffn << 112n);
      await setStorageAt(registry.target as string, slot, cleared | (sequence << 112n));
      expect(await registry.nextLotId(account)).to.equal(accountNumber * LOT_ID_BASE + sequence + 1n);
      return;
    }
  }
  throw new Error("account record not found");
}

describe("LotRegistry: mint", function () {
  describe("when a cooperative account mints one delivery", function () {
    it("creates the account's first lot in its custody, with a head over the delivery", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      const d = delivery(Form.wetBeans, 125_300n, "farmer 7", 5_640);
      // The cooperative's first phone is the network's third account: its lots are 3 * 10^9 + 1, + 2, ...
      const lotId = 3n * LOT_ID_BASE + 1n;
      expect(await registry.nextLotId(coopPhone1)).to.equal(lotId);
      expect(await registry.connect(coopPhone1).mint.staticCall(d)).to.equal(lotId);
      const head = mintedHead(lotId, coopPhone1.address, d);

      const receipt = await receiptOf(registry.connect(coopPhone1).mint(d));
      expect(logsOf(receipt, registry, "Transfer").map((log) => [...log.args])).to.deep.equal([
        [ZERO, coopPhone1.address, lotId],
      ]);
      expect(logsOf(receipt, registry, "LotMinted").map((log) => [...log.args])).to.deep.equal([
        [lotId, BigInt(d.form), BigInt(d.grams), BigInt(d.quality), d.metadata, d.origin, head],
      ]);
      expect(logsOf(receipt, registry, "LotsMinted")).to.have.length(0);
      expect(logsOf(receipt, registry, "ConsecutiveTransfer")).to.have.length(0);

      const { lot, head: stored, pendingReceiver } = await registry.getLot(lotId);
      expect([lot.custodian, lot.grams, lot.form, lot.status, lot.quality]).to.deep.equal([
        coopPhone1.address,
        125_300n,
        BigInt(Form.wetBeans),
        LotStatus.Active,
        5_640n,
      ]);
      expect(stored).to.equal(head);
      expect(await registry.historyHead(lotId)).to.equal(head);
      expect(pendingReceiver).to.equal(ZERO);
      expect(await registry.ownerOf(lotId)).to.equal(coopPhone1.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(1n);
      expect(await registry.nextLotId(coopPhone1)).to.equal(lotId + 1n);
    });

    it("numbers each account's lots in its own sequence", async function () {
      const { registry, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      const ids: bigint[] = [];
      for (const phone of [coopPhone1, coopPhone2, coopPhone1, coopPhone2, coopPhone1]) {
        ids.push(await registry.connect(phone).mint.staticCall(delivery(Form.cupLump, 40_000n)));
        await registry.connect(phone).mint(delivery(Form.cupLump, 40_000n));
      }
      const [p1, p2] = [3n * LOT_ID_BASE, 4n * LOT_ID_BASE];
      expect(ids).to.deep.equal([p1 + 1n, p2 + 1n, p1 + 2n, p2 + 2n, p1 + 3n]);
      expect(await registry.ownerOf(p2 + 2n)).to.equal(coopPhone2.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(3n);
      expect(await registry.balanceOf(coopPhone2)).to.equal(2n);
    });

    it("mints any registered form, cocoa or rubber, up to the highest grams", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      const max = 2n ** 64n - 1n;
      const first = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).mint(delivery(Form.tsr20, max));
      await registry.connect(coopPhone1).mint(delivery(Form.chocolate, 1n));
      expect((await registry.getLot(first)).lot.grams).to.equal(max);
      expect((await registry.getLot(first + 1n)).lot.form).to.equal(Form.chocolate);
    });

    it("has no next lot id for an account that belongs to no member", async function () {
      const { registry, stranger } = await loadFixture(networkFixture);
      await expect(registry.nextLotId(stranger))
        .to.be.revertedWithCustomError(registry, "MembershipUnknownAccount")
        .withArgs(stranger.address);
    });
  });

  describe("when a cooperative mints a day's deliveries in one batch", function () {
    for (const count of [1, 10, 100]) {
      it(`mints ${count} consecutive lots with one LotsMinted and the right heads`, async function () {
        const network = await loadFixture(networkFixture);
        await expectBatchMinted(network, network.coopPhone1, deliveries(count));
      });
    }

    it("continues the ids after earlier mints, from either phone", async function () {
      const network = await loadFixture(networkFixture);
      const first = await expectBatchMinted(network, network.coopPhone1, deliveries(3));
      const second = await expectBatchMinted(network, network.coopPhone2, deliveries(2, Form.cupLump));
      expect(first).to.deep.equal([1n, 2n, 3n].map((n) => 3n * LOT_ID_BASE + n));
      expect(second).to.deep.equal([1n, 2n].map((n) => 4n * LOT_ID_BASE + n));
      const third = await expectBatchMinted(network, network.coopPhone1, deliveries(2));
      expect(third).to.deep.equal([4n, 5n].map((n) => 3n * LOT_ID_BASE + n));
    });

    it(`mints ${MAX_BATCH} deliveries, the most one call takes`, async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      const first = await registry.nextLotId(coopPhone1);
      await expect(registry.connect(coopPhone1).mintBatch(deliveries(MAX_BATCH), { gasLimit: 30_000_000 }))
        .to.emit(registry, "ConsecutiveTransfer")
        .withArgs(first, first + BigInt(MAX_BATCH - 1), ZERO, coopPhone1.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(BigInt(MAX_BATCH));
      expect(await registry.ownerOf(first + BigInt(MAX_BATCH - 1))).to.equal(coopPhone1.address);
      expect(await registry.nextLotId(coopPhone1)).to.equal(first + BigInt(MAX_BATCH));
    });

    it("refuses an empty batch", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await expect(registry.connect(coopPhone1).mintBatch([]))
        .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
        .withArgs(0, 1, MAX_BATCH);
    });

    it(`refuses ${MAX_BATCH + 1} deliveries`, async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await expect(registry.connect(coopPhone1).mintBatch(deliveries(MAX_BATCH + 1)))
        .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
        .withArgs(MAX_BATCH + 1, 1, MAX_BATCH);
    });

    it("refuses the whole batch when one delivery is bad", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      const first = await registry.nextLotId(coopPhone1);
      const batch = deliveries(5);
      batch[3] = delivery(Form.wetBeans, 0n);
      await expect(registry.connect(coopPhone1).mintBatch(batch)).to.be.revertedWithCustomError(
        registry,
        "LotRegistryZeroQuantity",
      );
      batch[3] = delivery(12, 1_000n);
      await expect(registry.connect(coopPhone1).mintBatch(batch))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
        .withArgs(12);
      batch[3] = delivery(Form.wetBeans, 1_000n, "too wet", 10_001);
      await expect(registry.connect(coopPhone1).mintBatch(batch))
        .to.be.revertedWithCustomError(registry, "LotRegistryInvalidQuality")
        .withArgs(3, 10_001);
      expect(await registry.nextLotId(coopPhone1)).to.equal(first);
      expect(await registry.balanceOf(coopPhone1)).to.equal(0n);
    });
  });

  describe("when the delivery is invalid", function () {
    // Forms below 48 are cached per account once seen registered; 47 and 48 sit on either side.
    for (const form of [0, 12, 19, 34, 47, 48, MAX_FORM]) {
      it(`refuses unregistered form ${form}`, async function () {
        const { registry, coopPhone1 } = await loadFixture(networkFixture);
        await registry.connect(coopPhone1).mintBatch([delivery(Form.wetBeans, 1_000n), delivery(Form.cupLump, 1_000n)]);
        await expect(registry.connect(coopPhone1).mint(delivery(form, 1_000n)))
          .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
          .withArgs(form);
        await expect(registry.connect(coopPhone1).mintBatch([delivery(Form.wetBeans, 1_000n), delivery(form, 1_000n)]))
          .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
          .withArgs(form);
      });
    }

    for (const form of [47, 48, MAX_FORM]) {
      it(`mints form ${form} as soon as governors register it`, async function () {
        const { registry, coopPhone1 } = await loadFixture(networkFixture);
        await expect(registry.connect(coopPhone1).mint(delivery(form, 1_000n)))
          .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
          .withArgs(form);
        await registry.registerForm(form, 2, 100, 50, true, "rubber skim block");
        await expect(registry.connect(coopPhone1).mint(delivery(form, 1_000n))).to.emit(registry, "LotMinted");
        await expect(registry.connect(coopPhone1).mintBatch([delivery(form, 1_000n), delivery(form, 2_000n)])).to.emit(
          registry,
          "LotsMinted",
        );
      });
    }

    for (const [label, quality, accepted] of [
      ["100.00 %, the most", 10_000, true],
      ["0, not measured", 0, true],
      ["one basis point over 100 %", 10_001, false],
      ["the largest uint16", 65_535, false],
    ] as const) {
      it(`${accepted ? "takes" : "refuses"} a quality of ${label}`, async function () {
        const { registry, coopPhone1 } = await loadFixture(networkFixture);
        const call = registry.connect(coopPhone1).mint(delivery(Form.cupLump, 1_000n, label, quality));
        if (accepted) await expect(call).to.emit(registry, "LotMinted");
        else await expect(call).to.be.revertedWithCustomError(registry, "LotRegistryInvalidQuality").withArgs(0, quality);
      });
    }

    it("refuses zero grams", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await expect(registry.connect(coopPhone1).mint(delivery(Form.wetBeans, 0n))).to.be.revertedWithCustomError(
        registry,
        "LotRegistryZeroQuantity",
      );
      await expect(registry.connect(coopPhone1).mintBatch([delivery(Form.wetBeans, 0n)])).to.be.revertedWithCustomError(
        registry,
        "LotRegistryZeroQuantity",
      );
    });
  });

  describe("when an account reaches the end of its lot sequence", function () {
    const last = LOT_ID_BASE - 1n;

    it("mints the last id of the sequence and refuses the next", async function () {
      const { registry, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await setLotSequence(registry, coopPhone1, last - 1n);
      await expect(registry.connect(coopPhone1).mint(delivery(Form.wetBeans, 1_000n)))
        .to.emit(registry, "Transfer")
        .withArgs(ZERO, coopPhone1.address, 3n * LOT_ID_BASE + last);
      await expect(registry.connect(coopPhone1).mint(delivery(Form.wetBeans, 1_000n)))
        .to.be.revertedWithCustomError(registry, "LotRegistrySequenceExhausted")
        .withArgs(coopPhone1.address);
      // Never into the next account's ids.
      await expect(registry.connect(coopPhone2).mint(delivery(Form.wetBeans, 1_000n)))
        .to.emit(registry, "Transfer")
        .withArgs(ZERO, coopPhone2.address, 4n * LOT_ID_BASE + 1n);
    });

    it("refuses a batch that would run past the end, takes one that fits exactly", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await setLotSequence(registry, coopPhone1, last - 2n);
      await expect(registry.connect(coopPhone1).mintBatch(deliveries(3)))
        .to.be.revertedWithCustomError(registry, "LotRegistrySequenceExhausted")
        .withArgs(coopPhone1.address);
      await expect(registry.connect(coopPhone1).mintBatch(deliveries(2)))
        .to.emit(registry, "ConsecutiveTransfer")
        .withArgs(3n * LOT_ID_BASE + last - 1n, 3n * LOT_ID_BASE + last, ZERO, coopPhone1.address);
    });

    it("refuses a split whose parts would run past the end", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, processor } = network;
      const lotId = await lotHeldBy(network, processor, Form.dryBeans, 10_000n);
      await setLotSequence(registry, processor, last - 1n);
      await expect(
        registry.connect(processor).split(lotId, [output(Form.dryBeans, 5_000n), output(Form.dryBeans, 5_000n)]),
      )
        .to.be.revertedWithCustomError(registry, "LotRegistrySequenceExhausted")
        .withArgs(processor.address);
    });
  });

  describe("when an account without the cooperative role mints", function () {
    const callers = {
      processor: "processor",
      brand: "brand",
      certifier: "certifier",
      relayer: "relayer",
      governor: "governor",
      stranger: "stranger",
    } as const;
    const calls: Record<string, (registry: LotRegistry) => Promise<unknown>> = {
      mint: (registry) => registry.mint(delivery(Form.wetBeans, 1_000n)),
      mintBatch: (registry) => registry.mintBatch(deliveries(2)),
    };
    for (const [callerName, account] of Object.entries(callers)) {
      for (const [functionName, call] of Object.entries(calls)) {
        it(`refuses ${functionName} from a ${callerName}`, async function () {
          const network = await loadFixture(networkFixture);
          const caller = network[account];
          await expect(call(network.registry.connect(caller)))
            .to.be.revertedWithCustomError(network.membership, "MembershipUnauthorized")
            .withArgs(caller.address, Role.cooperative);
        });
      }
    }

    it("lets a member that is also a cooperative mint", async function () {
      const { registry, membership, members, processor } = await loadFixture(networkFixture);
      await membership.setRoles(members.processor, Role.processor | Role.cooperative);
      await expect(registry.connect(processor).mint(delivery(Form.wetBeans, 1_000n))).to.emit(registry, "LotMinted");
    });
  });
});
