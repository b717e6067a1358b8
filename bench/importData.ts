import { generateFarmerCode } from "../src/farmers";
import { mulberry32 } from "../test/helpers/seededRandom";

/**
 * A cooperative's onboarding files, generated: farmers and one plot each, around real cocoa
 * districts of Sulawesi and rubber districts of southern Thailand. Plots lie on a jittered grid of
 * 220 m cells (farms side by side, as in a village's land), as irregular outlines of 0.4 to 2.6 ha
 * or, for two in five, as a GPS point with a declared area of at most 4 ha. One plot in 200 is a
 * data-entry error drawn over its neighbour: the overlap rule refuses it.
 */
export type District = { country: string; province: string; district: string; lat: number; lon: number; language: "id" | "th" };

export const DISTRICTS: readonly District[] = [
  { country: "ID", province: "Sulawesi Tengah", district: "Parigi Moutong", lat: -0.79, lon: 120.17, language: "id" },
  { country: "ID", province: "Sulawesi Tengah", district: "Poso", lat: -1.39, lon: 120.75, language: "id" },
  { country: "ID", province: "Sulawesi Selatan", district: "Luwu Utara", lat: -2.57, lon: 120.33, language: "id" },
  { country: "ID", province: "Sulawesi Barat", district: "Polewali Mandar", lat: -3.42, lon: 119.33, language: "id" },
  { country: "ID", province: "Sulawesi Tenggara", district: "Kolaka Utara", lat: -3.1, lon: 121.0, language: "id" },
  { country: "TH", province: "Songkhla", district: "Hat Yai", lat: 6.95, lon: 100.4, language: "th" },
  { country: "TH", province: "Songkhla", district: "Na Thawi", lat: 6.73, lon: 100.66, language: "th" },
  { country: "TH", province: "Surat Thani", district: "Ban Na San", lat: 8.8, lon: 99.37, language: "th" },
];

const M_PER_DEGREE = 111_320;
const CELL_M = 220;
const fixed6 = (value: number) => value.toFixed(6);

const GIVEN_ID = ["Siti", "Made", "Wayan", "Andi", "Rahma", "Yusuf", "Nur", "Ketut", "Dewi", "Hasan", "Sri", "Budi"];
const FAMILY_ID = ["Rahman", "Wirawan", "Lamba", "Tandi", "Pasande", "Daeng", "Saleh", "Mappa", "Baso", "Rante"];
const GIVEN_TH = ["Somchai", "Suda", "Anong", "Prasert", "Malee", "Surachai", "Nittaya", "Wichai", "Ratana", "Chaiya"];
const FAMILY_TH = ["Dee", "Srisuk", "Boonmee", "Chaiyaporn", "Thongdee", "Kaewmanee", "Rattanakorn", "Sukjai"];

export type GeneratedFiles = { farmers: string; plots: string; farmerCount: number; plotCount: number; overlapsPlanted: number };

/** CSV text of `count` farmers and their plots (seeded: the same files every run). */
export function generateOnboarding(count: number, seed = 20_261_202): GeneratedFiles {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const farmers: string[] = ["farmer_code,name,phone,gender,birth_year,household_size,female_headed_household,village,language"];
  const plots: string[] = ["farmer_code,ref,latitude,longitude,area_ha,polygon,country,province,district,tenure"];
  const perDistrict = Math.ceil(count / DISTRICTS.length);
  const side = Math.ceil(Math.sqrt(perDistrict));
  let overlapsPlanted = 0;
  let previous: { lat: number; lon: number; code: string } | null = null;
  for (let i = 0; i < count; i++) {
    const district = DISTRICTS[i % DISTRICTS.length]!;
    const n = Math.floor(i / DISTRICTS.length);
    const code = generateFarmerCode();
    const female = random() < 0.3;
    const name = district.language === "id" ? `${pick(GIVEN_ID)} ${pick(FAMILY_ID)}` : `${pick(GIVEN_TH)} ${pick(FAMILY_TH)}`;
    const phone = district.language === "id" ? `+62 812 ${String(1_000_000 + i).slice(-7)}` : `+66 81 ${String(1_000_000 + i).slice(-7)}`;
    farmers.push([code, name, phone, female ? "female" : "male", 1950 + Math.floor(random() * 50), 1 + Math.floor(random() * 8), female && random() < 0.5 ? "yes" : "no", `Desa ${1 + (n % 40)}`, district.language].join(","));

    // The cell's centre, on the district's grid.
    const row = Math.floor(n / side);
    const col = n % side;
    const mPerDegreeLon = M_PER_DEGREE * Math.cos((district.lat * Math.PI) / 180);
    let lat = district.lat + ((row - side / 2) * CELL_M + (random() - 0.5) * 20) / M_PER_DEGREE;
    let lon = district.lon + ((col - side / 2) * CELL_M + (random() - 0.5) * 20) / mPerDegreeLon;
    // A plot drawn over its neighbour's by mistake (30 m off): refused by the overlap rule.
    if (previous && i % 200 === 199) {
      lat = previous.lat;
      lon = previous.lon + 30 / mPerDegreeLon;
      overlapsPlanted += 1;
    }
    const tenure = pick(["title", "customary", "customary", "none"]);
    const location = `${district.country},${district.province},${district.district},${tenure}`;
    if (random() < 0.4) {
      const hectares = (0.5 + random() * 3.5).toFixed(2);
      plots.push(`${code},${code}-1,${fixed6(lat)},${fixed6(lon)},${hectares},,${location}`);
    } else {
      const hectares = 0.4 + random() * 2.2;
      plots.push(`${code},${code}-1,,,,"${outlineWkt(lat, lon, hectares, mPerDegreeLon, random)}",${location}`);
    }
    previous = { lat, lon, code };
  }
  return { farmers: `${farmers.join("\r\n")}\r\n`, plots: `${plots.join("\r\n")}\r\n`, farmerCount: count, plotCount: count, overlapsPlanted };
}

/** An irregular polygon of 5 to 8 corners and about `hectares`, as WKT (longitude first, six decimals). */
function outlineWkt(lat: number, lon: number, hectares: number, mPerDegreeLon: number, random: () => number): string {
  const corners = 5 + Math.floor(random() * 4);
  const radius = Math.sqrt((hectares * 10_000) / ((corners / 2) * Math.sin((2 * Math.PI) / corners)));
  const turn = random() * 2 * Math.PI;
  const ring: string[] = [];
  for (let k = 0; k < corners; k++) {
    const angle = turn + (k * 2 * Math.PI) / corners + (random() - 0.5) * 0.25;
    const r = Math.min(radius * (0.9 + random() * 0.2), CELL_M / 2 - 12);
    ring.push(`${fixed6(lon + (r * Math.cos(angle)) / mPerDegreeLon)} ${fixed6(lat + (r * Math.sin(angle)) / M_PER_DEGREE)}`);
  }
  ring.push(ring[0]!);
  return `POLYGON ((${ring.join(", ")}))`;
}
