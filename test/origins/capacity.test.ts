import { expect } from "chai";
import { DEFAULT_MAX_YIELDS_KG_PER_HA, capacityGrams, capacityTable, capacityUse, checkCapacity, parseMaxYields } from "../../src/origins";
import { FormId } from "../../src/lots/forms";

describe("origins: plot capacity (area x the form's maximum yield)", () => {
  it("gives a hectare of cocoa 3 t of dry beans or 10 t of wet beans a year, and rubber by dry rubber content", () => {
    expect(capacityGrams(10_000, FormId.dryBeans, DEFAULT_MAX_YIELDS_KG_PER_HA)).to.equal(3_000_000n);
    expect(capacityGrams(10_000, FormId.wetBeans, DEFAULT_MAX_YIELDS_KG_PER_HA)).to.equal(10_000_000n);
    expect(capacityGrams(25_000, FormId.cupLump, DEFAULT_MAX_YIELDS_KG_PER_HA)).to.equal(16_667_500n);
    expect(capacityGrams(10_000, FormId.tsr20, DEFAULT_MAX_YIELDS_KG_PER_HA)).to.equal(null);
    expect(capacityTable(5_000, DEFAULT_MAX_YIELDS_KG_PER_HA)).to.deep.include({ "cocoa-dry-beans": 1_500, "cocoa-wet-beans": 5_000 });
  });

  it("adds the shares of several forms from one plot, stated in the form asked about", () => {
    // Half the wet-bean capacity delivered wet: half of the dry-bean capacity is used.
    const delivered = new Map([[FormId.wetBeans, 5_000_000n]]);
    expect(capacityUse(10_000, FormId.dryBeans, delivered, DEFAULT_MAX_YIELDS_KG_PER_HA)).to.deep.equal({ capacityGrams: 3_000_000n, deliveredGrams: 1_500_000n });
  });

  it("reads the configured yields by form id or key, and refuses the rest", () => {
    const yields = parseMaxYields("cocoa-dry-beans=2500, 21=6000");
    expect(yields[FormId.dryBeans]).to.equal(2_500);
    expect(yields[FormId.cupLump]).to.equal(6_000);
    expect(yields[FormId.wetBeans]).to.equal(DEFAULT_MAX_YIELDS_KG_PER_HA[FormId.wetBeans]);
    expect(() => parseMaxYields("cocoa-liquor=100")).to.throw(/not minted at origin/);
    expect(() => parseMaxYields("banana=100")).to.throw(/not a form id or key/);
    expect(() => parseMaxYields("2=-5")).to.throw(/expected form=kg/);
    expect(() => parseMaxYields("2=0")).to.throw(/between 0 and/);
  });

  it("names the plot, its capacity, what was delivered and what is asked when a delivery does not fit", () => {
    const plot = { plotId: "p_aaaaaaaaaaaaaaaaaaaa", memberId: 1n, areaM2: 10_000, archived: false };
    const delivered = new Map([[plot.plotId, new Map([[FormId.dryBeans, 2_900_000n]])]]);
    const fits = new Map([[plot.plotId, new Map([[FormId.dryBeans, 100_000n]])]]);
    expect(checkCapacity([plot], delivered, fits, 2026, { maxYields: DEFAULT_MAX_YIELDS_KG_PER_HA })).to.deep.equal([]);
    const over = new Map([[plot.plotId, new Map([[FormId.dryBeans, 100_001n]])]]);
    expect(checkCapacity([plot], delivered, over, 2026, { maxYields: DEFAULT_MAX_YIELDS_KG_PER_HA })).to.deep.equal([
      { plotId: plot.plotId, year: 2026, form: FormId.dryBeans, formKey: "cocoa-dry-beans", capacityGrams: "3000000", deliveredGrams: "2900000", requestedGrams: "100001" },
    ]);
    expect(() => checkCapacity([{ ...plot, archived: true }], delivered, fits, 2026, { maxYields: DEFAULT_MAX_YIELDS_KG_PER_HA })).to.throw(/archived/);
  });
});
