/**
 * The currencies payments are recorded in, with their ISO 4217 minor-unit exponents: amounts are
 * integers of the minor unit (sen, satang, cent; the dong has none), never floats. A request that
 * states another exponent for a currency is refused: 1,000 "IDR" meant as rupiah and read as sen
 * is a hundredfold error.
 */
export const CURRENCY_EXPONENTS = { IDR: 2, THB: 2, VND: 0, USD: 2 } as const;
export type CurrencyCode = keyof typeof CURRENCY_EXPONENTS;
export const CURRENCY_CODES = Object.keys(CURRENCY_EXPONENTS) as CurrencyCode[];

export function isCurrencyCode(code: string): code is CurrencyCode {
  return Object.prototype.hasOwnProperty.call(CURRENCY_EXPONENTS, code);
}

/** Minor units as a decimal text of the major unit: `formatMinor(123456n, "IDR")` is "1234.56". */
export function formatMinor(amount: bigint, currency: CurrencyCode | string): string {
  const exponent = isCurrencyCode(currency) ? CURRENCY_EXPONENTS[currency] : 2;
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(exponent + 1, "0");
  const text = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return negative ? `-${text}` : text;
}
