import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Form, LOT_ID_BASE, Role, mintLot, networkFixture } from "./fixtures";

const ZERO = ethers.ZeroAddress;

/** Two lots held by the cooperative's first phone. */
async function heldLotsFixture() {
  const network = await networkFixture();
  const lotId = await mintLot(network.registry, network.coopPhone1, Form.dryBeans, 60_000n, "first");
  const other = await mintLot(network.registry, network.coopPhone1, Form.dryBeans, 40_000n, "second");
  return { ...network, lotId, other };
}

describe("LotRegistry: ERC-721", function () {
  describe("when anyone tries to move or approve a lot outside handover", function () {
    it("refuses transferFrom, by the holder as by anyone", async function () {
      const { registry, coopPhone1, processor, lotId } = await loadFixture(heldLotsFixture);
      for (const caller of [coopPhone1, processor]) {
        await expect(registry.connect(caller).transferFrom(coopPhone1, processor, lotId))
          .to.be.revertedWithCustomError(registry, "LotRegistryTransferOutsideHandover")
          .withArgs(lotId);
      }
    });

    it("refuses both safeTransferFrom", async function () {
      const { registry, coopPhone1, processor, lotId } = await loadFixture(heldLotsFixture);
      await expect(
        registry.connect(coopPhone1)["safeTransferFrom(address,address,uint256)"](coopPhone1, processor, lotId),
      )
        .to.be.revertedWithCustomError(registry, "LotRegistryTransferOutsideHandover")
        .withArgs(lotId);
      await expect(
        registry
          .connect(coopPhone1)
          ["safeTransferFrom(address,address,uint256,bytes)"](coopPhone1, processor, lotId, "0x1234"),
      )
        .to.be.revertedWithCustomError(registry, "LotRegistryTransferOutsideHandover")
        .withArgs(lotId);
    });

    it("refuses approve and setApprovalForAll", async function () {
      const { registry, coopPhone1, processor, lotId } = await loadFixture(heldLotsFixture);
      await expect(registry.connect(coopPhone1).approve(processor, lotId))
        .to.be.revertedWithCustomError(registry, "LotRegistryApprovalRefused")
        .withArgs(coopPhone1.address, processor.address, lotId);
      await expect(registry.connect(coopPhone1).setApprovalForAll(processor, true))
        .to.be.revertedWithCustomError(registry, "LotRegistryApprovalRefused")
        .withArgs(coopPhone1.address, processor.address, 0);
    });

    it("leaves custody and balances untouched", async function () {
      const { registry, coopPhone1, processor, lotId } = await loadFixture(heldLotsFixture);
      await expect(registry.connect(coopPhone1).transferFrom(coopPhone1, processor, lotId))
        .to.be.revertedWithCustomError(registry, "LotRegistryTransferOutsideHandover")
        .withArgs(lotId);
      expect(await registry.ownerOf(lotId)).to.equal(coopPhone1.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(2n);
      expect(await registry.balanceOf(processor)).to.equal(0n);
    });
  });

  describe("when a wallet or explorer reads lots", function () {
    it("names the collection", async function () {
      const { registry } = await loadFixture(networkFixture);
      expect(await registry.name()).to.equal("firstmile lot");
      expect(await registry.symbol()).to.equal("LOT");
    });

    it("answers balanceOf and ownerOf", async function () {
      const { registry, coopPhone1, coopPhone2, lotId, other } = await loadFixture(heldLotsFixture);
      expect(await registry.balanceOf(coopPhone1)).to.equal(2n);
      expect(await registry.balanceOf(coopPhone2)).to.equal(0n);
      expect(await registry.ownerOf(lotId)).to.equal(coopPhone1.address);
      expect(await registry.ownerOf(other)).to.equal(coopPhone1.address);
    });

    it("refuses balanceOf the zero address, as ERC-721 requires", async function () {
      const { registry } = await loadFixture(heldLotsFixture);
      await expect(registry.balanceOf(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "ERC721InvalidOwner")
        .withArgs(ethers.ZeroAddress);
    });

    for (const lotId of [0n, 1n, 3n * LOT_ID_BASE + 3n, 99n * LOT_ID_BASE + 1n]) {
      it(`refuses ownerOf, tokenURI and getApproved for unknown lot ${lotId}`, async function () {
        const { registry } = await loadFixture(heldLotsFixture);
        for (const read of [registry.ownerOf, registry.tokenURI, registry.getApproved]) {
          await expect(read(lotId)).to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot").withArgs(lotId);
        }
      });
    }

    it("gives an empty tokenURI until governors set the base, then base + id", async function () {
      const { registry, lotId } = await loadFixture(heldLotsFixture);
      expect(await registry.tokenURI(lotId)).to.equal("");
      await registry.setBaseURI("https://trace.example.org/lots/");
      expect(await registry.tokenURI(lotId)).to.equal(`https://trace.example.org/lots/${lotId}`);
    });

    it("lets only governors set the base", async function () {
      const { registry, coopPhone1 } = await loadFixture(networkFixture);
      await expect(registry.connect(coopPhone1).setBaseURI("https://evil.example/"))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Role.governor);
    });

    it("reports no approvals", async function () {
      const { registry, coopPhone1, processor, lotId } = await loadFixture(heldLotsFixture);
      expect(await registry.getApproved(lotId)).to.equal(ZERO);
      expect(await registry.isApprovedForAll(coopPhone1, processor)).to.equal(false);
    });

    for (const [name, id, supported] of [
      ["IERC721", "0x80ac58cd", true],
      ["IERC721Metadata", "0x5b5e139f", true],
      ["IERC165", "0x01ffc9a7", true],
      ["IERC721Enumerable", "0x780e9d63", false],
      ["IERC1155", "0xd9b67a26", false],
      ["the invalid id 0xffffffff", "0xffffffff", false],
    ] as const) {
      it(`${supported ? "supports" : "does not support"} ${name}`, async function () {
        const { registry } = await loadFixture(networkFixture);
        expect(await registry.supportsInterface(id)).to.equal(supported);
      });
    }
  });
});
