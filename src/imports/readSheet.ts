import { parse } from "csv-parse/sync";
import type ExcelJS from "exceljs";
import { BaseError } from "../errors";
import { COLUMNS, headerIndex, normaliseHeader, type ImportKind } from "./columns";

/**
 * ExcelJS (with its zip and XML readers, about 0.4 s of CPU to load) is loaded by the first XLSX
 * read, not by every gateway start and CLI command that imports this module.
 */
export const loadExcelJs = (): typeof ExcelJS => require("exceljs") as typeof ExcelJS;

/**
 * Reads a cooperative's spreadsheet (CSV in UTF-8, or XLSX) into rows of cells under canonical
 * column names. What makes the whole file unreadable (size, encoding, format, headers) is an
 * `ImportFileError`; what is wrong with one cell (a formula, an error value) is an issue of its
 * row, so the rest of the file is still checked.
 */
export class ImportFileError extends BaseError {
  override name = "ImportFileError";
  constructor(
    readonly code: "too_large" | "encoding" | "format" | "headers" | "empty" | "too_many_rows",
    message: string,
    readonly fileDetails: unknown = null,
  ) {
    super(message);
  }
}

/** A problem with one row (row numbers as the spreadsheet shows them: the header is row 1). */
export type ImportIssue = { row: number; column: string | null; reason: string };

/** A cell as read: its text (trimmed), and a number or a date when the spreadsheet typed it so. */
export type Cell = { text: string; number?: number; date?: Date };

export type SheetRow = { row: number; cells: Record<string, Cell> };

export type Sheet = { format: "csv" | "xlsx"; columns: string[]; rows: SheetRow[]; issues: ImportIssue[] };

export type ReadSheetOptions = {
  maxBytes: number;
  /** Most data rows (default 100,000). */
  maxRows?: number | undefined;
  /** Most bytes an XLSX may unpack to (default 200 MiB): a small file that inflates to gigabytes is refused. */
  maxUnpackedBytes?: number | undefined;
};

const MIB = 1024 * 1024;

export async function readSheet(bytes: Uint8Array, kind: ImportKind, options: ReadSheetOptions): Promise<Sheet> {
  if (bytes.byteLength > options.maxBytes) {
    throw new ImportFileError("too_large", `the file is ${mib(bytes.byteLength)} MiB; an import takes at most ${mib(options.maxBytes)} MiB: split it into several files`, {
      bytes: bytes.byteLength,
      maxBytes: options.maxBytes,
    });
  }
  if (bytes.byteLength === 0) throw new ImportFileError("empty", "the file is empty");
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return readXlsx(buffer, kind, options);
  if (buffer.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new ImportFileError("format", "this is an old Excel .xls file: save it as .xlsx (Excel Workbook) or as CSV UTF-8");
  }
  if (buffer.subarray(0, 5).toString("latin1") === "%PDF-") throw new ImportFileError("format", "this is a PDF: the import takes a spreadsheet (.xlsx or CSV)");
  return readCsv(buffer, kind, options);
}

const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;

// ---------------------------------------------------------------------------------------- CSV

