import fs from "node:fs";
import { BaseError } from "../errors/base";
import { CURRENCY_EXPONENTS, isCurrencyCode, type CurrencyCode } from "./currency";

/**
 * Exchange rates to one display currency (`FIRSTMILE_EXCHANGE_RATES_FILE`), so that the public
 * premium figures and the cooperative's report can show their totals also in one currency. A rate
 * is how many units of the display currency one unit of a currency buys, as decimal text (never a
 * float); every conversion is exact until its one rounding (half up) to the display currency's
 * minor unit. The file says where its rates come from and of which day; the demo's rates are
 * examples and are shown as such.
 *
 * ```json
 * { "displayCurrency": "USD", "source": "central bank reference rates", "date": "2026-05-04",
 *   "rates": { "IDR": "0.0000612", "THB": "0.0273", "VND": "0.0000393" } }
 * ```
 */
export type ExchangeRates = {
  displayCurrency: CurrencyCode;
  source: string;
  /** The day the rates are of, YYYY-MM-DD. */
  date: string;
  /** Example rates (the demo's), not market rates: every figure converted with them says so. */
  example: boolean;
  /** Per currency: display units per unit, as an exact fraction. The display currency is 1. */
  rates: ReadonlyMap<CurrencyCode, { numerator: bigint; denominator: bigint; text: string }>;
};

/** A rates file that cannot be used, with what is wrong in it. */
export class ExchangeRatesError extends BaseError {
  override name = "ExchangeRatesError";
}

const DECIMAL = /^(0|[1-9]\d{0,11})(\.\d{1,18})?$/;

/**
 * Parses and checks a rates document. @throws {ExchangeRatesError} naming the field: not JSON, no
 * or unknown display currency, no source, a date that is not YYYY-MM-DD, no rates, an unknown
 * currency, a rate that is not a positive decimal (at most 18 digits after the point).
 */
export function parseExchangeRates(text: string, where = "the exchange rates file"): ExchangeRates {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ExchangeRatesError(`${where} is not JSON: ${(error as Error).message}`);
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) throw new ExchangeRatesError(`${where} must be a JSON object with displayCurrency, source, date and rates`);
  const d = document as Record<string, unknown>;
  const known = new Set(["displayCurrency", "source", "date", "rates", "example"]);
  const unknown = Object.keys(d).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new ExchangeRatesError(`${where}: unknown field ${unknown.join(", ")} (expected displayCurrency, source, date, rates and optionally example)`);
  const codes = Object.keys(CURRENCY_EXPONENTS).join(", ");
  if (typeof d.displayCurrency !== "string" || !isCurrencyCode(d.displayCurrency)) throw new ExchangeRatesError(`${where}: displayCurrency must be one of ${codes}, not ${JSON.stringify(d.displayCurrency)}`);
  if (typeof d.source !== "string" || d.source.trim().length === 0 || d.source.length > 300) throw new ExchangeRatesError(`${where}: source must say where the rates come from (1-300 characters)`);
  if (typeof d.date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(d.date) || Number.isNaN(Date.parse(`${d.date}T00:00:00Z`)) || new Date(`${d.date}T00:00:00Z`).toISOString().slice(0, 10) !== d.date) {
    throw new ExchangeRatesError(`${where}: date must be the day the rates are of, YYYY-MM-DD, not ${JSON.stringify(d.date)}`);
  }
  if (d.example !== undefined && typeof d.example !== "boolean") throw new ExchangeRatesError(`${where}: example must be true or false`);
  if (d.rates === null || typeof d.rates !== "object" || Array.isArray(d.rates) || Object.keys(d.rates).length === 0) {
    throw new ExchangeRatesError(`${where}: rates must be an object of currency code to rate, e.g. {"IDR": "0.0000612"}`);
  }
  const display = d.displayCurrency;
  const rates = new Map<CurrencyCode, { numerator: bigint; denominator: bigint; text: string }>();
  rates.set(display, { numerator: 1n, denominator: 1n, text: "1" });
  for (const [code, value] of Object.entries(d.rates as Record<string, unknown>)) {
    if (!isCurrencyCode(code)) throw new ExchangeRatesError(`${where}: rates.${code}: not a currency this network pays in (${codes})`);
    // A JSON number is taken only when its text is a plain decimal: 1e-7 or 0.1+0.2 are not rates.
    const rate = typeof value === "number" ? String(value) : value;
    if (typeof rate !== "string" || !DECIMAL.test(rate) || /^0(\.0+)?$/.test(rate)) {
      throw new ExchangeRatesError(`${where}: rates.${code} must be a positive decimal as text, e.g. "0.0000612" (at most 18 digits after the point), not ${JSON.stringify(value)}`);
    }
    if (code === display && rate.replace(/\.?0+$/, "") !== "1") throw new ExchangeRatesError(`${where}: rates.${code} is the display currency: its rate is 1, not ${rate}`);
    const [whole, fraction = ""] = rate.split(".");
    rates.set(code, { numerator: BigInt(`${whole}${fraction}`), denominator: 10n ** BigInt(fraction.length), text: rate });
  }
  return { displayCurrency: display, source: d.source.trim(), date: d.date, example: d.example === true, rates };
}

