import { expect } from "chai";
import {
  COCOA_COOPERATIVES,
  COCOA_SEASON,
  COCOA_TIMELINE,
  DEMO_FORM_KEYS,
  DEMO_MEMBERS,
  DEMO_PRODUCTS,
  EXPORT_GRADING,
  FERMENTATION_BOX_KG,
  RUBBER_FIGURES,
  RUBBER_TIMELINE,
  SNI_MUTU_I,
  cocoaDeliveries,
  demoMember,
  fermentationBoxes,
  rubberDeliveries,
  share,
} from "../../src/demo/story";
import { YIELDS, formByKey } from "../../src/lots/forms";
import { isMemberKind } from "../../src/membership/kinds";
import { overlapShare, plotAreaM2, plotGeometrySchema } from "../../src/origins";
import { checkGtin } from "../../src/products";

const day = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
/** ISO 8601 week number of a date: the week of its Thursday, counted from the week of 4 January. */
function isoWeek(date: string): number {
  const thursdayOf = (d: Date) => new Date(d.getTime() + (3 - ((d.getUTCDay() + 6) % 7)) * 86_400_000);
  const thursday = thursdayOf(new Date(`${date}T00:00:00Z`));
  const first = thursdayOf(new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4)));
  return 1 + Math.round((thursday.getTime() - first.getTime()) / (7 * 86_400_000));
}
const bounds = (from: string, to: string) => {
  const found = YIELDS.find((y) => y.from === from && y.to === to);
  expect(found, `${from} -> ${to} is a registered yield`).not.to.equal(undefined);
  return found!;
};