function readCsv(buffer: Buffer, kind: ImportKind, options: ReadSheetOptions): Sheet {
  if ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff)) {
    throw new ImportFileError("encoding", "the file is UTF-16 (Excel's \"Unicode text\"): save it as \"CSV UTF-8 (comma delimited)\"");
  }
  const invalid = firstInvalidUtf8(buffer);
  if (invalid !== -1) {
    const line = buffer.subarray(0, invalid).toString("latin1").split("\n").length;
    throw new ImportFileError(
      "encoding",
      `the file is not UTF-8 (byte 0x${buffer[invalid]!.toString(16).padStart(2, "0")} on line ${line}, perhaps Windows-1252 or TIS-620): save it as "CSV UTF-8 (comma delimited)"`,
      { line, byteOffset: invalid },
    );
  }
  let text = buffer.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes("\0")) throw new ImportFileError("encoding", "the file holds NUL characters: it is not a text CSV");
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = [",", ";", "\t"].map((d) => ({ d, n: firstLine.split(d).length })).sort((a, b) => b.n - a.n)[0]!.d;
  let records: string[][];
  try {
    records = parse(text, { delimiter, skip_empty_lines: true, relax_column_count: true, trim: true, max_record_size: 1_000_000 }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new ImportFileError("format", `the CSV cannot be read${line ? ` at line ${line}` : ""}: ${(error as Error).message.replace(/^Invalid [^:]*: /, "")}`);
  }
  const [header, ...data] = records;
  if (!header) throw new ImportFileError("empty", "the file has no header row");
  const columns = mapHeaders(header, kind);
  checkRowCount(data.length, options);
  const issues: ImportIssue[] = [];
  const rows: SheetRow[] = [];
  data.forEach((record, index) => {
    const row = index + 2;
    if (record.every((value) => value === "")) return;
    if (record.length > header.length && record.slice(header.length).some((value) => value !== "")) {
      issues.push({ row, column: null, reason: `${record.length} cells but ${header.length} columns in the header: a delimiter inside a value needs quotes` });
    }
    const cells: Record<string, Cell> = {};
    columns.forEach((name, i) => {
      if (name === null) return;
      const value = record[i] ?? "";
      // A formula typed into a CSV is text starting with "=": the spreadsheet's result never arrived.
      if (/^=/.test(value)) issues.push({ row, column: name, reason: `a formula (${value.slice(0, 40)}), not a value: paste the values (Paste special > Values) and save again` });
      else cells[name] = { text: value };
    });
    rows.push({ row, cells });
  });
  return { format: "csv", columns: columns.filter((c): c is string => c !== null), rows, issues };
}

/** Index of the first byte that breaks UTF-8 (overlong forms, surrogates and truncation included), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------- XLSX

async function readXlsx(buffer: Buffer, kind: ImportKind, options: ReadSheetOptions): Promise<Sheet> {
  const unpacked = zipUnpackedSize(buffer);
  const maxUnpacked = options.maxUnpackedBytes ?? 200 * MIB;
  if (unpacked === null) throw new ImportFileError("format", "the .xlsx file is damaged (its zip directory cannot be read): open it and save it again");
  if (unpacked > maxUnpacked) {
    throw new ImportFileError("too_large", `the workbook unpacks to ${mib(unpacked)} MiB (at most ${mib(maxUnpacked)} MiB): split it into several files`);
  }
  const excel = loadExcelJs();
  const workbook = new excel.Workbook();
  try {
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  } catch (error) {
    throw new ImportFileError("format", `the .xlsx file cannot be read (${(error as Error).message}): open it and save it again as an Excel Workbook`);
  }
  // The template's data sheet, else the first sheet.
  const sheet = workbook.worksheets.find((ws) => ws.name.toLowerCase() === "data") ?? workbook.worksheets[0];
  if (!sheet) throw new ImportFileError("empty", "the workbook has no sheet");
  const headerRow = sheet.getRow(1);
  const header: string[] = [];
  headerRow.eachCell({ includeEmpty: true }, (cell, col) => (header[col - 1] = cellText(cell.value)));
  for (let i = 0; i < header.length; i++) header[i] ??= "";
  if (header.every((h) => h.trim() === "")) throw new ImportFileError("empty", "the first row of the sheet, the header, is empty");
  const columns = mapHeaders(header, kind);
  checkRowCount(sheet.actualRowCount - 1, options);
  const issues: ImportIssue[] = [];
  const rows: SheetRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (excelRow, row) => {
    if (row === 1) return;
    const cells: Record<string, Cell> = {};
    let filled = false;
    excelRow.eachCell({ includeEmpty: false }, (cell, col) => {
      const name = columns[col - 1];
      const value = cell.value;
      if (value === null || value === undefined || (typeof value === "string" && value.trim() === "")) return;
      filled = true;
      if (name === undefined || name === null) {
        issues.push({ row, column: cell.address, reason: "a value in a column without a header" });
        return;
      }
      if (cell.type === excel.ValueType.Formula) {
        issues.push({ row, column: name, reason: `a formula (=${cell.formula ?? ""}), not a value: paste the values (Paste special > Values) and save again` });
        return;
      }
      if (cell.type === excel.ValueType.Error) {
        issues.push({ row, column: name, reason: `an error value (${cellText(value)})` });
        return;
      }
      if (value instanceof Date) cells[name] = { text: value.toISOString().slice(0, 10), date: value };
      else if (typeof value === "number") cells[name] = { text: String(value), number: value };
      else cells[name] = { text: cellText(value).trim() };
    });
    if (filled) rows.push({ row, cells });
  });
  return { format: "xlsx", columns: columns.filter((c): c is string => c !== null), rows, issues };
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  if ("richText" in value) return value.richText.map((part) => part.text).join("");
  if ("text" in value && typeof value.text === "string") return value.text;
  if ("error" in value) return String(value.error);
  if ("result" in value) return cellText(value.result as ExcelJS.CellValue);
  return "";
}

/**
 * The total uncompressed size the zip's central directory declares, or null if there is none.
 * Read before anything is inflated: exceljs would otherwise unpack a zip bomb whole.
 */
