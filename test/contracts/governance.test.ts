import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash } from "ethers";
import { AttestationRegistry__factory, Governance__factory } from "../../typechain-types";
import { Form, Role, country, digest, networkFixture } from "./fixtures";

const DAY = 24 * 60 * 60;
const ProposalState = { None: 0n, Pending: 1n, Executed: 2n, Cancelled: 3n } as const;

/**
 * A network of three governors (members 1, 2 and a third added here) whose governance contract needs
 * two approvals and a day's delay, with the attestation registry as the lot observer.
 */
async function governedFixture() {
  const network = await networkFixture();
  const { registry, forwarder, governor, spare1 } = network;
  const attestations = await new AttestationRegistry__factory(governor).deploy(forwarder, registry);
  await registry.setLotObserver(attestations);
  const governor3 = spare1;
  const governor3Member = (await registry.memberCount()) + 1n;
  await registry.addMember(Role.governor, country("TH"), digest("member governor 3"), [governor3]);
  const governance = await new Governance__factory(governor).deploy(forwarder, registry, DAY, 2);
  await expect(registry.setGovernance(governance)).to.emit(registry, "GovernanceSet").withArgs(await governance.getAddress());
  return { ...network, attestations, governance, governor3, members: { ...network.members, governor3: governor3Member } };
}

