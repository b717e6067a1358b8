/**
 * Onboarding a cooperative: 10,000 farmers, then their 10,000 plots, imported from CSV files on
 * the embedded default (PGlite on its worker thread, the keystore sealing every personal field,
 * the plot registry's overlap index), end to end through reading, validation, overlap checks and
 * SQL. Plots are generated around real districts of Sulawesi and southern Thailand (bench/importData.ts).
 *
 * Figures:
 * - rows_per_s: farmers and plots rows per second, both imports together (target: at least 2,000)
 * - rows_per_cpu_s: the same per CPU second of the process (both threads), with load_average_1m and
 *   cpus: on a machine busy with other work, wall time measures the neighbours
 * - farmers_rows_per_s, plots_rows_per_s: each import alone
 * - overlap_check_p50_ms, overlap_check_p99_ms: one plot's overlap check against the index
 * - scan_overlap_check_p99_ms: the same checks by a full scan of every plot (the baseline, measured
 *   in the same run on the same plots), and overlap_index_speedup: scan p99 / index p99
 * - single_rows_per_s: plots registered one call at a time (the POST /v1/plots path) for a sample,
 *   and bulk_vs_single: plots_rows_per_s / single_rows_per_s
 *
 * Run: npm run bench:import   (IMPORT_BENCH_ROWS to change the 10,000; prints a table, writes
 * bench/out/import.json; never fails on figures)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openKeystore } from "../src/chain/keystore";
import { useNativeKeccak } from "../src/chain/nativeKeccak";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db";
import { evidenceLimitsFrom, evidenceStoreConfig, openEvidenceStore } from "../src/evidence";
import { runImport, type ImportReport } from "../src/imports";
import { readOutline } from "../src/imports/geometryText";
import { DeliveryCapacity, PlotRegistry, boundsOf, overlapShare, plotAreaM2, type PlotGeometry } from "../src/origins";
import { generateOnboarding } from "./importData";
import { printTable, writeFigures } from "./report";

const ROWS = Number(process.env.IMPORT_BENCH_ROWS ?? 10_000);
const MEMBER = 3n;
const SINGLE_SAMPLE = 300;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;

async function main(): Promise<void> {
  const parent = process.env.IMPORT_BENCH_DIR ?? path.join(__dirname, "out");
  fs.mkdirSync(parent, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(parent, "import-bench-"));
  const config = loadConfig({ env: { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_LOG_LEVEL: "silent" }, cwd: dataDir });
  const files = generateOnboarding(ROWS);
  // As the gateway and `firstmile import` do.
  useNativeKeccak();
  const { db } = await openDatabase({ config: config.database });
  const { keystore } = await openKeystore({ db, config: config.keystore });
  const evidence = await openEvidenceStore(evidenceStoreConfig(config), evidenceLimitsFrom(config));
  const checks: number[] = [];
  try {
    const plots = await PlotRegistry.load(db, { ...config.plots, onOverlapCheck: (ms) => checks.push(ms) });
    const context = { db, plots, capacity: new DeliveryCapacity(db, plots), sealer: keystore.records, evidence, maxAttempts: 10, maxBytes: config.imports.maxBytes };
    const timed = async (kind: "farmers" | "plots", text: string): Promise<{ report: ImportReport; ms: number; cpuMs: number }> => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const report = await runImport(context, { memberId: MEMBER, kind, file: Buffer.from(text), dryRun: false });
      const used = process.cpuUsage(cpu);
      return { report, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
    };
    const farmers = await timed("farmers", files.farmers);
    const plotsRun = await timed("plots", files.plots);
    const totalRows = farmers.report.rows + plotsRun.report.rows;
    const rowsPerS = totalRows / ((farmers.ms + plotsRun.ms) / 1000);
    // CPU seconds of both threads (the gateway's and PGlite's): on a machine where other work takes
    // the cores, wall time says more about the neighbours than about the import.
    const rowsPerCpuS = totalRows / ((farmers.cpuMs + plotsRun.cpuMs) / 1000);

    // The baseline: the same checks as a full scan over every plot registered.
    const { rows: stored } = await db.query<{ geometry: PlotGeometry; area_m2: string }>("select geometry, area_m2::text from origin_plots where superseded_at is null");
    const everything = stored.map((row) => ({ geometry: row.geometry, areaM2: Number(row.area_m2), bounds: boundsOf(row.geometry) }));
    const candidates = files.plots
      .trim()
      .split("\r\n")
      .slice(1)
      .filter((_, i) => i % Math.max(1, Math.floor(ROWS / 1_000)) === 0)
      .map(candidateOf);
    const scans = candidates.map((shape) => {
      const started = performance.now();
      const [minX, minY, maxX, maxY] = shape.bounds;
      for (const other of everything) {
        const [x0, y0, x1, y1] = other.bounds;
        if (x0 <= maxX && y0 <= maxY && x1 >= minX && y1 >= minY) overlapShare(other, shape);
      }
      return performance.now() - started;
    });

    // The single-call path, for a sample of new plots east of the generated ones.
    const { rows: farmerIds } = await db.query<{ id: string }>("select id from farmers where member_id = $1 order by id limit $2", [MEMBER, SINGLE_SAMPLE]);
    const singleStarted = performance.now();
    for (const [i, farmer] of farmerIds.entries()) {
      const lon = 121.500013 + (i % 20) * 0.003;
      const lat = -1.000027 - Math.floor(i / 20) * 0.003;
      await plots.register(MEMBER, {
        owner: { farmerId: farmer.id },
        geometry: { type: "Polygon", coordinates: [[[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.001], [lon, lat + 0.001], [lon, lat]]] },
        country: "ID",
        province: "Sulawesi Tengah",
        district: "Poso",
      });
    }
    const singleRowsPerS = farmerIds.length / ((performance.now() - singleStarted) / 1000);

    const figures = {
      rows: totalRows,
      rows_per_s: round(rowsPerS, 0),
      rows_per_cpu_s: round(rowsPerCpuS, 0),
      load_average_1m: round(os.loadavg()[0]!, 1),
      cpus: os.cpus().length,
      farmers_rows_per_s: round(farmers.report.rows / (farmers.ms / 1000), 0),
      plots_rows_per_s: round(plotsRun.report.rows / (plotsRun.ms / 1000), 0),
      farmers_created: farmers.report.created,
      plots_created: plotsRun.report.created,
      plots_refused: plotsRun.report.refused,
      overlap_checks: checks.length,
      overlap_check_p50_ms: round(percentile(checks, 50), 3),
      overlap_check_p99_ms: round(percentile(checks, 99), 3),
      scan_overlap_check_p99_ms: round(percentile(scans, 99), 3),
      overlap_index_speedup: round(percentile(scans, 99) / Math.max(percentile(checks, 99), 1e-6), 1),
      single_rows_per_s: round(singleRowsPerS, 0),
      bulk_vs_single: round(plotsRun.report.rows / (plotsRun.ms / 1000) / singleRowsPerS, 1),
    };
    printTable(
      ["figure", "value"],
      [
        ["farmers + plots rows", figures.rows],
        ["rows per second (target >= 2,000)", figures.rows_per_s],
        ["rows per CPU second (both threads)", figures.rows_per_cpu_s],
        ["load average (1 min) / CPUs", `${figures.load_average_1m} / ${figures.cpus}`],
        ["  farmers import, rows/s", figures.farmers_rows_per_s],
        ["  plots import, rows/s", figures.plots_rows_per_s],
        ["plots created / refused (planted overlaps)", `${figures.plots_created} / ${figures.plots_refused} (${files.overlapsPlanted})`],
        ["overlap check p50 / p99, ms", `${figures.overlap_check_p50_ms} / ${figures.overlap_check_p99_ms}`],
        ["full-scan check p99, ms (baseline)", figures.scan_overlap_check_p99_ms],
        ["index speed-up at p99", `${figures.overlap_index_speedup}x`],
        ["one plot per call, rows/s (baseline)", figures.single_rows_per_s],
        ["bulk vs one per call", `${figures.bulk_vs_single}x`],
      ],
    );
    console.log(`wrote ${writeFigures("import", figures)}`);
  } finally {
    await evidence.close();
    await db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A generated plots row as the overlap check sees it. */
function candidateOf(line: string) {
  const polygon = /"(POLYGON[^"]+)"/.exec(line)?.[1];
  if (polygon) {
    const geometry = readOutline(polygon).geometry as PlotGeometry;
    return { geometry, areaM2: plotAreaM2(geometry), bounds: boundsOf(geometry) };
  }
  const [, , lat, lon, hectares] = line.split(",");
  const geometry: PlotGeometry = { type: "Point", coordinates: [Number(lon), Number(lat)] };
  return { geometry, areaM2: Number(hectares) * 10_000, bounds: boundsOf(geometry) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
