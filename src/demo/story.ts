import type { RoleName } from "../membership/roles";
import type { MemberKind } from "../membership/kinds";
import type { PlotGeometry } from "../origins";
import { gtinCheckDigit } from "../products";

/**
 * The demo's cast, places, dates and numbers, as data: who the members are, where the farmers'
 * plots lie, what each delivery weighed, when each box was filled and each lot moved. Pure and
 * deterministic (a seeded generator, fixed dates), so seeding again produces the same documents,
 * the same evidence CIDs and the same requests.
 *
 * The story, as a buyer in Sulawesi or a dealer in Songkhla would tell it:
 * - Cocoa, main crop (panen raya) of June 2026. Three cooperatives, each in its own district, buy
 *   their members' wet beans and ferment them the same day: one box holds one day's beans. Five
 *   days in the box, eight on the drying floor, down to at most 7.5 % moisture. Each cooperative
 *   trucks its dried beans to an exporter in Makassar, which grades them SNI 2323 Mutu I (size
 *   class A) and ships them to a grinder in Johor. The grinder makes liquor and presses most of it
 *   into butter and cake; a chocolate company in the Netherlands buys the rest of the liquor and
 *   makes a 70 % bar in November: five months from harvest to bar.
 * - Rubber, July 2026. Smallholders in Songkhla sell cup lump to a buying station (a dealer, not
 *   a cooperative, although it holds the role that mints deliveries); the week's lump goes by
 *   truck to a block rubber factory in Hat Yai, whose STR 20 goes to a tyre maker in Rayong on the
 *   Eastern Seaboard.
 */

/** Cocoa cooperatives, one per district. */
export type CocoaCooperativeKey = "parigiCooperative" | "posoCooperative" | "luwuCooperative";

export type DemoMemberKey = CocoaCooperativeKey | "exporter" | "grinder" | "brand" | "buyingStation" | "blockMill" | "tyreMaker" | "forestMonitor" | "certifier";

export type DemoMember = {
  key: DemoMemberKey;
  roles: RoleName[];
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** The member's metadata document (stored as evidence; its digest goes on chain). `kind` is what pages call it. */
  document: { name: string; kind: MemberKind; role: string; country: string; region: string };
};

const member = (key: DemoMemberKey, roles: RoleName[], country: string, name: string, kind: MemberKind, role: string, region: string): DemoMember => ({
  key,
  roles,
  country,
  document: { name, kind, role, country, region },
});

export const DEMO_MEMBERS: readonly DemoMember[] = [
  member("parigiCooperative", ["cooperative"], "ID", "Koperasi Tani Kakao Tinombo Lestari", "cooperative", "cocoa farmers' cooperative: buys its members' wet beans, ferments and sun-dries them", "Tinombo, Parigi Moutong, Sulawesi Tengah"),
  member("posoCooperative", ["cooperative"], "ID", "Koperasi Produsen Kakao Pamona Bersatu", "cooperative", "cocoa farmers' cooperative: buys its members' wet beans, ferments and sun-dries them", "Pamona Selatan, Poso, Sulawesi Tengah"),
  member("luwuCooperative", ["cooperative"], "ID", "Koperasi Kakao Masamba Sejahtera", "cooperative", "cocoa farmers' cooperative: buys its members' wet beans, ferments and sun-dries them", "Masamba, Luwu Utara, Sulawesi Selatan"),
  member("exporter", ["processor"], "ID", "PT Celebes Cocoa Export", "exporter", "cocoa bean exporter: grades (SNI 2323), bags and ships dry beans", "Makassar, Sulawesi Selatan"),
  member("grinder", ["processor"], "MY", "Pasir Gudang Cocoa Processing Sdn Bhd", "cocoa-grinder", "cocoa grinder: liquor, butter and cake", "Pasir Gudang, Johor"),
  member("brand", ["brand"], "NL", "Zaanstreek Chocolate Company B.V.", "chocolate-maker", "chocolate maker: buys cocoa liquor from grinders", "Zaandam, Noord-Holland"),
  member("buyingStation", ["cooperative"], "TH", "Na Thawi Rubber Buying Station", "buying-station", "rubber dealer: buys cup lump from smallholders and sells it to block rubber factories", "Na Thawi, Songkhla"),
  member("blockMill", ["processor"], "TH", "Songkhla Block Rubber Co., Ltd.", "block-rubber-factory", "block rubber factory: STR 20 from cup lump", "Khuan Lang, Hat Yai, Songkhla"),
  member("tyreMaker", ["brand"], "TH", "Siam Radial Tyre Co., Ltd.", "tyre-maker", "tyre maker", "Pluak Daeng, Rayong"),
  member("forestMonitor", ["certifier"], "ID", "Nusantara Forest Monitoring", "forest-monitor", "forest-loss checks of farm plots (satellite change detection, field visits)", "Bogor, Jawa Barat"),
  member("certifier", ["certifier"], "MY", "Asia Sustainable Agriculture Certification", "certification-body", "farm and trade certification body", "Kuala Lumpur"),
];

