import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AttestationRegistry__factory } from "../../typechain-types";
import { DEMO_SCHEMES, subjectsToBits } from "../../src/attestations";
import { Form, Role, mintLot, output, receiptOf } from "./fixtures";
import {
  ChainOfCustody,
  DAY,
  Scheme,
  YEAR,
  attestationFixture,
  attestationLogs,
  nextBlockAt,
  request,
} from "./attestationFixtures";

const LOT_SUBJECTS = subjectsToBits(["lot"]);

describe("AttestationRegistry: schemes and accreditation", function () {
  describe("registerScheme", function () {
    it("registers the demo schemes with sequential ids, readable by id and by name and version", async function () {
      const { attestations } = await loadFixture(attestationFixture);
      expect(await attestations.schemeCount()).to.equal(5n);
      for (const [index, spec] of DEMO_SCHEMES.entries()) {
        const id = BigInt(index + 1);
        expect(await attestations.schemeIdOf(spec.name, spec.version)).to.equal(id);
        const scheme = await attestations.getScheme(id);
        expect(scheme.model).to.equal(ChainOfCustody[spec.model]);
        expect(scheme.subjects).to.equal(subjectsToBits(spec.subjects));
        expect(scheme.defaultValidity).to.equal(spec.defaultValiditySeconds);
        expect(scheme.name).to.equal(spec.name);
        expect(scheme.version).to.equal(spec.version);
      }
      expect(await attestations.schemeIdOf("organic", "2.0")).to.equal(0n);
    });

    it("emits SchemeRegistered with every field", async function () {
      const { attestations } = await loadFixture(attestationFixture);
      await expect(attestations.registerScheme("organic", "2.0", ChainOfCustody.segregated, LOT_SUBJECTS, YEAR))
        .to.emit(attestations, "SchemeRegistered")
        .withArgs(6n, ChainOfCustody.segregated, LOT_SUBJECTS, YEAR, "organic", "2.0");
    });

    it("refuses a second scheme of the same name and version", async function () {
      const { attestations } = await loadFixture(attestationFixture);
      await expect(attestations.registerScheme("organic", "1.0", ChainOfCustody.massBalance, LOT_SUBJECTS, 0))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistrySchemeExists")
        .withArgs(Scheme.organic);
    });

    it("refuses no model, no subjects and unknown subject bits", async function () {
      const { attestations } = await loadFixture(attestationFixture);
      await expect(attestations.registerScheme("x", "1", 0, LOT_SUBJECTS, 0))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInvalidScheme")
        .withArgs(0, LOT_SUBJECTS);
      await expect(attestations.registerScheme("x", "1", ChainOfCustody.segregated, 0, 0))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInvalidScheme")
        .withArgs(ChainOfCustody.segregated, 0);
      await expect(attestations.registerScheme("x", "1", ChainOfCustody.segregated, 1, 0))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInvalidScheme")
        .withArgs(ChainOfCustody.segregated, 1);
      await expect(attestations.registerScheme("x", "1", ChainOfCustody.segregated, 16, 0))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInvalidScheme")
        .withArgs(ChainOfCustody.segregated, 16);
    });

    it("refuses anyone but a governor", async function () {
      const { attestations, registry, certifier } = await loadFixture(attestationFixture);
      await expect(
        attestations.connect(certifier).registerScheme("x", "1", ChainOfCustody.segregated, LOT_SUBJECTS, 0),
      )
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(certifier.address, Role.governor);
    });

    it("reverts getScheme for an unknown id", async function () {
      const { attestations } = await loadFixture(attestationFixture);
      await expect(attestations.getScheme(6))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryUnknownScheme")
        .withArgs(6);
    });
  });

  describe("accredit and withdrawAccreditation", function () {
    it("records the accreditation and emits Accredited", async function () {
      const { attestations, members } = await loadFixture(attestationFixture);
      const until = BigInt(await time.latest()) + YEAR;
      await expect(attestations.accredit(Scheme.organic, members.otherCertifier, until))
        .to.emit(attestations, "Accredited")
        .withArgs(Scheme.organic, members.otherCertifier, until);
      expect(await attestations.accreditedUntil(Scheme.organic, members.otherCertifier)).to.equal(until);
    });

    it("refuses a member without the certifier role", async function () {
      const { attestations, members } = await loadFixture(attestationFixture);
      const until = BigInt(await time.latest()) + YEAR;
      await expect(attestations.accredit(Scheme.organic, members.processor, until))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotCertifier")
        .withArgs(members.processor);
    });

    it("refuses an unknown member, an unknown scheme and an expiry not in the future", async function () {
      const { attestations, registry, members } = await loadFixture(attestationFixture);
      const now = BigInt(await time.latest());
      await expect(attestations.accredit(Scheme.organic, 99, now + YEAR))
        .to.be.revertedWithCustomError(registry, "MembershipUnknownMember")
        .withArgs(99);
      await expect(attestations.accredit(9, members.otherCertifier, now + YEAR))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryUnknownScheme")
        .withArgs(9);
      // Refused calls above may have been mined: take the clock again right before pinning it.
      const at = BigInt(await time.latest()) + 10n;
      await nextBlockAt(at);
      await expect(attestations.accredit(Scheme.organic, members.otherCertifier, at))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryInvalidExpiry")
        .withArgs(at, at);
    });

    it("refuses anyone but a governor, for accrediting and withdrawing", async function () {
      const { attestations, registry, certifier, members } = await loadFixture(attestationFixture);
      const until = BigInt(await time.latest()) + YEAR;
      await expect(attestations.connect(certifier).accredit(Scheme.organic, members.certifier, until))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(certifier.address, Role.governor);
      await expect(attestations.connect(certifier).withdrawAccreditation(Scheme.organic, members.certifier))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(certifier.address, Role.governor);
    });

    it("withdrawn: stops new attestations and leaves earlier ones valid", async function () {
      const { attestations, certifier, members } = await loadFixture(attestationFixture);
      const plot = request("plot", "0x" + "ab".repeat(32));
      const receipt = await receiptOf(attestations.connect(certifier).attest(Scheme.eudr, plot));
      const [{ args }] = attestationLogs(receipt, attestations, "Attested");
      const uid: string = args.uid;

      await expect(attestations.withdrawAccreditation(Scheme.eudr, members.certifier))
        .to.emit(attestations, "AccreditationWithdrawn")
        .withArgs(Scheme.eudr, members.certifier);
      expect(await attestations.accreditedUntil(Scheme.eudr, members.certifier)).to.equal(0n);
      await expect(attestations.connect(certifier).attest(Scheme.eudr, request("plot", "0x" + "cd".repeat(32))))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotAccredited")
        .withArgs(members.certifier, Scheme.eudr, 0n);
      expect(await attestations.isValid(uid)).to.equal(true);
      // Other schemes are untouched.
      await attestations.connect(certifier).attest(Scheme.farm, request("member", members.cooperative));
    });

    it("expires: attests one second before the accreditation's end, refuses at it", async function () {
      const { attestations, certifier, members } = await loadFixture(attestationFixture);
      const until = BigInt(await time.latest()) + DAY;
      const plotRequest = (tag: string) => request("plot", "0x" + tag.repeat(32));
      await attestations.registerScheme("plots organic", "1", ChainOfCustody.segregated, subjectsToBits(["plot"]), 0);
      await attestations.accredit(6, members.certifier, until);

      await nextBlockAt(until - 1n);
      await expect(attestations.connect(certifier).attest(6, plotRequest("01"))).to.emit(attestations, "Attested");
      await nextBlockAt(until);
      await expect(attestations.connect(certifier).attest(6, plotRequest("02")))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotAccredited")
        .withArgs(members.certifier, 6, until);
    });

    it("does not accredit other members of the certifier role", async function () {
      const { attestations, otherCertifier, members } = await loadFixture(attestationFixture);
      await expect(attestations.connect(otherCertifier).attest(Scheme.farm, request("member", members.cooperative)))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotAccredited")
        .withArgs(members.otherCertifier, Scheme.farm, 0n);
    });
  });

  describe("as the lot observer", function () {
    it("is set by governors only, with LotObserverSet", async function () {
      const { attestations, registry, governor, processor } = await loadFixture(attestationFixture);
      expect(await registry.lotObserver()).to.equal(await attestations.getAddress());
      await expect(registry.connect(processor).setLotObserver(processor.address))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(processor.address, Role.governor);
      await expect(registry.connect(governor).setLotObserver(ethersZero()))
        .to.emit(registry, "LotObserverSet")
        .withArgs(ethersZero());
      expect(await registry.lotObserver()).to.equal(ethersZero());
    });

    it("refuses hook calls from anyone but the lot registry", async function () {
      const { attestations, governor, coopPhone1 } = await loadFixture(attestationFixture);
      await expect(attestations.connect(governor).onLotsDerived(6, coopPhone1.address, [1n], 2n, [output(Form.wetBeans, 1n)]))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotLotRegistry")
        .withArgs(governor.address);
      await expect(attestations.connect(governor).onHandoverAccepted(1n, governor.address, coopPhone1.address, Form.wetBeans, 1n))
        .to.be.revertedWithCustomError(attestations, "AttestationRegistryNotLotRegistry")
        .withArgs(governor.address);
    });

    it("reports the registry it observes", async function () {
      const { attestations, registry, forwarder, governor } = await loadFixture(attestationFixture);
      expect(await attestations.lotRegistry()).to.equal(await registry.getAddress());
      const other = await new AttestationRegistry__factory(governor).deploy(forwarder, registry);
      expect(await other.schemeCount()).to.equal(0n);
    });

    it("leaves lots without claims when no observer is set", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, registry, governor, coopPhone1, certifier } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await attestations.connect(certifier).attest(Scheme.organic, request("lot", lotId));
      await registry.connect(governor).setLotObserver(ethersZero());
      const first = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).split(lotId, [output(Form.wetBeans, 4_000n), output(Form.wetBeans, 6_000n)]);
      expect(await attestations.carriesClaim(first, Scheme.organic)).to.equal(false);
      expect(await attestations.carriesClaim(lotId, Scheme.organic)).to.equal(true);
    });
  });
});

function ethersZero(): string {
  return "0x0000000000000000000000000000000000000000";
}
