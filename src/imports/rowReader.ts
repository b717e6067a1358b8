import { createHash } from "node:crypto";
import type { ImportKind } from "./columns";
import { CellError } from "./cells";
import type { Cell, ImportIssue, SheetRow } from "./readSheet";

/**
 * Reads the cells of one row, collecting one issue per bad cell rather than stopping at the
 * first, so a dry run's report lists everything wrong with a row at once.
 */
export class RowReader {
  readonly issues: ImportIssue[] = [];
  constructor(readonly row: SheetRow) {}

  /** The cell of a column, or undefined when it is empty. */
  cell(column: string): Cell | undefined {
    const cell = this.row.cells[column];
    return cell && cell.text !== "" ? cell : undefined;
  }

  /** `read` applied to the column's cell; undefined when empty (an issue if `required`) or unreadable. */
  get<T>(column: string, read: (cell: Cell) => T, required = false): T | undefined {
    const cell = this.cell(column);
    if (!cell) {
      if (required) this.fail(column, "required");
      return undefined;
    }
    try {
      return read(cell);
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      this.fail(column, error.message);
      return undefined;
    }
  }

  fail(column: string | null, reason: string): void {
    this.issues.push({ row: this.row.row, column, reason });
  }
}

/** Text of at most `max` characters. */
export const text = (max: number) => (cell: Cell) => {
  if (cell.text.length > max) throw new CellError(`at most ${max} characters`);
  return cell.text;
};

/**
 * The row's content as the import remembers it: sha-256 of its non-empty cells under their
 * canonical column names, in column order. The same row in another file (or the same file again)
 * has the same hash. Each value is length-prefixed, so no two rows hash alike by shifting text
 * from one cell to the next.
 */
export function rowHash(kind: ImportKind, row: SheetRow): Buffer {
  const hash = createHash("sha256").update(`firstmile import row v1|${kind}`);
  for (const column of Object.keys(row.cells).sort()) {
    const cell = row.cells[column]!;
    if (cell.text === "") continue;
    const value = cell.date ? cell.date.toISOString().slice(0, 10) : cell.text;
    hash.update(`|${column}=${Buffer.byteLength(value)}:${value}`);
  }
  return hash.digest();
}
