export { runImport, ImportRefusedError } from "./runImport";
export type { ImportContext, ImportOptions, ImportReport, ImportRowResult } from "./runImport";
export { ImportFileError, readSheet } from "./readSheet";
export type { ImportIssue, Sheet, SheetRow, Cell } from "./readSheet";
export { COLUMNS, IMPORT_KINDS, HEADER_LANGUAGES } from "./columns";
export type { ImportKind, HeaderLanguage, ColumnSpec } from "./columns";
export { DELIVERIES_PER_REQUEST } from "./importDeliveries";
export { csvTemplate, xlsxTemplate } from "./templates";
