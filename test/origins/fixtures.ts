import { generateFarmerCode } from "../../src/farmers";
import type { PlotGeometry } from "../../src/origins";

/** Metres per degree of latitude (and of longitude at the equator), near enough for test plots. */
const M_PER_DEGREE = 111_320;
const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * A square plot `sideM` metres wide whose south-west corner is at (lon, lat), every coordinate
 * at six decimals. Pick corners with a non-zero sixth decimal (120.750013, not 120.75).
 */
export function square(lon: number, lat: number, sideM = 100): { type: "Polygon"; coordinates: number[][][] } {
  const dLat = sideM / M_PER_DEGREE;
  const dLon = sideM / (M_PER_DEGREE * Math.cos((lat * Math.PI) / 180));
  const [x0, y0, x1, y1] = [round6(lon), round6(lat), round6(lon + dLon), round6(lat + dLat)];
  return { type: "Polygon", coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
}

export function point(lon: number, lat: number): PlotGeometry {
  return { type: "Point", coordinates: [round6(lon), round6(lat)] };
}

/** Moves a geometry by whole metres east and north. */
export function shifted<T extends { type: "Polygon"; coordinates: number[][][] }>(geometry: T, eastM: number, northM = 0): T {
  const lat = geometry.coordinates[0]![0]![1]!;
  const dLon = eastM / (M_PER_DEGREE * Math.cos((lat * Math.PI) / 180));
  const dLat = northM / M_PER_DEGREE;
  return { ...geometry, coordinates: geometry.coordinates.map((ring) => ring.map(([x, y]) => [round6(x! + dLon), round6(y! + dLat)])) };
}

let farmers = 0;

/**
 * A farmer row of a cooperative, written straight to SQL (the plot suites need the record, not its
 * personal fields: the name is a placeholder ciphertext). Returns its id and card code.
 */
export async function insertFarmer(db: { query(sql: string, params?: readonly unknown[]): Promise<unknown> }, memberId: bigint, options: { archived?: boolean } = {}): Promise<{ id: string; code: string }> {
  farmers += 1;
  const n = `${process.pid}${farmers}`.padStart(16, "0");
  const id = `f_${n}`;
  const code = generateFarmerCode();
  const pseudonym = Buffer.from(id.padEnd(32, "x")).toString("hex").slice(0, 64);
  await db.query(
    "insert into farmers (id, member_id, pseudonym, code, name_enc, archived_at) values ($1, $2, $3, $4, $5, $6)",
    [id, memberId, pseudonym, code, Buffer.from("sealed"), options.archived ? new Date() : null],
  );
  return { id, code };
}
