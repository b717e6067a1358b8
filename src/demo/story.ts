import type { RoleName } from "../membership/roles";
import { overlapShare, plotAreaM2, type PlotGeometry } from "../origins";
import { gtinCheckDigit } from "../products";

/**
 * The demo's cast and numbers, as data: who the members are, where the farmers' plots lie, what
 * each delivery weighed. Pure and deterministic (a seeded generator, fixed dates), so seeding
 * again produces the same documents, the same evidence CIDs and the same requests.
 */

export type DemoMemberKey = "cooperative" | "exporter" | "grinder" | "brand" | "buyingStation" | "tyreMaker" | "forestMonitor" | "certifier";

export type DemoMember = {
  key: DemoMemberKey;
  roles: RoleName[];
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** The member's metadata document (stored as evidence; its digest goes on chain). */
  document: { name: string; role: string; country: string; region: string };
};

const member = (key: DemoMemberKey, roles: RoleName[], country: string, name: string, role: string, region: string): DemoMember => ({
  key,
  roles,
  country,
  document: { name, role, country, region },
});

export const DEMO_MEMBERS: readonly DemoMember[] = [
  member("cooperative", ["cooperative"], "ID", "Koperasi Kakao Lestari Sulawesi", "cocoa farmers' cooperative", "Parigi Moutong, Sulawesi Tengah"),
  member("exporter", ["processor"], "ID", "PT Celebes Cocoa Export", "cocoa exporter", "Makassar, Sulawesi Selatan"),
  member("grinder", ["processor"], "MY", "Pasir Gudang Cocoa Processing Sdn Bhd", "cocoa grinder", "Pasir Gudang, Johor"),
  member("brand", ["brand"], "NL", "Zaanstreek Bean-to-Bar Chocolate B.V.", "chocolate maker", "Zaandam, Noord-Holland"),
  member("buyingStation", ["cooperative", "processor"], "TH", "Na Thawi Rubber Buying Station and Block Mill", "rubber buying station and TSR mill", "Na Thawi, Songkhla"),
  member("tyreMaker", ["brand"], "TH", "Siam Radial Tyre Co., Ltd.", "tyre maker", "Hat Yai, Songkhla"),
  member("forestMonitor", ["certifier"], "ID", "Nusantara Forest Monitoring", "deforestation-free verifier (satellite and field checks)", "Bogor, Jawa Barat"),
  member("certifier", ["certifier"], "MY", "Asia Sustainable Agriculture Certification", "farm and trade certification body", "Kuala Lumpur"),
];

/** A small deterministic generator (mulberry32): the same story on every machine. */
export function storyRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type District = { country: string; province: string; district: string; lat: number; lon: number };

/** Farming areas near the districts' real coordinates (inland from the towns, where the gardens are). */
export const COCOA_DISTRICTS: readonly District[] = [
  { country: "ID", province: "Sulawesi Tengah", district: "Parigi Moutong", lat: -0.82, lon: 120.12 },
  { country: "ID", province: "Sulawesi Tengah", district: "Poso", lat: -1.47, lon: 120.68 },
  { country: "ID", province: "Sulawesi Selatan", district: "Luwu Utara", lat: -2.6, lon: 120.3 },
];
export const RUBBER_DISTRICTS: readonly District[] = [
  { country: "TH", province: "Songkhla", district: "Hat Yai", lat: 6.95, lon: 100.4 },
  { country: "TH", province: "Songkhla", district: "Sadao", lat: 6.66, lon: 100.4 },
  { country: "TH", province: "Songkhla", district: "Na Thawi", lat: 6.73, lon: 100.66 },
];

const M_PER_DEGREE = 111_320;

/**
 * A farm plot: an irregular pentagon of about `hectares` around a point, as GeoJSON (closed ring,
 * counter-clockwise, longitude first).
 */
export function plotOutline(lat: number, lon: number, hectares: number, random: () => number): PlotGeometry {
  const corners = 5;
  // A regular pentagon of circumradius r has area (5/2) r² sin(72°).
  const radius = Math.sqrt((hectares * 10_000) / ((corners / 2) * Math.sin((2 * Math.PI) / corners)));
  const turn = random() * 2 * Math.PI;
  const ring: number[][] = [];
  for (let i = 0; i < corners; i++) {
    const angle = turn + (i * 2 * Math.PI) / corners + (random() - 0.5) * 0.3;
    const r = radius * (0.9 + random() * 0.2);
    const dLat = (r * Math.sin(angle)) / M_PER_DEGREE;
    const dLon = (r * Math.cos(angle)) / (M_PER_DEGREE * Math.cos((lat * Math.PI) / 180));
    ring.push([round6(lon + dLon), round6(lat + dLat)]);
  }
  ring.push([...ring[0]!]);
  return { type: "Polygon", coordinates: [ring] };
}

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * The outline moved east in 300 m steps until it overlaps none of the plots drawn before it: the
 * gateway refuses overlapping plots, and the demo's farmers each have their own. Moving draws no
 * random number, so the plots after it stay where they were.
 */
