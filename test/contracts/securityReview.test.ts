import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";

import { Form, Role, catalogueNetworkFixture, delivery, digest, handOver, lotHeldBy, mintLot, output, MAX_OUTPUTS } from "./fixtures";
import { Scheme, attestLot, attestationFixture, request, type AttestationNetwork } from "./attestationFixtures";

/**
 * One suite per finding of the contract security review: each reproduces the exploit as it was
 * reported and asserts the chain now refuses it (or that it no longer creates mass or claims).
 */
describe("Security review findings", function () {
  describe("1 (high): yield bounds apply to the total of each output form", function () {
    it("refuses 100 kg of wet beans turned into two dry-bean lots of 45 kg (90 % in all)", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const wet = await mintLot(registry, coopPhone1, Form.wetBeans, 100_000n);
      await expect(
        registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 40_000n, "a"), output(Form.dryBeans, 40_000n, "b")]),
      )
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.dryBeans, 80_000n, 33_000n, 43_000n);
    });

    // Cup lump at 60 % DRC holds 60 kg of dry rubber per 100 kg; liquor gives 35-50 % butter.
    for (const [label, input, quality, outputForm, grams, max] of [
      ["cup lump into two TSR 20 blocks", Form.cupLump, 6_000, Form.tsr20, 58_000n, 60_600n],
      ["liquor into two butter lots", Form.liquor, 0, Form.butter, 48_000n, 50_000n],
    ] as const) {
      it(`refuses ${label} that each fit the bound alone`, async function () {
        const network = await loadFixture(attestationFixture);
        const { registry, catalogue, processor } = network;
        const lot = await lotHeldBy(network, processor, input, 100_000n, label, quality);
        await expect(
          registry.connect(processor).transform([lot], [output(outputForm, grams, "a"), output(outputForm, grams, "b")]),
        )
          .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
          .withArgs(outputForm, 2n * grams, anyNumber(), max);
      });
    }

    it("still presses liquor into butter and cake, each form within its own bound", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, processor } = network;
      const liquor = await lotHeldBy(network, processor, Form.liquor, 100_000n);
      await expect(
        registry.connect(processor).transform([liquor], [output(Form.butter, 45_000n), output(Form.cake, 53_000n)]),
      ).to.emit(registry, "LotsDerived");
    });

    it("gives a mass-balance scheme no more credit than the bound allows", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, members } = network;
      const wet = await mintLot(registry, coopPhone1, Form.wetBeans, 100_000n);
      await attestLot(network, wet, Scheme.fairtrade);
      await registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 21_500n, "a"), output(Form.dryBeans, 21_500n, "b")]);
      const [credit] = await attestations.creditsOf(members.cooperative, Scheme.fairtrade, [Form.dryBeans]);
      expect(credit).to.equal(43_000n);
    });
  });

  describe("2 (medium): a handover never increases a lot's quantity or its credit", function () {
    it("keeps 100 kg after 24 hops each weighed at the full gain allowance, and credits at most 100 kg", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, members } = network;
      const lot = await lotHeldBy(network, processor, Form.dryBeans, 100_000n);
      await attestLot(network, lot, Scheme.fairtrade);
      let [from, to] = [processor, coopPhone1];
      for (let hop = 0; hop < 24; hop += 1) {
        const { lot: state } = await registry.getLot(lot);
        const gain = (state.grams * 50n) / 10_000n;
        await registry.connect(from).offer(lot, to);
        await expect(registry.connect(to).accept(lot, state.grams + gain, 0))
          .to.emit(registry, "HandoverAccepted")
          .withArgs(lot, from.address, to.address, state.grams, state.grams + gain, 0, anyValue);
        [from, to] = [to, from];
      }
      expect((await registry.getLot(lot)).lot.grams).to.equal(100_000n);
      const [credit] = await attestations.creditsOf(members.cooperative, Scheme.fairtrade, [Form.dryBeans]);
      expect(credit).to.equal(100_000n);
    });

    it("refuses a form registered with an allowance above 10 %", async function () {
      const { registry } = await loadFixture(attestationFixture);
      await expect(registry.registerForm(40, 1, 1_001, 0, false, "too loose"))
        .to.be.revertedWithCustomError(registry, "LotRegistryToleranceTooHigh")
        .withArgs(1_001, 1_000);
    });
  });

  describe("3 (medium): revocation reaches carried claims and unclaimed credit", function () {
    it("stops a segregated claim carried through split then merge when its attestation is revoked", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, certifier } = network;
      const lot = await mintLot(registry, coopPhone1, Form.dryBeans, 10_000n);
      const uid = await attestLot(network, lot, Scheme.organic);
      const first = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).split(lot, [output(Form.dryBeans, 4_000n), output(Form.dryBeans, 6_000n)]);
      const merged = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).merge([first, first + 1n], digest("merged"));
      expect(await attestations.carriesClaim(merged, Scheme.organic)).to.equal(true);
      await attestations.connect(certifier).revoke(uid, 1);
      expect(await attestations.carriesClaims([first, first + 1n, merged], [Scheme.organic, Scheme.organic, Scheme.organic]))
        .to.deep.equal([false, false, false]);
    });

    it("stops an identity-preserved claim three transforms downstream, and only the revoked origin's", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, certifier } = network;
      const [a, b] = [await mintLot(registry, coopPhone1, Form.wetBeans, 100_000n, "a"), await mintLot(registry, coopPhone1, Form.wetBeans, 100_000n, "b")];
      const uidA = await attestLot(network, a, Scheme.singleOrigin);
      await attestLot(network, b, Scheme.singleOrigin);
      const dryA = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).transform([a], [output(Form.dryBeans, 40_000n, "a")]);
      const nibsA = dryA + 1n;
      await registry.connect(coopPhone1).transform([dryA], [output(Form.nibs, 32_000n, "a")]);
      const dryB = nibsA + 1n;
      await registry.connect(coopPhone1).transform([b], [output(Form.dryBeans, 40_000n, "b")]);
      expect(await attestations.carriesClaims([nibsA, dryB], [Scheme.singleOrigin, Scheme.singleOrigin])).to.deep.equal([true, true]);
      await attestations.connect(certifier).revoke(uidA, 1);
      expect(await attestations.carriesClaims([nibsA, dryB], [Scheme.singleOrigin, Scheme.singleOrigin])).to.deep.equal([false, true]);
    });

    it("keeps a carried claim whose origin still has another valid attestation", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, certifier } = network;
      const lot = await mintLot(registry, coopPhone1, Form.dryBeans, 10_000n);
      const first = await attestLot(network, lot, Scheme.organic);
      await attestLot(network, lot, Scheme.organic, 0n, certifier);
      const part = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).split(lot, [output(Form.dryBeans, 4_000n), output(Form.dryBeans, 6_000n)]);
      await attestations.connect(certifier).revoke(first, 1);
      expect(await attestations.carriesClaim(part, Scheme.organic)).to.equal(true);
    });

    it("withdraws mass-balance credit a revoked attestation became, and leaves lots already marked", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, processor, certifier, members } = network;
      const [a, b] = [await mintLot(registry, coopPhone1, Form.dryBeans, 10_000n, "a"), await mintLot(registry, coopPhone1, Form.dryBeans, 30_000n, "b")];
      const uidA = await attestLot(network, a, Scheme.fairtrade);
      await attestLot(network, b, Scheme.fairtrade);
      await handOver(registry, a, coopPhone1, processor);
      await handOver(registry, b, coopPhone1, processor);
      const credits = async () => (await attestations.creditsOf(members.processor, Scheme.fairtrade, [Form.dryBeans]))[0];
      expect(await credits()).to.equal(40_000n);
      // The processor marks 35 kg of another lot, leaving 5 kg of credit; the revocation takes what is left.
      const other = await lotHeldBy(network, processor, Form.dryBeans, 35_000n, "other");
      await attestations.connect(processor).markClaimed(Scheme.fairtrade, [other]);
      await expect(attestations.connect(certifier).revoke(uidA, 1))
        .to.emit(attestations, "MassBalanceWithdrawn")
        .withArgs(members.processor, Scheme.fairtrade, a, Form.dryBeans, 5_000n, 0n, uidA);
      expect(await credits()).to.equal(0n);
      expect(await attestations.carriesClaim(other, Scheme.fairtrade)).to.equal(true);
    });

    it("withdraws the revoked input's share of a derivation's credit in each output form", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, processor, certifier, members } = network;
      const [a, b] = [
        await lotHeldBy(network, processor, Form.liquor, 25_000n, "a"),
        await lotHeldBy(network, processor, Form.liquor, 75_000n, "b"),
      ];
      const uidA = await attestLot(network, a, Scheme.fairtrade);
      await attestLot(network, b, Scheme.fairtrade);
      await registry.connect(processor).transform([a, b], [output(Form.butter, 45_000n), output(Form.cake, 53_000n)]);
      const credits = async () => attestations.creditsOf(members.processor, Scheme.fairtrade, [Form.butter, Form.cake]);
      expect(await credits()).to.deep.equal([45_000n, 53_000n]);
      await attestations.connect(certifier).revoke(uidA, 1);
      expect(await credits()).to.deep.equal([45_000n - 11_250n, 53_000n - 13_250n]);
    });

    it("keeps the gas of carriesClaim small while nothing was revoked", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1 } = network;
      const lot = await mintLot(registry, coopPhone1, Form.dryBeans, 10_000n);
      await attestLot(network, lot, Scheme.organic);
      const part = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).split(lot, [output(Form.dryBeans, 4_000n), output(Form.dryBeans, 6_000n)]);
      const gas = await attestations.carriesClaim.estimateGas(part, Scheme.organic);
      expect(gas).to.be.lessThan(40_000n);
    });
  });

  describe("5 (low): a newer attestation does not hide an older valid one", function () {
    it("keeps the lot's claim when another certifier attests and revokes its own", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, attestations, coopPhone1, otherCertifier, members } = network;
      const lot = await mintLot(registry, coopPhone1, Form.dryBeans, 10_000n);
      const first = await attestLot(network, lot, Scheme.organic);
      await attestations.accredit(Scheme.organic, members.otherCertifier, network.accreditedUntil);
      const second = await attestLot(network, lot, Scheme.organic, 0n, otherCertifier);
      await attestations.connect(otherCertifier).revoke(second, 3);
      expect(await attestations.carriesClaim(lot, Scheme.organic)).to.equal(true);
      const [uid, valid] = await attestations.currentAttestation(1, ethers.toBeHex(lot, 32), Scheme.organic);
      expect([uid, valid]).to.deep.equal([first, true]);
    });

    it("keeps a plot's attestation valid when a newer one expires", async function () {
      const network = await loadFixture(attestationFixture);
      const { attestations, certifier } = network;
      const plot = digest("plot geometry");
      await attestations.connect(certifier).attest(Scheme.eudr, request("plot", plot));
      const soon = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 10n;
      await attestations.connect(certifier).attest(Scheme.eudr, request("plot", plot, soon, "short"));
      await ethers.provider.send("evm_increaseTime", [60]);
      await ethers.provider.send("evm_mine", []);
      const [, valid] = await attestations.currentAttestation(2, plot, Scheme.eudr);
      expect(valid).to.equal(true);
    });
  });

  describe("6 (low): batch limits fit a block with every carried scheme", function () {
    it("splits a lot carrying two schemes into the most parts allowed within a 30M gas block", async function () {
      const network = await loadFixture(attestationFixture);
      const { registry, coopPhone1 } = network;
      const lot = await mintLot(registry, coopPhone1, Form.dryBeans, BigInt(MAX_OUTPUTS) * 1_000n);
      await attestLot(network, lot, Scheme.organic);
      await attestLot(network, lot, Scheme.singleOrigin);
      const parts = Array.from({ length: MAX_OUTPUTS }, (_, i) => output(Form.dryBeans, 1_000n, `p${i}`));
      const gas = await registry.connect(coopPhone1).split.estimateGas(lot, parts);
      // A QBFT network's block gas limit is a genesis setting; 30M is the common default (deploy/besu).
      expect(gas).to.be.lessThan(30_000_000n);
      await expect(registry.connect(coopPhone1).split(lot, [...parts, output(Form.dryBeans, 1n)]))
        .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
        .withArgs(MAX_OUTPUTS + 1, 2, MAX_OUTPUTS);
    });
  });

  describe("7 (info): origin forms, contract creation, forged ERC-2771 suffix", function () {
    for (const form of [Form.butter, Form.liquor, Form.tsr20, Form.chocolate]) {
      it(`refuses a cooperative minting form ${form} at origin`, async function () {
        const { registry, coopPhone1 } = await loadFixture(catalogueNetworkFixture);
        await expect(registry.connect(coopPhone1).mint(delivery(form, 1_000n)))
          .to.be.revertedWithCustomError(registry, "LotRegistryNotMintable")
          .withArgs(form);
        await expect(registry.connect(coopPhone1).mintBatch([delivery(Form.wetBeans, 1_000n), delivery(form, 1_000n)]))
          .to.be.revertedWithCustomError(registry, "LotRegistryNotMintable")
          .withArgs(form);
      });
    }

    it("mints every origin form of the catalogue", async function () {
      const { registry, coopPhone1 } = await loadFixture(catalogueNetworkFixture);
      for (const form of [Form.wetBeans, Form.dryBeans, Form.unfermentedBeans, Form.fieldLatex, Form.cupLump, Form.fieldScrap, Form.unsmokedSheet, Form.rss]) {
        await expect(registry.connect(coopPhone1).mint(delivery(form, 1_000n))).to.emit(registry, "LotMinted");
      }
    });

    it("treats a direct call carrying a forged ERC-2771 suffix as its direct caller", async function () {
      const { registry, processor, coopPhone1 } = await loadFixture(catalogueNetworkFixture);
      const data = registry.interface.encodeFunctionData("mint", [delivery(Form.wetBeans, 1_000n)]);
      const forged = ethers.concat([data, coopPhone1.address]);
      await expect(processor.sendTransaction({ to: registry, data: forged }))
        .to.be.revertedWithCustomError(registry, "MembershipUnauthorized")
        .withArgs(processor.address, Role.cooperative);
      const lotId = await registry.nextLotId(coopPhone1);
      await coopPhone1.sendTransaction({ to: registry, data: ethers.concat([data, processor.address]) });
      expect((await registry.getLot(lotId)).lot.custodian).to.equal(coopPhone1.address);
    });
  });
});

