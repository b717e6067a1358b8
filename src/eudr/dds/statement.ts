import type { FormSpec } from "../../lots/forms";
import type { DdsGap } from "./errors";
import type { UpstreamStatement } from "./ancestry";

/**
 * The due diligence statement (Regulation (EU) 2023/1115, Art. 4(2) and Annex II) as a JSON
 * document, `dds.schema.json` its shape. Pure: assembled from what `buildDds` gathered.
 */
export const DDS_FORMAT = "firstmile-dds/1";

export type DdsActivity = "import" | "export" | "domestic";

export type DdsEvidence = { uid: string; plotId: string; evidence: string; reportCid: string | null };

export type DdsStatement = {
  format: typeof DDS_FORMAT;
  partial: boolean;
  generatedAt: string;
  lot: { lotId: string; form: string };
  operator: { memberId: string; country: string };
  activity: DdsActivity;
  commodity: { hsCode: string; description: string; netMassKg: number };
  countriesOfProduction: string[];
  productionPeriod: { start: string; end: string } | null;
  referencedStatements: Array<{ referenceNumber: string; verificationNumber: string; lotId: string; memberId: string }>;
  deforestationEvidence: { scheme: { id: number; name: string; version: string }; cutOffDate: "2020-12-31"; attestations: DdsEvidence[] };
  geolocation: { files: string[]; split: boolean; plots: number; deliveries: number };
  missing: DdsGap[];
};

export type StatementParts = {
  lotId: string;
  form: FormSpec;
  grams: bigint;
  operator: { memberId: string; country: string };
  activity: DdsActivity;
  countries: readonly string[];
  mintedAt: ReadonlyArray<Date | null>;
  upstream: readonly UpstreamStatement[];
  scheme: { id: number; name: string; version: string };
  evidence: readonly DdsEvidence[];
  files: readonly string[];
  plots: number;
  deliveries: number;
  missing: readonly DdsGap[];
  now: Date;
};

export function ddsStatement(parts: StatementParts): DdsStatement {
  const days = parts.mintedAt.filter((date): date is Date => date !== null).map((date) => date.toISOString().slice(0, 10)).sort();
  const references = new Map<string, DdsStatement["referencedStatements"][number]>();
  for (const upstream of parts.upstream) {
    references.set(`${upstream.referenceNumber}/${upstream.verificationNumber}`, { ...upstream });
  }
  return {
    format: DDS_FORMAT,
    partial: parts.missing.length > 0,
    generatedAt: parts.now.toISOString(),
    lot: { lotId: parts.lotId, form: parts.form.key },
    operator: parts.operator,
    activity: parts.activity,
    commodity: {
      hsCode: parts.form.hsCode,
      description: `${parts.form.name} (${parts.form.commodity})`,
      // Kilograms to the gram: the statement's net mass.
      netMassKg: Number(parts.grams) / 1000,
    },
    countriesOfProduction: [...new Set(parts.countries)].sort(),
    productionPeriod: days.length === 0 ? null : { start: days[0]!, end: days.at(-1)! },
    referencedStatements: [...references.values()],
    deforestationEvidence: { scheme: parts.scheme, cutOffDate: "2020-12-31", attestations: [...parts.evidence] },
    geolocation: { files: [...parts.files], split: parts.files.length > 1, plots: parts.plots, deliveries: parts.deliveries },
    missing: [...parts.missing],
  };
}

/** Member states of the EU (ISO 3166-1 alpha-2): an operator there imports, one elsewhere exports. */
export const EU_COUNTRIES: ReadonlySet<string> = new Set([
  "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
]);
