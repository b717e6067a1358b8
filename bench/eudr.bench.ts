/**
 * The deforestation check on the embedded default: 10,000 plots of one cooperative in PGlite
 * (four in five polygons of 0.5 to 4 ha, one in five points with a declared area), against a
 * generated 2020 forest map and lossyear raster of about 11 m pixels covering them all (GeoTIFF,
 * read with `geotiff` as a user's file is), end to end: reading both rasters, loading the plots
 * from SQL, checking each, storing the report in the evidence store.
 *
 * Figures:
 * - plots_per_s: plots checked per second, end to end (target: at least 500)
 * - check_ms: the whole check's wall time; pixels_per_plot: mean pixel centres per plot
 * - scanline_plots_per_s: the per-plot sampling alone (forest and loss pixels of every plot, in memory)
 * - naive_plots_per_s: the same plots sampled by testing every pixel of each plot's bounding box
 *   with a point-in-polygon test (the baseline, measured in the same run on the same pixels), and
 *   scanline_vs_naive: scanline_plots_per_s / naive_plots_per_s
 * - clear, loss_found, no_data: the results (a sanity check of the generated layers)
 * - load_average_1m, cpus: how busy the machine was
 *
 * Run: npm run bench:eudr   (EUDR_BENCH_PLOTS to change the 10,000; prints a table, writes
 * bench/out/eudr.json; never fails on figures)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { useNativeKeccak } from "../src/chain/nativeKeccak";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db";
import { evidenceLimitsFrom, evidenceStoreConfig, openEvidenceStore } from "../src/evidence";
import { generateLayers, runEudrCheck, scanPixels, readRasterLayer, loadPlots, type PlotShape } from "../src/eudr";
import { cellAreaM2 } from "../src/eudr/geodesy";
import { plotAreaM2, pointInOutline, type PlotGeometry, type PlotOutline } from "../src/origins";
import { insertPlotVersions, plotVersionRow } from "../src/origins/plotStore";
import { printTable, writeFigures } from "./report";

const PLOTS = Number(process.env.EUDR_BENCH_PLOTS ?? 10_000);
const MEMBER = 7n;
const PIXEL = 0.0001;
const SPACING_DEG = 0.0025; // about 280 m between plot centres
const WEST = 120.6;
const NORTH = -1.2;

const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;
const r6 = (value: number) => Math.round(value * 1e6) / 1e6;

/** A seeded generator, so every run checks the same plots. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Plots on a grid, each a jittered quadrilateral (0.5 to 4 ha) or a point with a declared area. */
function generatePlots(count: number): Array<{ geometry: PlotGeometry; declaredAreaM2: number | null }> {
  const next = random(42);
  const side = Math.ceil(Math.sqrt(count));
  const plots: Array<{ geometry: PlotGeometry; declaredAreaM2: number | null }> = [];
  for (let i = 0; i < count; i++) {
    const cx = WEST + SPACING_DEG * ((i % side) + 0.5);
    const cy = NORTH - SPACING_DEG * (Math.floor(i / side) + 0.5);
    const areaM2 = 5_000 + next() * 35_000;
    if (i % 5 === 4) {
      plots.push({ geometry: { type: "Point", coordinates: [r6(cx), r6(cy)] }, declaredAreaM2: Math.round(areaM2) });
      continue;
    }
    const half = Math.sqrt(areaM2) / 2 / 111_195;
    const jitter = () => (next() - 0.5) * half * 0.4;
    const ring = [
      [cx - half + jitter(), cy - half + jitter()],
      [cx + half + jitter(), cy - half + jitter()],
      [cx + half + jitter(), cy + half + jitter()],
      [cx - half + jitter(), cy + half + jitter()],
    ].map(([x, y]) => [r6(x!), r6(y!)]);
    plots.push({ geometry: { type: "Polygon", coordinates: [[...ring, ring[0]!]] }, declaredAreaM2: null });
  }
  return plots;
}

