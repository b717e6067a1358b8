import { parseFarmerCode } from "../farmers";
import { MIN_DECIMALS, TENURES, plotGeometrySchema, type PlotGeometry, type PlotInput, type PlotIssue, type Tenure } from "../origins";
import { CellError, readChoice, readDecimal, decimalsWritten } from "./cells";
import { readOutline } from "./geometryText";
import type { SheetRow } from "./readSheet";
import { RowReader, text } from "./rowReader";

/** A plots row read: the farmer's card code and the plot, before the farmer is looked up. */
export type PlotRow = { farmerCode: string; plot: Omit<PlotInput, "owner"> };

const TENURE_WORDS: Record<string, Tenure> = {
  sertifikat: "title",
  shm: "title",
  "hak milik": "title",
  adat: "customary",
  ulayat: "customary",
  "tidak ada": "none",
  โฉนด: "title",
  "น.ส.4": "title",
  จารีต: "customary",
  ไม่มี: "none",
  "sổ đỏ": "title",
  "tập quán": "customary",
  không: "none",
};

export const farmerCode = (cell: { text: string }) => {
  const parsed = parseFarmerCode(cell.text);
  if (!parsed.ok) throw new CellError(`${JSON.stringify(cell.text)}: ${parsed.reason}`);
  return parsed.code;
};

/** Reads a plots row; the plot rules that need no database (geometry, point size) are the registry's, later. */
export function readPlotRow(row: SheetRow): { value: PlotRow } | { issues: RowReader["issues"] } {
  const r = new RowReader(row);
  const code = r.get("farmer_code", farmerCode, true);
  const areaHa = r.get("area_ha", (cell) => {
    const { value } = readDecimal(cell);
    if (!(value > 0 && value <= 100_000)) throw new CellError(`${cell.text}: a positive area in hectares`);
    return value;
  });
  const geometry = readGeometry(r);
  const country = r.get("country", text(2), true);
  const province = r.get("province", text(120), true);
  const district = r.get("district", text(120), true);
  const tenure = r.get("tenure", (cell) => readChoice(cell, TENURES, TENURE_WORDS));
  const tenureEvidenceCid = r.get("tenure_evidence_cid", (cell) => {
    if (!/^b[a-z2-7]{20,120}$/.test(cell.text)) throw new CellError(`${JSON.stringify(cell.text)} is not a CID (b...)`);
    return cell.text;
  });
  const ref = r.get("ref", text(64));
  if (r.issues.length > 0 || !geometry) return { issues: r.issues };
  return {
    value: {
      farmerCode: code!,
      plot: {
        geometry,
        declaredAreaM2: areaHa === undefined ? null : areaHa * 10_000,
        country: country!,
        province: province!,
        district: district!,
        tenure,
        tenureEvidenceCid: tenureEvidenceCid ?? null,
        ref: ref ?? null,
      },
    },
  };
}

/** A point from latitude and longitude, or the outline of the polygon column; checked by the geometry rules. */
function readGeometry(r: RowReader): PlotGeometry | undefined {
  const polygonCell = r.cell("polygon");
  const lat = r.cell("latitude");
  const lon = r.cell("longitude");
  if (polygonCell && (lat || lon)) {
    r.fail("polygon", "give either the point (latitude, longitude) or the polygon, not both");
    return undefined;
  }
  if (!polygonCell && !lat && !lon) {
    r.fail("latitude", "a plot needs a point (latitude and longitude) or a polygon");
    return undefined;
  }
  let candidate: unknown;
  let decimals: number;
  let column: string;
  if (polygonCell) {
    column = "polygon";
    const outline = r.get("polygon", (cell) => readOutline(cell.text));
    if (!outline) return undefined;
    [candidate, decimals] = [outline.geometry, outline.decimals];
  } else {
    column = "latitude";
    const latitude = r.get("latitude", readDecimal, true);
    const longitude = r.get("longitude", readDecimal, true);
    if (!latitude || !longitude) return undefined;
    candidate = { type: "Point", coordinates: [longitude.value, latitude.value] };
    decimals = Math.max(decimalsWritten(latitude.text), decimalsWritten(longitude.text));
  }
  const parsed = plotGeometrySchema.safeParse(candidate);
  const issues = parsed.success ? [] : parsed.error.issues.filter((issue) => !(decimals >= MIN_DECIMALS && issue.message.startsWith("coordinates need at least")));
  for (const issue of issues) r.fail(column, issue.message.replace(/the most precise one here has \d+/, `the most precise one here has ${decimals}`));
  if (issues.length > 0) return undefined;
  return (parsed.success ? parsed.data : candidate) as PlotGeometry;
}

/** The spreadsheet column a plot rule's field is written in. */
export function plotColumnOf(issue: PlotIssue, geometry: PlotGeometry): string {
  switch (issue.path) {
    case "declaredAreaHa":
      return "area_ha";
    case "geometry":
      return geometry.type === "Point" ? "area_ha" : "polygon";
    case "tenureEvidenceCid":
      return "tenure_evidence_cid";
    default:
      return issue.path;
  }
}
