import ExcelJS from "exceljs";

/** A CSV file from rows of cells (quoted where needed), UTF-8, CRLF line ends. */
export function csv(rows: ReadonlyArray<ReadonlyArray<string | number>>, options: { delimiter?: string; bom?: boolean } = {}): Buffer {
  const delimiter = options.delimiter ?? ",";
  const cell = (value: string | number) => {
    const text = String(value);
    return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return Buffer.from(`${options.bom ? "\ufeff" : ""}${rows.map((row) => row.map(cell).join(delimiter)).join("\r\n")}\r\n`, "utf8");
}

/** An XLSX workbook whose first sheet holds `rows`; a cell may be a formula ({ formula }) or a date. */
export async function xlsx(rows: ReadonlyArray<ReadonlyArray<ExcelJS.CellValue>>, sheetName = "Sheet1"): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(sheetName);
  for (const row of rows) sheet.addRow(row as ExcelJS.CellValue[]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
