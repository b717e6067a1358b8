import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Form, Roles, handOver, mintLot, output, receiptOf } from "./fixtures";
import {
  ClaimState,
  DAY,
  NO_EXPIRY,
  Scheme,
  attestLot,
  attestationFixture,
  attestationLogs,
  mineAt,
  nextBlockAt,
  type AttestationNetwork,
  merge,
  split,
} from "./attestationFixtures";


async function transform(
  network: AttestationNetwork,
  holder: HardhatEthersSigner,
  inputIds: bigint[],
  outputs: Array<[number, bigint]>,
) {
  const first = await network.registry.nextLotId(holder);
  await network.registry.connect(holder).transform(inputIds, outputs.map(([form, grams]) => output(form, grams)));
  return outputs.map((_, index) => first + BigInt(index));
}

async function carries(network: AttestationNetwork, lotIds: bigint[], scheme: bigint): Promise<boolean[]> {
  return network.attestations.carriesClaims(lotIds, lotIds.map(() => scheme));
}

async function credit(network: AttestationNetwork, member: bigint, form: number, scheme = Scheme.fairtrade) {
  const [grams] = await network.attestations.creditsOf(member, scheme, [form]);
  return grams;
}

describe("AttestationRegistry: claims through the chain of custody", function () {
  describe("identity preserved", function () {
    it("carries through split and transform, keeping the attested lot as the family", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, registry, coopPhone1 } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await attestLot(network, lotId, Scheme.singleOrigin);
      const { expiresAt } = await attestations.getAttestation(
        (await attestations.currentAttestation(1, `0x${lotId.toString(16).padStart(64, "0")}`, Scheme.singleOrigin)).uid,
      );
      const first = await registry.nextLotId(coopPhone1);
      await expect(registry.connect(coopPhone1).split(lotId, [output(Form.wetBeans, 4_000n), output(Form.wetBeans, 6_000n)]))
        .to.emit(attestations, "ClaimCarried")
        .withArgs(Scheme.singleOrigin, first, 2, lotId, expiresAt);
      const parts = [first, first + 1n];
      expect(await carries(network, parts, Scheme.singleOrigin)).to.deep.equal([true, true]);
      const claim = await attestations.getLotClaim(parts[0], Scheme.singleOrigin);
      expect([claim.state, claim.validUntil, claim.family]).to.deep.equal([ClaimState.Carried, expiresAt, lotId]);

      const [dry] = await transform(network, coopPhone1, [parts[1]], [[Form.dryBeans, 2_400n]]);
      expect(await attestations.carriesClaim(dry, Scheme.singleOrigin)).to.equal(true);
      expect((await attestations.getLotClaim(dry, Scheme.singleOrigin)).family).to.equal(lotId);
    });

    it("carries through a merge of parts of one attested lot (one family)", async function () {
      const network = await loadFixture(attestationFixture);
      const lotId = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 9_000n);
      await attestLot(network, lotId, Scheme.singleOrigin);
      const parts = await split(network, network.coopPhone1, lotId, [3_000n, 3_000n, 3_000n]);
      const merged = await merge(network, network.coopPhone1, [parts[0], parts[2]]);
      expect(await network.attestations.carriesClaim(merged, Scheme.singleOrigin)).to.equal(true);
      expect((await network.attestations.getLotClaim(merged, Scheme.singleOrigin)).family).to.equal(lotId);
    });

    it("is lost on a merge of two attested lots of different families", async function () {
      const network = await loadFixture(attestationFixture);
      const a = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 5_000n, "a");
      const b = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 5_000n, "b");
      await attestLot(network, a, Scheme.singleOrigin);
      await attestLot(network, b, Scheme.singleOrigin);
      const first = await network.registry.nextLotId(network.coopPhone1);
      await expect(network.registry.connect(network.coopPhone1).merge([a, b], output(0, 0n).metadata)).not.to.emit(
        network.attestations,
        "ClaimCarried",
      );
      expect(await network.attestations.carriesClaim(first, Scheme.singleOrigin)).to.equal(false);
      expect((await network.attestations.getLotClaim(first, Scheme.singleOrigin)).state).to.equal(ClaimState.None);
    });

    it("is lost on a merge or a transform with one non-claimed input", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1 } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 8_000n);
      const plain = await mintLot(registry, coopPhone1, Form.wetBeans, 2_000n, "plain");
      const plain2 = await mintLot(registry, coopPhone1, Form.wetBeans, 2_000n, "plain 2");
      await attestLot(network, lotId, Scheme.singleOrigin);
      const parts = await split(network, coopPhone1, lotId, [4_000n, 4_000n]);
      const merged = await merge(network, coopPhone1, [parts[0], plain]);
      const [dry] = await transform(network, coopPhone1, [parts[1], plain2], [[Form.dryBeans, 2_400n]]);
      expect(await carries(network, [merged, dry], Scheme.singleOrigin)).to.deep.equal([false, false]);
    });

    it("is lost on a multi-input transform of two families, kept when they are one", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1 } = network;
      const a = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n, "a");
      const b = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n, "b");
      await attestLot(network, a, Scheme.singleOrigin);
      await attestLot(network, b, Scheme.singleOrigin);
      const [mixed] = await transform(network, coopPhone1, [a, b], [[Form.dryBeans, 4_000n]]);
      const c = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n, "c");
      await attestLot(network, c, Scheme.singleOrigin);
      const parts = await split(network, coopPhone1, c, [5_000n, 5_000n]);
      const [single] = await transform(network, coopPhone1, parts, [[Form.dryBeans, 4_000n]]);
      expect(await carries(network, [mixed, single], Scheme.singleOrigin)).to.deep.equal([false, true]);
    });
  });

  describe("segregated", function () {
    it("carries through merge of separately attested lots, split and transform, with the earliest expiry", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, registry, coopPhone1 } = network;
      const now = BigInt(await time.latest());
      const a = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "a");
      const b = await mintLot(registry, coopPhone1, Form.wetBeans, 4_000n, "b");
      await attestLot(network, a, Scheme.organic, now + 30n * DAY);
      await attestLot(network, b, Scheme.organic, now + 20n * DAY);
      const merged = await merge(network, coopPhone1, [a, b]);
      const claim = await attestations.getLotClaim(merged, Scheme.organic);
      expect([claim.state, claim.validUntil, claim.family]).to.deep.equal([ClaimState.Carried, now + 20n * DAY, 0n]);
      const parts = await split(network, coopPhone1, merged, [5_000n, 5_000n]);
      const [dry] = await transform(network, coopPhone1, [parts[0]], [[Form.dryBeans, 2_000n]]);
      expect(await carries(network, [merged, ...parts, dry], Scheme.organic)).to.deep.equal([true, true, true, true]);
      expect((await attestations.getLotClaim(dry, Scheme.organic)).validUntil).to.equal(now + 20n * DAY);
    });

    it("a merge with one non-claimed input produces a non-claimed lot, and so does a transform", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1 } = network;
      const claimed = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "claimed");
      const claimed2 = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "claimed 2");
      const plain = await mintLot(registry, coopPhone1, Form.wetBeans, 4_000n, "plain");
      const plain2 = await mintLot(registry, coopPhone1, Form.wetBeans, 4_000n, "plain 2");
      await attestLot(network, claimed, Scheme.organic);
      await attestLot(network, claimed2, Scheme.organic);
      const merged = await merge(network, coopPhone1, [claimed, plain]);
      const [dry] = await transform(network, coopPhone1, [claimed2, plain2], [[Form.dryBeans, 4_000n]]);
      expect(await carries(network, [merged, dry], Scheme.organic)).to.deep.equal([false, false]);
    });

    it("a carried claim holds one second before its expiry and not at it", async function () {
      const network = await loadFixture(attestationFixture);
      const now = BigInt(await time.latest());
      const lotId = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 6_000n);
      await attestLot(network, lotId, Scheme.organic, now + DAY);
      const parts = await split(network, network.coopPhone1, lotId, [3_000n, 3_000n]);
      await mineAt(now + DAY - 1n);
      expect(await carries(network, [lotId, ...parts], Scheme.organic)).to.deep.equal([true, true, true]);
      await mineAt(now + DAY);
      expect(await carries(network, [lotId, ...parts], Scheme.organic)).to.deep.equal([false, false, false]);
    });

    it("an input whose attestation expired is not carried: derived one second before expiry it is, at expiry not", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1 } = network;
      const now = BigInt(await time.latest());
      const early = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "early");
      const late = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "late");
      await attestLot(network, early, Scheme.organic, now + DAY);
      await attestLot(network, late, Scheme.organic, now + DAY);
      await nextBlockAt(now + DAY - 1n);
      const beforeParts = await split(network, coopPhone1, early, [3_000n, 3_000n]);
      await nextBlockAt(now + DAY);
      const atParts = await split(network, coopPhone1, late, [3_000n, 3_000n]);
      expect((await network.attestations.getLotClaim(beforeParts[0], Scheme.organic)).validUntil).to.equal(now + DAY);
      expect((await network.attestations.getLotClaim(atParts[0], Scheme.organic)).state).to.equal(ClaimState.None);
    });

    it("a revoked attestation is not carried; one revoked after the derivation stops the outputs' claim too", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1, certifier, attestations } = network;
      const revokedFirst = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "r1");
      const revokedAfter = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "r2");
      const uid1 = await attestLot(network, revokedFirst, Scheme.organic);
      const uid2 = await attestLot(network, revokedAfter, Scheme.organic);
      await attestations.connect(certifier).revoke(uid1, 1);
      const parts1 = await split(network, coopPhone1, revokedFirst, [3_000n, 3_000n]);
      const parts2 = await split(network, coopPhone1, revokedAfter, [3_000n, 3_000n]);
      expect(await attestations.carriesClaim(parts2[0], Scheme.organic)).to.equal(true);
      await attestations.connect(certifier).revoke(uid2, 1);
      expect(await carries(network, [revokedFirst, parts1[0], revokedAfter, parts2[0]], Scheme.organic)).to.deep.equal([
        false,
        false,
        false,
        false,
      ]);
    });

    it("a revoked origin stops what was split and merged from it; other origins and lots attested in their own right keep theirs", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1, certifier, attestations } = network;
      const origin = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "origin");
      const other = await mintLot(registry, coopPhone1, Form.wetBeans, 2_000n, "other");
      const uid = await attestLot(network, origin, Scheme.organic);
      await attestLot(network, other, Scheme.organic);
      const [kept, reattested, mixed] = await split(network, coopPhone1, origin, [2_000n, 2_000n, 2_000n]);
      await attestLot(network, reattested, Scheme.organic);
      const merged = await merge(network, coopPhone1, [mixed, other]);
      const [fromMerged] = await split(network, coopPhone1, merged, [1_000n, 3_000n]);
      expect(await carries(network, [kept, reattested, merged, fromMerged], Scheme.organic)).to.deep.equal([true, true, true, true]);
      await attestations.connect(certifier).revoke(uid, 1);
      expect(await carries(network, [kept, reattested, merged, fromMerged, other], Scheme.organic)).to.deep.equal([
        false,
        true,
        false,
        false,
        true,
      ]);
    });

    it("an origin with two valid attestations keeps its outputs' claim until both are revoked", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1, certifier, attestations } = network;
      const origin = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n);
      const first = await attestLot(network, origin, Scheme.organic);
      const second = await attestLot(network, origin, Scheme.organic, BigInt(await time.latest()) + 30n * DAY);
      const parts = await split(network, coopPhone1, origin, [3_000n, 3_000n]);
      await attestations.connect(certifier).revoke(second, 1);
      expect(await carries(network, parts, Scheme.organic)).to.deep.equal([true, true]);
      await attestations.connect(certifier).revoke(first, 1);
      expect(await carries(network, parts, Scheme.organic)).to.deep.equal([false, false]);
    });

    it("stays with the lot through a handover", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1, processor, attestations } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n);
      await attestLot(network, lotId, Scheme.organic);
      await handOver(registry, lotId, coopPhone1, processor);
      expect(await attestations.carriesClaim(lotId, Scheme.organic)).to.equal(true);
      const parts = await split(network, processor, lotId, [3_000n, 3_000n]);
      expect(await carries(network, parts, Scheme.organic)).to.deep.equal([true, true]);
    });
  });

  describe("mass balance", function () {
    it("accepting a claimed lot credits the receiver's member with the grams received; the lot's claim is spent", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await attestLot(network, lotId, Scheme.fairtrade);
      expect(await attestations.carriesClaim(lotId, Scheme.fairtrade)).to.equal(true);
      await registry.connect(coopPhone1).offer(lotId, processor);
      await expect(registry.connect(processor).accept(lotId, 9_800n, 0))
        .to.emit(attestations, "MassBalanceCredited")
        .withArgs(members.processor, Scheme.fairtrade, lotId, Form.wetBeans, 9_800n, 9_800n);
      expect(await credit(network, members.processor, Form.wetBeans)).to.equal(9_800n);
      expect(await credit(network, members.cooperative, Form.wetBeans)).to.equal(0n);
      expect(await attestations.carriesClaim(lotId, Scheme.fairtrade)).to.equal(false);
      expect((await attestations.getLotClaim(lotId, Scheme.fairtrade)).state).to.equal(ClaimState.Spent);
    });

    it("a rejected or cancelled offer moves nothing", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await attestLot(network, lotId, Scheme.fairtrade);
      await registry.connect(coopPhone1).offer(lotId, processor);
      await registry.connect(processor).reject(lotId, 1);
      await registry.connect(coopPhone1).offer(lotId, processor);
      await registry.connect(coopPhone1).cancel(lotId);
      expect(await attestations.carriesClaim(lotId, Scheme.fairtrade)).to.equal(true);
      expect(await credit(network, members.processor, Form.wetBeans)).to.equal(0n);
    });

    it("marking debits the credit, emits MassBalanceDebited, and the marked lot carries the claim", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, members } = network;
      const received = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n, "received");
      await attestLot(network, received, Scheme.fairtrade);
      await handOver(registry, received, coopPhone1, processor);
      const own = await mintLot(registry, coopPhone1, Form.wetBeans, 7_000n, "own");
      await handOver(registry, own, coopPhone1, processor);
      await expect(attestations.connect(processor).markClaimed(Scheme.fairtrade, [own]))
        .to.emit(attestations, "MassBalanceDebited")
        .withArgs(members.processor, Scheme.fairtrade, own, Form.wetBeans, 7_000n, 3_000n);
      expect(await attestations.carriesClaim(own, Scheme.fairtrade)).to.equal(true);
      const claim = await attestations.getLotClaim(own, Scheme.fairtrade);
      expect([claim.state, claim.validUntil]).to.deep.equal([ClaimState.Marked, NO_EXPIRY]);
      expect(await credit(network, members.processor, Form.wetBeans)).to.equal(3_000n);
    });

    it("refuses a mark the credit does not cover, with the balance and the need", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, members } = network;
      const received = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n, "received");
      await attestLot(network, received, Scheme.fairtrade);
      await handOver(registry, received, coopPhone1, processor);
      const big = await mintLot(registry, coopPhone1, Form.wetBeans, 5_001n, "big");
      await handOver(registry, big, coopPhone1, processor);
      await expect(attestations.connect(processor).markClaimed(Scheme.fairtrade, [big]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInsufficientCredit")
        .withArgs(members.processor, Scheme.fairtrade, Form.wetBeans, 5_000n, 5_001n);
      // The received lot itself fits exactly; marking it twice in one call does not.
      await expect(attestations.connect(processor).markClaimed(Scheme.fairtrade, [received, received]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryAlreadyClaimed")
        .withArgs(received, Scheme.fairtrade);
      await attestations.connect(processor).markClaimed(Scheme.fairtrade, [received]);
      expect(await credit(network, members.processor, Form.wetBeans)).to.equal(0n);
      // Credit is per form: none in dry beans.
      const dry = await mintLot(registry, coopPhone1, Form.dryBeans, 1n, "dry");
      await handOver(registry, dry, coopPhone1, processor);
      await expect(attestations.connect(processor).markClaimed(Scheme.fairtrade, [dry]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInsufficientCredit")
        .withArgs(members.processor, Scheme.fairtrade, Form.dryBeans, 0n, 1n);
    });

    it("refuses marks: a non-mass-balance scheme, another member's lot, a lot in transit, a claimed lot, a non-custodian", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, coopPhone2, processor, certifier } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n);
      await attestLot(network, lotId, Scheme.fairtrade);
      await expect(attestations.connect(coopPhone1).markClaimed(Scheme.organic, [lotId]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotMassBalance")
        .withArgs(Scheme.organic);
      await expect(attestations.connect(processor).markClaimed(Scheme.fairtrade, [lotId]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotCustodian")
        .withArgs(processor.address, lotId, coopPhone1.address);
      await expect(attestations.connect(coopPhone2).markClaimed(Scheme.fairtrade, [lotId]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryAlreadyClaimed")
        .withArgs(lotId, Scheme.fairtrade);
      await expect(attestations.connect(certifier).markClaimed(Scheme.fairtrade, [lotId]))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(certifier.address, Roles.custodians);
      await registry.connect(coopPhone1).offer(lotId, processor);
      await expect(attestations.connect(coopPhone1).markClaimed(Scheme.fairtrade, [lotId]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryLotNotActive")
        .withArgs(lotId, 2);
      await expect(attestations.connect(coopPhone1).markClaimed(Scheme.fairtrade, []))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryBatchSize")
        .withArgs(0, 1, 500);
      await expect(attestations.connect(coopPhone1).markClaimed(Scheme.fairtrade, [77n]))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(77n);
    });

    it("a transform of claimed input credits the output form through the yield; the custodian marks the output", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await attestLot(network, lotId, Scheme.fairtrade);
      const first = await registry.nextLotId(coopPhone1);
      await expect(registry.connect(coopPhone1).transform([lotId], [output(Form.dryBeans, 3_800n)]))
        .to.emit(attestations, "MassBalanceCredited")
        .withArgs(members.cooperative, Scheme.fairtrade, first, Form.dryBeans, 3_800n, 3_800n);
      expect(await carries(network, [lotId, first], Scheme.fairtrade)).to.deep.equal([false, false]);
      expect((await attestations.getLotClaim(lotId, Scheme.fairtrade)).state).to.equal(ClaimState.Spent);
      await attestations.connect(coopPhone1).markClaimed(Scheme.fairtrade, [first]);
      expect(await attestations.carriesClaim(first, Scheme.fairtrade)).to.equal(true);
      expect(await credit(network, members.cooperative, Form.dryBeans)).to.equal(0n);
    });

    it("a mixed transform credits the claimed share of each output, rounded down", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, members } = network;
      const claimed = await mintLot(registry, coopPhone1, Form.liquor, 3_333n, "claimed");
      const plain = await mintLot(registry, coopPhone1, Form.liquor, 6_667n, "plain");
      await attestLot(network, claimed, Scheme.fairtrade);
      const receipt = await receiptOf(
        registry.connect(coopPhone1).transform([claimed, plain], [output(Form.butter, 4_501n), output(Form.cake, 5_401n)]),
      );
      const credits = attestationLogs(receipt, attestations, "MassBalanceCredited").map((log) => [log.args.form, log.args.grams]);
      // 4501 * 3333 / 10000 = 1500.18 -> 1500; 5401 * 3333 / 10000 = 1800.15 -> 1800.
      expect(credits).to.deep.equal([
        [BigInt(Form.butter), 1_500n],
        [BigInt(Form.cake), 1_800n],
      ]);
      expect(await attestations.creditsOf(members.cooperative, Scheme.fairtrade, [Form.butter, Form.cake, Form.liquor])).to.deep.equal([
        1_500n,
        1_800n,
        0n,
      ]);
    });

    it("a merge of claimed and non-claimed lots credits the claimed grams and leaves the output unclaimed", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, members } = network;
      const claimed = await mintLot(registry, coopPhone1, Form.wetBeans, 4_000n, "claimed");
      const plain = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "plain");
      await attestLot(network, claimed, Scheme.fairtrade);
      const merged = await merge(network, coopPhone1, [claimed, plain]);
      expect(await credit(network, members.cooperative, Form.wetBeans)).to.equal(4_000n);
      expect(await attestations.carriesClaim(merged, Scheme.fairtrade)).to.equal(false);
      const parts = await split(network, coopPhone1, merged, [4_000n, 6_000n]);
      await attestations.connect(coopPhone1).markClaimed(Scheme.fairtrade, [parts[0]]);
      expect(await carries(network, parts, Scheme.fairtrade)).to.deep.equal([true, false]);
      expect(await credit(network, members.cooperative, Form.wetBeans)).to.equal(0n);
    });

    it("splitting a marked lot gives its credit back, part by part", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 4_000n, "claimed");
      const plain = await mintLot(registry, coopPhone1, Form.wetBeans, 1n, "plain");
      await attestLot(network, lotId, Scheme.fairtrade);
      const merged = await merge(network, coopPhone1, [lotId, plain]); // credit 4000
      const [toMark] = await split(network, coopPhone1, merged, [3_000n, 1_001n]);
      await attestations.connect(coopPhone1).markClaimed(Scheme.fairtrade, [toMark]);
      expect(await credit(network, members.cooperative, Form.wetBeans)).to.equal(1_000n);
      const parts = await split(network, coopPhone1, toMark, [1_000n, 2_000n]);
      expect(await credit(network, members.cooperative, Form.wetBeans)).to.equal(4_000n);
      expect(await carries(network, [toMark, ...parts], Scheme.fairtrade)).to.deep.equal([false, false, false]);
    });

    it("a marked lot handed over is booked into the receiver's credit, who can mark it again", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, brand, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n);
      await attestLot(network, lotId, Scheme.fairtrade);
      await handOver(registry, lotId, coopPhone1, processor);
      await attestations.connect(processor).markClaimed(Scheme.fairtrade, [lotId]);
      await handOver(registry, lotId, processor, brand, 4_990n);
      expect(await credit(network, members.processor, Form.wetBeans)).to.equal(0n);
      expect(await credit(network, members.brand, Form.wetBeans)).to.equal(4_990n);
      expect(await attestations.carriesClaim(lotId, Scheme.fairtrade)).to.equal(false);
      await attestations.connect(brand).markClaimed(Scheme.fairtrade, [lotId]);
      expect(await attestations.carriesClaim(lotId, Scheme.fairtrade)).to.equal(true);
    });

    it("a gain at handover credits only the grams sent: the lot never weighs more than it did", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await attestLot(network, lotId, Scheme.fairtrade);
      await registry.connect(coopPhone1).offer(lotId, processor);
      await expect(registry.connect(processor).accept(lotId, 10_050n, 0))
        .to.emit(attestations, "MassBalanceCredited")
        .withArgs(members.processor, Scheme.fairtrade, lotId, Form.wetBeans, 10_000n, 10_000n);
      expect((await registry.getLot(lotId)).lot.grams).to.equal(10_000n);
    });

    it("revoking the attestation of a lot booked in at a handover withdraws what is left of that credit", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, certifier, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      const uid = await attestLot(network, lotId, Scheme.fairtrade);
      await handOver(registry, lotId, coopPhone1, processor, 9_900n);
      const marked = await mintLot(registry, coopPhone1, Form.wetBeans, 3_000n, "marked");
      await handOver(registry, marked, coopPhone1, processor);
      await attestations.connect(processor).markClaimed(Scheme.fairtrade, [marked]);
      await expect(attestations.connect(certifier).revoke(uid, 2))
        .to.emit(attestations, "MassBalanceWithdrawn")
        .withArgs(members.processor, Scheme.fairtrade, lotId, Form.wetBeans, 6_900n, 0n, uid);
      expect((await attestations.getLotClaim(lotId, Scheme.fairtrade)).state).to.equal(ClaimState.Withdrawn);
      // The lot marked before the revocation stays marked.
      expect(await attestations.carriesClaim(marked, Scheme.fairtrade)).to.equal(true);
    });

    it("revoking the attestation of a lot consumed in a transform withdraws its share of the output form", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, certifier, members } = network;
      const attested = await mintLot(registry, coopPhone1, Form.wetBeans, 4_000n, "a");
      const plain = await mintLot(registry, coopPhone1, Form.wetBeans, 6_000n, "b");
      const uid = await attestLot(network, attested, Scheme.fairtrade);
      await transform(network, coopPhone1, [attested, plain], [[Form.dryBeans, 3_800n]]);
      expect(await credit(network, members.cooperative, Form.dryBeans)).to.equal(1_520n);
      await expect(attestations.connect(certifier).revoke(uid, 2))
        .to.emit(attestations, "MassBalanceWithdrawn")
        .withArgs(members.cooperative, Scheme.fairtrade, attested, Form.dryBeans, 1_520n, 0n, uid);
    });

    it("withdraws nothing while another valid attestation backs the lot", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, certifier, members } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n);
      const first = await attestLot(network, lotId, Scheme.fairtrade);
      const second = await attestLot(network, lotId, Scheme.fairtrade, BigInt(await time.latest()) + 30n * DAY);
      await handOver(registry, lotId, coopPhone1, processor);
      await expect(attestations.connect(certifier).revoke(second, 2)).not.to.emit(attestations, "MassBalanceWithdrawn");
      expect(await credit(network, members.processor, Form.wetBeans)).to.equal(5_000n);
      expect((await attestations.getLotClaim(lotId, Scheme.fairtrade)).state).to.equal(ClaimState.Spent);
      await expect(attestations.connect(certifier).revoke(first, 2))
        .to.emit(attestations, "MassBalanceWithdrawn")
        .withArgs(members.processor, Scheme.fairtrade, lotId, Form.wetBeans, 5_000n, 0n, first);
    });

    it("never withdraws credit that came from a marked claim", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, brand, certifier, members } = network;
      const source = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n, "source");
      await attestLot(network, source, Scheme.fairtrade);
      await handOver(registry, source, coopPhone1, processor);
      // A lot the processor marks with that credit, attested afterwards and handed on: the brand's
      // credit came from the mark, not from the attestation.
      const marked = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n, "marked");
      await handOver(registry, marked, coopPhone1, processor);
      await attestations.connect(processor).markClaimed(Scheme.fairtrade, [marked]);
      const late = await attestLot(network, marked, Scheme.fairtrade);
      await handOver(registry, marked, processor, brand);
      expect(await credit(network, members.brand, Form.wetBeans)).to.equal(5_000n);
      await expect(attestations.connect(certifier).revoke(late, 2)).not.to.emit(attestations, "MassBalanceWithdrawn");
      expect(await credit(network, members.brand, Form.wetBeans)).to.equal(5_000n);
      expect((await attestations.getLotClaim(marked, Scheme.fairtrade)).state).to.equal(ClaimState.Spent);
    });

    it("refuses to attest a lot whose mass-balance claim became credit", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, certifier } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n);
      await attestLot(network, lotId, Scheme.fairtrade);
      await handOver(registry, lotId, coopPhone1, processor);
      await expect(attestations.connect(certifier).attest(Scheme.fairtrade, {
        subjectKind: 1,
        subject: `0x${lotId.toString(16).padStart(64, "0")}`,
        expiresAt: 0,
        evidence: output(0, 1n).metadata,
        dataHash: output(0, 2n).metadata,
      }))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryClaimSpent")
        .withArgs(lotId, Scheme.fairtrade);
    });
  });

  describe("carriesClaims", function () {
    it("answers pairs of lots and schemes in one call, false for unknown lots, and refuses unequal lengths", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1 } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 5_000n);
      await attestLot(network, lotId, Scheme.organic);
      expect(
        await attestations.carriesClaims([lotId, lotId, lotId, 999n], [Scheme.organic, Scheme.fairtrade, 42n, Scheme.organic]),
      ).to.deep.equal([true, false, false, false]);
      await expect(attestations.carriesClaims([lotId], []))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryLengthMismatch")
        .withArgs(1, 0);
    });
  });
});
