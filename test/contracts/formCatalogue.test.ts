import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ALL_OUTPUTS, FORMS, YIELDS, formById, formByKey, yieldOutputId } from "../../src/lots/forms";
import { checkTransformRule, type RuleOutput } from "../../src/lots/transformRule";
import { mulberry32 } from "../helpers/seededRandom";
import { Scheme, attestLot, attestationFixture, attestationLogs } from "./attestationFixtures";
import { expectDerived } from "./expectDerived";
import {
  Form,
  handOver,
  ingredient,
  lotHeldBy,
  mintLot,
  mintLots,
  delivery,
  networkFixture,
  output,
  receiptOf,
  type Network,
} from "./fixtures";

/**
 * The commodity model: transforms checked by the form catalogue (FormCatalogue) on dry weight where
 * the form says so, per input-form group, with joint products and declared non-traced ingredients;
 * every bound of the catalogue at both edges; and the frauds the rules are there to stop.
 */

/** A realistic measured quality (basis points) per input form: DRC for rubber, moisture for cocoa. */
const QUALITY: Record<number, number> = {
  [Form.fieldLatex]: 3_300,
  [Form.cupLump]: 6_500,
  [Form.fieldScrap]: 6_000,
  [Form.unsmokedSheet]: 9_000,
  [Form.skimLatex]: 500,
};
const qualityOf = (form: number) => QUALITY[form] ?? 0;

const INPUT_GRAMS = 1_000_000n;
const BPS = 10_000n;

/** The grams a yield bound allows from `grams` of `form` (dry weight where the form says so). */
function allowedRange(form: number, grams: bigint, minBps: number, maxBps: number): [bigint, bigint] {
  const spec = formById(form)!;
  const basis = spec.dryBasis ? grams * BigInt(qualityOf(form)) : grams * BPS;
  return [(basis * BigInt(minBps) + BPS * BPS - 1n) / (BPS * BPS), (basis * BigInt(maxBps)) / (BPS * BPS)];
}

const catalogueBounds = (from: number, to: number) =>
  YIELDS.find((bounds) => formByKey(bounds.from).id === from && yieldOutputId(bounds.to) === to);

/**
 * A second output that keeps a transform of `from` within its joint bound (all outputs together)
 * while the first output of form `target` weighs `grams`: the other output form of the input with
 * bounds, at the least weight both its own bound and the joint bound allow. None without a joint bound.
 */
function filler(from: number, target: number, grams: bigint): RuleOutput[] {
  const joint = catalogueBounds(from, 0);
  if (!joint) return [];
  const [jointMin] = allowedRange(from, INPUT_GRAMS, joint.minBps, joint.maxBps);
  if (grams >= jointMin) return [];
  for (const bounds of YIELDS.filter((item) => formByKey(item.from).id === from && item.to !== ALL_OUTPUTS)) {
    const other = yieldOutputId(bounds.to);
    if (other === target) continue;
    const [min, max] = allowedRange(from, INPUT_GRAMS, bounds.minBps, bounds.maxBps);
    const needed = jointMin - grams > min ? jointMin - grams : min;
    if (needed <= max) return [{ form: other, grams: needed }];
  }
  return [];
}

/** Four lots of 1 t for every input form of the catalogue, each with its realistic quality. */
async function stockFixture() {
  const network = await networkFixture();
  const inputForms = [...new Set(YIELDS.map((bounds) => formByKey(bounds.from).id))];
  const stock = new Map<number, bigint[]>();
  for (const form of inputForms) {
    const deliveries = [0, 1, 2, 3].map((index) => delivery(form, INPUT_GRAMS, `stock ${form}/${index}`, qualityOf(form)));
    stock.set(form, await mintLots(network.registry, network.coopPhone1, deliveries));
  }
  return { ...network, stock };
}

/** A lot of `grams` minted (with `quality`) and offered to the processor, who weighs `received`: a gain beyond 0.5 %, refused. */
async function expectGainRefused(network: Network, form: number, grams: bigint, quality: number, received: bigint) {
  const { registry, coopPhone1, processor } = network;
  const lotId = await mintLot(registry, coopPhone1, form, grams, `sent ${form}`, quality);
  await registry.connect(coopPhone1).offer(lotId, processor);
  await expect(registry.connect(processor).accept(lotId, received, 0))
    .to.be.revertedWithCustomError(registry, "LotRegistryOutsideTolerance")
    .withArgs(lotId, grams, received, formById(form)!.lossBps, 50);
}

