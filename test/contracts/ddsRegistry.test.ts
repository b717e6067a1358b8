import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DdsRegistry__factory } from "../../typechain-types";
import { Form, handOver, logsOf, mintLot, networkFixture, output, receiptOf } from "./fixtures";

async function ddsFixture() {
  const network = await networkFixture();
  const dds = await new DdsRegistry__factory(network.governor).deploy(network.forwarder, network.registry);
  return { ...network, dds };
}

describe("DdsRegistry: due diligence statement references against lots", function () {
  it("records a statement of the lot's holder and emits DdsReferenced with both numbers", async function () {
    const network = await loadFixture(ddsFixture);
    const lotId = await mintLot(network.registry, network.coopPhone1, Form.dryBeans, 5_000n);
    await handOver(network.registry, lotId, network.coopPhone1, network.brand);
    const receipt = await receiptOf(network.dds.connect(network.brand).recordStatement(lotId, "25NLSN6LX69730", "K7R8LA5F"));
    const [event] = logsOf(receipt, network.dds, "DdsReferenced");
    expect(event.args.lotId).to.equal(lotId);
    expect(event.args.member).to.equal(network.members.brand);
    expect(event.args.by).to.equal(network.brand.address);
    expect(event.args.referenceNumber).to.equal("25NLSN6LX69730");
    expect(event.args.verificationNumber).to.equal("K7R8LA5F");
    expect(await network.dds.referenceCount(lotId)).to.equal(1n);
    expect(await network.dds.lotRegistry()).to.equal(network.registry.target);
  });

  it("lets the member that last held a consumed lot record it, and any account of the holding member", async function () {
    const network = await loadFixture(ddsFixture);
    const lotId = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 10_000n);
    await network.registry.connect(network.coopPhone1).split(lotId, [output(Form.wetBeans, 4_000n), output(Form.wetBeans, 6_000n)]);
    await network.dds.connect(network.coopPhone2).recordStatement(lotId, "A1", "B1");
    expect(await network.dds.referenceCount(lotId)).to.equal(1n);
  });

  it("refuses another member, a non-custodian role, an unknown lot and bad numbers, changing nothing", async function () {
    const network = await loadFixture(ddsFixture);
    const lotId = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 10_000n);
    await expect(network.dds.connect(network.processor).recordStatement(lotId, "A1", "B1"))
      .to.be.revertedWithCustomError(network.dds, "DdsRegistryNotCustodian")
      .withArgs(network.processor.address, lotId, network.coopPhone1.address);
    await expect(network.dds.connect(network.certifier).recordStatement(lotId, "A1", "B1"))
      .to.be.revertedWithCustomError(network.registry, "MembershipUnauthorized");
    await expect(network.dds.connect(network.coopPhone1).recordStatement(lotId + 1000n, "A1", "B1"))
      .to.be.revertedWithCustomError(network.registry, "LotRegistryUnknownLot");
    await expect(network.dds.connect(network.coopPhone1).recordStatement(lotId, "", "B1"))
      .to.be.revertedWithCustomError(network.dds, "DdsRegistryInvalidNumber").withArgs(0, 64);
    await expect(network.dds.connect(network.coopPhone1).recordStatement(lotId, "A1", "x".repeat(65)))
      .to.be.revertedWithCustomError(network.dds, "DdsRegistryInvalidNumber").withArgs(65, 64);
    expect(await network.dds.referenceCount(lotId)).to.equal(0n);
  });
});