export function demoMember(key: DemoMemberKey): DemoMember {
  return DEMO_MEMBERS.find((candidate) => candidate.key === key)!;
}

/**
 * The catalogue forms (src/lots/forms.ts) the story's lots are recorded as, by key: the one place
 * to change when the catalogue changes. The cooperatives' beans are fermented ("cocoa-dry-beans";
 * unfermented asalan beans are a form of their own), and pressing gives cake, not powder.
 */
export const DEMO_FORM_KEYS = {
  wetBeans: "cocoa-wet-beans",
  fermentedDryBeans: "cocoa-dry-beans",
  nibs: "cocoa-nibs",
  liquor: "cocoa-liquor",
  butter: "cocoa-butter",
  pressCake: "cocoa-cake",
  chocolate: "chocolate",
  cupLump: "rubber-cup-lump",
  tsr20: "rubber-tsr20",
} as const;

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

/** `date` (YYYY-MM-DD) plus `days`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
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

export type CocoaCooperative = {
  key: CocoaCooperativeKey;
  district: District;
  /** The cooperative's prefix on farmer numbers, tickets and boxes. */
  prefix: string;
  /** The first harvest day it buys wet beans in the story. */
  firstDay: string;
  /** How many deliveries it buys on each harvest day from `firstDay`: one fermentation box a day. */
  perDay: readonly number[];
};

export const COCOA_COOPERATIVES: readonly CocoaCooperative[] = [
  { key: "parigiCooperative", district: COCOA_DISTRICTS[0]!, prefix: "KTL", firstDay: "2026-06-08", perDay: [4, 4, 4, 4] },
  { key: "posoCooperative", district: COCOA_DISTRICTS[1]!, prefix: "KPB", firstDay: "2026-06-09", perDay: [4, 4, 3, 3] },
  { key: "luwuCooperative", district: COCOA_DISTRICTS[2]!, prefix: "KMS", firstDay: "2026-06-15", perDay: [4, 3, 3] },
];

export function cocoaCooperative(key: CocoaCooperativeKey): CocoaCooperative {
  return COCOA_COOPERATIVES.find((candidate) => candidate.key === key)!;
}

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
const round1 = (value: number) => Math.round(value * 10) / 10;

export type DemoDelivery = {
  /** The buyer's farmer reference (a member number; never shown in public). */
  farmerRef: string;
  district: District;
  geometry: PlotGeometry;
  /** The day the farmer delivered (YYYY-MM-DD). */
  date: string;
  /** The weigh ticket, stored as evidence; its digest is the delivery's metadata. */
  ticket: Record<string, string | number>;
  grams: bigint;
};

export type CocoaDelivery = DemoDelivery & { cooperative: CocoaCooperativeKey };

/** The season the story's cocoa is harvested in: Sulawesi's main crop, which peaks in June. */
export const COCOA_SEASON = "2026 main crop (panen raya)";

/**
 * 40 deliveries of wet cocoa beans in the June main crop: each cooperative buys from farms in its
 * own district (Parigi Moutong, Poso, Luwu Utara), a few farmers a day, 50 to 250 kg each.
 */