async function expectYieldRefused(network: Network, lotId: bigint, outputs: RuleOutput[], args: unknown[]) {
  await expect(network.registry.connect(network.coopPhone1).transform([lotId], outputs.map((o) => output(o.form, o.grams))))
    .to.be.revertedWithCustomError(network.catalogue, "FormCatalogueYieldOutOfBounds")
    .withArgs(...args);
}

describe("FormCatalogue: the commodity model", function () {
  describe("every yield bound of the catalogue, at both edges (dry weight where the input form counts it)", function () {
    for (const bounds of YIELDS.filter((item) => item.to !== ALL_OUTPUTS)) {
      const [from, to] = [formByKey(bounds.from).id, yieldOutputId(bounds.to)];
      const basis = formById(from)!.dryBasis ? `dry weight at ${qualityOf(from) / 100} % DRC` : "weight";
      it(`${bounds.from} -> ${bounds.to}: ${bounds.minBps / 100}-${bounds.maxBps / 100} % of the ${basis}`, async function () {
        const network = await loadFixture(stockFixture);
        const [a, b, c, d] = network.stock.get(from)!;
        const [min, max] = allowedRange(from, INPUT_GRAMS, bounds.minBps, bounds.maxBps);
        // A bound with a least yield of zero has no "one gram under": zero grams is no output.
        if (min > 0n) await expectYieldRefused(network, a, [{ form: to, grams: min - 1n }, ...filler(from, to, min - 1n)], [to, min - 1n, min, max]);
        await expectYieldRefused(network, b, [{ form: to, grams: max + 1n }, ...filler(from, to, max + 1n)], [to, max + 1n, min, max]);
        for (const [lotId, grams] of [[c, min > 0n ? min : 1n], [d, max]] as const) {
          const outputs = [{ form: to, grams }, ...filler(from, to, grams)];
          await expect(network.registry.connect(network.coopPhone1).transform([lotId], outputs.map((o) => output(o.form, o.grams)))).to.emit(
            network.registry,
            "LotsDerived",
          );
        }
      });
    }
  });

  describe("when rubber yields are checked on dry weight", function () {
    it("takes aged cup lump of 73 % DRC into TSR 20, which a band on wet weight refused", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const lump = await mintLot(registry, coopPhone1, Form.cupLump, 1_000_000n, "aged", 7_300);
      // 730 kg of dry rubber: 693.5 .. 737.3 kg of TSR 20.
      await expect(registry.connect(coopPhone1).transform([lump], [output(Form.tsr20, 737_301n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.tsr20, 737_301n, 693_500n, 737_300n);
      await expect(registry.connect(coopPhone1).transform([lump], [output(Form.tsr20, 722_700n, "block", 9_950)])).to.emit(
        registry,
        "LotsDerived",
      );
    });

    it("takes wet-season latex of 26 % DRC into concentrate and high-DRC latex into sheets", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, coopPhone1 } = network;
      const wetSeason = await mintLot(registry, coopPhone1, Form.fieldLatex, 1_000_000n, "wet season", 2_600);
      const drySeason = await mintLot(registry, coopPhone1, Form.fieldLatex, 1_000_000n, "dry season", 4_200);
      // 260 kg of rubber as 60 % concentrate: about 380 kg; 420 kg of rubber as sheets: about 450 kg.
      await expect(registry.connect(coopPhone1).transform([wetSeason], [output(Form.concentratedLatex, 380_000n, "cc", 6_000)])).to.emit(
        registry,
        "LotsDerived",
      );
      await expect(registry.connect(coopPhone1).transform([drySeason], [output(Form.unsmokedSheet, 450_000n, "uss", 9_300)])).to.emit(
        registry,
        "LotsDerived",
      );
    });

    it("refuses a dry-weight input whose DRC was not measured, naming it", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const measured = await mintLot(registry, coopPhone1, Form.cupLump, 100_000n, "measured", 6_000);
      const unmeasured = await mintLot(registry, coopPhone1, Form.cupLump, 100_000n, "unmeasured");
      await expect(registry.connect(coopPhone1).transform([measured, unmeasured], [output(Form.tsr20, 60_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueQualityRequired")
        .withArgs(1, Form.cupLump, 0);
    });

    it("counts the DRC the receiver measured on acceptance, not the seller's", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1, processor } = network;
      const lump = await mintLot(registry, coopPhone1, Form.cupLump, 500_000n, "sold at 60 %", 6_000);
      await handOver(registry, lump, coopPhone1, processor, 480_000n, 5_500);
      // 480 kg at 55 % = 264 kg of dry rubber: at most 266.64 kg of TSR 20, not the 288 kg 60 % would give.
      await expect(registry.connect(processor).transform([lump], [output(Form.tsr20, 280_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.tsr20, 280_000n, 250_800n, 266_640n);
    });
  });

  describe("when a transform blends inputs of several forms", function () {
    it("bounds TSR 20 from cup lump, sheets and field scrap by the sum of their dry rubber", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const inputs = await mintLots(registry, coopPhone1, [
        delivery(Form.cupLump, 600_000n, "lump", 6_200),
        delivery(Form.unsmokedSheet, 200_000n, "sheets", 9_200),
        delivery(Form.fieldScrap, 100_000n, "scrap", 5_500),
        delivery(Form.cupLump, 400_000n, "lump 2", 6_800),
      ]);
      // Dry rubber: 372 + 184 + 55 + 272 = 883 kg; 95-101 %: 838.85 .. 891.83 kg.
      for (const grams of [838_849n, 891_831n]) {
        await expect(registry.connect(coopPhone1).transform(inputs, [output(Form.tsr20, grams)]))
          .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
          .withArgs(Form.tsr20, grams, 838_850n, 891_830n);
      }
      const block = [output(Form.tsr20, 865_000n, "blend", 9_960)];
      await expectDerived(network, coopPhone1, "transformed", inputs, block, () => registry.connect(coopPhone1).transform(inputs, block));
    });

    it("refuses a blend with an input form that has no bounds to the output, naming the pair", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const inputs = await mintLots(registry, coopPhone1, [
        delivery(Form.cupLump, 600_000n, "lump", 6_200),
        delivery(Form.rss, 100_000n, "rss"),
      ]);
      await expect(registry.connect(coopPhone1).transform(inputs, [output(Form.tsr20, 470_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNoYieldBounds")
        .withArgs(Form.rss, Form.tsr20);
    });

    it("refuses a blend of a form with joint bounds and one without them", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1 } = network;
      // Governors allow cake into chocolate, but set no bound on all of cake's outputs together.
      await catalogue.setYieldBounds(Form.cake, Form.chocolate, 9_800, 10_000);
      const inputs = await mintLots(registry, coopPhone1, [delivery(Form.liquor, 500_000n, "liquor"), delivery(Form.cake, 100_000n, "cake")]);
      await expect(registry.connect(coopPhone1).transform(inputs, [output(Form.chocolate, 595_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNoYieldBounds")
        .withArgs(Form.cake, 0);
    });
  });

  describe("when a transform makes joint products", function () {
    /** 1 t of liquor pressed: butter 35-50 %, cake 48-65 %, together 98-100 %. */
    const pressings: Array<[string, bigint, bigint, boolean]> = [
      ["together exactly 98 %", 450_000n, 530_000n, true],
      ["together exactly 100 %", 480_000n, 520_000n, true],
      ["together one gram under 98 %", 450_000n, 529_999n, false],
      ["together one gram over 100 %", 480_000n, 520_001n, false],
    ];
    for (const [label, butter, cake, accepted] of pressings) {
      it(`${accepted ? "takes" : "refuses"} butter and cake ${label}`, async function () {
        const network = await loadFixture(networkFixture);
        const { registry, catalogue, processor } = network;
        const liquor = await lotHeldBy(network, processor, Form.liquor, 1_000_000n, label);
        const call = registry.connect(processor).transform([liquor], [output(Form.butter, butter), output(Form.cake, cake)]);
        if (accepted) await expect(call).to.emit(registry, "LotsDerived");
        else await expect(call).to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds").withArgs(0, butter + cake, 980_000n, 1_000_000n);
      });
    }

    it("refuses butter above half of the liquor (a fat-free cake would launder butter)", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, processor } = network;
      const liquor = await lotHeldBy(network, processor, Form.liquor, 1_000_000n);
      await expect(registry.connect(processor).transform([liquor], [output(Form.butter, 560_000n), output(Form.cake, 440_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.butter, 560_000n, 350_000n, 500_000n);
    });
  });

  describe("when a transform declares non-traced ingredients", function () {
    /** A maker holding 600 kg of liquor and 100 kg of butter, both attested under the mass-balance scheme. */
    async function makerFixture() {
      const network = await attestationFixture();
      const { processor } = network;
      const liquor = await lotHeldBy(network, processor, Form.liquor, 600_000n, "maker liquor");
      const butter = await lotHeldBy(network, processor, Form.butter, 100_000n, "maker butter");
      await attestLot(network, liquor, Scheme.fairtrade);
      await attestLot(network, butter, Scheme.fairtrade);
      return { ...network, liquor, butter };
    }
    const recipe = [ingredient(Form.chocolate, 295_000n, "sugar"), ingredient(Form.chocolate, 5_000n, "lecithin")];

    it("makes a 70 % bar from liquor, butter, sugar and lecithin, crediting only the traced cocoa", async function () {
      const network = await loadFixture(makerFixture);
      const { registry, attestations, processor, members, liquor, butter } = network;
      const bar = [output(Form.chocolate, 990_000n, "bar 70 %")];
      const first = await registry.nextLotId(processor);
      await expectDerived(
        network,
        processor,
        "transformed",
        [liquor, butter],
        bar,
        () => registry.connect(processor).transformWithIngredients([liquor, butter], bar, recipe),
        recipe,
      );
      // 990 kg of chocolate hold 300 kg of declared ingredients: 690 kg traced, all of it claimed.
      const [chocolate] = await attestations.creditsOf(members.processor, Scheme.fairtrade, [Form.chocolate]);
      expect(chocolate).to.equal(690_000n);
      expect(await attestations.carriesClaim(first, Scheme.fairtrade)).to.equal(false);
    });

    it("shifts both bounds by the ingredients' grams", async function () {
      const network = await loadFixture(makerFixture);
      const { registry, catalogue, processor, liquor, butter } = network;
      // Traced 700 kg at 98-100 % is 686-700 kg; with 300 kg of ingredients, 986-1 000 kg.
      for (const grams of [985_999n, 1_000_001n]) {
        await expect(registry.connect(processor).transformWithIngredients([liquor, butter], [output(Form.chocolate, grams)], recipe))
          .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
          .withArgs(Form.chocolate, grams, 986_000n, 1_000_000n);
      }
      await expect(registry.connect(processor).transformWithIngredients([liquor, butter], [output(Form.chocolate, 986_000n)], recipe)).to.emit(
        registry,
        "LotsDerived",
      );
    });

    it("refuses the bar without its ingredients: 140-170 % of the cocoa is not cocoa", async function () {
      const network = await loadFixture(makerFixture);
      const { registry, catalogue, processor, liquor, butter } = network;
      await expect(registry.connect(processor).transform([liquor, butter], [output(Form.chocolate, 1_000_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.chocolate, 1_000_000n, 686_000n, 700_000n);
    });

    it("splits the ingredients pro rata over several bars of one form, each credited its traced share", async function () {
      const network = await loadFixture(makerFixture);
      const { registry, attestations, processor, liquor, butter } = network;
      const bars = [output(Form.chocolate, 330_000n, "bar a"), output(Form.chocolate, 660_000n, "bar b")];
      const receipt = await receiptOf(registry.connect(processor).transformWithIngredients([liquor, butter], bars, recipe));
      const credited = attestationLogs(receipt, attestations, "MassBalanceCredited").map((log) => log.args.grams);
      // 690 kg traced of 990 kg: a third and two thirds.
      expect(credited).to.deep.equal([230_000n, 460_000n]);
    });

    it("adds compounding ingredients to TSR 20 for compound rubber (HS 4005)", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const tsr = await mintLot(registry, coopPhone1, Form.tsr20, 600_000n, "tsr");
      const carbon = [ingredient(Form.compound, 300_000n, "carbon black N330"), ingredient(Form.compound, 60_000n, "process oil")];
      await expect(registry.connect(coopPhone1).transformWithIngredients([tsr], [output(Form.compound, 960_001n)], carbon))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.compound, 960_001n, 948_000n, 960_000n);
      await expect(registry.connect(coopPhone1).transformWithIngredients([tsr], [output(Form.compound, 955_000n)], carbon)).to.emit(
        registry,
        "LotsDerived",
      );
    });

    it("refuses an ingredient for a form the transform does not produce, or of zero grams", async function () {
      const network = await loadFixture(makerFixture);
      const { registry, catalogue, processor, liquor, butter } = network;
      const bar = [output(Form.chocolate, 990_000n)];
      await expect(registry.connect(processor).transformWithIngredients([liquor, butter], bar, [...recipe, ingredient(Form.cake, 1_000n, "sugar")]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueInvalidIngredient")
        .withArgs(2, Form.cake, 1_000n);
      await expect(registry.connect(processor).transformWithIngredients([liquor, butter], bar, [ingredient(Form.chocolate, 0n, "air")]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueInvalidIngredient")
        .withArgs(0, Form.chocolate, 0n);
    });

    it(`refuses more than ${32} ingredients`, async function () {
      const network = await loadFixture(makerFixture);
      const { registry, processor, liquor, butter } = network;
      const many = Array.from({ length: 33 }, (_, index) => ingredient(Form.chocolate, 1_000n, `spice ${index}`));
      await expect(registry.connect(processor).transformWithIngredients([liquor, butter], [output(Form.chocolate, 719_000n)], many))
        .to.be.revertedWithCustomError(registry, "LotRegistryBatchSize")
        .withArgs(33, 0, 32);
    });
  });

  describe("fraud the rules stop", function () {
    it("watered latex: the gain is refused at the buying station, and a mill cannot sell the water as rubber", async function () {
      const network = await loadFixture(networkFixture);
      // 10 kg of water added on the way: the receiver's scale reads 110 kg.
      await expectGainRefused(network, Form.fieldLatex, 100_000n, 3_300, 110_000n);
      // Watered before the weigh-in, 110 kg of latex test at 30 % DRC: still 33 kg of rubber, at most
      // 51.15 kg of concentrate, not the 56 kg that 110 kg at the 33 % it had would give.
      const watered = await mintLot(network.registry, network.coopPhone1, Form.fieldLatex, 110_000n, "watered", 3_000);
      await expectYieldRefused(network, watered, [{ form: Form.concentratedLatex, grams: 56_000n }], [Form.concentratedLatex, 56_000n, 45_540n, 51_150n]);
    });

    it("soaked lump: the extra weight is refused at handover, and the block is bounded by the dry rubber", async function () {
      const network = await loadFixture(networkFixture);
      await expectGainRefused(network, Form.cupLump, 500_000n, 6_000, 520_000n);
      // Soaked before the weigh-in (560 kg), the DRC test reads 53.6 %: still 300 kg of rubber, and
      // at most 303 kg of TSR 20 however heavy the lump was.
      const soaked = await mintLot(network.registry, network.coopPhone1, Form.cupLump, 560_000n, "soaked", 5_357);
      await expectYieldRefused(network, soaked, [{ form: Form.tsr20, grams: 330_000n }], [Form.tsr20, 330_000n, 284_993n, 302_991n]);
    });

    it("bought asalan beans mixed into fermented beans: refused above 43 % of the wet beans", async function () {
      const network = await loadFixture(networkFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const [wet, asalan, fermented] = await mintLots(registry, coopPhone1, [
        delivery(Form.wetBeans, 1_000_000n, "a day's wet beans", 5_600),
        delivery(Form.unfermentedBeans, 100_000n, "bought asalan", 1_200),
        delivery(Form.dryBeans, 500_000n, "fermented stock", 750),
      ]);
      // 1 t of wet beans gives at most 430 kg; 480 kg means 50 kg came from elsewhere.
      await expect(registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 480_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueYieldOutOfBounds")
        .withArgs(Form.dryBeans, 480_000n, 330_000n, 430_000n);
      // Declared openly, unfermented beans never become fermented beans, in a blend or a re-sorting.
      await expect(registry.connect(coopPhone1).transform([wet, asalan], [output(Form.dryBeans, 480_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNoYieldBounds")
        .withArgs(Form.unfermentedBeans, Form.dryBeans);
      await expect(registry.connect(coopPhone1).transform([fermented, asalan], [output(Form.dryBeans, 590_000n)]))
        .to.be.revertedWithCustomError(catalogue, "FormCatalogueNoYieldBounds")
        .withArgs(Form.unfermentedBeans, Form.dryBeans);
      await expect(registry.connect(coopPhone1).transform([wet], [output(Form.dryBeans, 430_000n, "dried", 740)])).to.emit(registry, "LotsDerived");
    });
  });

  describe("the rule's off-chain twin (src/lots/transformRule.ts)", function () {
    it("refuses and accepts exactly what the contract does, over 40 seeded random transforms", async function () {
      const network = await loadFixture(stockFixture);
      const { registry, catalogue, coopPhone1 } = network;
      const next = mulberry32(0x70_2024);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
      const inputForms = [...network.stock.keys()];
      for (let round = 0; round < 40; round++) {
        const forms = [pick(inputForms), ...(next() < 0.4 ? [pick(inputForms)] : [])];
        const lots = [...new Set(forms)].map((form) => network.stock.get(form)![round % 4]);
        const outputForms = YIELDS.filter((bounds) => bounds.to !== ALL_OUTPUTS && formByKey(bounds.from).id === forms[0]).map((b) => yieldOutputId(b.to));
        const outputs = [pick(outputForms), ...(next() < 0.3 ? [pick(outputForms)] : [])].map((form) => ({
          form,
          grams: BigInt(Math.floor(next() * Number(INPUT_GRAMS))) + 1n,
        }));
        const inputs = await Promise.all(lots.map(async (lotId) => (await registry.getLot(lotId)).lot));
        const twin = checkTransformRule({
          inputs: inputs.map((lot) => ({ form: Number(lot.form), grams: lot.grams, quality: Number(lot.quality) })),
          outputs,
          bounds: (from, to) => {
            const found = catalogueBounds(from, to);
            return found && { minBps: found.minBps, maxBps: found.maxBps };
          },
          dryBasis: (form) => formById(form)?.dryBasis ?? false,
        });
        const call = registry.connect(coopPhone1).transform.staticCall(lots, outputs.map((o) => output(o.form, o.grams)));
        if (twin.ok) {
          await call;
        } else {
          await expect(call)
            .to.be.revertedWithCustomError(catalogue, twin.refusal.error)
            .withArgs(...twin.refusal.args);
        }
      }
    });

    it("computes the traced share the contract tells the lot observer", async function () {
      const twin = checkTransformRule({
        inputs: [{ form: Form.liquor, grams: 600_000n, quality: 0 }, { form: Form.butter, grams: 100_000n, quality: 0 }],
        outputs: [{ form: Form.chocolate, grams: 330_000n }, { form: Form.chocolate, grams: 660_000n }],
        ingredients: [{ outputForm: Form.chocolate, grams: 300_000n }],
        bounds: (from, to) => catalogueBounds(from, to),
        dryBasis: () => false,
      });
      expect(twin.ok && twin.tracedGrams).to.deep.equal([230_000n, 460_000n]);
    });
  });

  describe("the catalogue itself", function () {
    it("gives every form an HS code, EUDR scope, and a quality measure matching its commodity", function () {
      for (const form of FORMS) {
        expect(form.hsCode, form.key).to.match(form.commodity === "cocoa" ? /^18\d{2}/ : /^40\d{2}/);
        expect(form.quality, form.key).to.equal(form.commodity === "cocoa" ? "moisture" : "drc");
        if (form.dryBasis) expect(form.commodity, form.key).to.equal("rubber");
      }
    });

    it("has bounds whose least yield is at most their most, between forms of the catalogue", function () {
      for (const bounds of YIELDS) {
        expect(bounds.minBps, `${bounds.from} -> ${bounds.to}`).to.be.at.most(bounds.maxBps);
        expect(bounds.maxBps).to.be.above(0);
        formByKey(bounds.from);
        if (bounds.to !== ALL_OUTPUTS) formByKey(bounds.to);
      }
    });
  });
});
