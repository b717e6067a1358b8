import { formatMinor, type CurrencyCode } from "./currency";
import { convertTotal, ratesNote, type ExchangeRates } from "./exchangeRates";
import { MIN_PUBLIC_HOUSEHOLDS } from "../privacy/householdThreshold";

/**
 * The living-income gap of a cooperative's farmer households (ISEAL / Anker methodology): the
 * year's income from recorded payments plus other income the household declared, against the
 * benchmark for its region and size. Pure: the route gathers the inputs. Only aggregates over at
 * least 5 households are reported; a smaller group is named as such and shows no figure.
 */
export type LivingIncomeBenchmark = {
  region: string;
  householdSize: number;
  currency: CurrencyCode;
  /** Annual income a household of this size needs, minor units. */
  annual: bigint;
  source: string;
  year: number;
  /** A generated example, not a published benchmark. */
  example: boolean;
};

/**
 * Shipped with the demo. No public Anker benchmark is known to us for these regions and sizes, so
 * these are generated examples, clearly marked: a cooperative records its own with their source.
 */
export const EXAMPLE_BENCHMARKS: readonly LivingIncomeBenchmark[] = [
  ...[3, 4, 5, 6].map((size) => ({
    region: "sulawesi-tengah",
    householdSize: size,
    currency: "IDR" as const,
    // 11 million rupiah a person a year, plus a household share: an example only.
    annual: BigInt(20_000_000 + size * 11_000_000) * 100n,
    source: "example figure generated for the firstmile demo (not a published living-income benchmark)",
    year: 2026,
    example: true,
  })),
  ...[3, 4, 5, 6].map((size) => ({
    region: "surat-thani",
    householdSize: size,
    currency: "THB" as const,
    annual: BigInt(60_000 + size * 35_000) * 100n,
    source: "example figure generated for the firstmile demo (not a published living-income benchmark)",
    year: 2026,
    example: true,
  })),
];

export type Household = {
  /** The farmer's pseudonym: never a name. */
  pseudonym: string;
  householdSize: number | null;
  femaleHeaded: boolean | null;
  /** Net payments received in the year, in the benchmark's currency. */
  paid: bigint;
  /** Other income declared for the year, same currency. */
  declared: bigint;
};

/** Income as a share of the benchmark, in buckets: below 25 %, 25-50 %, 50-75 %, 75-100 %, at or above. */
export const GAP_BUCKETS = ["<25%", "25-50%", "50-75%", "75-100%", ">=100%"] as const;

export type GroupReport = {
  group: "all" | "female-headed" | "male-headed" | "head-unknown";
  households: number;
  /** Null (with `fewerThan5`) when the group has fewer than 5 households. */
  fewerThan5: boolean;
  shareAboveBps: number | null;
  medianGap: bigint | null;
  meanIncome: bigint | null;
  /** The group's income in all (recorded payments and declared income). */
  totalIncome: bigint | null;
  buckets: number[] | null;
};

/** A group's totals in the display currency of the gateway's exchange rates (each rounded once). */
export type ConvertedGroup = { group: GroupReport["group"]; totalIncome: bigint | null; meanIncome: bigint | null; medianGap: bigint | null };

export type LivingIncomeReport = {
  year: number;
  region: string;
  currency: CurrencyCode;
  benchmarks: LivingIncomeBenchmark[];
  groups: GroupReport[];
  /** The groups' totals also in one display currency, with the rates' source and day (`example`: not market rates); null without rates. */
  converted: (ReturnType<typeof ratesNote> & { groups: ConvertedGroup[] }) | null;
};

/** The benchmark of a household's size (the nearest size listed; ties to the larger). */
export function benchmarkFor(benchmarks: readonly LivingIncomeBenchmark[], size: number | null): LivingIncomeBenchmark {
  const wanted = size ?? 4;
  return [...benchmarks].sort((a, b) => Math.abs(a.householdSize - wanted) - Math.abs(b.householdSize - wanted) || b.householdSize - a.householdSize)[0]!;
}

export function livingIncomeReport(
  year: number,
  region: string,
  benchmarks: readonly LivingIncomeBenchmark[],
  households: readonly Household[],
  rates: ExchangeRates | null = null,
): LivingIncomeReport {
  if (benchmarks.length === 0) throw new RangeError(`no living-income benchmark for region ${region}`);
  const rows = households.map((h) => {
    const benchmark = benchmarkFor(benchmarks, h.householdSize);
    const income = h.paid + h.declared;
    return { ...h, benchmark: benchmark.annual, income, gap: benchmark.annual - income };
  });
  const group = (name: GroupReport["group"], members: typeof rows): GroupReport => {
    if (members.length < MIN_PUBLIC_HOUSEHOLDS) return { group: name, households: 0, fewerThan5: true, shareAboveBps: null, medianGap: null, meanIncome: null, totalIncome: null, buckets: null };
    const above = members.filter((r) => r.gap <= 0n).length;
    const gaps = members.map((r) => r.gap).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const mid = Math.floor(gaps.length / 2);
    const medianGap = gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2n;
    const buckets = [0, 0, 0, 0, 0];
    for (const r of members) {
      const percent = Number((r.income * 100n) / r.benchmark);
      buckets[percent >= 100 ? 4 : Math.floor(percent / 25)]! += 1;
    }
    return {
      group: name,
      households: members.length,
      fewerThan5: false,
      shareAboveBps: Math.round((above * 10_000) / members.length),
      medianGap,
      meanIncome: members.reduce((sum, r) => sum + r.income, 0n) / BigInt(members.length),
      totalIncome: members.reduce((sum, r) => sum + r.income, 0n),
      buckets,
    };
  };
  const currency = benchmarks[0]!.currency;
  const groups = [
    group("all", rows),
    group("female-headed", rows.filter((r) => r.femaleHeaded === true)),
    group("male-headed", rows.filter((r) => r.femaleHeaded === false)),
    group("head-unknown", rows.filter((r) => r.femaleHeaded === null)),
  ];
  const convert = (amount: bigint | null) => (amount === null || !rates ? null : convertTotal(rates, [{ currency, amount }]).amount);
  return {
    year,
    region,
    currency,
    benchmarks: [...benchmarks],
    groups,
    converted: rates
      ? { ...ratesNote(rates), groups: groups.map((g) => ({ group: g.group, totalIncome: convert(g.totalIncome), meanIncome: convert(g.meanIncome), medianGap: convert(g.medianGap) })) }
      : null,
  };
}

