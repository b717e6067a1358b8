import type { Database } from "../db";
import { cidToDigest, EvidenceTooLargeError, type EvidenceStore } from "../evidence";
import { getPlotAttestations } from "../indexer/queries";
import { enqueueRelayRequest } from "../relay/outbox";
import { MAX_ATTESTATION_BATCH } from "../relay/attestationCalls";
import { CUTOFF, readAlertLayer, type AlertLayer } from "./alertLayer";
import { checkPlot, type LossInput, type PlotResult } from "./checkPlot";
import { EudrInputError } from "./errors";
import { loadPlots, type PlotSelection } from "./plotSelection";
import { PixelWindows } from "./pixelWindows";
import { readRasterLayer, type RasterLayer } from "./rasterLayer";
import { METHOD, summarise, type DatasetDescription, type EudrCheckReport, type PlotReportLine } from "./report";

/** What a check reads and writes through: the gateway's SQL and evidence store, and its chain checks. */
export type EudrCheckContext = {
  db: Database;
  evidence: EvidenceStore;
  maxAttempts: number;
  /**
   * Checks the monitor may attest (an active certifier with a custodial account here) and answers
   * the deforestation-free scheme's id on chain; throws EudrInputError otherwise. Asked before
   * anything is read or written.
   */
  prepareMonitor(memberId: bigint): Promise<{ schemeId: number }>;
};

/** A dataset as it arrives: its file name (kept in the report) and its bytes. */
export type DatasetFile = { name: string; bytes: Uint8Array };

export type RunEudrCheckParameters = {
  plots: PlotSelection;
  forest2020: DatasetFile;
  loss: DatasetFile;
  /** The forest monitor (a certifier member) that attests the clear plots; none: report only. */
  monitor: bigint | null;
  /** Least share of a plot covered by data for a result other than no_data (default 0.9). */
  minCoverage?: number | undefined;
  now?: Date | undefined;
};

export type RunEudrCheckReturnType = {
  report: EudrCheckReport;
  /** The report's CID in the evidence store, and its digest as the attestations carry it. */
  reportCid: string;
  reportDigest: string;
  /** The attest-batch requests written to the relay outbox for the clear plots (500 to a request). */
  requests: string[];
  attested: number;
  /** Plots with loss: no attestation. */
  lossPlots: string[];
  /** Clear plots not attested again: they already hold a valid attestation of the scheme. */
  alreadyAttested: string[];
  /** Plots with loss that still hold a valid attestation of the scheme from an earlier check: the monitor should revoke these. */
  attestedWithLoss: Array<{ plotId: string; uids: string[] }>;
};

/** Default least coverage: a plot 90 % covered by data in both layers gets a result. */
export const DEFAULT_MIN_COVERAGE = 0.9;

const isTiff = (bytes: Uint8Array) => bytes.length >= 4 && ((bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d));

/**
 * The deforestation check, off chain, where the plots are: reads and checks both datasets and the
 * selected plots (any problem refuses the whole check, nothing written), computes each plot's
 * finding, stores the report as evidence, and, with a monitor, writes attest-batch requests for
 * every clear plot (plot subject = its commitment, evidence = the report's digest) to the relay
 * outbox. Plots with loss or without data get no attestation.
 *
 * @throws {EudrInputError} a dataset, the selection or the monitor cannot be used.
 */
