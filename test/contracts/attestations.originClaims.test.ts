import { expect } from "chai";
import { ZeroHash } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ILotRegistry } from "../../typechain-types";
import { ClaimLedger, ClaimState as TwinClaimState } from "../../src/attestations/claimLedger";
import { Form, delivery, digest, handOver, logsOf, mintLots, output, receiptOf } from "./fixtures";
import {
  ClaimState,
  NO_EXPIRY,
  Scheme,
  attestationFixture,
  attestationLogs,
  request,
  merge,
  split,
  type AttestationNetwork,
} from "./attestationFixtures";

/**
 * The EUDR claim from mint: a delivery minted through `mintBatchObserved` from a plot holding a
 * valid "no forest loss" plot attestation carries the claim (segregated), through split and
 * transform, lost in a merge with material without it; revoking the plot attestation stops it on
 * the delivery and on everything made from it.
 */
const EUDR = Scheme.eudr;

function plot(tag: string): string {
  return digest(`plot commitment ${tag}`);
}

function fromPlot(form: number, grams: bigint, origin: string, tag = origin): ILotRegistry.DeliveryStruct {
  return { ...delivery(form, grams, tag), origin };
}

async function attestPlot(network: AttestationNetwork, origin: string, expiresAt = 0n): Promise<string> {
  const receipt = await receiptOf(network.attestations.connect(network.certifier).attest(EUDR, request("plot", origin, expiresAt)));
  return attestationLogs(receipt, network.attestations, "Attested")[0].args.uid;
}

async function mintObserved(network: AttestationNetwork, deliveries: ILotRegistry.DeliveryStruct[], by = network.coopPhone1) {
  const receipt = await receiptOf(network.registry.connect(by).mintBatchObserved(deliveries));
  const [minted] = logsOf(receipt, network.registry, "LotsMinted");
  const first: bigint = minted.args.firstLotId;
  return { receipt, lotIds: deliveries.map((_, index) => first + BigInt(index)) };
}

async function carries(network: AttestationNetwork, lotIds: bigint[]): Promise<boolean[]> {
  return network.attestations.carriesClaims(lotIds, lotIds.map(() => EUDR));
}

async function transform(network: AttestationNetwork, holder: HardhatEthersSigner, inputIds: bigint[], form: number, grams: bigint) {
  const id = await network.registry.nextLotId(holder);
  await network.registry.connect(holder).transform(inputIds, [output(form, grams)]);
  return id;
}

