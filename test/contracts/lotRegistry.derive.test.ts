import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expectDerived } from "./expectDerived";
import {
  Form,
  LotStatus,
  MAX_BATCH,
  MAX_OUTPUTS,
  Roles,
  digest,
  lotHeldBy,
  mintLot,
  networkFixture,
  output,
} from "./fixtures";

const ZERO = "0x0000000000000000000000000000000000000000";

/** The cooperative holds wet beans: 100 kg on phone 1 and 40 kg on phone 2; also 50 kg dry beans on phone 1. */
async function cooperativeLotsFixture() {
  const network = await networkFixture();
  const { registry, coopPhone1, coopPhone2 } = network;
  const wet = await mintLot(registry, coopPhone1, Form.wetBeans, 100_000n, "wet 1");
  const wet2 = await mintLot(registry, coopPhone2, Form.wetBeans, 40_000n, "wet 2");
  const dry = await mintLot(registry, coopPhone1, Form.dryBeans, 50_000n, "dry 1");
  return { ...network, wet, wet2, dry };
}

/** The processor holds 100 kg of cocoa liquor and 100 kg of rubber cup lump (60 % DRC), received from the cooperative. */
async function processorLotsFixture() {
  const network = await networkFixture();
  const liquor = await lotHeldBy(network, network.processor, Form.liquor, 100_000n, "liquor");
  const cupLump = await lotHeldBy(network, network.processor, Form.cupLump, 100_000n, "cup lump", 6_000);
  return { ...network, liquor, cupLump };
}

