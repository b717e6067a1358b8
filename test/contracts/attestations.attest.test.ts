import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { computeAttestationUid } from "../../src/attestations";
import { Form, Role, digest, mintLot, output, receiptOf } from "./fixtures";
import {
  DAY,
  Scheme,
  SubjectKind,
  YEAR,
  attestLot,
  attestationFixture,
  attestationLogs,
  mineAt,
  nextBlockAt,
  numberSubject,
  request,
  type AttestationNetwork,
} from "./attestationFixtures";

const PLOT = digest("plot geometry 1");
const PLOT2 = digest("plot geometry 2");

/** Attests `plot` for EUDR at a known block time and returns the uid and that time. */
async function attestPlot(network: AttestationNetwork, plot: string, expiresAt = 0n) {
  const at = BigInt(await time.latest()) + 5n;
  await nextBlockAt(at);
  const receipt = await receiptOf(
    network.attestations.connect(network.certifier).attest(Scheme.eudr, request("plot", plot, expiresAt)),
  );
  return { uid: attestationLogs(receipt, network.attestations, "Attested")[0].args.uid as string, at };
}

describe("AttestationRegistry: attest, revoke, validity", function () {
  describe("attest", function () {
    it("stores the record, makes it the subject's current one and emits Attested with a uid that commits to every field", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, certifier } = network;
      const at = BigInt(await time.latest()) + 5n;
      await nextBlockAt(at);
      const req = request("plot", PLOT, at + DAY, "audit 1");
      const uid = computeAttestationUid({
        scheme: Number(Scheme.eudr),
        subjectKind: "plot",
        subject: PLOT,
        attester: certifier.address,
        time: at,
        expiresAt: at + DAY,
        evidence: String(req.evidence),
        dataHash: String(req.dataHash),
      });
      await expect(attestations.connect(certifier).attest(Scheme.eudr, req))
        .to.emit(attestations, "Attested")
        .withArgs(PLOT, certifier.address, Scheme.eudr, uid, SubjectKind.plot, at + DAY, req.evidence, req.dataHash);
      const record = await attestations.getAttestation(uid);
      expect([record.attester, record.scheme, record.expiresAt, record.subjectKind, record.revoked]).to.deep.equal([
        certifier.address,
        Scheme.eudr,
        at + DAY,
        BigInt(SubjectKind.plot),
        false,
      ]);
      expect(await attestations.currentAttestation(SubjectKind.plot, PLOT, Scheme.eudr)).to.deep.equal([uid, true]);
      expect(
        await attestations.attestationUid(
          Scheme.eudr, SubjectKind.plot, PLOT, certifier.address, at, at + DAY, req.evidence, req.dataHash,
        ),
      ).to.equal(uid);
    });

    it("takes the scheme's default validity when no expiry is given, and none for a scheme without one", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, certifier, members } = network;
      const at = BigInt(await time.latest()) + 5n;
      await nextBlockAt(at);
      const receipt = await receiptOf(attestations.connect(certifier).attest(Scheme.farm, request("member", members.cooperative)));
      const [farm] = attestationLogs(receipt, attestations, "Attested");
      expect(farm.args.expiresAt).to.equal(at + YEAR);
      const { uid } = await attestPlot(network, PLOT);
      expect((await attestations.getAttestation(uid)).expiresAt).to.equal(0n);
    });

    it("replaces the subject's current attestation with the newer one", async function () {
      const network = await loadFixture(attestationFixture);
      const first = await attestPlot(network, PLOT);
      const second = await attestPlot(network, PLOT);
      expect(first.uid).to.not.equal(second.uid);
      expect(await network.attestations.currentAttestation(SubjectKind.plot, PLOT, Scheme.eudr)).to.deep.equal([
        second.uid,
        true,
      ]);
      expect(await network.attestations.isValid(first.uid)).to.equal(true);
    });

    it("refuses an account without the certifier role, and a suspended certifier", async function () {
      const { attestations, registry, processor, certifier, members, governor } = await loadFixture(attestationFixture);
      await expect(attestations.connect(processor).attest(Scheme.eudr, request("plot", PLOT)))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(processor.address, Role.certifier);
      await registry.connect(governor).setMemberActive(members.certifier, false);
      await expect(attestations.connect(certifier).attest(Scheme.eudr, request("plot", PLOT)))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(certifier.address, Role.certifier);
    });

    it("refuses an unknown scheme and a subject kind the scheme does not name", async function () {
      const { attestations, certifier, members } = await loadFixture(attestationFixture);
      await expect(attestations.connect(certifier).attest(9, request("plot", PLOT)))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryUnknownScheme")
        .withArgs(9);
      await expect(attestations.connect(certifier).attest(Scheme.eudr, request("member", members.cooperative)))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistrySubjectNotInScheme")
        .withArgs(Scheme.eudr, SubjectKind.member);
      await expect(attestations.connect(certifier).attest(Scheme.eudr, { ...request("plot", PLOT), subjectKind: 0 }))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistrySubjectNotInScheme")
        .withArgs(Scheme.eudr, 0);
    });

    it("refuses unknown subjects: member 0 and past the last, a zero plot, an unminted or consumed lot", async function () {
      const { attestations, registry, certifier, coopPhone1 } = await loadFixture(attestationFixture);
      const count = await registry.memberCount();
      for (const member of [0n, count + 1n]) {
        await expect(attestations.connect(certifier).attest(Scheme.farm, request("member", member)))
          .to.be.revertedWithCustomError(attestations, "AttestationRegistryUnknownSubject")
          .withArgs(SubjectKind.member, numberSubject(member));
      }
      await expect(attestations.connect(certifier).attest(Scheme.eudr, request("plot", numberSubject(0n))))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryUnknownSubject")
        .withArgs(SubjectKind.plot, numberSubject(0n));
      await expect(attestations.connect(certifier).attest(Scheme.organic, request("lot", 12345n)))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(12345n);
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await registry.connect(coopPhone1).split(lotId, [output(Form.wetBeans, 5_000n), output(Form.wetBeans, 5_000n)]);
      await expect(attestations.connect(certifier).attest(Scheme.organic, request("lot", lotId)))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(lotId);
    });

    it("refuses an expiry now or in the past, accepts one a second ahead", async function () {
      const { attestations, certifier } = await loadFixture(attestationFixture);
      const at = BigInt(await time.latest()) + 5n;
      await nextBlockAt(at);
      await expect(attestations.connect(certifier).attest(Scheme.eudr, request("plot", PLOT, at)))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInvalidExpiry")
        .withArgs(at, at);
      await nextBlockAt(at + 1n);
      await expect(attestations.connect(certifier).attest(Scheme.eudr, request("plot", PLOT, at)))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInvalidExpiry")
        .withArgs(at, at + 1n);
      await nextBlockAt(at + 2n);
      await expect(attestations.connect(certifier).attest(Scheme.eudr, request("plot", PLOT, at + 3n))).to.emit(
        attestations,
        "Attested",
      );
    });

    it("refuses the same attestation twice in one second", async function () {
      const { attestations, certifier } = await loadFixture(attestationFixture);
      const req = request("plot", PLOT);
      await expect(attestations.connect(certifier).attestBatch(Scheme.eudr, [req, req]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryDuplicate")
        .withArgs((uid: string) => uid.length === 66);
    });
  });

  describe("attestBatch", function () {
    it("attests many farms in one call, one Attested each, uids in request order", async function () {
      const { attestations, certifier } = await loadFixture(attestationFixture);
      const plots = Array.from({ length: 20 }, (_, index) => digest(`farm plot ${index}`));
      const requests = plots.map((plot) => request("plot", plot));
      const uids = await attestations.connect(certifier).attestBatch.staticCall(Scheme.eudr, requests);
      const receipt = await receiptOf(attestations.connect(certifier).attestBatch(Scheme.eudr, requests));
      const events = attestationLogs(receipt, attestations, "Attested");
      expect(events.map((event) => event.args.subject)).to.deep.equal(plots);
      const minedUids = events.map((event) => event.args.uid);
      expect(uids).to.have.length(20);
      expect(await attestations.areValid(minedUids)).to.deep.equal(plots.map(() => true));
      for (const [index, plot] of plots.entries()) {
        expect((await attestations.currentAttestation(SubjectKind.plot, plot, Scheme.eudr)).uid).to.equal(minedUids[index]);
      }
    });

    it("refuses an empty batch and one over MAX_BATCH", async function () {
      const { attestations, certifier } = await loadFixture(attestationFixture);
      await expect(attestations.connect(certifier).attestBatch(Scheme.eudr, []))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryBatchSize")
        .withArgs(0, 1, 500);
      const many = Array.from({ length: 501 }, (_, index) => request("plot", digest(`p${index}`)));
      await expect(attestations.connect(certifier).attestBatch(Scheme.eudr, many))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryBatchSize")
        .withArgs(501, 1, 500);
    });

    it("refuses the whole batch when one request is refused", async function () {
      const { attestations, certifier } = await loadFixture(attestationFixture);
      const requests = [request("plot", PLOT), request("plot", numberSubject(0n))];
      await expect(attestations.connect(certifier).attestBatch(Scheme.eudr, requests))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryUnknownSubject")
        .withArgs(SubjectKind.plot, numberSubject(0n));
      expect((await attestations.currentAttestation(SubjectKind.plot, PLOT, Scheme.eudr)).uid).to.equal(numberSubject(0n));
    });
  });

  describe("expiry", function () {
    it("is valid one second before expiry and invalid at it, in isValid and areValid", async function () {
      const network = await loadFixture(attestationFixture);
      const at = BigInt(await time.latest()) + 5n;
      const { uid } = await attestPlot(network, PLOT, at + 100n);
      const { uid: forever } = await attestPlot(network, PLOT2);
      await mineAt(at + 99n);
      expect(await network.attestations.isValid(uid)).to.equal(true);
      expect(await network.attestations.areValid([uid, forever])).to.deep.equal([true, true]);
      await mineAt(at + 100n);
      expect(await network.attestations.isValid(uid)).to.equal(false);
      expect(await network.attestations.areValid([uid, forever, numberSubject(7n)])).to.deep.equal([false, true, false]);
      expect(await network.attestations.currentAttestation(SubjectKind.plot, PLOT, Scheme.eudr)).to.deep.equal([uid, false]);
    });
  });

  describe("revoke", function () {
    it("by the attester: invalid from then on, Revoked with the reason", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, certifier } = network;
      const { uid } = await attestPlot(network, PLOT);
      await expect(attestations.connect(certifier).revoke(uid, 2))
        .to.emit(attestations, "Revoked")
        .withArgs(uid, certifier.address, Scheme.eudr, 2);
      expect(await attestations.isValid(uid)).to.equal(false);
      expect((await attestations.getAttestation(uid)).revoked).to.equal(true);
    });

    it("by another certifier account of the attester's member, and by a governor", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, registry, governor, governor2, auditor2, members } = network;
      await registry.connect(governor).addAccount(members.certifier, auditor2);
      const first = await attestPlot(network, PLOT);
      const second = await attestPlot(network, PLOT2);
      await expect(attestations.connect(auditor2).revoke(first.uid, 1)).to.emit(attestations, "Revoked");
      await expect(attestations.connect(governor2).revoke(second.uid, 3))
        .to.emit(attestations, "Revoked")
        .withArgs(second.uid, governor2.address, Scheme.eudr, 3);
      expect(await attestations.areValid([first.uid, second.uid])).to.deep.equal([false, false]);
    });

    it("refuses another certifier member, a custodian and a stranger", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, otherCertifier, processor, stranger, certifier } = network;
      const { uid } = await attestPlot(network, PLOT);
      for (const caller of [otherCertifier, processor, stranger]) {
        await expect(attestations.connect(caller).revoke(uid, 1))
          .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotRevoker")
          .withArgs(caller.address, uid, certifier.address);
      }
      expect(await attestations.isValid(uid)).to.equal(true);
    });

    it("refuses the attester once its member lost the certifier role", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, registry, governor, certifier, members } = network;
      const { uid } = await attestPlot(network, PLOT);
      await registry.connect(governor).setRoles(members.certifier, Role.brand);
      await expect(attestations.connect(certifier).revoke(uid, 1))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotRevoker")
        .withArgs(certifier.address, uid, certifier.address);
    });

    it("refuses an unknown uid and a second revocation", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, certifier } = network;
      const { uid } = await attestPlot(network, PLOT);
      await expect(attestations.connect(certifier).revoke(digest("nothing"), 1))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryUnknownAttestation")
        .withArgs(digest("nothing"));
      await attestations.connect(certifier).revoke(uid, 1);
      await expect(attestations.connect(certifier).revoke(uid, 1))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryAlreadyRevoked")
        .withArgs(uid);
    });

    it("still works after the accreditation was withdrawn", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, certifier, members } = network;
      const uid = await attestLot(network, await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 1_000n), Scheme.organic);
      await attestations.withdrawAccreditation(Scheme.organic, members.certifier);
      await expect(attestations.connect(certifier).revoke(uid, 1)).to.emit(attestations, "Revoked");
    });
  });
});