/** Reads and checks a rates file. @throws {ExchangeRatesError} unreadable or invalid, naming the file. */
export function readExchangeRates(file: string): ExchangeRates {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ExchangeRatesError(`cannot read the exchange rates file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseExchangeRates(text, `exchange rates file ${file}`);
}

/**
 * The demo's rates to US dollars: EXAMPLE FIGURES, roughly of the size of 2025's, not market rates
 * of any day. Used only when the demo is seeded and no rates file is configured.
 */
export const EXAMPLE_EXCHANGE_RATES: ExchangeRates = parseExchangeRates(
  JSON.stringify({
    displayCurrency: "USD",
    source: "example rates for the firstmile demo (not market rates)",
    date: "2026-01-01",
    example: true,
    rates: { IDR: "0.00006", THB: "0.029", VND: "0.00004" },
  }),
  "the demo's example rates",
);

/**
 * The sum of `amounts` (minor units of their currencies) in the display currency's minor units,
 * rounded once, half up, after the exact sum; null when a currency has no rate (its code is in
 * `missing`).
 */
export function convertTotal(rates: ExchangeRates, amounts: readonly { currency: string; amount: bigint }[]): { amount: bigint | null; missing: string[] } {
  const displayExponent = BigInt(CURRENCY_EXPONENTS[rates.displayCurrency]);
  const missing = [...new Set(amounts.filter((a) => !rates.rates.has(a.currency as CurrencyCode)).map((a) => a.currency))].sort();
  if (missing.length > 0) return { amount: null, missing };
  // Exact: sum of amount × numerator × 10^displayExp / (denominator × 10^exp), over a common denominator.
  let numerator = 0n;
  let denominator = 1n;
  for (const { currency, amount } of amounts) {
    const rate = rates.rates.get(currency as CurrencyCode)!;
    const n = amount * rate.numerator * 10n ** displayExponent;
    const d = rate.denominator * 10n ** BigInt(CURRENCY_EXPONENTS[currency as CurrencyCode]);
    numerator = numerator * d + n * denominator;
    denominator *= d;
  }
  return { amount: roundHalfUp(numerator, denominator), missing };
}

/** n / d to the nearest integer, halves away from zero. */
function roundHalfUp(n: bigint, d: bigint): bigint {
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const q = (abs * 2n + d) / (2n * d);
  return negative ? -q : q;
}

/** What a page or report says about the rates it used. */
export function ratesNote(rates: ExchangeRates): { currency: CurrencyCode; source: string; date: string; example: boolean; rates: Record<string, string> } {
  return { currency: rates.displayCurrency, source: rates.source, date: rates.date, example: rates.example, rates: Object.fromEntries([...rates.rates].map(([code, rate]) => [code, rate.text])) };
}