describe("Governance", function () {
  describe("when governance is set", function () {
    it("refuses a single governor suspending another governor, changing a governor's roles or adding one", async function () {
      const { registry, governance, governor, members, spare2 } = await loadFixture(governedFixture);
      const notGovernance = [governor.address, await governance.getAddress()];
      await expect(registry.connect(governor).setMemberActive(members.governor2, false))
        .to.be.revertedWithCustomError(registry, "MembershipNotGovernance")
        .withArgs(...notGovernance);
      await expect(registry.connect(governor).setRoles(members.governor2, Role.brand))
        .to.be.revertedWithCustomError(registry, "MembershipNotGovernance");
      await expect(registry.connect(governor).setRoles(members.brand, Role.brand | Role.governor))
        .to.be.revertedWithCustomError(registry, "MembershipNotGovernance");
      await expect(registry.connect(governor).addMember(Role.governor, country("ID"), ZeroHash, [spare2]))
        .to.be.revertedWithCustomError(registry, "MembershipNotGovernance");
      await expect(registry.connect(governor).addAccount(members.governor2, spare2))
        .to.be.revertedWithCustomError(registry, "MembershipNotGovernance");
    });

    it("refuses a single governor pointing the lot observer elsewhere or changing the catalogue", async function () {
      const { registry, catalogue, attestations, governance, governor, stranger } = await loadFixture(governedFixture);
      await expect(registry.connect(governor).setLotObserver(stranger)).to.be.revertedWithCustomError(registry, "MembershipNotGovernance");
      await expect(catalogue.connect(governor).setYieldBounds(Form.wetBeans, Form.dryBeans, 1, 10_000))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNotGovernance")
        .withArgs(governor.address, await governance.getAddress());
      await expect(catalogue.connect(governor).setDryBasis(Form.wetBeans, true))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNotGovernance");
      await expect(registry.connect(governor).setFormCatalogue(stranger))
        .to.be.revertedWithCustomError(registry, "MembershipNotGovernance");
      await expect(registry.connect(governor).registerForm(40, 1, 100, 50, true, "x")).to.be.revertedWithCustomError(
        registry,
        "MembershipNotGovernance",
      );
      await expect(registry.connect(governor).setFormTolerance(Form.wetBeans, 1_000, 1_000)).to.be.revertedWithCustomError(
        registry,
        "MembershipNotGovernance",
      );
      await expect(attestations.connect(governor).registerScheme("x", "1", 3, 2, 0)).to.be.revertedWithCustomError(
        attestations,
        "AttestationRegistryNotGovernance",
      );
      await expect(registry.connect(governor).setGovernance(stranger)).to.be.revertedWithCustomError(
        registry,
        "MembershipNotGovernance",
      );
    });

    it("still lets one governor suspend and reinstate an ordinary member at once (the emergency brake)", async function () {
      const { registry, governor, governor2, members } = await loadFixture(governedFixture);
      await expect(registry.connect(governor).setMemberActive(members.cooperative, false)).to.emit(registry, "MemberStatusChanged");
      await expect(registry.connect(governor2).setMemberActive(members.cooperative, true)).to.emit(registry, "MemberStatusChanged");
    });
  });

  describe("a proposal", function () {
    async function proposedSuspension() {
      const network = await governedFixture();
      const { registry, governance, governor, members } = network;
      const data = registry.interface.encodeFunctionData("setMemberActive", [members.governor2, false]);
      const id = await governance.proposalId(registry, data, ZeroHash);
      await expect(governance.connect(governor).propose(registry, data, ZeroHash))
        .to.emit(governance, "Proposed")
        .withArgs(id, 1n, await registry.getAddress(), data, ZeroHash, (readyAt: bigint) => readyAt > 0n);
      return { ...network, data, id };
    }

    it("cannot run with one approval, nor before its delay, and runs with two after it", async function () {
      const { registry, governance, governor, governor3, members, data, id } = await loadFixture(proposedSuspension);
      await time.increase(DAY);
      await expect(governance.connect(governor).execute(registry, data, ZeroHash))
        .to.be.revertedWithCustomError(governance, "GovernanceQuorumNotReached")
        .withArgs(id, 1, 2);
      await expect(governance.connect(governor3).approve(id)).to.emit(governance, "Approved").withArgs(id, members.governor3);
      await expect(governance.connect(governor).execute(registry, data, ZeroHash))
        .to.emit(governance, "Executed")
        .withArgs(id, await registry.getAddress());
      expect((await registry.getMember(members.governor2)).member.active).to.equal(false);
      await expect(governance.connect(governor).execute(registry, data, ZeroHash))
        .to.be.revertedWithCustomError(governance, "GovernanceNotPending")
        .withArgs(id, ProposalState.Executed);
    });

    it("waits for its delay even with every approval", async function () {
      const { registry, governance, governor, governor3, data, id } = await loadFixture(proposedSuspension);
      await governance.connect(governor3).approve(id);
      await expect(governance.connect(governor).execute(registry, data, ZeroHash)).to.be.revertedWithCustomError(
        governance,
        "GovernanceNotReady",
      );
    });

    it("is cancelled when a quorum of governors objects during the delay", async function () {
      const { registry, governance, governor, governor2, governor3, data, id } = await loadFixture(proposedSuspension);
      await governance.connect(governor2).object(id);
      await expect(governance.connect(governor3).object(id)).to.emit(governance, "Cancelled").withArgs(id);
      await time.increase(DAY);
      await expect(governance.connect(governor).execute(registry, data, ZeroHash))
        .to.be.revertedWithCustomError(governance, "GovernanceNotPending")
        .withArgs(id, ProposalState.Cancelled);
    });

    it("counts no vote twice and no approval of a governor suspended since", async function () {
      const { registry, governance, governor, governor2, governor3, members, data, id } = await loadFixture(proposedSuspension);
      await expect(governance.connect(governor).approve(id))
        .to.be.revertedWithCustomError(governance, "GovernanceAlreadyVoted")
        .withArgs(id, 1n);
      await governance.connect(governor3).approve(id);
      // Another proposal, approved by two, suspends governor 3 first: its approval above stops counting.
      const suspend3 = registry.interface.encodeFunctionData("setMemberActive", [members.governor3, false]);
      const other = await governance.proposalId(registry, suspend3, ZeroHash);
      await governance.connect(governor2).propose(registry, suspend3, ZeroHash);
      await governance.connect(governor).approve(other);
      await time.increase(DAY);
      await governance.connect(governor).execute(registry, suspend3, ZeroHash);
      expect((await governance.getProposal(id)).approvals).to.equal(1n);
      await expect(governance.connect(governor).execute(registry, data, ZeroHash))
        .to.be.revertedWithCustomError(governance, "GovernanceQuorumNotReached")
        .withArgs(id, 1, 2);
    });

    it("may be withdrawn by its proposer only", async function () {
      const { governance, governor2, governor, id } = await loadFixture(proposedSuspension);
      await expect(governance.connect(governor2).cancel(id)).to.be.revertedWithCustomError(governance, "GovernanceNotProposer");
      await expect(governance.connect(governor).cancel(id)).to.emit(governance, "Cancelled");
    });

    it("refuses proposals, votes and execution from non-governors", async function () {
      const { registry, governance, processor, stranger, data, id } = await loadFixture(proposedSuspension);
      for (const caller of [processor, stranger]) {
        await expect(governance.connect(caller).propose(registry, data, digest("salt"))).to.be.revertedWithCustomError(
          registry,
          "MembershipUnauthorized",
        );
        await expect(governance.connect(caller).approve(id)).to.be.revertedWithCustomError(registry, "MembershipUnauthorized");
        await expect(governance.connect(caller).execute(registry, data, ZeroHash)).to.be.revertedWithCustomError(
          registry,
          "MembershipUnauthorized",
        );
      }
    });

    it("may do what one governor may: suspend an ordinary member, set the base URI", async function () {
      const { registry, governance, governor, governor2, members } = await loadFixture(governedFixture);
      for (const data of [
        registry.interface.encodeFunctionData("setMemberActive", [members.cooperative, false]),
        registry.interface.encodeFunctionData("setBaseURI", ["https://trace.example.org/lots/"]),
      ]) {
        await governance.connect(governor).propose(registry, data, ZeroHash);
        await governance.connect(governor2).approve(await governance.proposalId(registry, data, ZeroHash));
      }
      await time.increase(DAY);
      await expect(
        governance.connect(governor).execute(registry, registry.interface.encodeFunctionData("setMemberActive", [members.cooperative, false]), ZeroHash),
      ).to.emit(registry, "MemberStatusChanged").withArgs(members.cooperative, false);
      await expect(
        governance.connect(governor).execute(registry, registry.interface.encodeFunctionData("setBaseURI", ["https://trace.example.org/lots/"]), ZeroHash),
      ).to.emit(registry, "BaseURIChanged");
    });

    it("bubbles up the target's own error when its call fails", async function () {
      const { catalogue, governance, governor, governor2 } = await loadFixture(governedFixture);
      const data = catalogue.interface.encodeFunctionData("setYieldBounds", [Form.wetBeans, Form.dryBeans, 5, 1]);
      await governance.connect(governor).propose(catalogue, data, ZeroHash);
      await governance.connect(governor2).approve(await governance.proposalId(catalogue, data, ZeroHash));
      await time.increase(DAY);
      await expect(governance.connect(governor).execute(catalogue, data, ZeroHash))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueInvalidBounds")
        .withArgs(5, 1);
    });

    it("changes the yield bounds of the form catalogue once approved and past its delay", async function () {
      const { catalogue, governance, governor, governor2 } = await loadFixture(governedFixture);
      const data = catalogue.interface.encodeFunctionData("setYieldBounds", [Form.wetBeans, Form.dryBeans, 3_400, 4_200]);
      await governance.connect(governor).propose(catalogue, data, ZeroHash);
      await governance.connect(governor2).approve(await governance.proposalId(catalogue, data, ZeroHash));
      await time.increase(DAY);
      await expect(governance.connect(governor).execute(catalogue, data, ZeroHash))
        .to.emit(catalogue, "YieldBoundsSet")
        .withArgs(Form.wetBeans, Form.dryBeans, 3_400, 4_200);
    });
  });

  describe("its own settings", function () {
    it("change only by its own proposals", async function () {
      const { governance, governor, governor2 } = await loadFixture(governedFixture);
      await expect(governance.connect(governor).setDelay(0)).to.be.revertedWithCustomError(governance, "GovernanceOnlySelf");
      const data = governance.interface.encodeFunctionData("setQuorum", [3]);
      await governance.connect(governor).propose(governance, data, ZeroHash);
      await governance.connect(governor2).approve(await governance.proposalId(governance, data, ZeroHash));
      await time.increase(DAY);
      await expect(governance.connect(governor).execute(governance, data, ZeroHash)).to.emit(governance, "QuorumChanged").withArgs(3);
      expect(await governance.requiredApprovals()).to.equal(3n);
    });

    it("caps the approvals needed at the number of governors", async function () {
      const network = await loadFixture(networkFixture);
      const governance = await new Governance__factory(network.governor).deploy(network.forwarder, network.registry, 0, 5);
      expect(await governance.requiredApprovals()).to.equal(2n);
    });

    it("refuses a zero quorum and a delay above 30 days", async function () {
      const { governor, forwarder, registry } = await loadFixture(networkFixture);
      const factory = new Governance__factory(governor);
      await expect(factory.deploy(forwarder, registry, 0, 0)).to.be.revertedWithCustomError(factory, "GovernanceInvalidQuorum");
      await expect(factory.deploy(forwarder, registry, 31 * DAY, 1)).to.be.revertedWithCustomError(factory, "GovernanceDelayTooLong");
    });
  });

  it("lets a governor without a node act through the forwarder (ERC-2771)", async function () {
    const { registry, governance, forwarder, governor2, relayer, members } = await loadFixture(governedFixture);
    const data = registry.interface.encodeFunctionData("setMemberActive", [members.governor3, false]);
    const call = governance.interface.encodeFunctionData("propose", [await registry.getAddress(), data, ZeroHash]);
    const { chainId } = await ethers.provider.getNetwork();
    const deadline = (await time.latest()) + 3600;
    const request = { from: governor2.address, to: await governance.getAddress(), value: 0n, gas: 500_000n, nonce: await forwarder.nonces(governor2), deadline, data: call };
    const signature = await governor2.signTypedData(
      { name: "firstmile", version: "1", chainId, verifyingContract: await forwarder.getAddress() },
      { ForwardRequest: [
        { name: "from", type: "address" }, { name: "to", type: "address" }, { name: "value", type: "uint256" },
        { name: "gas", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint48" }, { name: "data", type: "bytes" },
      ] },
      request,
    );
    await expect(forwarder.connect(relayer).execute({ ...request, signature }))
      .to.emit(governance, "Proposed")
      .withArgs(await governance.proposalId(registry, data, ZeroHash), members.governor2, await registry.getAddress(), data, ZeroHash, (x: bigint) => x > 0n);
  });
});
