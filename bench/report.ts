import fs from "node:fs";
import path from "node:path";

/** One benchmark's flat figures: `{ "metric": number }`. */
export type Figures = Record<string, number>;

/**
 * Merges `figures` into `bench/out/<name>.json` (other benchmarks may add keys to the same file)
 * and returns the path written.
 */
export function writeFigures(name: string, figures: Figures): string {
  const dir = path.join(__dirname, "out");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const previous: Figures = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  fs.writeFileSync(file, `${JSON.stringify({ ...previous, ...figures }, null, 2)}\n`);
  return file;
}

/** Prints rows as an aligned text table. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join("  ");
  console.log(line(cells[0]));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of cells.slice(1)) console.log(line(row));
}