async function main(): Promise<void> {
  const parent = process.env.EUDR_BENCH_DIR ?? path.join(__dirname, "out");
  fs.mkdirSync(parent, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(parent, "eudr-bench-"));
  const config = loadConfig({ env: { FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_LOG_LEVEL: "silent" }, cwd: dataDir });
  useNativeKeccak();
  const { db } = await openDatabase({ config: config.database });
  const evidence = await openEvidenceStore(evidenceStoreConfig(config), evidenceLimitsFrom(config));
  try {
    const plots = generatePlots(PLOTS);
    const side = Math.ceil(Math.sqrt(PLOTS));
    const extent = SPACING_DEG * side;
    const area = { west: WEST, north: NORTH, east: WEST + extent, south: NORTH - extent };
    // Loss after the cut-off in one block of plots, land cleared before 2020 in another.
    const layers = generateLayers({
      area,
      pixelDeg: PIXEL,
      notForest: [{ west: WEST, south: NORTH - extent / 4, east: WEST + extent / 4, north: NORTH }],
      loss: [{ box: { west: WEST + extent / 2, south: NORTH - extent * 0.6, east: WEST + extent * 0.6, north: NORTH - extent / 2 }, year: 2022 }],
    });
    for (let start = 0; start < plots.length; start += 1_000) {
      const rows = plots.slice(start, start + 1_000).map((plot, i) =>
        plotVersionRow({
          plotId: `p_bench${String(start + i).padStart(15, "0")}`,
          version: 1,
          memberId: MEMBER,
          farmerId: null,
          farmerRef: `F-${start + i}`,
          ref: null,
          geometry: plot.geometry,
          country: "ID",
          province: "Sulawesi Tengah",
          district: "Parigi Moutong",
          areaM2: plot.geometry.type === "Point" ? plot.declaredAreaM2! : plotAreaM2(plot.geometry),
          declaredAreaM2: plot.declaredAreaM2,
          tenure: "none",
          tenureEvidenceCid: null,
        }),
      );
      await insertPlotVersions(db, rows);
    }

    // End to end, as `firstmile eudr check --plots cooperative:7` runs it.
    const context = { db, evidence, maxAttempts: 10, prepareMonitor: async () => ({ schemeId: 1 }) };
    const started = performance.now();
    const result = await runEudrCheck(context, {
      plots: { cooperative: MEMBER },
      forest2020: { name: "forest2020.tif", bytes: layers.forest2020 },
      loss: { name: "lossyear.tif", bytes: layers.lossYear },
      monitor: null,
    });
    const checkMs = performance.now() - started;

    // The sampling alone, scanline against the naive baseline, on the same plots and pixels.
    const forest = await readRasterLayer("forest2020.tif", layers.forest2020, "forest");
    const values = await forest.read(0, 0, forest.width, forest.height);
    const loaded = await loadPlots(db, { cooperative: MEMBER });
    let pixels = 0;
    let scanSum = 0;
    const scanStart = performance.now();
    for (const plot of loaded) {
      scanPixels(forest, plot.shape, plot.areaM2, (col, row, _lon, _lat, a) => {
        pixels += 1;
        scanSum += values[row * forest.width + col]! * a;
      });
    }
    const scanMs = performance.now() - scanStart;
    const geometries = new Map(plots.map((plot, i) => [`p_bench${String(i).padStart(15, "0")}`, plot]));
    let naiveSum = 0;
    const naiveStart = performance.now();
    for (const plot of loaded) naiveSum += naiveSample(forest, values, plot.shape, geometries.get(plot.plotId)!);
    const naiveMs = performance.now() - naiveStart;
    if (Math.abs(naiveSum - scanSum) > 1e-6 * scanSum) console.warn(`warning: naive and scanline sums differ (${naiveSum} vs ${scanSum})`);

    const { totals } = result.report;
    const figures = {
      plots: loaded.length,
      plots_per_s: round((loaded.length / checkMs) * 1000, 0),
      check_ms: round(checkMs, 0),
      pixels_per_plot: round(pixels / loaded.length, 0),
      scanline_plots_per_s: round((loaded.length / scanMs) * 1000, 0),
      naive_plots_per_s: round((loaded.length / naiveMs) * 1000, 0),
      scanline_vs_naive: round(naiveMs / scanMs, 1),
      raster_pixels: forest.width * forest.height,
      clear: totals.clear,
      loss_found: totals.loss_found,
      no_data: totals.no_data,
      load_average_1m: round(os.loadavg()[0]!, 1),
      cpus: os.cpus().length,
    };
    printTable(
      ["figure", "value"],
      Object.entries(figures).map(([key, value]) => [key, value]),
    );
    console.log(`wrote ${writeFigures("eudr", figures)}`);
  } finally {
    await evidence.close();
    await db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The baseline: every pixel of the plot's bounding box, its centre tested against the outline
 * (ray casting over every edge) or the circle, with the same weights as the scanline.
 */
function naiveSample(grid: { west: number; north: number; dx: number; dy: number; width: number }, values: ArrayLike<number>, shape: PlotShape, plot: { geometry: PlotGeometry }): number {
  const [minX, minY, maxX, maxY] = shape.bounds;
  const inside = plot.geometry.type === "Point" ? (x: number, y: number) => shape.contains(x, y) : (x: number, y: number) => pointInOutline([x, y], plot.geometry as PlotOutline);
  let sum = 0;
  const c0 = Math.floor((minX - grid.west) / grid.dx);
  const c1 = Math.floor((maxX - grid.west) / grid.dx);
  const r0 = Math.floor((grid.north - maxY) / grid.dy);
  const r1 = Math.floor((grid.north - minY) / grid.dy);
  for (let row = r0; row <= r1; row++) {
    const lat = grid.north - (row + 0.5) * grid.dy;
    for (let col = c0; col <= c1; col++) {
      const lon = grid.west + (col + 0.5) * grid.dx;
      if (!inside(lon, lat)) continue;
      sum += values[row * grid.width + col]! * cellAreaM2(grid.dx, lat - grid.dy / 2, lat + grid.dy / 2);
    }
  }
  return sum;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
