import type { Cell } from "./readSheet";

/**
 * Reading one cell as the value a column needs, the way cooperatives write them: decimal commas
 * (Indonesia, Vietnam), day-first dates, Thai Buddhist-era years, yes/no in four languages.
 * Each reader answers the value or throws a `CellError` whose message is the row's reason.
 */
export class CellError extends Error {
  override name = "CellError";
}

/** A decimal number: `182.5`, `182,5` (decimal comma), or a number cell. Thousands separators are refused. */
export function readDecimal(cell: Cell): { value: number; text: string } {
  if (cell.number !== undefined) return { value: cell.number, text: cell.text };
  const text = cell.text.replace(/\s/g, "");
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return { value: Number(text), text };
  if (/^[+-]?\d+,\d+$/.test(text)) {
    const normal = text.replace(",", ".");
    return { value: Number(normal), text: normal };
  }
  if (/^[+-]?\d{1,3}([.,]\d{3})+([.,]\d+)?$/.test(text)) throw new CellError(`${JSON.stringify(cell.text)}: write the number without thousands separators (e.g. 1234.5)`);
  throw new CellError(`${JSON.stringify(cell.text)} is not a number`);
}

/** Decimal places of a number as written (its text keeps trailing zeros a number cell loses). */
export function decimalsWritten(text: string): number {
  const match = /\.(\d+)$/.exec(text.trim());
  return match ? match[1]!.length : 0;
}

export function readInteger(cell: Cell, min: number, max: number): number {
  const { value } = readDecimal(cell);
  if (!Number.isInteger(value)) throw new CellError(`${JSON.stringify(cell.text)}: a whole number`);
  if (value < min || value > max) throw new CellError(`${value}: between ${min} and ${max}`);
  return value;
}

const YES = new Set(["yes", "y", "true", "1", "ya", "ใช่", "có"]);
const NO = new Set(["no", "n", "false", "0", "tidak", "ไม่ใช่", "ไม่", "không"]);

export function readYesNo(cell: Cell): boolean {
  const value = cell.text.normalize("NFC").toLowerCase().trim();
  if (YES.has(value)) return true;
  if (NO.has(value)) return false;
  throw new CellError(`${JSON.stringify(cell.text)}: yes or no`);
}

/** One of `values`, or a localized word for one of them (`aliases`: word -> value). */
export function readChoice<T extends string>(cell: Cell, values: readonly T[], aliases: Record<string, T> = {}): T {
  const value = cell.text.normalize("NFC").toLowerCase().trim();
  if ((values as readonly string[]).includes(value)) return value as T;
  const alias = aliases[value];
  if (alias) return alias;
  throw new CellError(`${JSON.stringify(cell.text)}: one of ${values.join(", ")}`);
}

const DAY_MS = 86_400_000;
/** Day 0 of spreadsheet date serials (1899-12-30, the 1900 leap-year bug included). */
const SERIAL_EPOCH = Date.UTC(1899, 11, 30);

/**
 * A date (UTC midnight) from a date cell, a date serial number, `YYYY-MM-DD`, or day first
 * `DD/MM/YYYY` (also with - or .). A year above 2400 is a Thai Buddhist-era year (minus 543).
 * Month-first dates are refused when they show (a 13th month), two-digit years always.
 */
export function readDate(cell: Cell): Date {
  if (cell.date) return new Date(Date.UTC(cell.date.getUTCFullYear(), cell.date.getUTCMonth(), cell.date.getUTCDate()));
  if (cell.number !== undefined) {
    if (!Number.isInteger(cell.number) || cell.number < 20_000 || cell.number > 80_000) throw new CellError(`${cell.text} is not a date`);
    return new Date(SERIAL_EPOCH + cell.number * DAY_MS);
  }
  const text = cell.text.trim();
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+Z?)?$/.exec(text);
  if (match) return ymd(Number(match[1]), Number(match[2]), Number(match[3]), cell.text);
  match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$/.exec(text);
  if (match) {
    const [day, month, year] = [Number(match[1]), Number(match[2]), match[3]!];
    if (year.length !== 4) throw new CellError(`${JSON.stringify(cell.text)}: write the year with four digits (15/06/2026)`);
    if (month > 12 && day <= 12) throw new CellError(`${JSON.stringify(cell.text)}: dates are day first (DD/MM/YYYY); this one looks month first`);
    return ymd(Number(year), month, day, cell.text);
  }
  throw new CellError(`${JSON.stringify(cell.text)} is not a date: write 2026-06-15 or 15/06/2026`);
}

function ymd(year: number, month: number, day: number, text: string): Date {
  const ce = year > 2400 ? year - 543 : year;
  const date = new Date(Date.UTC(ce, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw new CellError(`${JSON.stringify(text)} is not a date of the calendar`);
  return date;
}

/** A year as written, a Buddhist-era one (above 2400) turned into the common era. */
export function readYear(cell: Cell): number {
  const year = readInteger(cell, 1800, 3000);
  return year > 2400 ? year - 543 : year;
}
