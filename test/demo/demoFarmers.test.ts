import { expect } from "chai";
import { demoFarmerCode, demoFarmers } from "../../src/demo/demoFarmers";
import { cocoaDeliveries, rubberDeliveries } from "../../src/demo/story";
import { consentCreateSchema, farmerCreateSchema, parseFarmerCode } from "../../src/farmers";

describe("the demo's farmers", () => {
  const cocoa = demoFarmers(cocoaDeliveries(), "sulawesi");
  const rubber = demoFarmers(rubberDeliveries(), "songkhla");

  it("are one per delivery's farmer, the same on every run, each a valid record with a valid card code", () => {
    expect(cocoa).to.have.length(40);
    expect(rubber).to.have.length(24);
    expect(demoFarmers(cocoaDeliveries(), "sulawesi")).to.deep.equal(cocoa);
    const codes = new Set<string>();
    for (const { farmerRef, farmer, consents } of [...cocoa, ...rubber]) {
      expect(farmerCreateSchema.safeParse(farmer).success, JSON.stringify(farmer)).to.equal(true);
      expect(parseFarmerCode(farmer.code).ok).to.equal(true);
      expect(farmer.code).to.equal(demoFarmerCode(farmerRef));
      codes.add(farmer.code);
      for (const consent of consents) expect(consentCreateSchema.safeParse({ ...consent, recordedBy: "agent" }).success, JSON.stringify(consent)).to.equal(true);
    }
    expect(codes.size).to.equal(64);
  });

  it("have women and men, households, villages of their district, their region's language", () => {
    const women = cocoa.filter((f) => f.farmer.gender === "female").length;
    expect(women).to.be.within(6, 20);
    expect(cocoa.some((f) => f.farmer.femaleHeadedHousehold)).to.equal(true);
    expect(new Set(cocoa.map((f) => f.farmer.village)).size).to.be.greaterThan(4);
    expect(cocoa.every((f) => f.farmer.language === "id")).to.equal(true);
    expect(rubber.every((f) => f.farmer.language === "th")).to.equal(true);
    for (const f of cocoa) expect(f.farmer.householdSize).to.be.within(2, 8);
  });

  it("all consent to traceability; most to being named, some of whom withdraw it", () => {
    for (const f of [...cocoa, ...rubber]) expect(f.consents.map((c) => c.scope)).to.include("traceability");
    expect(cocoa.filter((f) => f.consents.some((c) => c.scope === "eudr-statement-with-name"))).to.have.length(32);
    expect(cocoa.filter((f) => f.withdrawn.length > 0)).to.have.length(4);
    for (const f of [...cocoa, ...rubber]) for (const scope of f.withdrawn) expect(f.consents.map((c) => c.scope)).to.include(scope);
  });
});
