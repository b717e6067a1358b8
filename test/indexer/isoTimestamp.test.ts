import { expect } from "chai";
import { isoTimestamp } from "../../src/indexer/store/tables";

/** The store formats every timestamp column itself; it must write exactly what `toISOString` writes. */
describe("isoTimestamp", () => {
  it("equals toISOString across days, in any order, before 1970 and after 9999", () => {
    const edges = [0, -1, -86_400_000, -86_400_001, 86_399_999, 86_400_000, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001];
    let state = 0x2545f491;
    const random = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
    // Block times a second apart, then random instants that jump between days (the cached day must follow).
    const times = [...edges, ...Array.from({ length: 5_000 }, (_, i) => 1_764_892_800_000 + i * 1_000), ...Array.from({ length: 20_000 }, () => Math.floor((random() - 0.3) * 4e12))];
    for (const ms of times) expect(isoTimestamp(ms), String(ms)).to.equal(new Date(ms).toISOString());
  });

  it("refuses an invalid time as toISOString does", () => {
    expect(() => isoTimestamp(Number.NaN)).to.throw(RangeError);
  });
});
