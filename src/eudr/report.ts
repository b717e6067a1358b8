import { CUTOFF } from "./alertLayer";
import type { PlotFinding, PlotResult } from "./checkPlot";
import type { DatasetRef } from "./rasterLayer";

/** One plot's line in the report: no coordinates and no farmer, only the plot's id and commitment. */
export type PlotReportLine = PlotFinding & { plotId: string; commitment: string; cooperative: string; kind: "point" | "polygon"; areaHa: number };

export type DatasetDescription = DatasetRef & { role: "forest_2020" | "loss"; format: "geotiff" | "geojson"; detail: string };

/**
 * The deforestation check's report, stored as evidence (application/json) and named by its CID in
 * each attestation. It holds no outline and no name: the commitment ties a line to the plot, and
 * only the cooperative's gateway can open it.
 */
export type EudrCheckReport = {
  document: "deforestation check";
  version: 1;
  cutoff: typeof CUTOFF;
  checkedAt: string;
  monitor: string | null;
  method: {
    sampling: string;
    pointPlots: string;
    loss: string;
    minCoverage: number;
  };
  datasets: DatasetDescription[];
  totals: Record<PlotResult, number> & { plots: number; lossHa: number };
  plots: PlotReportLine[];
  /** The same in words (Markdown), for a reader without a JSON viewer. */
  summary: string;
};

export const METHOD = {
  sampling: "pixel centres inside the plot, each weighted with its area on the sphere; a plot too small to hold a pixel centre takes the pixel under its centre",
  pointPlots: "a point plot is a circle of its declared area around the point",
  loss: "loss after 2020-12-31 (lossyear >= 21, or an alert dated after the cut-off) on pixels that were forest in the 2020 map or of unknown 2020 cover",
} as const;

/** The Markdown summary: totals, datasets, then every plot with loss or without data. */
export function summarise(report: Omit<EudrCheckReport, "summary">): string {
  const { totals } = report;
  const lines = [
    `# Deforestation check, cut-off ${report.cutoff}`,
    "",
    `Checked ${report.checkedAt}${report.monitor ? ` by forest monitor (member ${report.monitor})` : ""}: **${totals.plots} plots**, ${totals.clear} clear, ${totals.loss_found} with forest loss after the cut-off (${totals.lossHa} ha), ${totals.no_data} without enough data (coverage under ${Math.round(report.method.minCoverage * 100)} %).`,
    "",
    "## Datasets",
    "",
    ...report.datasets.map((dataset) => `- ${dataset.role === "forest_2020" ? "Forest cover 2020" : "Forest loss"}: \`${dataset.name}\` (${dataset.format}, ${dataset.detail}), sha256 \`${dataset.sha256}\``),
    "",
  ];
  const flagged = report.plots.filter((plot) => plot.result !== "clear");
  if (flagged.length > 0) {
    lines.push("## Plots not clear", "", "| plot | cooperative | result | area ha | forest 2020 | loss ha | first loss | coverage | note |", "|---|---|---|---:|---:|---:|---|---:|---|");
    for (const plot of flagged) {
      const share = plot.forestShare2020 === null ? "–" : `${Math.round(plot.forestShare2020 * 100)} %`;
      lines.push(`| ${plot.plotId} | ${plot.cooperative} | ${plot.result} | ${plot.areaHa} | ${share} | ${plot.lossHa} | ${plot.firstLoss ?? "–"} | ${Math.round(plot.coverage * 100)} % | ${plot.reason ?? ""} |`);
    }
    lines.push("");
  }
  lines.push(`Method: ${METHOD.sampling}; ${METHOD.pointPlots}; ${METHOD.loss}.`);
  return lines.join("\n");
}
