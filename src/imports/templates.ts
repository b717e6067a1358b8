import { COLUMNS, templateHeader, type HeaderLanguage, type ImportKind } from "./columns";
import { loadExcelJs } from "./readSheet";

/**
 * Empty import templates: the header row in the cooperative's language, nothing else to delete
 * before filling it in. The CSV starts with a byte order mark so spreadsheet programs open it as
 * UTF-8 (Thai and Vietnamese headers intact); the workbook adds a "columns" sheet explaining each
 * column, and types the code and coordinate columns as text so trailing zeros survive.
 */
export function csvTemplate(kind: ImportKind, language: HeaderLanguage = "en"): Buffer {
  const header = COLUMNS[kind].map((spec) => csvCell(templateHeader(spec, language))).join(",");
  return Buffer.from(`\ufeff${header}\r\n`, "utf8");
}

const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** Columns kept as text: codes (leading zeros) and coordinates (trailing zeros are precision). */
const TEXT_COLUMNS = new Set(["farmer_code", "phone", "national_id", "latitude", "longitude", "polygon", "ref", "plot", "ticket", "tenure_evidence_cid"]);

export async function xlsxTemplate(kind: ImportKind, language: HeaderLanguage = "en"): Promise<Buffer> {
  const workbook = new (loadExcelJs().Workbook)();
  workbook.creator = "firstmile";
  const data = workbook.addWorksheet("data");
  const specs = COLUMNS[kind];
  data.columns = specs.map((spec) => ({
    header: `${templateHeader(spec, language)}${spec.required ? " *" : ""}`,
    key: spec.name,
    width: Math.max(14, templateHeader(spec, language).length + 4),
    style: TEXT_COLUMNS.has(spec.name) ? { numFmt: "@" } : {},
  }));
  data.getRow(1).font = { bold: true };
  data.views = [{ state: "frozen", ySplit: 1 }];
  const help = workbook.addWorksheet("columns");
  help.columns = [
    { header: "column", key: "column", width: 28 },
    { header: "name", key: "name", width: 24 },
    { header: "required", key: "required", width: 10 },
    { header: "what to write", key: "description", width: 90 },
    { header: "example", key: "example", width: 40 },
  ];
  help.getRow(1).font = { bold: true };
  for (const spec of specs) {
    help.addRow({ column: templateHeader(spec, language), name: spec.name, required: spec.required ? "yes" : "", description: spec.description, example: spec.example });
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