export function cocoaDeliveries(): CocoaDelivery[] {
  const random = storyRandom(2026_06);
  const deliveries: CocoaDelivery[] = [];
  for (const cooperative of COCOA_COOPERATIVES) {
    const { district, prefix } = cooperative;
    let n = 0;
    cooperative.perDay.forEach((count, day) => {
      const date = addDays(cooperative.firstDay, day);
      for (let i = 0; i < count; i++) {
        n += 1;
        const kg = Math.round(50 + random() * 200);
        const lat = district.lat + (random() - 0.5) * 0.06;
        const lon = district.lon + (random() - 0.5) * 0.06;
        deliveries.push({
          cooperative: cooperative.key,
          farmerRef: `${prefix}-${String(100 + n * 7).padStart(4, "0")}`,
          district,
          date,
          geometry: plotOutline(lat, lon, 0.6 + random() * 2.2, random),
          ticket: {
            document: "weigh ticket",
            ticket: `${prefix}-WT-2026-${String(n).padStart(3, "0")}`,
            date,
            commodity: "cocoa wet beans (biji kakao basah)",
            season: COCOA_SEASON,
            kg,
            collection_point: district.district,
          },
          grams: BigInt(kg) * 1000n,
        });
      }
    });
  }
  return deliveries;
}

/**
 * One more Parigi Moutong delivery, from a plot on the forest edge whose farmer cleared forest to
 * extend it in 2023. The forest monitor's check finds the loss, so the plot gets no attestation and
 * the delivery is minted without the EUDR claim; the cooperative keeps it out of the fermentation
 * boxes that go to export (it may still sell it where the regulation does not apply).
 */
export function heldBackCocoaDelivery(): CocoaDelivery {
  const cooperative = COCOA_COOPERATIVES[0]!;
  const { district, prefix } = cooperative;
  const random = storyRandom(2026_0611);
  const date = addDays(cooperative.firstDay, 2);
  const kg = 140;
  return {
    cooperative: cooperative.key,
    farmerRef: `${prefix}-0903`,
    district,
    date,
    geometry: plotOutline(district.lat + 0.027, district.lon - 0.026, 1.8, random),
    ticket: {
      document: "weigh ticket",
      ticket: `${prefix}-WT-2026-090`,
      date,
      commodity: "cocoa wet beans (biji kakao basah)",
      season: COCOA_SEASON,
      kg,
      collection_point: district.district,
      note: "held back from the export boxes: plot under forest-loss review",
    },
    grams: BigInt(kg) * 1000n,
  };
}

/** The most wet beans one fermentation box takes (a 1 m³ wooden box): a day's buying fills at most one. */
export const FERMENTATION_BOX_KG = 1_000;
/** Days in the box (turned after two and four days) and on the drying floor. */
export const FERMENTATION_DAYS = 5;
export const DRYING_DAYS = 8;

/** SNI 2323:2008 for cocoa beans: Mutu I needs at most 7.5 % moisture; size class A at most 100 beans per 100 g. */
export const SNI_MUTU_I = { maxMoisturePct: 7.5, sizeClassAMaxBeansPer100g: 100 } as const;

export type FermentationBox = {
  cooperative: CocoaCooperativeKey;
  /** The box's label, e.g. KTL-F0608. */
  box: string;
  /** Indexes into `cocoaDeliveries()`: one day's wet beans from the cooperative's district. */
  deliveries: number[];
  filled: string;
  wetGrams: bigint;
  /** Dry beans out per wet bean in, basis points (about 36-40 %). */
  yieldBps: number;
  driedOn: string;
  /** Measured when the beans leave the drying floor: at most SNI Mutu I's 7.5 %. */
  finalMoisturePct: number;
};

/** The boxes the cooperatives fill: one per cooperative and harvest day, filled the day the beans were bought. */
export function fermentationBoxes(deliveries: readonly CocoaDelivery[] = cocoaDeliveries()): FermentationBox[] {
  const random = storyRandom(2026_0608);
  const boxes = new Map<string, FermentationBox>();
  deliveries.forEach((delivery, index) => {
    const id = `${cocoaCooperative(delivery.cooperative).prefix}-F${delivery.date.slice(5, 7)}${delivery.date.slice(8, 10)}`;
    let box = boxes.get(id);
    if (!box) {
      box = {
        cooperative: delivery.cooperative,
        box: id,
        deliveries: [],
        filled: delivery.date,
        wetGrams: 0n,
        yieldBps: 3_650 + Math.round(random() * 300),
        driedOn: addDays(delivery.date, FERMENTATION_DAYS + DRYING_DAYS),
        finalMoisturePct: round1(6.6 + random() * 0.8),
      };
      boxes.set(id, box);
    }
    box.deliveries.push(index);
    box.wetGrams += delivery.grams;
  });
  return [...boxes.values()];
}

