import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { loadConfig, type Config } from "../../config";
import { BaseError } from "../../errors";
import { EudrInputError, runEudrCheck, type EudrCheckReport, type RunEudrCheckReturnType } from "../../eudr";
import { readEudrCheckJob, type EudrCheckJob } from "../../eudr/checkJob";
import { sendControlCommand } from "../../gateway/controlSocket";
import { withLocalStores } from "../localStores";

export type EudrCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/** A bad invocation or a check the gateway refused: exit code 2, nothing written. */
export class EudrCommandError extends BaseError {
  override name = "EudrCommandError";
  readonly exitCode = 2;
}

type CheckOptions = { plots?: string; forest2020?: string; loss?: string; monitor?: string; minCoverage?: string; out?: string; dataDir?: string };

type CheckResult = { reportCid: string; reportDigest: string; requests: string[]; attested: number; lossPlots: string[]; alreadyAttested: string[]; attestedWithLoss: Array<{ plotId: string; uids: string[] }>; report: EudrCheckReport };

/** Plots printed before "... and N more" (the report has them all). */
const PRINTED_PLOTS = 30;

/**
 * `firstmile eudr check --plots <selection> --forest-2020 <file.tif> --loss <file.tif|file.geojson>
 * [--monitor <member>]`: the deforestation check, run inside the gateway that holds the plots
 * (through its control socket; the outlines never leave it). The report is stored as evidence;
 * with `--monitor`, the clear plots are attested by that forest monitor through the relay. With no
 * gateway running, a check without `--monitor` opens the stores itself and only stores the report.
 */
export function registerEudrCommand(program: Command, io: EudrCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const print = (line: string) => io.stdout.write(`${line}\n`);
  const eudr = program.command("eudr").description("EU Deforestation Regulation: the deforestation check on plots of this gateway");
  eudr
    .command("check")
    .description("check plots against a 2020 forest map and forest loss after 2020-12-31; store the report; attest the clear plots (--monitor)")
    .option("--plots <selection>", "cooperative:<member id>, plot ids (p_...) separated by commas, or a file of plot ids (one a line, or a JSON array)")
    .option("--forest-2020 <file>", "2020 forest cover: single-band GeoTIFF in WGS 84 (EPSG:4326), 1 = forest, 0 = not (e.g. JRC GFC2020)")
    .option("--loss <file>", "forest loss: a lossyear GeoTIFF (years since 2000, 0 = none) or a GeoJSON FeatureCollection of dated alerts")
    .option("--monitor <member>", "the forest monitor (a certifier accredited for the deforestation-free scheme) that attests the clear plots")
    .option("--min-coverage <share>", "least share of a plot covered by data for a result (default 0.9)")
    .option("--out <dir>", "also write the report as report.json and report.md in this directory")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (options: CheckOptions) => {
      if (!options.plots) throw new EudrCommandError("--plots: cooperative:<member id>, plot ids, or a file of plot ids");
      if (!options.forest2020) throw new EudrCommandError("--forest-2020: the 2020 forest cover GeoTIFF");
      if (!options.loss) throw new EudrCommandError("--loss: the forest loss GeoTIFF or GeoJSON alerts");
      if (options.monitor !== undefined && !/^[1-9]\d{0,18}$/.test(options.monitor)) throw new EudrCommandError("--monitor: the forest monitor's member id (firstmile members list)");
      const minCoverage = options.minCoverage === undefined ? undefined : Number(options.minCoverage);
      const file = (name: string, value: string) => {
        const resolved = path.resolve(io.cwd, value);
        if (!fs.existsSync(resolved)) throw new EudrCommandError(`${name}: no file ${resolved}`);
        return resolved;
      };
      const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
      const job = {
        plots: selectionText(path.resolve(io.cwd, options.plots), options.plots),
        forest2020: file("--forest-2020", options.forest2020),
        loss: file("--loss", options.loss),
        monitor: options.monitor ?? null,
        ...(minCoverage === undefined ? {} : { minCoverage }),
      };
      const answer = await sendControlCommand(config.paths.controlSocket, "POST", "/eudr-checks", job);
      let result: CheckResult;
      if (answer) {
        const body = answer.body as { result?: CheckResult; error?: { message: string } };
        if (!body.result) throw new EudrCommandError(body.error?.message ?? `the gateway answered ${answer.status}`);
        result = body.result;
      } else {
        if (job.monitor !== null) throw new EudrCommandError(`no gateway runs on ${config.dataDir}: start it (npm start) to attest; the monitor attests through its relay. Without --monitor the check runs here and only stores the report`);
        result = await locally(config, job);
      }
      printCheck(result, print);
      if (options.out) {
        const dir = path.resolve(io.cwd, options.out);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "report.json"), `${JSON.stringify(result.report, null, 2)}\n`);
        fs.writeFileSync(path.join(dir, "report.md"), `${result.report.summary}\n`);
        print(`report written to ${path.join(dir, "report.json")} and report.md`);
      }
    });
}