function clearOf(earlier: ReadonlyArray<{ geometry: PlotGeometry }>, outline: PlotGeometry): PlotGeometry {
  const overlaps = (geometry: PlotGeometry) =>
    earlier.some((plot) => overlapShare({ geometry: plot.geometry, areaM2: plotAreaM2(plot.geometry) }, { geometry, areaM2: plotAreaM2(geometry) }) > 0);
  let moved = outline as { type: "Polygon"; coordinates: number[][][] };
  while (overlaps(moved)) {
    moved = { type: "Polygon", coordinates: moved.coordinates.map((ring) => ring.map(([lon, lat]) => [round6(lon! + 300 / (M_PER_DEGREE * Math.cos((lat! * Math.PI) / 180))), lat!])) };
  }
  return moved;
}

export type DemoDelivery = {
  /** The cooperative's farmer reference (a member number; never shown in public). */
  farmerRef: string;
  district: District;
  geometry: PlotGeometry;
  /** The weigh ticket, stored as evidence; its digest is the delivery's metadata. */
  ticket: Record<string, string | number>;
  grams: bigint;
};

/** 40 deliveries of wet cocoa beans from farms in Parigi Moutong, Poso and Luwu Utara. */
export function cocoaDeliveries(): DemoDelivery[] {
  const random = storyRandom(2024_07);
  const perDistrict = [16, 14, 10];
  const deliveries: DemoDelivery[] = [];
  perDistrict.forEach((count, d) => {
    const district = COCOA_DISTRICTS[d]!;
    for (let i = 0; i < count; i++) {
      const n = deliveries.length + 1;
      const kg = Math.round(60 + random() * 260);
      const lat = district.lat + (random() - 0.5) * 0.06;
      const lon = district.lon + (random() - 0.5) * 0.06;
      deliveries.push({
        farmerRef: `KKLS-${String(100 + n * 7).padStart(4, "0")}`,
        district,
        geometry: clearOf(deliveries, plotOutline(lat, lon, 0.6 + random() * 2.2, random)),
        ticket: {
          document: "weigh ticket",
          ticket: `KKLS-WT-2026-${String(n).padStart(3, "0")}`,
          date: `2026-06-${String(2 + Math.floor((n - 1) / 2)).padStart(2, "0")}`,
          commodity: "cocoa wet beans",
          kg,
          moisture_pct: Math.round((52 + random() * 8) * 10) / 10,
          collection_point: district.district,
        },
        grams: BigInt(kg) * 1000n,
      });
    }
  });
  return deliveries;
}

/** 24 deliveries of cup lump from rubber smallholdings in Hat Yai, Sadao and Na Thawi (Songkhla). */
export function rubberDeliveries(): Array<DemoDelivery & { drcBps: number }> {
  const random = storyRandom(2025_03);
  const perDistrict = [10, 8, 6];
  const deliveries: Array<DemoDelivery & { drcBps: number }> = [];
  perDistrict.forEach((count, d) => {
    const district = RUBBER_DISTRICTS[d]!;
    for (let i = 0; i < count; i++) {
      const n = deliveries.length + 1;
      const kg = Math.round(40 + random() * 140);
      // Dry rubber content measured at the scale (a sample dried in the microwave), 50-62 %.
      const drcBps = Math.round(5_000 + random() * 1_200);
      const lat = district.lat + (random() - 0.5) * 0.05;
      const lon = district.lon + (random() - 0.5) * 0.05;
      deliveries.push({
        farmerRef: `NTR-${String(200 + n * 3).padStart(4, "0")}`,
        district,
        geometry: clearOf(deliveries, plotOutline(lat, lon, 0.6 + random() * 2.2, random)),
        ticket: {
          document: "weigh ticket",
          ticket: `NTR-WT-2026-${String(n).padStart(3, "0")}`,
          date: `2026-07-${String(1 + Math.floor((n - 1) / 3)).padStart(2, "0")}`,
          commodity: "rubber cup lump",
          kg,
          drc_pct: drcBps / 100,
          collection_point: district.district,
        },
        grams: BigInt(kg) * 1000n,
        drcBps,
      });
    }
  });
  return deliveries;
}

/** `grams * bps / 10000`, rounded down. */
export function share(grams: bigint, bps: number): bigint {
  return (grams * BigInt(bps)) / 10_000n;
}

/** A GTIN-13 from its first twelve digits and the computed check digit. */
export function gtin13(body12: string): string {
  return `${body12}${gtinCheckDigit(body12)}`;
}

/** The chocolate bar and the tyre batch the story ends with. */
export const DEMO_PRODUCTS = {
  chocolate: { gtin: gtin13("871234560012"), batch: "ZBB-2026-31", name: "Sulawesi 70% dark chocolate, 100 g" },
  tyre: { gtin: gtin13("885123456007"), batch: "SRT-26W30", name: "Siam Radial 205/55 R16, week 30 2026" },
} as const;
