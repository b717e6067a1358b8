import { randomInt } from "node:crypto";

/**
 * The code printed on a farmer's card: 7 random symbols and a check symbol from Crockford's base32
 * alphabet (digits and letters without I, L, O, U: nothing that reads as another symbol), shown as
 * `XXXX-XXXX`. 32^7 codes, about 34 billion.
 *
 * The check symbol is Damm's algorithm over GF(32) (x^5 + x^2 + 1) with the quasigroup
 * `x * y = 2x + y`: the running value after the last symbol is 0 for a valid code. Each step is a
 * bijection in each argument, so any one wrong symbol is caught; `(c*x)*y = (c*y)*x` only when
 * x = y (since 2 + 1 != 0), so swapping two neighbours is caught too, and so is swapping two
 * symbols one apart ((2 + 1)^2 != 0).
 */
export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const FARMER_CODE_DATA_SYMBOLS = 7;

const VALUES = new Map<string, number>([...CROCKFORD_ALPHABET].map((symbol, value) => [symbol, value]));
// What people write for a symbol that is not in the alphabet (Crockford's decoding rules).
for (const [lookalike, symbol] of [["O", "0"], ["I", "1"], ["L", "1"]] as const) VALUES.set(lookalike, VALUES.get(symbol)!);

/** Multiplication by 2 (the polynomial x) in GF(32) modulo x^5 + x^2 + 1. */
function double(value: number): number {
  const shifted = value << 1;
  return shifted & 0b100000 ? shifted ^ 0b100101 : shifted;
}

function runningValue(values: readonly number[]): number {
  return values.reduce((interim, value) => double(interim) ^ value, 0);
}

/** The check symbol for data symbols (the value that brings the running value to 0). */
export function farmerCodeCheckSymbol(data: string): string {
  const values = [...data].map((symbol) => {
    const value = VALUES.get(symbol.toUpperCase());
    if (value === undefined) throw new RangeError(`${JSON.stringify(symbol)} is not a Crockford base32 symbol`);
    return value;
  });
  return CROCKFORD_ALPHABET[double(runningValue(values))]!;
}

/** A new random card code, normalised (no hyphen): 7 symbols and the check symbol. */
export function generateFarmerCode(): string {
  let data = "";
  for (let i = 0; i < FARMER_CODE_DATA_SYMBOLS; i++) data += CROCKFORD_ALPHABET[randomInt(32)];
  return data + farmerCodeCheckSymbol(data);
}

/** `XXXX-XXXX`, as printed on the card. */
export function formatFarmerCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export type ParseFarmerCodeReturnType = { ok: true; code: string } | { ok: false; reason: string };

/**
 * Reads a code as typed: case, spaces and hyphens do not matter, O reads as 0 and I or L as 1.
 * Answers the normalised code, or why it is not one: a symbol outside the alphabet, the wrong
 * length, or a check symbol that does not match (a mistyped symbol or two swapped ones).
 */
export function parseFarmerCode(input: string): ParseFarmerCodeReturnType {
  const compact = input.replace(/[\s-]/g, "").toUpperCase();
  const length = FARMER_CODE_DATA_SYMBOLS + 1;
  if (compact.length !== length) return { ok: false, reason: `a farmer code has ${length} symbols (XXXX-XXXX); this one has ${compact.length}` };
  const values: number[] = [];
  for (const symbol of compact) {
    const value = VALUES.get(symbol);
    if (value === undefined) return { ok: false, reason: `${JSON.stringify(symbol)} is not a symbol of farmer codes (digits and letters except I, L, O, U)` };
    values.push(value);
  }
  if (runningValue(values) !== 0) {
    return { ok: false, reason: "the check symbol does not match: a symbol is mistyped or two are swapped" };
  }
  return { ok: true, code: values.map((value) => CROCKFORD_ALPHABET[value]).join("") };
}
