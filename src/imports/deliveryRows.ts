import { FORMS, formById } from "../lots/forms";
import { CellError, readDate, readDecimal } from "./cells";
import { farmerCode } from "./plotRows";
import type { SheetRow } from "./readSheet";
import { RowReader, text } from "./rowReader";

/** A deliveries row read: who, from which plot (id, ref or none), what, when, how much. */
export type DeliveryRow = {
  farmerCode: string;
  /** A plot id (p_...), the cooperative's plot number, or null (the farmer's only plot). */
  plot: string | null;
  date: Date;
  form: number;
  grams: bigint;
  ticket: string;
  moisturePct: number | null;
  drcPct: number | null;
};

const MINTABLE = FORMS.filter((form) => form.mintable);
/** Names a delivery's form is written with: keys, names and the ones scales print, by form id. */
const FORM_WORDS = new Map<string, number>([
  ...MINTABLE.flatMap((form) => [[form.key, form.id], [form.name, form.id], [String(form.id), form.id]] as Array<[string, number]>),
  ["wet beans", 1],
  ["biji basah", 1],
  ["dry beans", 2],
  ["biji kering", 2],
  ["field latex", 20],
  ["latex", 20],
  ["น้ำยางสด", 20],
  ["cup lump", 21],
  ["ยางก้อนถ้วย", 21],
  ["ojol", 21],
  ["lump", 21],
  ["unsmoked sheet", 22],
  ["ยางแผ่นดิบ", 22],
  ["rss", 23],
  ["ยางแผ่นรมควัน", 23],
]);

function readForm(cell: { text: string }): number {
  const form = FORM_WORDS.get(cell.text.normalize("NFC").toLowerCase().trim());
  if (form !== undefined) return form;
  const word = cell.text.toLowerCase().trim();
  const spec = /^\d+$/.test(word) ? formById(Number(word)) : FORMS.find((candidate) => candidate.key === word || candidate.name === word);
  if (spec && !spec.mintable) throw new CellError(`${spec.key} is not delivered by farmers: it is made from deliveries`);
  throw new CellError(`${JSON.stringify(cell.text)}: one of ${MINTABLE.map((f) => f.key).join(", ")}`);
}

const percent = (cell: { text: string; number?: number }) => {
  const { value } = readDecimal(cell);
  if (!(value >= 0 && value <= 100)) throw new CellError(`${cell.text}: a percentage, 0 to 100`);
  return value;
};

/** Reads a deliveries row; `today` bounds the date (no delivery in the future). */
export function readDeliveryRow(row: SheetRow, today: Date): { value: DeliveryRow } | { issues: RowReader["issues"] } {
  const r = new RowReader(row);
  const code = r.get("farmer_code", farmerCode, true);
  const plot = r.get("plot", text(64));
  const date = r.get(
    "date",
    (cell) => {
      const date = readDate(cell);
      if (date.getTime() > today.getTime() + 86_400_000) throw new CellError(`${date.toISOString().slice(0, 10)} is in the future`);
      if (date.getUTCFullYear() < 2000) throw new CellError(`${date.toISOString().slice(0, 10)}: a delivery date after 2000`);
      return date;
    },
    true,
  );
  const form = r.get("form", readForm, true);
  const grams = r.get(
    "kg",
    (cell) => {
      const { value, text: written } = readDecimal(cell);
      if (!(value > 0)) throw new CellError(`${cell.text}: more than 0 kg`);
      if (value > 1_000_000) throw new CellError(`${cell.text}: at most 1,000,000 kg in one delivery`);
      const [whole, fraction = ""] = written.replace(/^\+/, "").split(".");
      if (fraction.length > 3 && /[^0]/.test(fraction.slice(3))) throw new CellError(`${cell.text}: kilograms to the gram (3 decimals at most)`);
      return BigInt(whole!) * 1000n + BigInt((fraction + "000").slice(0, 3));
    },
    true,
  );
  const ticket = r.get("ticket", text(64), true);
  const moisturePct = r.get("moisture_pct", percent) ?? null;
  const drcPct = r.get("drc_pct", percent) ?? null;
  if (r.issues.length > 0) return { issues: r.issues };
  return { value: { farmerCode: code!, plot: plot ?? null, date: date!, form: form!, grams: grams!, ticket: ticket!, moisturePct, drcPct } };
}