/**
 * When each cocoa lot moved after the boxes (YYYY-MM-DD): what the documents of the story say.
 * About five months from the first harvest day to the bar.
 */
export const COCOA_TIMELINE = {
  /** Each cooperative's truck of dry beans weighed in at the exporter's warehouse in Makassar. */
  atExporter: { parigiCooperative: "2026-06-29", posoCooperative: "2026-06-30", luwuCooperative: "2026-07-03" } satisfies Record<CocoaCooperativeKey, string>,
  graded: "2026-07-10",
  shipped: "2026-07-20",
  atGrinder: "2026-08-04",
  roasted: "2026-08-25",
  ground: "2026-08-26",
  pressed: "2026-08-27",
  liquorShipped: "2026-09-08",
  atChocolateMaker: "2026-10-15",
  conched: "2026-11-10",
} as const;

/** The exporter's grading of the export lot (SNI 2323:2008), re-measured at its warehouse. */
export const EXPORT_GRADING = {
  standard: "SNI 2323:2008",
  grade: "Mutu I",
  size_class: "A",
  beans_per_100g: 96,
  moisture_pct: 7.1,
  fermented: true,
  mouldy_pct: 1.4,
  slaty_pct: 2.2,
  insect_damaged_pct: 0.6,
  waste_pct: 0.8,
  bag_kg: 62.5,
} as const;

/** 24 deliveries of cup lump at the buying station in July, from smallholdings in Hat Yai, Sadao and Na Thawi. */
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
      const date = `2026-07-${String(1 + Math.floor((n - 1) / 3)).padStart(2, "0")}`;
      deliveries.push({
        farmerRef: `NTR-${String(200 + n * 3).padStart(4, "0")}`,
        district,
        date,
        geometry: plotOutline(lat, lon, 0.6 + random() * 2.2, random),
        ticket: {
          document: "weigh ticket",
          ticket: `NTR-WT-2026-${String(n).padStart(3, "0")}`,
          date,
          commodity: "rubber cup lump (ยางก้อนถ้วย)",
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

/** When the rubber moved (YYYY-MM-DD). */
export const RUBBER_TIMELINE = {
  /** The week's cup lump, trucked from the buying station and weighed in at the factory. */
  atFactory: "2026-07-09",
  milled: "2026-07-13",
  /** STR 20 by truck from Hat Yai to the tyre plant in Rayong. */
  atTyreMaker: "2026-07-21",
} as const;

/**
 * The rubber's weights: the factory weighs the truck in 4.5 % lighter than the station's tickets
 * (lump loses water over a week in storage), and its block weighs the lump's dry rubber less 1.5 %
 * lost in washing and drying.
 */
export const RUBBER_FIGURES = { weighInBps: 9_550, millRecoveryBps: 9_850 } as const;

/** `grams * bps / 10000`, rounded down. */
export function share(grams: bigint, bps: number): bigint {
  return (grams * BigInt(bps)) / 10_000n;
}

/** A GTIN-13 from its first twelve digits and the computed check digit. */
export function gtin13(body12: string): string {
  return `${body12}${gtinCheckDigit(body12)}`;
}

/** The chocolate bar (made in week 46, November 2026) and the tyre batch (week 35) the story ends with. */
export const DEMO_PRODUCTS = {
  chocolate: { gtin: gtin13("871234560012"), batch: "ZCC-2026-46", name: "Sulawesi 70% dark chocolate, 100 g", made: COCOA_TIMELINE.conched },
  tyre: { gtin: gtin13("885123456007"), batch: "SRT-26W35", name: "Siam Radial 205/55 R16, week 35 2026", made: "2026-08-25" },
} as const;
