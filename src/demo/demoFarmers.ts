import { createHash } from "node:crypto";
import { CROCKFORD_ALPHABET, farmerCodeCheckSymbol, formatFarmerCode, type ConsentMethod, type ConsentScope, type FarmerCreateInput } from "../farmers";
import { storyRandom } from "./story";

/**
 * The demo's farmers, as data: one per delivery's farmer reference, with a name, gender,
 * household and village of the delivery's district, the card code printed for them (derived from
 * the reference, so a second seed finds the same farmer) and the consents they gave. Invented
 * people: the names are common ones of the region, the phone numbers are not real.
 */
export type DemoFarmer = {
  farmerRef: string;
  farmer: FarmerCreateInput & { code: string };
  consents: Array<{ scope: ConsentScope; method: ConsentMethod; witness?: string }>;
  /** Scopes the farmer later withdrew (the withdrawal is recorded after the consent). */
  withdrawn: ConsentScope[];
};

type Region = "sulawesi" | "songkhla";

const NAMES: Record<Region, { female: string[]; male: string[]; family: string[] }> = {
  sulawesi: {
    female: ["Siti", "Nurhayati", "Hasnah", "Rahmawati", "Sitti", "Marlina", "Nurlia", "Herlina", "Fatmawati", "Yuliana"],
    male: ["Ahmad", "Muhammad", "Andi", "Baharuddin", "Syamsul", "Lukman", "Rahman", "Jufri", "Ismail", "Yohanis", "Daniel", "Arifin"],
    family: ["Lamba", "Tandi", "Pasolang", "Rante", "Lapanda", "Masulili", "Tumakaka", "Daeng", "Lawira", "Kadir"],
  },
  songkhla: {
    female: ["Somsri", "Malee", "Kanya", "Pranee", "Wilai", "Suda", "Ratana", "Nittaya", "Aminah", "Rohana"],
    male: ["Somchai", "Prasit", "Anan", "Surachai", "Wichai", "Sakda", "Abdullah", "Ismael", "Boonmee", "Chaiwat", "Ya-ko"],
    family: ["Saelim", "Kaewmanee", "Thongdee", "Sukkasem", "Doloh", "Jehsoh", "Chaiyarat", "Rattanakul", "Sengsri", "Mahamad"],
  },
};

const VILLAGES: Record<string, string[]> = {
  "Parigi Moutong": ["Desa Tolai", "Desa Sausu Trans", "Desa Olaya", "Desa Kasimbar"],
  Poso: ["Desa Tangkura", "Desa Masani", "Desa Tambarana"],
  "Luwu Utara": ["Desa Baebunta", "Desa Sabbang", "Desa Meli"],
  "Hat Yai": ["Ban Phru", "Khlong Hae", "Ban Phru Tai"],
  Sadao: ["Samnak Kham", "Padang Besar", "Prik"],
  "Na Thawi": ["Ban Na Thawi", "Prakob", "Khlong Kwang"],
};

/** A card code for a farmer reference: seven symbols from its hash, and the check symbol. */
export function demoFarmerCode(farmerRef: string): string {
  const digest = createHash("sha256").update(`demo card ${farmerRef}`).digest();
  const data = [...digest.subarray(0, 7)].map((byte) => CROCKFORD_ALPHABET[byte & 31]).join("");
  return formatFarmerCode(data + farmerCodeCheckSymbol(data));
}

/** The farmers behind `deliveries` (one per distinct reference, in delivery order). */
export function demoFarmers(deliveries: ReadonlyArray<{ farmerRef: string; district: { district: string } }>, region: Region): DemoFarmer[] {
  const random = storyRandom(region === "sulawesi" ? 2024_11 : 2025_11);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const seen = new Set<string>();
  const farmers: DemoFarmer[] = [];
  for (const delivery of deliveries) {
    if (seen.has(delivery.farmerRef)) continue;
    seen.add(delivery.farmerRef);
    const names = NAMES[region];
    const female = random() < (region === "sulawesi" ? 0.3 : 0.4);
    const householdSize = 2 + Math.floor(random() * 7);
    const phoneDigits = Array.from({ length: 8 }, () => Math.floor(random() * 10)).join("");
    const index = farmers.length;
    farmers.push({
      farmerRef: delivery.farmerRef,
      farmer: {
        name: `${pick(female ? names.female : names.male)} ${pick(names.family)}`,
        phone: region === "sulawesi" ? `+62 852 ${phoneDigits}` : `+66 81 ${phoneDigits}`,
        gender: female ? "female" : "male",
        birthYear: 1956 + Math.floor(random() * 42),
        householdSize,
        femaleHeadedHousehold: female && random() < 0.6,
        village: pick(VILLAGES[delivery.district.district] ?? [delivery.district.district]),
        language: region === "sulawesi" ? "id" : "th",
        code: demoFarmerCode(delivery.farmerRef),
      },
      // Everyone agreed to traceability at the weighing station; most also to be named in an EUDR
      // statement and to payments; one farmer in ten (the fourth, fourteenth...) withdrew the name.
      consents: [
        index % 3 === 0 ? { scope: "traceability", method: "witnessed-verbal", witness: region === "sulawesi" ? "Kepala Desa (village head)" : "Phu Yai Ban (village head)" } : { scope: "traceability", method: "thumbprint" },
        ...(index % 5 === 2 ? [] : [{ scope: "eudr-statement-with-name" as const, method: "thumbprint" as const }]),
        { scope: "payments", method: "thumbprint" },
      ],
      withdrawn: index % 10 === 3 ? ["eudr-statement-with-name"] : [],
    });
  }
  return farmers;
}