describe("LotRegistry: split, merge, transform", function () {
  describe("when a custodian splits a lot", function () {
    it("consumes it and mints parts that sum exactly to it", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, coopPhone1, wet } = network;
      const parts = [output(Form.wetBeans, 30_000n, "a"), output(Form.wetBeans, 70_000n, "b")];
      expect(await registry.connect(coopPhone1).split.staticCall(wet, parts)).to.equal(
        await registry.nextLotId(coopPhone1),
      );
      await expectDerived(network, coopPhone1, "split", [wet], parts, () =>
        registry.connect(coopPhone1).split(wet, parts),
      );
    });

    it("splits into uneven parts of one gram and the rest", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, coopPhone1, wet } = network;
      const parts = [output(Form.wetBeans, 1n), output(Form.wetBeans, 33_333n), output(Form.wetBeans, 66_666n)];
      await expectDerived(network, coopPhone1, "split", [wet], parts, () =>
        registry.connect(coopPhone1).split(wet, parts),
      );
    });

    it("lets a sibling account split, the parts going to that account", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, coopPhone2, wet } = network;
      const parts = [output(Form.wetBeans, 50_000n), output(Form.wetBeans, 50_000n)];
      await expectDerived(network, coopPhone2, "split", [wet], parts, () =>
        registry.connect(coopPhone2).split(wet, parts),
      );
    });

    it("makes parts that are full lots: they can be handed over and split again", async function () {
      const { registry, coopPhone1, processor, wet } = await loadFixture(cooperativeLotsFixture);
      const first = await registry.nextLotId(coopPhone1);
      await registry.connect(coopPhone1).split(wet, [output(Form.wetBeans, 60_000n), output(Form.wetBeans, 40_000n)]);
      await registry.connect(coopPhone1).offer(first, processor);
      await registry.connect(processor).accept(first, 60_000n, 0);
      await expect(
        registry.connect(processor).split(first, [output(Form.wetBeans, 10_000n), output(Form.wetBeans, 50_000n)]),
      ).to.emit(registry, "LotsDerived");
    });

    for (const [label, second] of [
      ["one gram short", 69_999n],
      ["one gram over", 70_001n],
    ] as const) {
      it(`refuses parts ${label} with LotRegistrySplitImbalance`, async function () {
        const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
        await expect(
          registry.connect(coopPhone1).split(wet, [output(Form.wetBeans, 30_000n), output(Form.wetBeans, second)]),
        )
          .to.be.revertedWithCustomError(registry, "LotRegistrySplitImbalance")
          .withArgs(wet, 100_000n, 30_000n + second);
      });
    }

    for (const count of [0, 1, MAX_OUTPUTS + 1]) {
      it(`refuses ${count} parts with LotRegistryBatchSize`, async function () {
        const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
        const parts = Array.from({ length: count }, () => output(Form.wetBeans, 1n));
        await expect(registry.connect(coopPhone1).split(wet, parts))
          .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
          .withArgs(count, 2, MAX_OUTPUTS);
      });
    }

    it("refuses a part of another form", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
      await expect(
        registry.connect(coopPhone1).split(wet, [output(Form.wetBeans, 50_000n), output(Form.dryBeans, 50_000n)]),
      )
        .to.be.revertedWithCustomError(registry, "LotRegistryFormMismatch")
        .withArgs(wet, Form.wetBeans, Form.dryBeans);
    });

    it("refuses a part of zero grams", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
      await expect(
        registry.connect(coopPhone1).split(wet, [output(Form.wetBeans, 0n), output(Form.wetBeans, 100_000n)]),
      ).to.be.revertedWithCustomError(registry, "LotRegistryZeroQuantity");
    });

    it("refuses another member's account", async function () {
      const { registry, coopPhone1, processor, wet } = await loadFixture(cooperativeLotsFixture);
      await expect(
        registry.connect(processor).split(wet, [output(Form.wetBeans, 50_000n), output(Form.wetBeans, 50_000n)]),
      )
        .to.be.revertedWithCustomError(registry, "LotRegistryNotCustodian")
        .withArgs(processor.address, wet, coopPhone1.address);
    });

    it("refuses a lot in transit, a consumed lot and an unknown lot", async function () {
      const { registry, coopPhone1, processor, wet, wet2 } = await loadFixture(cooperativeLotsFixture);
      const halves = [output(Form.wetBeans, 50_000n), output(Form.wetBeans, 50_000n)];
      await registry.connect(coopPhone1).offer(wet, processor);
      await expect(registry.connect(coopPhone1).split(wet, halves))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(wet, LotStatus.InTransit);
      await registry.connect(coopPhone1).split(wet2, [output(Form.wetBeans, 20_000n), output(Form.wetBeans, 20_000n)]);
      await expect(
        registry.connect(coopPhone1).split(wet2, [output(Form.wetBeans, 20_000n), output(Form.wetBeans, 20_000n)]),
      )
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(wet2, LotStatus.Consumed);
      await expect(registry.connect(coopPhone1).split(999n, halves))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(999n);
    });
  });

  describe("when a custodian merges lots", function () {
    it("consumes them into one lot of their summed grams, across the member's accounts", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, coopPhone1, wet, wet2 } = network;
      const merged = output(Form.wetBeans, 140_000n, "merged");
      expect(await registry.connect(coopPhone1).merge.staticCall([wet, wet2], merged.metadata)).to.equal(
        await registry.nextLotId(coopPhone1),
      );
      await expectDerived(network, coopPhone1, "merged", [wet, wet2], [merged], () =>
        registry.connect(coopPhone1).merge([wet, wet2], merged.metadata),
      );
    });

    it("merges three lots in the order given", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, coopPhone2, wet, wet2 } = network;
      const third = await mintLot(registry, coopPhone2, Form.wetBeans, 5n);
      const merged = output(Form.wetBeans, 140_005n, "merged 3");
      await expectDerived(network, coopPhone2, "merged", [wet2, third, wet], [merged], () =>
        registry.connect(coopPhone2).merge([wet2, third, wet], merged.metadata),
      );
    });

    it("refuses lots of different forms", async function () {
      const { registry, coopPhone1, wet, dry } = await loadFixture(cooperativeLotsFixture);
      await expect(registry.connect(coopPhone1).merge([wet, dry], digest("m")))
        .to.be.revertedWithCustomError(registry, "LotRegistryFormMismatch")
        .withArgs(dry, Form.wetBeans, Form.dryBeans);
    });

    it("refuses a lot held by another member", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, coopPhone1, processor, wet } = network;
      const theirs = await lotHeldBy(network, processor, Form.wetBeans, 10_000n);
      await expect(registry.connect(coopPhone1).merge([wet, theirs], digest("m")))
        .to.be.revertedWithCustomError(registry, "LotRegistryNotCustodian")
        .withArgs(coopPhone1.address, theirs, processor.address);
    });

    for (const count of [0, 1]) {
      it(`refuses ${count} lots with LotRegistryBatchSize`, async function () {
        const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
        await expect(registry.connect(coopPhone1).merge(count === 0 ? [] : [wet], digest("m")))
          .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
          .withArgs(count, 2, MAX_BATCH);
      });
    }

    for (const [label, ids] of [
      ["twice in a row", (wet: bigint) => [wet, wet]],
      ["twice among others", (wet: bigint, wet2: bigint) => [wet, wet2, wet]],
    ] as const) {
      it(`refuses the same lot ${label} (no grams counted twice)`, async function () {
        const { registry, coopPhone1, wet, wet2 } = await loadFixture(cooperativeLotsFixture);
        const next = await registry.nextLotId(coopPhone1);
        await expect(registry.connect(coopPhone1).merge(ids(wet, wet2), digest("m")))
          .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
          .withArgs(wet, LotStatus.Consumed);
        expect(await registry.nextLotId(coopPhone1)).to.equal(next);
        expect((await registry.getLot(wet)).lot.status).to.equal(LotStatus.Active);
      });
    }

    it("refuses a merged quantity beyond the largest gram count", async function () {
      const { registry, coopPhone1 } = await loadFixture(cooperativeLotsFixture);
      const max = 2n ** 64n - 1n;
      const big = [
        await mintLot(registry, coopPhone1, Form.tsr20, max),
        await mintLot(registry, coopPhone1, Form.tsr20, 1n),
      ];
      await expect(registry.connect(coopPhone1).merge(big, digest("too heavy")))
        .to.be.revertedWithCustomError(registry, "LotRegistryQuantityOverflow")
        .withArgs(max + 1n);
    });

    it("refuses a consumed lot and a lot in transit", async function () {
      const { registry, coopPhone1, processor, wet, wet2 } = await loadFixture(cooperativeLotsFixture);
      const third = await mintLot(registry, coopPhone1, Form.wetBeans, 1_000n);
      await registry.connect(coopPhone1).merge([wet, wet2], digest("m"));
      await expect(registry.connect(coopPhone1).merge([third, wet], digest("m2")))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(wet, LotStatus.Consumed);
      const fourth = await mintLot(registry, coopPhone1, Form.wetBeans, 1_000n);
      await registry.connect(coopPhone1).offer(fourth, processor);
      await expect(registry.connect(coopPhone1).merge([third, fourth], digest("m3")))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(fourth, LotStatus.InTransit);
    });
  });

  describe("when a custodian transforms lots", function () {
    it("dries wet beans into fermented dry beans within the yield bounds, with their moisture", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, coopPhone1, wet } = network;
      const dried = [output(Form.dryBeans, 38_000n, "dried", 740)];
      expect(await registry.connect(coopPhone1).transform.staticCall([wet], dried)).to.equal(
        await registry.nextLotId(coopPhone1),
      );
      await expectDerived(network, coopPhone1, "transformed", [wet], dried, () =>
        registry.connect(coopPhone1).transform([wet], dried),
      );
    });

    describe("when the yield is at the edge of its bounds (wet -> fermented dry beans, 33.00 % .. 43.00 %)", function () {
      // 123 457 g of wet beans: 33 % is 40 740.81 g, 43 % is 53 086.51 g.
      async function oddLotFixture() {
        const network = await cooperativeLotsFixture();
        const odd = await mintLot(network.registry, network.coopPhone1, Form.wetBeans, 123_457n, "odd");
        return { ...network, odd };
      }
      for (const [label, grams] of [
        ["exactly the minimum (100 000 g -> 33 000 g)", 33_000n],
        ["exactly the maximum (100 000 g -> 43 000 g)", 43_000n],
      ] as const) {
        it(`accepts ${label}`, async function () {
          const network = await loadFixture(cooperativeLotsFixture);
          const dried = [output(Form.dryBeans, grams)];
          await expectDerived(network, network.coopPhone1, "transformed", [network.wet], dried, () =>
            network.registry.connect(network.coopPhone1).transform([network.wet], dried),
          );
        });
      }
      for (const [label, grams] of [
        ["one gram under the minimum", 32_999n],
        ["one gram over the maximum", 43_001n],
        ["zero grams", 0n],
      ] as const) {
        it(`refuses ${label} with FormCatalogueYieldOutOfBounds`, async function () {
          const { registry, catalogue, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
          await expect(registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, grams)]))
            .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
            .withArgs(Form.dryBeans, grams, 33_000n, 43_000n);
        });
      }
      for (const [grams, accepted] of [
        [40_740n, false],
        [40_741n, true],
        [53_086n, true],
        [53_087n, false],
      ] as const) {
        it(`${accepted ? "accepts" : "refuses"} ${grams} g of 123 457 g (fractional bound)`, async function () {
          const { registry, catalogue, coopPhone1, odd } = await loadFixture(oddLotFixture);
          const call = registry.connect(coopPhone1).transform([odd], [output(Form.dryBeans, grams)]);
          if (accepted) {
            await expect(call).to.emit(registry, "LotsDerived");
          } else {
            await expect(call)
              .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
              .withArgs(Form.dryBeans, grams, 40_741n, 53_086n);
          }
        });
      }
    });

    it("measures the yield against all inputs together", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, catalogue, coopPhone1, wet, wet2 } = network;
      await expect(registry.connect(coopPhone1).transform([wet, wet2], [output(Form.dryBeans, 60_201n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.dryBeans, 60_201n, 46_200n, 60_200n);
      const dried = [output(Form.dryBeans, 60_200n)];
      await expectDerived(network, coopPhone1, "transformed", [wet, wet2], dried, () =>
        registry.connect(coopPhone1).transform([wet, wet2], dried),
      );
    });

    it("counts two outputs of one form together, so neither takes the whole allowance", async function () {
      const { registry, catalogue, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
      await expect(
        registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 40_000n), output(Form.dryBeans, 4_000n)]),
      )
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.dryBeans, 44_000n, 33_000n, 43_000n);
    });

    it("presses cocoa liquor into butter and cake (joint products)", async function () {
      const network = await loadFixture(processorLotsFixture);
      const { registry, processor, liquor } = network;
      const pressed = [output(Form.butter, 45_000n, "butter"), output(Form.cake, 53_000n, "cake")];
      await expectDerived(network, processor, "transformed", [liquor], pressed, () =>
        registry.connect(processor).transform([liquor], pressed),
      );
    });

    it("processes rubber cup lump into TSR 20 on its dry rubber content", async function () {
      const network = await loadFixture(processorLotsFixture);
      const { registry, processor, cupLump } = network;
      // 100 kg of cup lump at 60 % DRC hold 60 kg of dry rubber: 95-101 % of it may come out as TSR 20.
      const block = [output(Form.tsr20, 60_000n, "tsr20")];
      await expectDerived(network, processor, "transformed", [cupLump], block, () =>
        registry.connect(processor).transform([cupLump], block),
      );
    });

    it("refuses outputs that together weigh more than the inputs", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, catalogue, coopPhone1 } = network;
      // 100 kg of field latex at 70 % DRC: concentrate may weigh up to 155 % of the dry rubber
      // (108.5 kg, it is 60 % DRC), but never more than the latex it came from.
      const latex = await mintLot(registry, coopPhone1, Form.fieldLatex, 100_000n, "latex", 7_000);
      await expect(registry.connect(coopPhone1).transform([latex], [output(Form.concentratedLatex, 100_001n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueMassCreated")
        .withArgs(100_000n, 0n, 100_001n);
      await expect(registry.connect(coopPhone1).transform([latex], [output(Form.concentratedLatex, 100_000n)])).to.emit(
        registry,
        "LotsDerived",
      );
    });

    it("refuses a transform with no registered yield bounds", async function () {
      const { registry, catalogue, coopPhone1, wet, dry } = await loadFixture(cooperativeLotsFixture);
      await expect(registry.connect(coopPhone1).transform([wet], [output(Form.butter, 30_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNoYieldBounds")
        .withArgs(Form.wetBeans, Form.butter);
      await expect(registry.connect(coopPhone1).transform([wet], [output(Form.wetBeans, 90_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNoYieldBounds")
        .withArgs(Form.wetBeans, Form.wetBeans);
      await expect(registry.connect(coopPhone1).transform([dry], [output(Form.wetBeans, 10_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNoYieldBounds")
        .withArgs(Form.dryBeans, Form.wetBeans);
    });

    it("blends inputs of several forms, each group within its own bounds, summed", async function () {
      const network = await loadFixture(cooperativeLotsFixture);
      const { registry, catalogue, coopPhone1, wet, dry } = network;
      // 100 kg wet beans (33-43 %) and 50 kg dry beans re-sorted (95-100 %): 80.5 kg .. 93 kg of dry beans.
      for (const grams of [80_499n, 93_001n]) {
        await expect(registry.connect(coopPhone1).transform([wet, dry], [output(Form.dryBeans, grams)]))
          .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
          .withArgs(Form.dryBeans, grams, 80_500n, 93_000n);
      }
      const blended = [output(Form.dryBeans, 80_500n, "blend")];
      await expectDerived(network, coopPhone1, "transformed", [wet, dry], blended, () =>
        registry.connect(coopPhone1).transform([wet, dry], blended),
      );
    });

    it("refuses the same input twice (no grams counted twice)", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
      // 80 000 g lies within the bounds of 200 000 g but not of the 100 000 g that exist.
      await expect(registry.connect(coopPhone1).transform([wet, wet], [output(Form.dryBeans, 80_000n)]))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(wet, LotStatus.Consumed);
    });

    it("refuses no inputs and no outputs", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
      await expect(registry.connect(coopPhone1).transform([], [output(Form.dryBeans, 1n)]))
        .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
        .withArgs(0, 1, MAX_BATCH);
      await expect(registry.connect(coopPhone1).transform([wet], []))
        .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
        .withArgs(0, 1, MAX_OUTPUTS);
    });

    it("refuses an output quality above 100 %", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
      await expect(registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 38_000n, "x", 10_001)]))
        .to.be.revertedWithCustomError(registry, "LotRegistryInvalidQuality")
        .withArgs(0, 10_001);
    });

    it("refuses another member's lot and an account without a custodian role", async function () {
      const { registry, membership, coopPhone1, certifier, processor, liquor } = await loadFixture(
        processorLotsFixture,
      );
      await expect(registry.connect(coopPhone1).transform([liquor], [output(Form.butter, 45_000n)]))
        .to.be.revertedWithCustomError(registry, "LotRegistryNotCustodian")
        .withArgs(coopPhone1.address, liquor, processor.address);
      await expect(registry.connect(certifier).transform([liquor], [output(Form.butter, 45_000n)]))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(certifier.address, Roles.custodians);
    });

    it("refuses every transform while no form catalogue is set", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(cooperativeLotsFixture);
      await registry.setFormCatalogue(ZERO);
      expect(await registry.formCatalogue()).to.equal(ZERO);
      await expect(registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 38_000n)]))
        .to.be.revertedWithCustomError(registry, "LotRegistryNoFormCatalogue");
    });
  });

  describe("when lots carry a measured quality (moisture, DRC)", function () {
    /** Wet beans weighed with their moisture: 100 kg at 55.00 % and 40 kg at 58.00 %. */
    async function measuredLotsFixture() {
      const network = await networkFixture();
      const { registry, coopPhone1 } = network;
      const wet = await mintLot(registry, coopPhone1, Form.wetBeans, 100_000n, "measured 1", 5_500);
      const wet2 = await mintLot(registry, coopPhone1, Form.wetBeans, 40_000n, "measured 2", 5_800);
      const unmeasured = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n, "unmeasured");
      return { ...network, wet, wet2, unmeasured };
    }

    it("gives each part of a split the lot's quality (a split measures nothing)", async function () {
      const network = await loadFixture(measuredLotsFixture);
      const { registry, coopPhone1, wet } = network;
      const parts = [output(Form.wetBeans, 30_000n, "q a"), output(Form.wetBeans, 70_000n, "q b", 5_500)];
      const expected = parts.map((part) => ({ ...part, quality: 5_500 }));
      await expectDerived(network, coopPhone1, "split", [wet], expected, () =>
        registry.connect(coopPhone1).split(wet, parts),
      );
    });

    it("refuses a part that claims another quality", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(measuredLotsFixture);
      await expect(
        registry.connect(coopPhone1).split(wet, [output(Form.wetBeans, 30_000n), output(Form.wetBeans, 70_000n, "x", 5_400)]),
      )
        .to.be.revertedWithCustomError(registry, "LotRegistryQualityMismatch")
        .withArgs(wet, 1, 5_500, 5_400);
    });

    it("gives a merged lot its inputs' grams-weighted quality, rounded down", async function () {
      const network = await loadFixture(measuredLotsFixture);
      const { registry, coopPhone1, wet, wet2 } = network;
      // (100 000 x 5 500 + 40 000 x 5 800) / 140 000 = 5 585.7
      const merged = output(Form.wetBeans, 140_000n, "merged q", 5_585);
      await expectDerived(network, coopPhone1, "merged", [wet, wet2], [merged], () =>
        registry.connect(coopPhone1).merge([wet, wet2], merged.metadata),
      );
    });

    it("leaves a merged lot unmeasured when one of its inputs was not measured", async function () {
      const network = await loadFixture(measuredLotsFixture);
      const { registry, coopPhone1, wet, unmeasured } = network;
      const merged = output(Form.wetBeans, 110_000n, "merged u", 0);
      await expectDerived(network, coopPhone1, "merged", [wet, unmeasured], [merged], () =>
        registry.connect(coopPhone1).merge([wet, unmeasured], merged.metadata),
      );
    });
  });

  describe("when a lot has been consumed", function () {
    async function consumedFixture() {
      const network = await cooperativeLotsFixture();
      await network.registry
        .connect(network.coopPhone1)
        .split(network.wet, [output(Form.wetBeans, 50_000n), output(Form.wetBeans, 50_000n)]);
      return network;
    }

    it("is gone for ERC-721 but its record and head stay readable", async function () {
      const { registry, coopPhone1, wet } = await loadFixture(consumedFixture);
      await expect(registry.ownerOf(wet))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(wet);
      await expect(registry.tokenURI(wet))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(wet);
      await expect(registry.getApproved(wet))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(wet);
      const { lot, head } = await registry.getLot(wet);
      expect([lot.custodian, lot.grams, lot.form, lot.status]).to.deep.equal([
        coopPhone1.address,
        100_000n,
        BigInt(Form.wetBeans),
        LotStatus.Consumed,
      ]);
      expect(await registry.historyHead(wet)).to.equal(head);
    });

    it("takes no more handovers nor evidence", async function () {
      const { registry, coopPhone1, processor, wet } = await loadFixture(consumedFixture);
      await expect(registry.connect(coopPhone1).offer(wet, processor))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(wet, LotStatus.Consumed);
      await expect(registry.connect(coopPhone1).attachEvidence(wet, digest("late ticket")))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(wet, LotStatus.Consumed);
      await expect(registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 40_000n)]))
        .to.be.revertedWithCustomError(registry, "LotRegistryWrongStatus")
        .withArgs(wet, LotStatus.Consumed);
    });
  });
});
