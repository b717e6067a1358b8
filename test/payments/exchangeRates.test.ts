import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { loadConfig } from "../../src/config";
import { EXAMPLE_EXCHANGE_RATES, ExchangeRatesError, convertTotal, parseExchangeRates } from "../../src/payments/exchangeRates";
import { livingIncomeCsv, livingIncomeHtml, livingIncomeReport, EXAMPLE_BENCHMARKS } from "../../src/payments/livingIncome";
import { convertedTotals } from "../../src/payments/publicFigures";
import { renderPassportPage } from "../../src/web/passport/render";
import { premiumFiguresFixture } from "./premiumFixture";
import { cocoaPassport } from "../web/passportFixture";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

const file = (rates: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ displayCurrency: "USD", source: "central bank reference rates", date: "2026-05-04", rates, ...extra });

describe("exchange rates to one display currency", function () {
  it("converts exactly and rounds once, half up, to the display currency's minor unit", function () {
    const rates = parseExchangeRates(file({ IDR: "0.0000612", THB: "0.0273", VND: "0.0000393" }));
    // 1,000,000.00 IDR x 0.0000612 = 61.20 USD.
    expect(convertTotal(rates, [{ currency: "IDR", amount: 100_000_000n }]).amount).to.equal(6_120n);
    // 0.50 USD from 25 dong at 0.02 would be 0.5 cents: half up to 1 cent... and the dong has no minor unit.
    expect(convertTotal(parseExchangeRates(file({ VND: "0.0002" })), [{ currency: "VND", amount: 25n }]).amount).to.equal(1n);
    // Rounded once after the exact sum: each part alone is 0.4 cent (0 each), together 0.8 cent (1).
    const once = parseExchangeRates(file({ IDR: "0.00004", THB: "0.0004" }));
    expect(convertTotal(once, [{ currency: "IDR", amount: 10_000n }]).amount).to.equal(0n);
    expect(convertTotal(once, [{ currency: "THB", amount: 1_000n }]).amount).to.equal(0n);
    expect(convertTotal(once, [{ currency: "IDR", amount: 10_000n }, { currency: "THB", amount: 1_000n }]).amount).to.equal(1n);
    expect(convertTotal(rates, [{ currency: "USD", amount: 1234n }]).amount).to.equal(1234n);
    // A currency without a rate: no converted total, and which one is missing.
    expect(convertTotal(parseExchangeRates(file({ IDR: "0.00006" })), [{ currency: "THB", amount: 1n }])).to.deep.equal({ amount: null, missing: ["THB"] });
  });

  it("refuses a malformed rates file with a message naming what is wrong", function () {
    const refused = (text: string, words: string) => expect(() => parseExchangeRates(text, "rates.json")).to.throw(ExchangeRatesError, words);
    refused("{", "rates.json is not JSON");
    refused("[]", "must be a JSON object");
    refused(file({ IDR: "0.00006" }, { displayCurrency: "EUR" }), 'displayCurrency must be one of IDR, THB, VND, USD, not "EUR"');
    refused(file({ IDR: "0.00006" }, { source: " " }), "source must say where the rates come from");
    refused(file({ IDR: "0.00006" }, { date: "04/05/2026" }), "date must be the day the rates are of, YYYY-MM-DD");
    refused(file({ IDR: "0.00006" }, { date: "2026-02-30" }), "YYYY-MM-DD");
    refused(file({}), "rates must be an object");
    refused(file({ EUR: "1.1" }), "rates.EUR: not a currency");
    refused(file({ IDR: 1e-7 }), "rates.IDR must be a positive decimal as text");
    refused(file({ IDR: "-0.1" }), "rates.IDR must be a positive decimal");
    refused(file({ IDR: "0" }), "rates.IDR must be a positive decimal");
    refused(file({ IDR: "0.0000000000000000001" }), "at most 18 digits");
    refused(file({ USD: "2" }), "rates.USD is the display currency: its rate is 1");
    refused(file({ IDR: "0.00006" }, { rate: 1 }), "unknown field rate");
    expect(parseExchangeRates(file({ IDR: 0.5 })).rates.get("IDR")!.text).to.equal("0.5");
  });

  it("stops the gateway's configuration on a malformed file, and loads a good one", function () {
    const dir = makeTempDir("exchange-rates");
    try {
      const bad = path.join(dir, "bad.json");
      fs.writeFileSync(bad, file({ IDR: "six" }));
      expect(() => loadConfig({ env: { FIRSTMILE_DATA_DIR: dir, FIRSTMILE_EXCHANGE_RATES_FILE: bad }, argv: [], cwd: dir })).to.throw(/FIRSTMILE_EXCHANGE_RATES_FILE.*rates\.IDR must be a positive decimal/s);
      expect(() => loadConfig({ env: { FIRSTMILE_DATA_DIR: dir, FIRSTMILE_EXCHANGE_RATES_FILE: path.join(dir, "none.json") }, argv: [], cwd: dir })).to.throw(/cannot read the exchange rates file/);
      const good = path.join(dir, "good.json");
      fs.writeFileSync(good, file({ IDR: "0.0000612" }));
      const config = loadConfig({ env: { FIRSTMILE_DATA_DIR: dir, FIRSTMILE_EXCHANGE_RATES_FILE: good }, argv: [], cwd: dir });
      expect(config.exchangeRates!.displayCurrency).to.equal("USD");
      expect(config.exchangeRates!.example).to.equal(false);
    } finally {
      removeTempDir(dir);
    }
  });

  it("shows the page's totals also converted, the demo's example rates marked as examples", function () {
    const figures = premiumFiguresFixture();
    figures.converted = convertedTotals(EXAMPLE_EXCHANGE_RATES, figures.totals);
    // 1,000,000.00 IDR x 0.00006 + 96.00 USD = 156.00 USD committed; 920,000.00 IDR paid = 55.20 USD.
    expect(figures.converted).to.deep.include({ currency: "USD", committed: "15600", paid: "5520", example: true, missing: [] });
    const passport = cocoaPassport();
    passport.premium = figures;
    const html = renderPassportPage(passport, { locale: "en", path: "/l/300", url: "http://gateway.example/l/300" });
    expect(html).to.contain("In USD: 156.00 USD committed, 55.20 USD paid to farmers (exchange rates of 2026-01-01");
    expect(html).to.contain('<b class="example">Example rates, not market rates.</b>');
    const id = renderPassportPage(passport, { locale: "id", path: "/l/300", url: "http://gateway.example/l/300" });
    expect(id).to.contain("Dalam USD:").and.to.contain("Kurs contoh, bukan kurs pasar.");
  });

  it("converts the living-income report's totals (CSV and HTML), with the rates named", function () {
    const households = Array.from({ length: 6 }, (_, i) => ({ pseudonym: `p${i}`, householdSize: 4, femaleHeaded: i % 2 === 0, paid: 3_000_000_000n + BigInt(i) * 100_000_000n, declared: 0n }));
    const benchmarks = EXAMPLE_BENCHMARKS.filter((b) => b.region === "sulawesi-tengah");
    const report = livingIncomeReport(2026, "sulawesi-tengah", benchmarks, households, EXAMPLE_EXCHANGE_RATES);
    const all = report.converted!.groups.find((g) => g.group === "all")!;
    // 6 households, 195,000,000.00 IDR in all: 11,700.00 USD at the example 0.00006.
    expect(report.groups[0]!.totalIncome).to.equal(19_500_000_000n);
    expect(all.totalIncome).to.equal(1_170_000n);
    const csv = livingIncomeCsv(report).split("\n");
    expect(csv[0]).to.contain(",total_income,total_income_USD,mean_income_USD,median_gap_USD,exchange_rates");
    expect(csv[1]).to.contain(",195000000.00,11700.00,1950.00,").and.to.contain("EXAMPLE RATES");
    expect(livingIncomeHtml(report)).to.contain("about 11700.00 USD").and.to.contain("<b>EXAMPLE RATES</b>");
    // Without rates the report is as before.
    expect(livingIncomeCsv(livingIncomeReport(2026, "sulawesi-tengah", benchmarks, households)).split("\n")[0]).not.to.contain("USD");
  });
});