function anyNumber() {
  return (value: unknown) => typeof value === "bigint" || typeof value === "number";
}

export type { AttestationNetwork };


describe("Security review follow-up: a marked lot's old booking", function () {
  it("withdraws nothing from another lot's credit when a lot booked, marked and passed on has its attestation revoked", async function () {
    const network = await loadFixture(attestationFixture);
    const { registry, attestations, coopPhone1, processor, brand, certifier, members } = network;
    const first = await mintLot(registry, coopPhone1, Form.dryBeans, 5_000n, "first");
    const second = await mintLot(registry, coopPhone1, Form.dryBeans, 5_000n, "second");
    const uidFirst = await attestLot(network, first, Scheme.fairtrade);
    await attestLot(network, second, Scheme.fairtrade);
    await handOver(registry, first, coopPhone1, processor);
    await attestations.connect(processor).markClaimed(Scheme.fairtrade, [first]);
    await handOver(registry, second, coopPhone1, processor);
    await handOver(registry, first, processor, brand);
    const credits = async () => (await attestations.creditsOf(members.processor, Scheme.fairtrade, [Form.dryBeans]))[0];
    expect(await credits()).to.equal(5_000n);
    await expect(attestations.connect(certifier).revoke(uidFirst, 1)).not.to.emit(attestations, "MassBalanceWithdrawn");
    expect(await credits()).to.equal(5_000n);
  });
});

