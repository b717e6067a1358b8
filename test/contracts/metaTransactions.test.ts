import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { TypedDataDomain } from "ethers";
import { computeHistoryHead } from "../../src/lots/historyHead";
import { ERC2771Forwarder__factory, LotRegistry__factory, type ERC2771Forwarder } from "../../typechain-types";
import { Form, Role, country, delivery, digest, logsOf, networkFixture, receiptOf, type Network } from "./fixtures";
import { FORWARD_REQUEST_TYPES } from "../../src/relay/forwardRequest";


const REQUEST_GAS = 1_000_000n;
/** The relayer's own gas limit: enough for the request's gas plus the forwarder's checks. */
const RELAY_GAS_LIMIT = 2_000_000n;

interface ForwardRequest {
  from: string;
  to: string;
  value: bigint;
  gas: bigint;
  deadline: bigint;
  data: string;
  signature: string;
}

async function forwarderDomain(forwarder: ERC2771Forwarder): Promise<TypedDataDomain> {
  const { chainId } = await ethers.provider.getNetwork();
  return { name: "firstmile", version: "1", chainId, verifyingContract: await forwarder.getAddress() };
}

/**
 * A request signed by `signer` as a phone would sign it: the current nonce from the forwarder, a
 * deadline an hour ahead; `domain` overrides let a test sign for another chain or forwarder.
 */
async function signRequest(
  network: Network,
  signer: HardhatEthersSigner,
  data: string,
  options: { deadline?: bigint; domain?: Partial<TypedDataDomain>; value?: bigint; nonce?: bigint } = {},
): Promise<ForwardRequest> {
  const { forwarder, registry } = network;
  const deadline = options.deadline ?? BigInt(await time.latest()) + 3_600n;
  const unsigned = {
    from: signer.address,
    to: await registry.getAddress(),
    value: options.value ?? 0n,
    gas: REQUEST_GAS,
    deadline,
    data,
  };
  const nonce = options.nonce ?? (await forwarder.nonces(signer));
  const domain = { ...(await forwarderDomain(forwarder)), ...options.domain };
  const signature = await signer.signTypedData(domain, FORWARD_REQUEST_TYPES, { ...unsigned, nonce });
  return { ...unsigned, signature };
}

/** The address the forwarder recovers from `request` now (what ERC2771ForwarderInvalidSigner reports). */
async function recoveredSigner(network: Network, request: ForwardRequest): Promise<string> {
  const nonce = await network.forwarder.nonces(request.from);
  const { signature, ...unsigned } = request;
  return ethers.verifyTypedData(
    await forwarderDomain(network.forwarder),
    FORWARD_REQUEST_TYPES,
    { ...unsigned, nonce },
    signature,
  );
}

function mintData(network: Network, grams: bigint = 42_000n, tag = "relayed"): string {
  return network.registry.interface.encodeFunctionData("mint", [delivery(Form.wetBeans, grams, tag)]);
}

