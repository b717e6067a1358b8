import { FARMER_LANGUAGES, GENDERS, farmerCreateSchema, type FarmerCreate } from "../farmers";
import { readChoice, readInteger, readYear, readYesNo } from "./cells";
import { farmerCode } from "./plotRows";
import type { SheetRow } from "./readSheet";
import { RowReader } from "./rowReader";

const GENDER_WORDS: Record<string, (typeof GENDERS)[number]> = {
  f: "female",
  m: "male",
  perempuan: "female",
  wanita: "female",
  "laki-laki": "male",
  pria: "male",
  หญิง: "female",
  ชาย: "male",
  nữ: "female",
  nam: "male",
};

/** The farmer record's field each column fills (its issues are reported under the column). */
const FIELD_COLUMNS: Record<string, string> = {
  code: "farmer_code",
  name: "name",
  phone: "phone",
  nationalId: "national_id",
  gender: "gender",
  birthYear: "birth_year",
  householdSize: "household_size",
  femaleHeadedHousehold: "female_headed_household",
  village: "village",
  language: "language",
};

/** Reads a farmers row into the record the farmers module creates, checked by its own schema. */
export function readFarmerRow(row: SheetRow): { value: FarmerCreate } | { issues: RowReader["issues"] } {
  const r = new RowReader(row);
  const candidate = {
    code: r.get("farmer_code", farmerCode),
    name: r.get("name", (cell) => cell.text, true),
    phone: r.get("phone", (cell) => cell.text),
    nationalId: r.get("national_id", (cell) => cell.text),
    gender: r.get("gender", (cell) => readChoice(cell, GENDERS, GENDER_WORDS)),
    birthYear: r.get("birth_year", readYear),
    householdSize: r.get("household_size", (cell) => readInteger(cell, 1, 50)),
    femaleHeadedHousehold: r.get("female_headed_household", readYesNo),
    village: r.get("village", (cell) => cell.text),
    language: r.get("language", (cell) => readChoice(cell, FARMER_LANGUAGES)),
  };
  if (r.issues.length > 0) return { issues: r.issues };
  const parsed = farmerCreateSchema.safeParse(Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined)));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) r.fail(FIELD_COLUMNS[String(issue.path[0])] ?? null, issue.message);
    return { issues: r.issues };
  }
  return { value: parsed.data };
}