describe("AttestationRegistry: the EUDR claim from an origin plot", function () {
  describe("when a delivery is minted observed", function () {
    it("carries the claim from mint when its plot holds a valid attestation, and says so in an event", async function () {
      const network = await loadFixture(attestationFixture);
      const origin = plot("clear");
      const uid = await attestPlot(network, origin);
      const { receipt, lotIds } = await mintObserved(network, [fromPlot(Form.wetBeans, 10_000n, origin)]);
      expect(await carries(network, lotIds)).to.deep.equal([true]);
      const [claimed] = attestationLogs(receipt, network.attestations, "OriginClaimed");
      expect(claimed.args.scheme).to.equal(EUDR);
      expect(claimed.args.lotId).to.equal(lotIds[0]);
      expect(claimed.args.uid).to.equal(uid);
      const claim = await network.attestations.getLotClaim(lotIds[0], EUDR);
      expect(claim.state).to.equal(ClaimState.Origin);
      expect(claim.validUntil).to.equal(NO_EXPIRY);
    });

    it("gives nothing to a delivery whose plot has no attestation, or only a revoked or expired one, in the same batch", async function () {
      const network = await loadFixture(attestationFixture);
      const clear = plot("clear");
      const never = plot("never checked");
      const revoked = plot("revoked");
      const expiring = plot("expiring");
      await attestPlot(network, clear);
      const revokedUid = await attestPlot(network, revoked);
      await network.attestations.connect(network.certifier).revoke(revokedUid, 2);
      await attestPlot(network, expiring, BigInt(await time.latest()) + 5n);
      await time.increase(10);
      const { receipt, lotIds } = await mintObserved(network, [
        fromPlot(Form.wetBeans, 1_000n, clear),
        fromPlot(Form.wetBeans, 1_000n, never),
        fromPlot(Form.wetBeans, 1_000n, revoked),
        fromPlot(Form.wetBeans, 1_000n, expiring),
        fromPlot(Form.wetBeans, 1_000n, ZeroHash),
      ]);
      expect(await carries(network, lotIds)).to.deep.equal([true, false, false, false, false]);
      expect(attestationLogs(receipt, network.attestations, "OriginClaimed").map((log) => log.args.lotId)).to.deep.equal([lotIds[0]]);
    });

    it("gives nothing through a plain mint or mintBatch: they never call the observer", async function () {
      const network = await loadFixture(attestationFixture);
      const origin = plot("clear");
      await attestPlot(network, origin);
      const [batchLot] = await mintLots(network.registry, network.coopPhone1, [fromPlot(Form.wetBeans, 1_000n, origin)]);
      const receipt = await receiptOf(network.registry.connect(network.coopPhone1).mint(fromPlot(Form.wetBeans, 1_000n, origin, "single")));
      const [single] = logsOf(receipt, network.registry, "LotMinted");
      expect(await carries(network, [batchLot, single.args.lotId])).to.deep.equal([false, false]);
      expect(receipt.logs.some((log) => log.address === network.attestations.target)).to.equal(false);
    });

    it("only the lot registry may call the mint hook", async function () {
      const network = await loadFixture(attestationFixture);
      await expect(network.attestations.connect(network.coopPhone1).onLotsMinted(network.coopPhone1, 1n, [fromPlot(Form.wetBeans, 1n, plot("x"))]))
        .to.be.revertedWithCustomError(network.attestations, "AttestationRegistryNotLotRegistry")
        .withArgs(network.coopPhone1.address);
    });

    it("mints without claims when no observer is set, and refuses what mintBatch refuses", async function () {
      const network = await loadFixture(attestationFixture);
      await network.registry.connect(network.governor).setLotObserver(`0x${"0".repeat(40)}`);
      const origin = plot("clear");
      const { lotIds } = await mintObserved(network, [fromPlot(Form.wetBeans, 1_000n, origin)]);
      expect((await network.registry.getLot(lotIds[0])).lot.grams).to.equal(1_000n);
      await expect(network.registry.connect(network.processor).mintBatchObserved([fromPlot(Form.wetBeans, 1_000n, origin)]))
        .to.be.revertedWithCustomError(network.registry, "MembershipUnauthorized");
    });
  });

  describe("through the chain of custody (segregated)", function () {
    it("survives a handover, a split and a transform", async function () {
      const network = await loadFixture(attestationFixture);
      const origin = plot("clear");
      await attestPlot(network, origin);
      const { lotIds: [lot] } = await mintObserved(network, [fromPlot(Form.wetBeans, 10_000n, origin)]);
      await handOver(network.registry, lot, network.coopPhone1, network.processor);
      expect(await carries(network, [lot])).to.deep.equal([true]);
      const parts = await split(network, network.processor, lot, [6_000n, 4_000n]);
      expect(await carries(network, parts)).to.deep.equal([true, true]);
      const dry = await transform(network, network.processor, [parts[0]], Form.dryBeans, 2_300n);
      expect(await carries(network, [dry])).to.deep.equal([true]);
      expect((await network.attestations.getLotClaim(dry, EUDR)).state).to.equal(ClaimState.Carried);
    });

    it("merges two claimed deliveries from different plots into a claimed lot", async function () {
      const network = await loadFixture(attestationFixture);
      const [a, b] = [plot("a"), plot("b")];
      await attestPlot(network, a);
      await attestPlot(network, b);
      const { lotIds } = await mintObserved(network, [fromPlot(Form.wetBeans, 1_000n, a), fromPlot(Form.wetBeans, 2_000n, b)]);
      const merged = await merge(network, network.coopPhone1, lotIds);
      expect(await carries(network, [merged])).to.deep.equal([true]);
    });

    it("is lost when a delivery without it is merged in (mixing is allowed, the claim is not)", async function () {
      const network = await loadFixture(attestationFixture);
      const clear = plot("clear");
      await attestPlot(network, clear);
      const { lotIds } = await mintObserved(network, [fromPlot(Form.wetBeans, 1_000n, clear), fromPlot(Form.wetBeans, 1_000n, plot("unchecked"))]);
      const merged = await merge(network, network.coopPhone1, lotIds);
      expect((await network.registry.getLot(merged)).lot.grams).to.equal(2_000n);
      expect(await carries(network, [merged])).to.deep.equal([false]);
      const { receipt } = await mintObserved(network, [fromPlot(Form.wetBeans, 1_000n, clear, "again")]);
      expect(attestationLogs(receipt, network.attestations, "OriginClaimed")).to.have.length(1);
    });
  });

  describe("when the plot attestation is revoked", function () {
    it("stops the claim of the delivery and of everything made from it, at once", async function () {
      const network = await loadFixture(attestationFixture);
      const origin = plot("loss found later");
      const uid = await attestPlot(network, origin);
      const { lotIds: [lot] } = await mintObserved(network, [fromPlot(Form.wetBeans, 10_000n, origin)]);
      const unspent = (await mintObserved(network, [fromPlot(Form.wetBeans, 1_000n, origin, "kept")])).lotIds[0];
      const parts = await split(network, network.coopPhone1, lot, [6_000n, 4_000n]);
      const dry = await transform(network, network.coopPhone1, [parts[0]], Form.dryBeans, 2_300n);
      expect(await carries(network, [unspent, parts[1], dry])).to.deep.equal([true, true, true]);
      await network.attestations.connect(network.certifier).revoke(uid, 2);
      expect(await carries(network, [unspent, parts[1], dry])).to.deep.equal([false, false, false]);
      // A later derivation from the revoked material carries nothing either.
      const moreDry = await transform(network, network.coopPhone1, [parts[1]], Form.dryBeans, 1_500n);
      expect(await carries(network, [moreDry])).to.deep.equal([false]);
    });

    it("keeps material from other plots claimed, and a second valid attestation of the plot keeps it backed", async function () {
      const network = await loadFixture(attestationFixture);
      const [revokedPlot, otherPlot, twicePlot] = [plot("revoked"), plot("other"), plot("twice")];
      const revokedUid = await attestPlot(network, revokedPlot);
      await attestPlot(network, otherPlot);
      const firstUid = await attestPlot(network, twicePlot);
      await attestPlot(network, twicePlot);
      const { lotIds } = await mintObserved(network, [
        fromPlot(Form.wetBeans, 1_000n, revokedPlot),
        fromPlot(Form.wetBeans, 1_000n, otherPlot),
        fromPlot(Form.wetBeans, 1_000n, twicePlot),
      ]);
      const fromOther = await split(network, network.coopPhone1, lotIds[1], [500n, 500n]);
      const fromTwice = await split(network, network.coopPhone1, lotIds[2], [500n, 500n]);
      await network.attestations.connect(network.certifier).revoke(revokedUid, 2);
      await network.attestations.connect(network.certifier).revoke(firstUid, 3);
      expect(await carries(network, [lotIds[0], ...fromOther, ...fromTwice])).to.deep.equal([false, true, true, true, true]);
    });

    it("comes back, for lots minted before too, when the plot is attested again: the chain answers what the plot holds now", async function () {
      const network = await loadFixture(attestationFixture);
      const origin = plot("rechecked");
      const uid = await attestPlot(network, origin);
      const { lotIds: [before] } = await mintObserved(network, [fromPlot(Form.wetBeans, 1_000n, origin)]);
      const [beforeDerived] = await split(network, network.coopPhone1, before, [400n, 600n]);
      await network.attestations.connect(network.certifier).revoke(uid, 3);
      expect(await carries(network, [beforeDerived])).to.deep.equal([false]);
      await attestPlot(network, origin);
      const { lotIds: [after] } = await mintObserved(network, [fromPlot(Form.wetBeans, 1_000n, origin, "after")]);
      expect(await carries(network, [after])).to.deep.equal([true]);
      // The split part's claim was carried from the delivery's origin claim, backed again by the
      // plot's new attestation (a revocation issued in error, corrected).
      expect(await carries(network, [beforeDerived])).to.deep.equal([true]);
    });
  });

  describe("the TypeScript twin (ClaimLedger)", function () {
    it("answers what the contract answers for origin claims through mint, split, merge, transform, revocation and a new attestation", async function () {
      const network = await loadFixture(attestationFixture);
      const twin = new ClaimLedger();
      twin.registerScheme(Number(EUDR), "segregated", { plots: true });
      const now = async () => BigInt(await time.latest());
      const member = 1n;
      const uids = new Map<string, string>();
      const attest = async (origin: string) => {
        const uid = await attestPlot(network, origin);
        twin.attested(uid, { scheme: Number(EUDR), lotId: undefined, plot: origin, expiresAt: 0n }, await now());
        uids.set(origin, uid);
      };
      const revoke = async (origin: string) => {
        await network.attestations.connect(network.certifier).revoke(uids.get(origin)!, 2);
        twin.revoked(uids.get(origin)!, await now());
      };
      const mint = async (deliveries: ILotRegistry.DeliveryStruct[]) => {
        const { lotIds } = await mintObserved(network, deliveries);
        const at = await now();
        lotIds.forEach((lotId, i) => twin.lotMinted(lotId, member, Form.wetBeans, BigInt(deliveries[i]!.grams), { plot: String(deliveries[i]!.origin), now: at }));
        return lotIds;
      };
      const derive = async (inputs: bigint[], make: () => Promise<bigint[] | bigint>, outputs: Array<{ form: number; grams: bigint }>) => {
        const made = await make();
        const ids = Array.isArray(made) ? made : [made];
        twin.lotsDerived(member, inputs, ids[0]!, outputs, await now());
        return ids;
      };
      const lots: bigint[] = [];
      const compare = async (when: string) => {
        const at = await now();
        const chain = await carries(network, lots);
        const ours = lots.map((lotId) => twin.carriesClaim(lotId, Number(EUDR), at));
        expect(ours, `carriesClaim ${when}`).to.deep.equal(chain);
        for (const lotId of lots) {
          const claim = await network.attestations.getLotClaim(lotId, EUDR);
          expect(TwinClaimState[twin.claim(lotId, Number(EUDR)).state], `lot ${lotId} state ${when}`).to.equal(Number(claim.state));
        }
      };

      const [clear, other, loss, unchecked] = [plot("clear"), plot("other"), plot("loss found later"), plot("unchecked")];
      await attest(clear);
      await attest(other);
      await attest(loss);
      const minted = await mint([fromPlot(Form.wetBeans, 6_000n, clear), fromPlot(Form.wetBeans, 3_000n, other), fromPlot(Form.wetBeans, 2_000n, loss), fromPlot(Form.wetBeans, 1_000n, unchecked)]);
      lots.push(...minted);
      await compare("after the mint");
      const parts = await derive([minted[0]!], () => split(network, network.coopPhone1, minted[0]!, [4_000n, 2_000n]), [{ form: Form.wetBeans, grams: 4_000n }, { form: Form.wetBeans, grams: 2_000n }]);
      const clean = await derive([parts[0]!, minted[1]!], () => merge(network, network.coopPhone1, [parts[0]!, minted[1]!]), [{ form: Form.wetBeans, grams: 7_000n }]);
      const mixed = await derive([parts[1]!, minted[3]!], () => merge(network, network.coopPhone1, [parts[1]!, minted[3]!]), [{ form: Form.wetBeans, grams: 3_000n }]);
      const withLoss = await derive([minted[2]!], () => transform(network, network.coopPhone1, [minted[2]!], Form.dryBeans, 800n), [{ form: Form.dryBeans, grams: 800n }]);
      lots.push(...parts, ...clean, ...mixed, ...withLoss);
      await compare("after split, merges and a transform");
      await revoke(loss);
      await compare("after the loss plot's attestation is revoked");
      await attest(loss);
      await compare("after the plot is attested again");
    });
  });
});