describe("Meta-transactions through the forwarder", function () {
  describe("when a cooperative's phone signs a mint and the relayer submits it", function () {
    it("mints to the phone, and the relayer holds nothing", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, registry, coopPhone1, relayer } = network;
      const lotId = await registry.nextLotId(coopPhone1);
      const request = await signRequest(network, coopPhone1, mintData(network));
      expect(await forwarder.verify(request)).to.equal(true);

      await expect(forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }))
        .to.emit(registry, "Transfer")
        .withArgs(ethers.ZeroAddress, coopPhone1.address, lotId)
        .and.to.emit(forwarder, "ExecutedForwardRequest")
        .withArgs(coopPhone1.address, 0n, true);

      expect(await registry.ownerOf(lotId)).to.equal(coopPhone1.address);
      expect((await registry.getLot(lotId)).lot.custodian).to.equal(coopPhone1.address);
      expect(await registry.balanceOf(coopPhone1)).to.equal(1n);
      expect(await registry.balanceOf(relayer)).to.equal(0n);
      expect(await forwarder.nonces(coopPhone1)).to.equal(1n);
      expect(await forwarder.verify(request)).to.equal(false);
    });

    it("records the phone, not the relayer, in the history head", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, registry, coopPhone1, relayer } = network;
      const lotId = await registry.nextLotId(coopPhone1);
      await forwarder.connect(relayer).execute(await signRequest(network, coopPhone1, mintData(network)), {
        gasLimit: RELAY_GAS_LIMIT,
      });
      const d = delivery(Form.wetBeans, 42_000n, "relayed");
      const minted = { kind: "minted", lotId, form: Form.wetBeans, grams: 42_000n, quality: 0 } as const;
      const fields = { metadata: String(d.metadata), origin: String(d.origin) };
      expect(await registry.historyHead(lotId)).to.equal(
        computeHistoryHead([{ ...minted, ...fields, custodian: coopPhone1.address }]),
      );
      expect(await registry.historyHead(lotId)).not.to.equal(
        computeHistoryHead([{ ...minted, ...fields, custodian: relayer.address }]),
      );
    });

    it("lets a governor govern through the relayer too", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, membership, governor2, relayer, spare1 } = network;
      const data = membership.interface.encodeFunctionData("addMember", [
        Role.brand,
        country("TH"),
        digest("relayed brand"),
        [spare1.address],
      ]);
      await expect(
        forwarder.connect(relayer).execute(await signRequest(network, governor2, data), { gasLimit: RELAY_GAS_LIMIT }),
      ).to.emit(membership, "MemberAdded");
      expect((await membership.accountOf(spare1))[2]).to.equal(Role.brand);
    });

    it("does not let the relayer act on its own account", async function () {
      const { registry, relayer } = await loadFixture(networkFixture);
      await expect(registry.connect(relayer).mint(delivery(Form.wetBeans, 1_000n)))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(relayer.address, Role.cooperative);
    });
  });

  describe("when a request is not valid", function () {
    it("refuses a replay: the nonce has moved, so the signature recovers to someone else", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, coopPhone1, relayer } = network;
      const request = await signRequest(network, coopPhone1, mintData(network));
      await forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT });
      const recovered = await recoveredSigner(network, request);
      expect(recovered).not.to.equal(coopPhone1.address);
      await expect(forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderInvalidSigner")
        .withArgs(recovered, coopPhone1.address);
    });

    it("refuses a request signed for another chain", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, coopPhone1, relayer } = network;
      const request = await signRequest(network, coopPhone1, mintData(network), { domain: { chainId: 1n } });
      await expect(forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderInvalidSigner")
        .withArgs(await recoveredSigner(network, request), coopPhone1.address);
    });

    it("refuses a request signed for another forwarder", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, coopPhone1, relayer, governor } = network;
      const elsewhere = await new ERC2771Forwarder__factory(governor).deploy("firstmile");
      const request = await signRequest(network, coopPhone1, mintData(network), {
        domain: { verifyingContract: await elsewhere.getAddress() },
      });
      await expect(forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderInvalidSigner")
        .withArgs(await recoveredSigner(network, request), coopPhone1.address);
    });

    it("refuses a request whose data the relayer changed", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, coopPhone1, relayer } = network;
      const signed = await signRequest(network, coopPhone1, mintData(network, 42_000n));
      const altered = { ...signed, data: mintData(network, 420_000n) };
      await expect(forwarder.connect(relayer).execute(altered, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderInvalidSigner")
        .withArgs(await recoveredSigner(network, altered), coopPhone1.address);
    });

    it("refuses a request claiming to come from someone other than its signer", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, coopPhone1, coopPhone2, relayer } = network;
      const signed = await signRequest(network, coopPhone2, mintData(network));
      const impersonating = { ...signed, from: coopPhone1.address };
      await expect(forwarder.connect(relayer).execute(impersonating, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderInvalidSigner")
        .withArgs(await recoveredSigner(network, impersonating), coopPhone1.address);
    });

    it("executes up to the deadline itself and refuses it one second later", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, registry, coopPhone1, relayer } = network;
      const deadline = BigInt(await time.latest()) + 600n;
      const onTime = await signRequest(network, coopPhone1, mintData(network, 1_000n, "on time"), { deadline });
      const late = await signRequest(network, coopPhone1, mintData(network, 2_000n, "late"), {
        deadline,
        nonce: 1n,
      });
      await time.setNextBlockTimestamp(deadline);
      await expect(forwarder.connect(relayer).execute(onTime, { gasLimit: RELAY_GAS_LIMIT })).to.emit(
        registry,
        "LotMinted",
      );
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(forwarder.connect(relayer).execute(late, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderExpiredRequest")
        .withArgs(deadline);
    });

    it("refuses an expired request", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, coopPhone1, relayer } = network;
      const deadline = BigInt(await time.latest()) + 60n;
      const request = await signRequest(network, coopPhone1, mintData(network), { deadline });
      await time.increaseTo(deadline + 3_600n);
      expect(await forwarder.verify(request)).to.equal(false);
      await expect(forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderExpiredRequest")
        .withArgs(deadline);
    });

    it("refuses a target that does not trust this forwarder", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, coopPhone1, relayer, governor } = network;
      const otherForwarder = await new ERC2771Forwarder__factory(governor).deploy("firstmile");
      const untrusting = await new LotRegistry__factory(governor).deploy(
        otherForwarder,
        governor,
        country("ID"),
        digest("m"),
      );
      const request = {
        ...(await signRequest(network, coopPhone1, mintData(network))),
        to: await untrusting.getAddress(),
      };
      await expect(forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }))
        .to.be.revertedWithCustomError(forwarder, "ERC2771UntrustfulTarget")
        .withArgs(await untrusting.getAddress(), await forwarder.getAddress());
    });
  });

  describe("when the signer may not do what it signed", function () {
    it("reverts execute with the forwarder's FailedCall, not the registry's error, and keeps the nonce", async function () {
      // OpenZeppelin 5.7's execute() does not bubble the target's revert data: it reverts with
      // Errors.FailedCall(). A relay that wants the reason must simulate the call itself.
      const network = await loadFixture(networkFixture);
      const { forwarder, processor, relayer } = network;
      const request = await signRequest(network, processor, mintData(network));
      expect(await forwarder.verify(request)).to.equal(true);
      await expect(
        forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }),
      ).to.be.revertedWithCustomError(forwarder, "FailedCall");
      expect(await forwarder.nonces(processor)).to.equal(0n);
    });

    it("is refused by the registry with MembershipUnauthorized for the signer", async function () {
      // What the forwarder's call sees: the same call made with the forwarder as sender and the
      // signer's address appended (ERC-2771), simulated with eth_call.
      const network = await loadFixture(networkFixture);
      const { forwarder, registry, processor } = network;
      const calldata = ethers.concat([mintData(network), processor.address]);
      const call = ethers.provider.call({
        from: await forwarder.getAddress(),
        to: await registry.getAddress(),
        data: calldata,
      });
      await expect(call)
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(processor.address, Role.cooperative);
    });

    it("refuses a suspended cooperative's relayed mint", async function () {
      const network = await loadFixture(networkFixture);
      const { forwarder, membership, members, coopPhone1, relayer } = network;
      const request = await signRequest(network, coopPhone1, mintData(network));
      await membership.setMemberActive(members.cooperative, false);
      await expect(
        forwarder.connect(relayer).execute(request, { gasLimit: RELAY_GAS_LIMIT }),
      ).to.be.revertedWithCustomError(forwarder, "FailedCall");
    });
  });

  describe("when the relayer submits a batch", function () {
    /** A good mint from each cooperative phone and, between them, one the processor may not make. */
    async function batchFixture() {
      const network = await networkFixture();
      const { coopPhone1, coopPhone2, processor } = network;
      const requests = [
        await signRequest(network, coopPhone1, mintData(network, 1_000n, "phone 1")),
        await signRequest(network, processor, mintData(network, 2_000n, "processor")),
        await signRequest(network, coopPhone2, mintData(network, 3_000n, "phone 2")),
      ];
      return { ...network, requests };
    }

    it("with no refund receiver, still runs the others when one call fails, and spends the failed one's nonce", async function () {
      // OZ 5.7: a zero refund receiver makes every request's *validity* mandatory, not its call's
      // success; a failed call without value is skipped, its nonce used, its event success = false.
      const { forwarder, registry, coopPhone1, coopPhone2, processor, relayer, requests } = await loadFixture(
        batchFixture,
      );
      const receipt = await receiptOf(
        forwarder.connect(relayer).executeBatch(requests, ethers.ZeroAddress, { gasLimit: 3n * RELAY_GAS_LIMIT }),
      );
      expect(logsOf(receipt, forwarder, "ExecutedForwardRequest").map((log) => [...log.args])).to.deep.equal([
        [coopPhone1.address, 0n, true],
        [processor.address, 0n, false],
        [coopPhone2.address, 0n, true],
      ]);
      expect(logsOf(receipt, registry, "LotMinted")).to.have.length(2);
      expect(await registry.balanceOf(coopPhone1)).to.equal(1n);
      expect(await registry.balanceOf(coopPhone2)).to.equal(1n);
      expect(await registry.balanceOf(processor)).to.equal(0n);
      expect(await forwarder.nonces(processor)).to.equal(1n);
    });

    it("with no refund receiver, reverts the whole batch when one request is invalid", async function () {
      const network = await loadFixture(batchFixture);
      const { forwarder, registry, coopPhone1, coopPhone2, relayer, requests } = network;
      const deadline = BigInt(await time.latest()) + 5n;
      const expiring = await signRequest(network, coopPhone2, mintData(network, 4_000n, "expiring"), {
        deadline,
        nonce: 1n,
      });
      await time.increaseTo(deadline + 1n);
      await expect(
        forwarder
          .connect(relayer)
          .executeBatch([requests[0], expiring], ethers.ZeroAddress, { gasLimit: 3n * RELAY_GAS_LIMIT }),
      )
        .to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderExpiredRequest")
        .withArgs(deadline);
      expect(await registry.balanceOf(coopPhone1)).to.equal(0n);
      expect(await forwarder.nonces(coopPhone1)).to.equal(0n);
    });

    it("with a refund receiver, skips invalid requests without using their nonce", async function () {
      const network = await loadFixture(batchFixture);
      const { forwarder, registry, coopPhone1, coopPhone2, processor, relayer, requests } = network;
      await forwarder.connect(relayer).execute(requests[2], { gasLimit: RELAY_GAS_LIMIT });
      // requests[2] is now a replay: invalid, skipped; requests[1] is valid but its call fails.
      const receipt = await receiptOf(
        forwarder.connect(relayer).executeBatch(requests, relayer.address, { gasLimit: 3n * RELAY_GAS_LIMIT }),
      );
      expect(logsOf(receipt, forwarder, "ExecutedForwardRequest").map((log) => [...log.args])).to.deep.equal([
        [coopPhone1.address, 0n, true],
        [processor.address, 0n, false],
      ]);
      expect(await registry.balanceOf(coopPhone1)).to.equal(1n);
      expect(await registry.balanceOf(coopPhone2)).to.equal(1n);
      expect(await forwarder.nonces(coopPhone2)).to.equal(1n);
      expect(await forwarder.nonces(processor)).to.equal(1n);
    });

    it("with no refund receiver, reverts when a failed call carried value", async function () {
      const network = await loadFixture(batchFixture);
      const { forwarder, coopPhone1, relayer } = network;
      // mint is not payable: a request carrying 1 wei fails its call, and nobody can take the wei back.
      const paying = await signRequest(network, coopPhone1, mintData(network), { value: 1n });
      await expect(
        forwarder.connect(relayer).executeBatch([paying], ethers.ZeroAddress, { value: 1n, gasLimit: RELAY_GAS_LIMIT }),
      ).to.be.revertedWithCustomError(forwarder, "ERC2771ForwarderNoRefundReceiver");
    });
  });
});
