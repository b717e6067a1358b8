import type { AlertLayer } from "./alertLayer";
import { EudrInputError } from "./errors";
import { scanPixels } from "./pixelScan";
import { valueAt, type PixelBlock } from "./pixelWindows";
import type { RasterLayer } from "./rasterLayer";
import type { PlotShape } from "./shapes";

/** Loss year values count from 2000 (Hansen lossyear): 21 = 2021, the first year after the cut-off. */
export const FIRST_LOSS_VALUE = 21;
/** A lossyear value at or above this is not a year (and not the nodata value): the file is refused. */
const MAX_LOSS_VALUE = 99;

export type PlotResult = "clear" | "loss_found" | "no_data";

/** What one plot's check found, in the report's units. */
export type PlotFinding = {
  /** Share of the plot's area covered by data in both layers, 0 to 1. */
  coverage: number;
  /** Share of the covered area that was forest on 31 Dec 2020, 0 to 1 (null: no data at all). */
  forestShare2020: number | null;
  forestHa2020: number;
  /** Forest area (in the 2020 map) lost after the cut-off, ha. */
  lossHa: number;
  /** Earliest loss after the cut-off: a year (raster) or a day (alerts). */
  firstLoss: string | null;
  result: PlotResult;
  reason: string | null;
};

/** The loss side: a lossyear raster's block, or alerts. */
export type LossInput = { kind: "raster"; layer: RasterLayer; block: PixelBlock | null } | { kind: "alerts"; layer: AlertLayer };

export type CheckPlotParameters = {
  shape: PlotShape;
  areaM2: number;
  forest: RasterLayer;
  forestBlock: PixelBlock | null;
  loss: LossInput;
  /** Least coverage for a result other than no_data, 0 to 1. */
  minCoverage: number;
};

const ha = (m2: number) => Math.round(m2) / 10_000;

/**
 * One plot against the 2020 forest map and the loss layer, by pixel centres:
 * - forest share: forest pixels over pixels with data, in the forest map's grid;
 * - loss: pixels of loss after the cut-off (lossyear >= 21, or inside an alert dated after
 *   2020-12-31) that were forest in 2020 (or of unknown 2020 cover, counted as forest: the check
 *   errs towards finding loss). Clearing of land that was not forest in 2020, such as replanting a
 *   rubber or cocoa plantation, is not deforestation under the regulation and is not counted;
 * - result: loss_found if any such area, else no_data if the covered share is below `minCoverage`,
 *   else clear.
 */
export function checkPlot({ shape, areaM2, forest, forestBlock, loss, minCoverage }: CheckPlotParameters): PlotFinding {
  let total = 0;
  let withData = 0;
  let forestArea = 0;
  let lost = 0;
  let firstLoss: string | null = null;
  let lossTotal = 0;
  let lossCovered = 0;

  const alerts = loss.kind === "alerts" ? loss.layer.near(shape.bounds) : [];
  const extent = loss.kind === "alerts" ? loss.layer.extent : null;
  scanPixels(forest, shape, areaM2, (col, row, lon, lat, area) => {
    total += area;
    if (loss.kind === "alerts" && (!extent || (lon >= extent[0] && lon <= extent[2] && lat >= extent[1] && lat <= extent[3]))) lossCovered += area;
    const value = valueAt(forestBlock, forest.nodata, col, row);
    if (value === null) return;
    if (value !== 0 && value !== 1) throw new EudrInputError("bad_values", forest.name, `value ${value} at pixel (${col}, ${row}); a 2020 forest map holds 1 (forest) and 0 (not forest), and its nodata value`);
    withData += area;
    if (value !== 1) return;
    forestArea += area;
    for (const alert of alerts) {
      if (alert.shape.contains(lon, lat)) {
        lost += area;
        if (firstLoss === null || alert.date < firstLoss) firstLoss = alert.date;
        break;
      }
    }
  });
  if (loss.kind === "alerts") lossTotal = total;

  if (loss.kind === "raster") {
    const { layer, block } = loss;
    scanPixels(layer, shape, areaM2, (col, row, lon, lat, area) => {
      lossTotal += area;
      const value = valueAt(block, layer.nodata, col, row);
      if (value === null) return;
      if (value < 0 || value > MAX_LOSS_VALUE || !Number.isInteger(value)) {
        throw new EudrInputError("bad_values", layer.name, `value ${value} at pixel (${col}, ${row}); a loss-year layer holds years since 2000 (21 = 2021), 0 for no loss, and its nodata value`);
      }
      lossCovered += area;
      if (value < FIRST_LOSS_VALUE) return;
      const forestCol = Math.floor((lon - forest.west) / forest.dx);
      const forestRow = Math.floor((forest.north - lat) / forest.dy);
      if (valueAt(forestBlock, forest.nodata, forestCol, forestRow) === 0) return;
      lost += area;
      const year = String(2000 + value);
      if (firstLoss === null || year < firstLoss) firstLoss = year;
    });
  }

  const forestCoverage = total > 0 ? withData / total : 0;
  const lossCoverage = lossTotal > 0 ? lossCovered / lossTotal : 0;
  const coverage = Math.min(forestCoverage, lossCoverage);
  let result: PlotResult = "clear";
  let reason: string | null = null;
  if (lost > 0) {
    result = "loss_found";
  } else if (coverage < minCoverage) {
    result = "no_data";
    reason =
      forestCoverage === 0
        ? "outside the 2020 forest map (or no data there)"
        : lossCoverage === 0
          ? "outside the loss layer (or no data there)"
          : `data for ${(Math.floor(coverage * 1000) / 10).toFixed(1)} % of the plot; at least ${Math.round(minCoverage * 100)} % needed`;
  }
  return {
    coverage: Math.round(coverage * 10_000) / 10_000,
    forestShare2020: withData > 0 ? Math.round((forestArea / withData) * 10_000) / 10_000 : null,
    forestHa2020: ha(forestArea),
    lossHa: ha(lost),
    firstLoss,
    result,
    reason,
  };
}
