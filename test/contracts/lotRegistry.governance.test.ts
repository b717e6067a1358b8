import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ethers } from "hardhat";
import { Commodity, FORMS, YIELDS, formByKey, yieldOutputId } from "../../src/lots/forms";
import { Form, Role, catalogueNetworkFixture, networkFixture, type Network } from "./fixtures";

const FREE_FORM = 40;
const ALL_OUTPUTS = 0;

describe("LotRegistry and FormCatalogue: forms, dry weight and yield bounds", function () {
  describe("when the network is deployed", function () {
    it("holds the whole form catalogue", async function () {
      const { registry } = await loadFixture(catalogueNetworkFixture);
      for (const form of FORMS) {
        const stored = await registry.getForm(form.id);
        expect([stored.commodity, stored.lossBps, stored.gainBps, stored.mintable, stored.registered], form.key).to.deep.equal([
          BigInt(Commodity[form.commodity]),
          BigInt(form.lossBps),
          BigInt(form.gainBps),
          form.mintable,
          true,
        ]);
      }
      expect((await registry.getForm(FREE_FORM)).registered).to.equal(false);
    });

    it("holds every yield bound of the catalogue and none other", async function () {
      const { registry, catalogue } = await loadFixture(networkFixture);
      expect(await registry.formCatalogue()).to.equal(await catalogue.getAddress());
      expect(await catalogue.lotRegistry()).to.equal(await registry.getAddress());
      for (const bounds of YIELDS) {
        const stored = await catalogue.getYieldBounds(formByKey(bounds.from).id, yieldOutputId(bounds.to));
        expect([stored.minBps, stored.maxBps], `${bounds.from} -> ${bounds.to}`).to.deep.equal([
          BigInt(bounds.minBps),
          BigInt(bounds.maxBps),
        ]);
      }
      const none = await catalogue.getYieldBounds(Form.dryBeans, Form.wetBeans);
      expect([none.minBps, none.maxBps]).to.deep.equal([0n, 0n]);
    });

    it("counts exactly the catalogue's dry-weight forms on dry weight", async function () {
      const { catalogue } = await loadFixture(networkFixture);
      for (const form of FORMS) expect(await catalogue.isDryBasis(form.id), form.key).to.equal(form.dryBasis);
      expect(FORMS.filter((form) => form.dryBasis).map((form) => form.key)).to.include.members([
        "rubber-field-latex",
        "rubber-cup-lump",
        "rubber-field-scrap",
        "rubber-unsmoked-sheet",
      ]);
    });
  });

  describe("when a governor registers a form", function () {
    it("records it and says so", async function () {
      const { registry, governor2 } = await loadFixture(networkFixture);
      await expect(registry.connect(governor2).registerForm(FREE_FORM, Commodity.rubber, 1_000, 50, false, "rubber skim"))
        .to.emit(registry, "FormRegistered")
        .withArgs(FREE_FORM, Commodity.rubber, 1_000, 50, false, "rubber skim");
      const stored = await registry.getForm(FREE_FORM);
      expect([stored.commodity, stored.lossBps, stored.gainBps, stored.mintable, stored.registered]).to.deep.equal([
        2n, 1_000n, 50n, false, true,
      ]);
    });

    it("refuses a form registered already", async function () {
      const { registry } = await loadFixture(networkFixture);
      await expect(registry.registerForm(Form.wetBeans, Commodity.cocoa, 100, 50, true, "again"))
        .to.be.revertedWithCustomError(registry, "LotRegistryFormExists")
        .withArgs(Form.wetBeans);
    });

    for (const [form, commodity] of [
      [0, 1],
      [FREE_FORM, 0],
      [FREE_FORM, 3],
    ] as const) {
      it(`refuses form ${form} of commodity ${commodity}`, async function () {
        const { registry } = await loadFixture(networkFixture);
        await expect(registry.registerForm(form, commodity, 100, 50, true, "bad"))
          .to.be.revertedWithCustomError(registry, "LotRegistryInvalidForm")
          .withArgs(form, commodity);
      });
    }

    it("refuses a loss or gain allowance above 10 %, and takes 10 % itself", async function () {
      const { registry } = await loadFixture(networkFixture);
      await expect(registry.registerForm(FREE_FORM, Commodity.cocoa, 1_001, 50, true, "bad"))
        .to.be.revertedWithCustomError(registry, "LotRegistryToleranceTooHigh")
        .withArgs(1_001, 1_000);
      await expect(registry.registerForm(FREE_FORM, Commodity.cocoa, 100, 1_001, true, "bad"))
        .to.be.revertedWithCustomError(registry, "LotRegistryToleranceTooHigh")
        .withArgs(1_001, 1_000);
      await expect(registry.registerForm(FREE_FORM, Commodity.cocoa, 1_000, 1_000, true, "edge")).to.emit(
        registry,
        "FormRegistered",
      );
    });
  });

  describe("when a governor changes a tolerance", function () {
    it("records it and says so", async function () {
      const { registry } = await loadFixture(networkFixture);
      await expect(registry.setFormTolerance(Form.dryBeans, 250, 20))
        .to.emit(registry, "FormToleranceChanged")
        .withArgs(Form.dryBeans, 250, 20);
      const stored = await registry.getForm(Form.dryBeans);
      expect([stored.lossBps, stored.gainBps]).to.deep.equal([250n, 20n]);
    });

    it("refuses an unknown form and an allowance above 10 %", async function () {
      const { registry } = await loadFixture(networkFixture);
      await expect(registry.setFormTolerance(FREE_FORM, 100, 50))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownForm")
        .withArgs(FREE_FORM);
      await expect(registry.setFormTolerance(Form.dryBeans, 1_001, 50))
        .to.be.revertedWithCustomError(registry, "LotRegistryToleranceTooHigh")
        .withArgs(1_001, 1_000);
      await expect(registry.setFormTolerance(Form.dryBeans, 100, 1_001))
        .to.be.revertedWithCustomError(registry, "LotRegistryToleranceTooHigh")
        .withArgs(1_001, 1_000);
    });
  });

  describe("when a governor sets yield bounds", function () {
    it("records them and says so, a single point included", async function () {
      const { catalogue } = await loadFixture(networkFixture);
      await expect(catalogue.setYieldBounds(Form.nibs, Form.cake, 5_000, 5_000))
        .to.emit(catalogue, "YieldBoundsSet")
        .withArgs(Form.nibs, Form.cake, 5_000, 5_000);
      const stored = await catalogue.getYieldBounds(Form.nibs, Form.cake);
      expect([stored.minBps, stored.maxBps]).to.deep.equal([5_000n, 5_000n]);
    });

    it("takes bounds on all outputs together (output form 0) and a least yield of zero", async function () {
      const { catalogue } = await loadFixture(networkFixture);
      await expect(catalogue.setYieldBounds(Form.dryBeans, ALL_OUTPUTS, 9_000, 10_000))
        .to.emit(catalogue, "YieldBoundsSet")
        .withArgs(Form.dryBeans, ALL_OUTPUTS, 9_000, 10_000);
      await expect(catalogue.setYieldBounds(Form.dryBeans, Form.shells, 0, 1_600)).to.emit(catalogue, "YieldBoundsSet");
    });

    it("refuses an unregistered input or output form, and form 0 as input", async function () {
      const { catalogue } = await loadFixture(networkFixture);
      for (const [input, output, bad] of [
        [FREE_FORM, Form.nibs, FREE_FORM],
        [Form.nibs, FREE_FORM, FREE_FORM],
        [ALL_OUTPUTS, Form.nibs, ALL_OUTPUTS],
      ] as const) {
        await expect(catalogue.setYieldBounds(input, output, 1, 2))
          .to.be.revertedWithCustomError(catalogue, "FormCatalogueUnknownForm")
          .withArgs(bad);
      }
    });

    for (const [min, max] of [
      [0, 0],
      [5_001, 5_000],
    ] as const) {
      it(`refuses bounds ${min}..${max}`, async function () {
        const { catalogue } = await loadFixture(networkFixture);
        await expect(catalogue.setYieldBounds(Form.nibs, Form.chocolate, min, max))
          .to.be.revertedWithCustomError(catalogue, "FormCatalogueInvalidBounds")
          .withArgs(min, max);
      });
    }
  });

  describe("when a governor says a form counts on dry weight", function () {
    it("records it, says so, and can take it back", async function () {
      const { catalogue } = await loadFixture(networkFixture);
      await expect(catalogue.setDryBasis(Form.concentratedLatex, true))
        .to.emit(catalogue, "DryBasisSet")
        .withArgs(Form.concentratedLatex, true);
      expect(await catalogue.isDryBasis(Form.concentratedLatex)).to.equal(true);
      await catalogue.setDryBasis(Form.concentratedLatex, false);
      expect(await catalogue.isDryBasis(Form.concentratedLatex)).to.equal(false);
    });

    it("refuses an unregistered form", async function () {
      const { catalogue } = await loadFixture(networkFixture);
      await expect(catalogue.setDryBasis(FREE_FORM, true))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueUnknownForm")
        .withArgs(FREE_FORM);
    });
  });

  describe("when a non-governor calls a governor function", function () {
    const callers = {
      cooperative: "coopPhone1",
      processor: "processor",
      brand: "brand",
      certifier: "certifier",
      relayer: "relayer",
      stranger: "stranger",
    } as const;
    const calls: Record<string, (network: Network, caller: HardhatEthersSigner) => Promise<unknown>> = {
      registerForm: ({ registry }, caller) => registry.connect(caller).registerForm(FREE_FORM, 1, 100, 50, true, "x"),
      setFormTolerance: ({ registry }, caller) => registry.connect(caller).setFormTolerance(Form.wetBeans, 1_000, 1_000),
      setYieldBounds: ({ catalogue }, caller) =>
        catalogue.connect(caller).setYieldBounds(Form.wetBeans, Form.dryBeans, 1, 10_000),
      setDryBasis: ({ catalogue }, caller) => catalogue.connect(caller).setDryBasis(Form.wetBeans, true),
      setFormCatalogue: ({ registry }, caller) => registry.connect(caller).setFormCatalogue(ethers.ZeroAddress),
      setBaseURI: ({ registry }, caller) => registry.connect(caller).setBaseURI("https://evil.example/"),
    };
    for (const [callerName, account] of Object.entries(callers)) {
      for (const [functionName, call] of Object.entries(calls)) {
        it(`refuses ${functionName} from a ${callerName}`, async function () {
          const network = await loadFixture(networkFixture);
          const caller = network[account];
          await expect(call(network, caller))
            .to.be.revertedWithCustomError(network.registry, "MembershipUnauthorized")
            .withArgs(caller.address, Role.governor);
        });
      }
    }
  });
});