export function zipUnpackedSize(buffer: Buffer): number | null {
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  const from = Math.max(0, buffer.length - 65_557);
  let eocd = -1;
  for (let i = buffer.length - 22; i >= from; i--) {
    if (buffer.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) return null;
  const entries = buffer.readUInt16LE(eocd + 10);
  let offset = buffer.readUInt32LE(eocd + 16);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (offset + 46 > buffer.length || buffer.readUInt32LE(offset) !== 0x02014b50) return null;
    const size = buffer.readUInt32LE(offset + 24);
    // ZIP64 sizes (0xffffffff) are more than any spreadsheet this import takes.
    total += size === 0xffffffff ? Number.MAX_SAFE_INTEGER / 2 : size;
    offset += 46 + buffer.readUInt16LE(offset + 28) + buffer.readUInt16LE(offset + 30) + buffer.readUInt16LE(offset + 32);
  }
  return total;
}

// ---------------------------------------------------------------------------------------- both

/** Each header's canonical column (null: an empty header over an empty column); refuses unknown, repeated and missing ones. */
function mapHeaders(header: readonly string[], kind: ImportKind): Array<string | null> {
  const index = headerIndex(kind);
  const columns: Array<string | null> = [];
  const unknown: string[] = [];
  const seen = new Map<string, string>();
  const repeated: string[] = [];
  for (const text of header) {
    const key = normaliseHeader(text ?? "");
    if (key === "") {
      columns.push(null);
      continue;
    }
    const name = index.get(key);
    if (!name) {
      unknown.push(text);
      columns.push(null);
      continue;
    }
    if (seen.has(name)) repeated.push(`${JSON.stringify(seen.get(name))} and ${JSON.stringify(text)} are both ${name}`);
    seen.set(name, text);
    columns.push(name);
  }
  const missing = COLUMNS[kind].filter((spec) => spec.required && !seen.has(spec.name)).map((spec) => spec.name);
  if (unknown.length > 0 || repeated.length > 0 || missing.length > 0) {
    const parts = [
      ...(unknown.length ? [`unknown column${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => JSON.stringify(u)).join(", ")}`] : []),
      ...repeated,
      ...(missing.length ? [`missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`] : []),
    ];
    throw new ImportFileError("headers", `the header row does not fit a ${kind} import: ${parts.join("; ")} (the columns: ${COLUMNS[kind].map((spec) => spec.name).join(", ")}; see the template)`, {
      unknown,
      missing,
      columns: COLUMNS[kind].map((spec) => spec.name),
    });
  }
  return columns;
}

function checkRowCount(rows: number, options: ReadSheetOptions): void {
  const max = options.maxRows ?? 100_000;
  if (rows > max) throw new ImportFileError("too_many_rows", `the sheet has ${rows} rows; an import takes at most ${max}: split it into several files`);
}