export async function runEudrCheck(context: EudrCheckContext, parameters: RunEudrCheckParameters): Promise<RunEudrCheckReturnType> {
  const minCoverage = parameters.minCoverage ?? DEFAULT_MIN_COVERAGE;
  if (!(minCoverage > 0 && minCoverage <= 1)) throw new EudrInputError("bad_min_coverage", "minCoverage", "a share between 0 (excluded) and 1");
  const monitor = parameters.monitor === null ? null : { memberId: parameters.monitor, ...(await context.prepareMonitor(parameters.monitor)) };

  if (!isTiff(parameters.forest2020.bytes)) throw new EudrInputError("not_geotiff", parameters.forest2020.name, "not a GeoTIFF (a TIFF starts with II or MM)");
  const forest = await readRasterLayer(parameters.forest2020.name, parameters.forest2020.bytes, "forest");
  const lossLayer: RasterLayer | AlertLayer = isTiff(parameters.loss.bytes)
    ? await readRasterLayer(parameters.loss.name, parameters.loss.bytes, "lossyear")
    : readAlertLayer(parameters.loss.name, parameters.loss.bytes);
  const plots = await loadPlots(context.db, parameters.plots);

  const bounds = plots.map((plot) => plot.shape.bounds);
  const forestWindows = await PixelWindows.open(forest, bounds);
  const lossWindows = lossLayer.kind === "lossyear" ? await PixelWindows.open(lossLayer, bounds) : null;
  const lines: PlotReportLine[] = [];
  for (const plot of plots) {
    const loss: LossInput = lossLayer.kind === "alerts" ? { kind: "alerts", layer: lossLayer } : { kind: "raster", layer: lossLayer, block: await lossWindows!.blockFor(plot.shape.bounds) };
    const finding = checkPlot({ shape: plot.shape, areaM2: plot.areaM2, forest, forestBlock: await forestWindows.blockFor(plot.shape.bounds), loss, minCoverage });
    lines.push({ plotId: plot.plotId, commitment: plot.commitment, cooperative: plot.memberId.toString(), kind: plot.kind, areaHa: Math.round(plot.areaM2) / 10_000, ...finding });
  }

  const totals = { plots: lines.length, clear: 0, loss_found: 0, no_data: 0, lossHa: 0 } as Record<PlotResult, number> & { plots: number; lossHa: number };
  for (const line of lines) {
    totals[line.result] += 1;
    totals.lossHa += line.lossHa;
  }
  totals.lossHa = Math.round(totals.lossHa * 10_000) / 10_000;
  const body: Omit<EudrCheckReport, "summary"> = {
    document: "deforestation check",
    version: 1,
    cutoff: CUTOFF,
    checkedAt: (parameters.now ?? new Date()).toISOString(),
    monitor: monitor ? monitor.memberId.toString() : null,
    method: { ...METHOD, minCoverage },
    datasets: [describe(forest, "forest_2020"), describe(lossLayer, "loss")],
    totals,
    plots: lines,
  };
  const report: EudrCheckReport = { ...body, summary: summarise(body) };

  // Written only now that every input was read and every plot checked.
  const stored = await context.evidence.put(new TextEncoder().encode(JSON.stringify(report)), "application/json").catch((error: unknown) => {
    if (!(error instanceof EvidenceTooLargeError)) throw error;
    throw new EudrInputError("report_too_large", "plots", `the report of ${lines.length} plots is larger than the evidence limit (${error.maxBytes} bytes): check fewer plots at a time`);
  });
  const reportCid = stored.cid.toString();
  const reportDigest = cidToDigest(stored.cid);
  const owner = monitor?.memberId ?? plots[0]!.memberId;
  // What the plots already hold (the read model, as the indexer has seen the chain): a clear plot
  // with a valid attestation of the scheme is not attested again (the claim has no expiry, and a
  // subject holds at most 16 valid attestations), and a plot with loss that holds one is listed.
  const held = new Map<string, string[]>();
  if (monitor) {
    const now = parameters.now ?? new Date();
    const views = await getPlotAttestations(context.db, lines.map((line) => line.commitment), { now, limit: lines.length * 16 });
    for (const view of views) {
      if (view.scheme.id !== monitor.schemeId || view.status !== "valid") continue;
      held.set(view.subject.value.toLowerCase(), [...(held.get(view.subject.value.toLowerCase()) ?? []), view.uid]);
    }
  }
  const isHeld = (line: PlotReportLine) => held.has(line.commitment.toLowerCase());
  const clear = lines.filter((line) => line.result === "clear" && !isHeld(line));
  // The evidence row and every attest-batch request in one transaction: all of them or none.
  const requests = await context.db.transaction(async (tx) => {
    await tx.query("insert into evidence_uploads (cid, media_type, size, member_id) values ($1, $2, $3, $4) on conflict (cid) do nothing", [reportCid, stored.mediaType, stored.size, owner.toString()]);
    const ids: string[] = [];
    if (!monitor) return ids;
    for (let start = 0; start < clear.length; start += MAX_ATTESTATION_BATCH) {
      const chunk = clear.slice(start, start + MAX_ATTESTATION_BATCH);
      const payload = { scheme: monitor.schemeId, attestations: chunk.map((line) => ({ subjectKind: "plot", subject: line.commitment, evidence: reportDigest })) };
      const { request } = await enqueueRelayRequest(tx, {
        memberId: monitor.memberId,
        idempotencyKey: `eudr-check:${reportCid}:${start / MAX_ATTESTATION_BATCH}`,
        kind: "attestations.attestBatch",
        payload,
        maxAttempts: context.maxAttempts,
      });
      ids.push(request.id.toString());
    }
    return ids;
  });
  return {
    report,
    reportCid,
    reportDigest,
    requests,
    attested: monitor ? clear.length : 0,
    lossPlots: lines.filter((line) => line.result === "loss_found").map((line) => line.plotId),
    alreadyAttested: lines.filter((line) => line.result === "clear" && isHeld(line)).map((line) => line.plotId),
    attestedWithLoss: lines.filter((line) => line.result === "loss_found" && isHeld(line)).map((line) => ({ plotId: line.plotId, uids: held.get(line.commitment.toLowerCase())! })),
  };
}

function describe(layer: RasterLayer | AlertLayer, role: DatasetDescription["role"]): DatasetDescription {
  const ref = { name: layer.name, sha256: layer.sha256, bytes: layer.bytes, role };
  if (layer.kind === "alerts") {
    return { ...ref, format: "geojson", detail: `${layer.features} alerts, ${layer.alerts.length} dated after ${CUTOFF}` };
  }
  const south = layer.north - layer.dy * layer.height;
  const east = layer.west + layer.dx * layer.width;
  const r = (value: number) => Math.round(value * 1e6) / 1e6;
  return {
    ...ref,
    format: "geotiff",
    detail: `${layer.kind === "forest" ? "1 = forest" : "lossyear, years since 2000"}, ${layer.width} x ${layer.height} pixels of ${r(layer.dx)}°, bounds [${r(layer.west)}, ${r(south)}, ${r(east)}, ${r(layer.north)}], EPSG:4326`,
  };
}