describe("the demo story's data", function () {
  const cocoa = cocoaDeliveries();
  const rubber = rubberDeliveries();
  const boxes = fermentationBoxes(cocoa);

  it("is the same on every run (the evidence CIDs and requests repeat)", function () {
    const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(json(cocoaDeliveries())).to.equal(json(cocoa));
    expect(json(fermentationBoxes())).to.equal(json(boxes));
  });

  it("has 40 cocoa deliveries, each cooperative buying only in its own district, and rubber from Hat Yai, Sadao and Na Thawi", function () {
    expect(cocoa).to.have.length(40);
    expect([...new Set(cocoa.map((d) => d.district.district))]).to.deep.equal(["Parigi Moutong", "Poso", "Luwu Utara"]);
    for (const cooperative of COCOA_COOPERATIVES) {
      const own = cocoa.filter((d) => d.cooperative === cooperative.key);
      expect(own.length, cooperative.key).to.be.greaterThan(0);
      expect(new Set(own.map((d) => d.district.district)), cooperative.key).to.deep.equal(new Set([cooperative.district.district]));
      expect(demoMember(cooperative.key).document.region, "the cooperative sits in its district").to.include(cooperative.district.district);
    }
    expect([...new Set(rubber.map((d) => d.district.district))]).to.deep.equal(["Hat Yai", "Sadao", "Na Thawi"]);
    expect(new Set([...cocoa, ...rubber].map((d) => d.farmerRef)).size).to.equal(cocoa.length + rubber.length);
  });

  it("draws valid plots of half a hectare to three hectares within a few km of their district", function () {
    for (const delivery of [...cocoa, ...rubber]) {
      plotGeometrySchema.parse(delivery.geometry);
      const hectares = plotAreaM2(delivery.geometry) / 10_000;
      expect(hectares, delivery.farmerRef).to.be.within(0.5, 3);
      const [lon, lat] = (delivery.geometry as { coordinates: number[][][] }).coordinates[0]![0]!;
      expect(Math.abs(lat! - delivery.district.lat), delivery.farmerRef).to.be.below(0.05);
      expect(Math.abs(lon! - delivery.district.lon), delivery.farmerRef).to.be.below(0.05);
    }
  });

  it("draws plots that overlap no other: the gateway would refuse them", function () {
    const plots = [...cocoa, ...rubber].map((d) => ({ geometry: d.geometry, areaM2: plotAreaM2(d.geometry) }));
    plots.forEach((a, i) => plots.slice(i + 1).forEach((b, j) => expect(overlapShare(a, b), `plots ${i} and ${i + 1 + j}`).to.equal(0)));
  });

  it("buys the wet beans in the June main crop (panen raya), never 'mid-crop'", function () {
    for (const delivery of cocoa) {
      expect(delivery.date, delivery.farmerRef).to.match(/^2026-06-\d\d$/);
      expect(delivery.ticket.date).to.equal(delivery.date);
      expect(delivery.ticket.season).to.equal(COCOA_SEASON);
    }
    expect(COCOA_SEASON).to.equal("2026 main crop (panen raya)");
  });

  it("ferments each cooperative's beans from its own district within the day: one box holds one day's deliveries", function () {
    expect(boxes.flatMap((box) => box.deliveries).sort((a, b) => a - b)).to.deep.equal(cocoa.map((_, i) => i));
    expect(new Set(boxes.map((box) => box.box)).size).to.equal(boxes.length);
    for (const box of boxes) {
      const inBox = box.deliveries.map((i) => cocoa[i]!);
      expect(new Set(inBox.map((d) => d.cooperative)), box.box).to.deep.equal(new Set([box.cooperative]));
      expect(new Set(inBox.map((d) => d.district.district)), box.box).to.deep.equal(new Set([COCOA_COOPERATIVES.find((c) => c.key === box.cooperative)!.district.district]));
      expect(new Set(inBox.map((d) => d.date)), `${box.box} is filled on the day the beans were bought`).to.deep.equal(new Set([box.filled]));
      expect(box.wetGrams).to.equal(inBox.reduce((sum, d) => sum + d.grams, 0n));
      expect(Number(box.wetGrams) / 1000, box.box).to.be.at.most(FERMENTATION_BOX_KG);
    }
    // A cooperative fills at most one box a day.
    expect(new Set(boxes.map((box) => `${box.cooperative} ${box.filled}`)).size).to.equal(boxes.length);
  });

  it("dries every box to at most 7.5 % moisture before the beans are graded SNI Mutu I, size class A (at most 100 beans per 100 g)", function () {
    for (const box of boxes) expect(box.finalMoisturePct, box.box).to.be.at.most(SNI_MUTU_I.maxMoisturePct);
    expect(EXPORT_GRADING).to.include({ standard: "SNI 2323:2008", grade: "Mutu I", size_class: "A", fermented: true });
    expect(EXPORT_GRADING.moisture_pct).to.be.at.most(SNI_MUTU_I.maxMoisturePct);
    expect(EXPORT_GRADING.beans_per_100g).to.be.at.most(SNI_MUTU_I.sizeClassAMaxBeansPer100g);
    for (const cooperative of COCOA_COOPERATIVES) {
      const lastDried = Math.max(...boxes.filter((box) => box.cooperative === cooperative.key).map((box) => day(box.driedOn)));
      expect(day(COCOA_TIMELINE.atExporter[cooperative.key]), `${cooperative.key} ships dried beans`).to.be.greaterThan(lastDried);
      expect(day(COCOA_TIMELINE.graded), "graded once every cooperative's beans are in").to.be.greaterThan(day(COCOA_TIMELINE.atExporter[cooperative.key]));
    }
  });

  it("takes months from harvest to bar, each step after the one before", function () {
    const steps = [COCOA_TIMELINE.graded, COCOA_TIMELINE.shipped, COCOA_TIMELINE.atGrinder, COCOA_TIMELINE.roasted, COCOA_TIMELINE.ground, COCOA_TIMELINE.pressed, COCOA_TIMELINE.liquorShipped, COCOA_TIMELINE.atChocolateMaker, COCOA_TIMELINE.conched];
    steps.slice(1).forEach((step, i) => expect(day(step), `${steps[i]} then ${step}`).to.be.greaterThan(day(steps[i]!)));
    const harvest = Math.min(...cocoa.map((d) => day(d.date)));
    expect(day(COCOA_TIMELINE.conched) - harvest, "days from the first harvest day to the bar").to.be.within(120, 240);
    expect(DEMO_PRODUCTS.chocolate.made).to.equal(COCOA_TIMELINE.conched);
    expect(DEMO_PRODUCTS.chocolate.batch, "the batch names the week it was made").to.equal(`ZCC-2026-${isoWeek(DEMO_PRODUCTS.chocolate.made)}`);

    const lastLump = Math.max(...rubber.map((d) => day(d.date)));
    expect(day(RUBBER_TIMELINE.atFactory)).to.be.greaterThan(lastLump);
    expect(day(RUBBER_TIMELINE.milled)).to.be.greaterThan(day(RUBBER_TIMELINE.atFactory));
    expect(day(RUBBER_TIMELINE.atTyreMaker)).to.be.greaterThan(day(RUBBER_TIMELINE.milled));
    expect(day(DEMO_PRODUCTS.tyre.made)).to.be.greaterThan(day(RUBBER_TIMELINE.atTyreMaker));
    expect(DEMO_PRODUCTS.tyre.batch).to.equal(`SRT-26W${isoWeek(DEMO_PRODUCTS.tyre.made)}`);
    expect(DEMO_PRODUCTS.tyre.name).to.include(`week ${isoWeek(DEMO_PRODUCTS.tyre.made)} 2026`);
  });

  it("puts the tyre maker on the Eastern Seaboard, calls the rubber buyer a buying station, and has a chocolate company buy liquor", function () {
    const tyreMaker = demoMember("tyreMaker").document;
    expect(tyreMaker.region).to.match(/Rayong|Chon ?buri/);
    expect(tyreMaker.region).not.to.match(/Songkhla|Hat Yai/);
    const station = demoMember("buyingStation").document;
    expect(station.kind).to.equal("buying-station");
    expect(`${station.name} ${station.role}`).not.to.match(/cooperative|koperasi|สหกรณ์/i);
    expect(demoMember("blockMill").document.kind).to.equal("block-rubber-factory");
    // The chocolate maker buys liquor from the grinder, so it is no bean-to-bar maker.
    const maker = demoMember("brand").document;
    expect(maker.kind).to.equal("chocolate-maker");
    expect(maker.role).to.match(/liquor/);
    expect(`${maker.name} ${maker.role}`).not.to.match(/bean-to-bar/i);
    for (const member of DEMO_MEMBERS) {
      expect(member.document).to.include.keys(["name", "kind", "role", "country", "region"]);
      expect(isMemberKind(member.document.kind), member.key).to.equal(true);
      expect(member.document.country).to.equal(member.country);
    }
    for (const product of Object.values(DEMO_PRODUCTS)) expect(checkGtin(product.gtin).ok, product.gtin).to.equal(true);
  });

  it("records its lots as catalogue forms, with every yield it uses registered and each figure within its bounds", function () {
    for (const key of Object.values(DEMO_FORM_KEYS)) expect(() => formByKey(key), key).not.to.throw();
    const k = DEMO_FORM_KEYS;
    const fermenting = bounds(k.wetBeans, k.fermentedDryBeans);
    for (const box of boxes) expect(box.yieldBps, box.box).to.be.within(fermenting.minBps, fermenting.maxBps);
    bounds(k.fermentedDryBeans, k.nibs);
    bounds(k.nibs, k.liquor);
    bounds(k.liquor, k.butter);
    bounds(k.liquor, k.pressCake);
    bounds(k.liquor, k.chocolate);
    const milling = bounds(k.cupLump, k.tsr20);
    // Cup lump counts on dry weight: the block against the dry rubber in the lump (its DRC).
    expect(formByKey(k.cupLump).dryBasis).to.equal(true);
    const dryRubber = rubber.reduce((sum, d) => sum + share(d.grams, d.drcBps), 0n);
    const block = share(dryRubber, RUBBER_FIGURES.millRecoveryBps);
    expect(Number((block * 10_000n) / dryRubber)).to.be.within(milling.minBps, milling.maxBps);
    expect(10_000 - RUBBER_FIGURES.weighInBps, "the truck's loss within cup lump's loss allowance").to.be.at.most(formByKey(k.cupLump).lossBps);
  });
});
