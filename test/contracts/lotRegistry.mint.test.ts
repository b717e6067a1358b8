import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ILotRegistry, LotRegistry } from "../../typechain-types";
import { computeHistoryHead } from "../../src/lots/historyHead";
import {
  Form,
  LotStatus,
  MAX_BATCH,
  MAX_FORM,
  Role,
  delivery,
  logsOf,
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
      metadata: String(d.metadata),
      origin: String(d.origin),
    },
  ]);
}

function deliveries(count: number, form: number = Form.wetBeans): ILotRegistry.DeliveryStruct[] {
  return Array.from({ length: count }, (_, index) => delivery(form, 10_000n + BigInt(index), `day 1 farmer ${index}`));
}

/** Mints `batch` and checks every promise of mintBatch: ids, events, heads, records and balances. */
async function expectBatchMinted(
  network: Network,
  custodian: HardhatEthersSigner,
  batch: ILotRegistry.DeliveryStruct[],
): Promise<bigint[]> {
  const { registry } = network;
  const first = await registry.nextLotId();
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
  expect(args.deliveries.map((d: ILotRegistry.DeliveryStructOutput) => [d.form, d.grams, d.metadata, d.origin])).to.deep.equal(
    batch.map((d) => [BigInt(d.form), BigInt(d.grams), d.metadata, d.origin]),
  );
  const expectedHeads = batch.map((d, index) => mintedHead(ids[index], custodian.address, d));
  expect([...args.heads]).to.deep.equal(expectedHeads);
  expect(await registry.historyHeads(ids)).to.deep.equal(expectedHeads);

  expect(await registry.nextLotId()).to.equal(last + 1n);
  expect(await registry.balanceOf(custodian)).to.equal(balanceBefore + BigInt(batch.length));
  for (const [index, lotId] of ids.entries()) {
    const { lot, head, pendingReceiver } = await registry.getLot(lotId);
    expect([lot.custodian, lot.grams, lot.form, lot.status]).to.deep.equal([
      custodian.address,
      BigInt(batch[index].grams),
      BigInt(batch[index].form),
      LotStatus.Active,
    ]);
    expect(head).to.equal(expectedHeads[index]);
    expect(pendingReceiver).to.equal(ZERO);
    expect(await registry.ownerOf(lotId)).to.equal(custodian.address);
  }
  return ids;
}

const ZERO = "0x0000000000000000000000000000000000000000";

describe("LotRegistry: mint", function () {
  describe("when a cooperative account mints one delivery", function () {
    it("creates lot 1 in its custody with a head over the delivery", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      const d = delivery(Form.wetBeans, 125_300n, "farmer 7");
      expect(await registry.connect(coopPhone1).mint.staticCall(d)).to.equal(1n);
      const head = mintedHead(1n, coopPhone1.address, d);

      await expect(registry.connect(coopPhone1).mint(d))
        .to.emit(registry, "Transfer")
        .withArgs(ZERO, coopPhone1.address, 1n)
        .and.to.emit(registry, "LotsMinted")
        .withArgs(coopPhone1.address, 1n, [[d.form, d.grams, d.metadata, d.origin]], [head]);

      const { lot, head: stored, pendingReceiver } = await registry.getLot(1n);
      expect([lot.custodian, lot.grams, lot.form, lot.status]).to.deep.equal([
        coopPhone1.address,
        125_300n,
        BigInt(Form.wetBeans),
        LotStatus.Active,
      ]);
      expect(stored).to.equal(head);
      expect(await registry.historyHead(1n)).to.equal(head);
      expect(pendingReceiver).to.equal(ZERO);
      expect(await registry.ownerOf(1n)).to.equal(coopPhone1.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(1n);
      expect(await registry.nextLotId()).to.equal(2n);
    });

    it("makes the minting phone the custodian, not its sibling", async function () {
      const { registry, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await registry.connect(coopPhone2).mint(delivery(Form.cupLump, 40_000n));
      expect(await registry.ownerOf(1n)).to.equal(coopPhone2.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(0n);
      expect(await registry.balanceOf(coopPhone2)).to.equal(1n);
    });

    it("mints any registered form, cocoa or rubber, up to the highest grams", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      const max = 2n ** 64n - 1n;
      await registry.connect(coopPhone1).mint(delivery(Form.tsr20, max));
      await registry.connect(coopPhone1).mint(delivery(Form.chocolate, 1n));
      expect((await registry.getLot(1n)).lot.grams).to.equal(max);
      expect((await registry.getLot(2n)).lot.form).to.equal(Form.chocolate);
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
      expect(first).to.deep.equal([1n, 2n, 3n]);
      expect(second).to.deep.equal([4n, 5n]);
    });

    it(`mints ${MAX_BATCH} deliveries, the most one call takes`, async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await registry.connect(coopPhone1).mintBatch(deliveries(MAX_BATCH), { gasLimit: 30_000_000 });
      expect(await registry.balanceOf(coopPhone1)).to.equal(BigInt(MAX_BATCH));
      expect(await registry.ownerOf(BigInt(MAX_BATCH))).to.equal(coopPhone1.address);
      expect(await registry.nextLotId()).to.equal(BigInt(MAX_BATCH) + 1n);
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
      const batch = deliveries(5);
      batch[3] = delivery(Form.wetBeans, 0n);
      await expect(registry.connect(coopPhone1).mintBatch(batch)).to.be.revertedWithCustomError(
        registry,
        "LotRegistryZeroQuantity",
      );
      batch[3] = delivery(8, 1_000n);
      await expect(registry.connect(coopPhone1).mintBatch(batch))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
        .withArgs(8);
      expect(await registry.nextLotId()).to.equal(1n);
      expect(await registry.balanceOf(coopPhone1)).to.equal(0n);
    });
  });

  describe("when the delivery is invalid", function () {
    for (const form of [0, 8, 19, 26, MAX_FORM, MAX_FORM + 1, 255]) {
      it(`refuses unregistered form ${form}`, async function () {
        const { registry, coopPhone1 } = await loadFixture(networkFixture);
        await expect(registry.connect(coopPhone1).mint(delivery(form, 1_000n)))
          .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
          .withArgs(form);
        await expect(registry.connect(coopPhone1).mintBatch([delivery(form, 1_000n)]))
          .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
          .withArgs(form);
      });
    }

    it("mints a form as soon as governors register it", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await registry.registerForm(MAX_FORM, 2, 100, "rubber skim block");
      await expect(registry.connect(coopPhone1).mint(delivery(MAX_FORM, 1_000n))).to.emit(registry, "LotsMinted");
    });

    it("refuses zero grams", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await expect(registry.connect(coopPhone1).mint(delivery(Form.wetBeans, 0n))).to.be.revertedWithCustomError(
        registry,
        "LotRegistryZeroQuantity",
      );
      await expect(
        registry.connect(coopPhone1).mintBatch([delivery(Form.wetBeans, 0n)]),
      ).to.be.revertedWithCustomError(registry, "LotRegistryZeroQuantity");
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
      await expect(registry.connect(processor).mint(delivery(Form.wetBeans, 1_000n))).to.emit(registry, "LotsMinted");
    });
  });
});
