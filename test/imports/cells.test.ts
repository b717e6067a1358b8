import { expect } from "chai";
import { CellError, readChoice, readDate, readDecimal, readYear, readYesNo } from "../../src/imports/cells";

const text = (value: string) => ({ text: value });
const iso = (date: Date) => date.toISOString().slice(0, 10);
const fails = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(CellError);
    return (error as Error).message;
  }
  throw new Error("expected a CellError");
};

describe("imports: reading cells as cooperatives write them", () => {
  it("reads a date in three formats: ISO, day first, and a spreadsheet date (cell or serial)", () => {
    expect(iso(readDate(text("2026-06-15")))).to.equal("2026-06-15");
    expect(iso(readDate(text("15/06/2026")))).to.equal("2026-06-15");
    expect(iso(readDate(text("15-06-2026")))).to.equal("2026-06-15");
    expect(iso(readDate(text("15.06.2026")))).to.equal("2026-06-15");
    expect(iso(readDate({ text: "2026-06-15", date: new Date(Date.UTC(2026, 5, 15)) }))).to.equal("2026-06-15");
    expect(iso(readDate({ text: "46188", number: 46_188 }))).to.equal("2026-06-15");
  });

  it("reads a Thai Buddhist-era year and refuses month-first, two-digit and impossible dates", () => {
    expect(iso(readDate(text("15/06/2569")))).to.equal("2026-06-15");
    expect(readYear(text("2521"))).to.equal(1978);
    expect(fails(() => readDate(text("06/15/2026")))).to.contain("day first");
    expect(fails(() => readDate(text("15/06/26")))).to.contain("four digits");
    expect(fails(() => readDate(text("31/02/2026")))).to.contain("not a date of the calendar");
    expect(fails(() => readDate(text("June 15, 2026")))).to.contain("2026-06-15 or 15/06/2026");
    expect(fails(() => readDate({ text: "12.5", number: 12.5 }))).to.contain("not a date");
  });

  it("reads decimal commas and refuses thousands separators", () => {
    expect(readDecimal(text("182,5"))).to.deep.equal({ value: 182.5, text: "182.5" });
    expect(readDecimal(text("-1.390027"))).to.deep.equal({ value: -1.390027, text: "-1.390027" });
    expect(readDecimal({ text: "1.5", number: 1.5 }).value).to.equal(1.5);
    expect(fails(() => readDecimal(text("1.234,5")))).to.contain("thousands separators");
    expect(fails(() => readDecimal(text("12 kg")))).to.contain("not a number");
  });

  it("reads yes/no and choices in four languages", () => {
    expect(["ya", "ใช่", "có", "Yes"].map((v) => readYesNo(text(v)))).to.deep.equal([true, true, true, true]);
    expect(["tidak", "ไม่ใช่", "không", "no"].map((v) => readYesNo(text(v)))).to.deep.equal([false, false, false, false]);
    expect(fails(() => readYesNo(text("maybe")))).to.contain("yes or no");
    expect(readChoice(text("Perempuan"), ["female", "male"] as const, { perempuan: "female" })).to.equal("female");
    expect(fails(() => readChoice(text("x"), ["female", "male"] as const))).to.contain("one of female, male");
  });
});
