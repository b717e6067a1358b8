import { expect } from "chai";
import { DEMO_MEMBERS, DEMO_PRODUCTS, cocoaDeliveries, rubberDeliveries, share } from "../../src/demo/story";
import { YIELDS } from "../../src/lots/forms";
import { overlapShare, plotAreaM2, plotGeometrySchema } from "../../src/origins";
import { checkGtin } from "../../src/products";

describe("the demo story's data", function () {
  const cocoa = cocoaDeliveries();
  const rubber = rubberDeliveries();

  it("is the same on every run (the evidence CIDs and requests repeat)", function () {
    expect(JSON.stringify(cocoaDeliveries(), (_k, v) => (typeof v === "bigint" ? v.toString() : v))).to.equal(
      JSON.stringify(cocoa, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    );
  });

  it("has 40 cocoa deliveries from Parigi Moutong, Poso and Luwu Utara and rubber from Hat Yai, Sadao and Na Thawi", function () {
    expect(cocoa).to.have.length(40);
    expect([...new Set(cocoa.map((d) => d.district.district))]).to.deep.equal(["Parigi Moutong", "Poso", "Luwu Utara"]);
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

  it("gives the TSR 20 block a dry-rubber-content yield within the registered bounds", function () {
    const bounds = YIELDS.find((y) => y.from === "rubber-cup-lump" && y.to === "rubber-tsr20")!;
    const input = rubber.reduce((sum, d) => sum + d.grams, 0n);
    const block = share(rubber.reduce((sum, d) => sum + share(d.grams, d.drcBps), 0n), 9_850);
    const bps = Number((block * 10_000n) / input);
    expect(bps).to.be.within(bounds.minBps, bounds.maxBps);
  });

  it("names products with valid GTIN check digits, and members with name, role and country", function () {
    for (const product of Object.values(DEMO_PRODUCTS)) expect(checkGtin(product.gtin).ok, product.gtin).to.equal(true);
    for (const member of DEMO_MEMBERS) expect(member.document).to.include.keys(["name", "role", "country"]);
  });
});