/** How a report names the rates it converted with (EXAMPLE RATES when they are the demo's). */
function ratesLine(converted: NonNullable<LivingIncomeReport["converted"]>): string {
  return `rates to ${converted.currency} of ${converted.date} (${converted.source})${converted.example ? ", EXAMPLE RATES, not market rates" : ""}`;
}

/** The report as CSV: one row per group, aggregates only; a spreadsheet formula cannot start a cell. */
export function livingIncomeCsv(report: LivingIncomeReport): string {
  const header = ["year", "region", "currency", "group", "households", "share_above_benchmark_percent", "median_gap", "mean_income", ...GAP_BUCKETS.map((b) => `income_${b}_of_benchmark`)];
  const c = report.converted;
  if (c) header.push("total_income", `total_income_${c.currency}`, `mean_income_${c.currency}`, `median_gap_${c.currency}`, "exchange_rates");
  const money = (amount: bigint | null, currency: string) => (amount === null ? "" : formatMinor(amount, currency));
  const lines = report.groups.map((g, i) =>
    [
      report.year,
      report.region,
      report.currency,
      g.group,
      g.fewerThan5 ? "fewer than 5" : g.households,
      g.shareAboveBps === null ? "" : (g.shareAboveBps / 100).toFixed(2),
      g.medianGap === null ? "" : formatMinor(g.medianGap, report.currency),
      g.meanIncome === null ? "" : formatMinor(g.meanIncome, report.currency),
      ...(g.buckets ?? GAP_BUCKETS.map(() => "")),
      ...(c
        ? [money(g.totalIncome, report.currency), money(c.groups[i]!.totalIncome, c.currency), money(c.groups[i]!.meanIncome, c.currency), money(c.groups[i]!.medianGap, c.currency), `"${ratesLine(c).replace(/"/g, "'")}"`]
        : []),
    ]
      .map((cell) => String(cell).replace(/^[=+\-@]/, "'$&"))
      .join(","),
  );
  return [header.join(","), ...lines].join("\n") + "\n";
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The report as a page with one SVG bar chart per group that has at least 5 households. */
export function livingIncomeHtml(report: LivingIncomeReport): string {
  const c = report.converted;
  const converted = (g: GroupReport) => {
    const row = c?.groups.find((x) => x.group === g.group);
    if (!c || !row) return "";
    const money = (amount: bigint | null) => (amount === null ? "-" : `${escape(formatMinor(amount, c.currency))} ${c.currency}`);
    return `<p class="converted">In all: ${escape(formatMinor(g.totalIncome!, report.currency))} ${report.currency}, about ${money(row.totalIncome)}; mean income about ${money(row.meanIncome)}, median gap about ${money(row.medianGap)} (${escape(ratesLine(c))}).${c.example ? " <b>EXAMPLE RATES</b>" : ""}</p>\n`;
  };
  const sections = report.groups.map((g) => {
    if (g.fewerThan5) return `<section><h2>${escape(g.group)}</h2><p>Fewer than 5 households: no figures are shown.</p></section>`;
    const max = Math.max(...g.buckets!, 1);
    const bars = g.buckets!
      .map((count, i) => {
        const height = Math.round((count / max) * 120);
        return `<rect x="${20 + i * 70}" y="${140 - height}" width="50" height="${height}" fill="${i === 4 ? "#2e7d32" : "#c62828"}"/><text x="${45 + i * 70}" y="${135 - height}" text-anchor="middle" font-size="12">${count}</text><text x="${45 + i * 70}" y="158" text-anchor="middle" font-size="11">${escape(GAP_BUCKETS[i]!)}</text>`;
      })
      .join("");
    return `<section><h2>${escape(g.group)}: ${g.households} households</h2>
<p>Above the benchmark: ${(g.shareAboveBps! / 100).toFixed(1)} %. Median gap: ${escape(formatMinor(g.medianGap!, report.currency))} ${report.currency} a year. Mean income: ${escape(formatMinor(g.meanIncome!, report.currency))} ${report.currency}.</p>
${converted(g)}<svg xmlns="http://www.w3.org/2000/svg" width="380" height="170" role="img" aria-label="households by income as a share of the benchmark">${bars}</svg></section>`;
  });
  const benchmarks = report.benchmarks
    .map((b) => `<li>${escape(b.region)}, household of ${b.householdSize}: ${escape(formatMinor(b.annual, b.currency))} ${b.currency} a year (${b.year}; ${escape(b.source)})${b.example ? " <b>EXAMPLE FIGURE</b>" : ""}</li>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Living income ${report.year}</title></head><body><main>
<h1>Living income ${report.year}: ${escape(report.region)}</h1>
<p>Income from recorded payments in ${report.year} plus other income households declared, against the living-income benchmark for the household's size. Only groups of at least 5 households are shown.</p>
${sections.join("\n")}
<h2>Benchmarks</h2><ul>${benchmarks}</ul></main></body></html>`;
}