/** With no gateway running and no monitor: the report only, the stores opened here under the data dir's lock. */
function locally(config: Config, job: EudrCheckJob): Promise<RunEudrCheckReturnType> {
  const noMonitor = async (): Promise<never> => {
    throw new EudrInputError("no_gateway", "monitor", "attesting needs the running gateway");
  };
  return withLocalStores(config, "eudr check", async ({ db, evidence }) =>
    runEudrCheck({ db, evidence, maxAttempts: config.relay.maxAttempts, prepareMonitor: noMonitor }, await readEudrCheckJob(job)).catch((error: unknown) => {
      throw error instanceof EudrInputError ? new EudrCommandError(error.shortMessage) : error;
    }),
  );
}

/** The selection as typed, or a file's plot ids (one a line, CSV's first column, or a JSON array). */
function selectionText(resolved: string, typed: string): string {
  if (!/^(cooperative|member):/.test(typed) && fs.existsSync(resolved) && fs.statSync(resolved).isFile()) {
    const text = fs.readFileSync(resolved, "utf8").replace(/^\ufeff/, "");
    if (text.trim().startsWith("[")) return (JSON.parse(text) as unknown[]).map(String).join(",");
    return text
      .split(/\r?\n/)
      .map((line) => line.split(/[,;\t]/)[0]!.trim().replace(/^"|"$/g, ""))
      .filter((cell) => /^p_/.test(cell))
      .join(",");
  }
  return typed;
}

export function printCheck(result: CheckResult, print: (line: string) => void): void {
  const { report } = result;
  const { totals } = report;
  print(`deforestation check (cut-off ${report.cutoff}): ${totals.plots} plots, ${totals.clear} clear, ${totals.loss_found} with loss (${totals.lossHa} ha), ${totals.no_data} without enough data`);
  for (const dataset of report.datasets) print(`  ${dataset.role === "forest_2020" ? "forest 2020" : "loss"}: ${dataset.name} sha256 ${dataset.sha256}`);
  const flagged = report.plots.filter((plot) => plot.result !== "clear");
  for (const plot of flagged.slice(0, PRINTED_PLOTS)) {
    const detail = plot.result === "loss_found" ? `${plot.lossHa} ha lost (first ${plot.firstLoss})` : plot.reason;
    print(`  ${plot.plotId} ${plot.result}: ${detail}`);
  }
  if (flagged.length > PRINTED_PLOTS) print(`  ... and ${flagged.length - PRINTED_PLOTS} more (the report lists them all)`);
  print(`report stored as evidence ${result.reportCid} (digest ${result.reportDigest})`);
  if (result.requests.length > 0) print(`${result.attested} clear plots sent to the relay for attestation as ${result.requests.length} attest-batch request${result.requests.length > 1 ? "s" : ""}: ${result.requests.join(", ")}`);
  else if (report.monitor === null) print("no --monitor: nothing attested");
  if (result.alreadyAttested.length > 0) print(`${result.alreadyAttested.length} clear plots already hold a valid attestation of the scheme: not attested again`);
  if (result.lossPlots.length > 0) print(`not attested (loss after the cut-off): ${result.lossPlots.join(", ")}`);
  for (const { plotId, uids } of result.attestedWithLoss) print(`  ${plotId} still holds ${uids.join(", ")} from an earlier check: revoke it (POST /v1/attestations/{uid}/revoke)`);
}
