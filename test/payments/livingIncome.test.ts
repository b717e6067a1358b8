import { expect } from "chai";
import { EXAMPLE_BENCHMARKS, benchmarkFor, livingIncomeCsv, livingIncomeHtml, livingIncomeReport, type Household } from "../../src/payments/livingIncome";
import { formatMinor } from "../../src/payments/currency";
import { payableGrams, paymentDetails } from "../../src/payments/paymentStore";
import { paymentCreateSchema } from "../../src/payments/schemas";

const sulawesi = EXAMPLE_BENCHMARKS.filter((b) => b.region === "sulawesi-tengah");
const household = (i: number, paid: bigint, femaleHeaded: boolean | null, size = 4): Household => ({ pseudonym: `p${i}`, householdSize: size, femaleHeaded, paid, declared: 0n });

describe("living income", function () {
  it("takes the benchmark of the nearest household size, and marks the shipped ones as examples", function () {
    expect(benchmarkFor(sulawesi, 4).householdSize).to.equal(4);
    expect(benchmarkFor(sulawesi, 9).householdSize).to.equal(6);
    expect(benchmarkFor(sulawesi, null).householdSize).to.equal(4);
    expect(EXAMPLE_BENCHMARKS.every((b) => b.example && /example/.test(b.source))).to.equal(true);
  });

  it("reports the share above the benchmark, the median gap and the distribution, withholding groups under 5", function () {
    const benchmark = benchmarkFor(sulawesi, 4).annual; // 64,000,000.00 IDR
    const households = [
      household(1, benchmark * 2n, true),
      household(2, benchmark / 2n, true),
      household(3, benchmark / 10n, false),
      household(4, (benchmark * 3n) / 4n, false),
      household(5, benchmark, false),
      household(6, 0n, false),
    ];
    households[2]!.declared = benchmark / 10n; // other income counts
    const report = livingIncomeReport(2026, "sulawesi-tengah", sulawesi, households);
    const all = report.groups.find((g) => g.group === "all")!;
    expect(all).to.deep.include({ households: 6, fewerThan5: false, shareAboveBps: 3333 });
    expect(all.buckets).to.deep.equal([2, 0, 1, 1, 2]);
    // gaps sorted: -64M, 0, 16M, 32M, 51.2M, 64M (major units) -> median (16M + 32M) / 2
    expect(formatMinor(all.medianGap!, "IDR")).to.equal("24000000.00");
    expect(report.groups.find((g) => g.group === "female-headed")).to.deep.include({ fewerThan5: true, shareAboveBps: null, buckets: null, households: 0 });
    const csv = livingIncomeCsv(report);
    expect(csv.split("\n")[1]).to.equal("2026,sulawesi-tengah,IDR,all,6,33.33,24000000.00,47466666.66,2,0,1,1,2");
    expect(csv).to.contain(",female-headed,fewer than 5,");
    expect(csv).not.to.contain("p1");
    const html = livingIncomeHtml(report);
    expect(html).to.contain("<svg").and.to.contain("EXAMPLE FIGURE").and.not.to.contain("p1");
  });
});

describe("payment amounts", function () {
  const raw = (overrides: Record<string, unknown> = {}) => ({
      farmerId: "f_0123456789abcdefghjkmnpqrs",
      deliveryLotIds: ["1000000001"],
      grossGrams: 100_000,
      quality: { drcBps: 5_000 },
      price: { perKg: 1_999, basis: "drc" },
      currency: "THB",
      minorUnits: 2,
      paidAt: "2026-05-01T08:00:00Z",
      method: "cash",
      ...overrides,
    });
  const request = (overrides: Record<string, unknown> = {}) => paymentCreateSchema.parse(raw(overrides));

  it("prices rubber on wet, dry or DRC weight and cocoa dry by moisture, rounding half up to the minor unit", function () {
    expect(payableGrams(100_000n, "wet", { drcBps: 5_000 })).to.equal(100_000n);
    expect(payableGrams(100_000n, "drc", { drcBps: 5_500 })).to.equal(55_000n);
    expect(payableGrams(100_000n, "dry", { moistureBps: 700 })).to.equal(93_000n);
    // 50 kg dry rubber x 19.99 THB = 999.50 THB.
    expect(paymentDetails(request())).to.deep.include({ payableGrams: 50_000n, base: 99_950n, net: 99_950n });
    // 0.333 kg x 1 minor unit = 0.333 -> 0; 0.5 -> 1.
    expect(paymentDetails(request({ grossGrams: 666, price: { perKg: 1, basis: "drc" } })).base).to.equal(0n);
    expect(paymentDetails(request({ grossGrams: 1_000, price: { perKg: 1, basis: "drc" } })).base).to.equal(1n);
  });

  it("refuses wrong minor units, negative or fractional amounts, and a DRC price without DRC", function () {
    const refused = (overrides: Record<string, unknown>) => expect(paymentCreateSchema.safeParse(raw(overrides)).success, JSON.stringify(overrides)).to.equal(false);
    refused({ currency: "VND", minorUnits: 2 });
    refused({ currency: "IDR", minorUnits: 0 });
    refused({ price: { perKg: -1, basis: "wet" } });
    refused({ price: { perKg: 1.5, basis: "wet" } });
    refused({ deductions: [{ reason: "loan", amount: -10 }] });
    refused({ quality: {}, price: { perKg: 1, basis: "drc" } });
    expect(paymentCreateSchema.safeParse(raw({ currency: "VND", minorUnits: 0 })).success).to.equal(true);
  });
});