describe("Security review follow-up: a carried claim and the lot's own attestation", function () {
  it("passes the claim on until the later of the carried claim's and the lot's own expiry", async function () {
    const network = await loadFixture(attestationFixture);
    const { registry, attestations, coopPhone1 } = network;
    // A fixture restores an old block; the next block takes the clock's time, so mine one first.
    await mine();
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const origin = await mintLot(registry, coopPhone1, Form.dryBeans, 10_000n);
    await attestLot(network, origin, Scheme.singleOrigin, now + 1_000n);
    const part = await registry.nextLotId(coopPhone1);
    await registry.connect(coopPhone1).split(origin, [output(Form.dryBeans, 4_000n), output(Form.dryBeans, 6_000n)]);
    await attestLot(network, part, Scheme.singleOrigin, now + 100_000n);
    const grandchild = await registry.nextLotId(coopPhone1);
    await registry.connect(coopPhone1).split(part, [output(Form.dryBeans, 1_000n), output(Form.dryBeans, 3_000n)]);
    expect((await attestations.getLotClaim(grandchild, Scheme.singleOrigin)).validUntil).to.equal(now + 100_000n);
    await ethers.provider.send("evm_increaseTime", [5_000]);
    await ethers.provider.send("evm_mine", []);
    expect(await attestations.carriesClaim(grandchild, Scheme.singleOrigin)).to.equal(true);
  });
});
