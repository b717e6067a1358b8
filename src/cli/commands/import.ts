import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { Writable } from "node:stream";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { loadConfig, type Config } from "../../config";
import { BaseError } from "../../errors";
import { HEADER_LANGUAGES, IMPORT_KINDS } from "../../imports/columns";
import type { HeaderLanguage, ImportKind, ImportReport } from "../../imports";
import { reachableSocketPath } from "../../gateway/socketPath";

// The importer (spreadsheet reader, validation) and the stores are loaded when a command needs
// them, not to parse its flags. (`require`: the sources are CommonJS; `import()` would go to the ESM loader.)
const importer = () => require("../../imports") as typeof import("../../imports");

export type ImportCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable & { isTTY?: boolean };
};

/** A bad invocation or a file the import refuses as a whole: exit code 2, nothing written. */
export class ImportCommandError extends BaseError {
  override name = "ImportCommandError";
  readonly exitCode = 2;
}

type ImportOptions = { kind?: string; file?: string; member?: string; dryRun?: boolean; out?: string; template?: string; lang?: string; dataDir?: string };

/** Issues printed before "... and N more" (all of them go to --out). */
const PRINTED_ISSUES = 30;

/**
 * `firstmile import --kind farmers|plots|deliveries --file F.csv|F.xlsx --member N [--dry-run]`:
 * a cooperative's spreadsheet through the same checks as the API, with a progress bar in a
 * terminal and a summary at the end; `--out` writes every row's outcome and every issue as CSV.
 * While a gateway runs on the data dir the import runs inside it (through its control socket);
 * otherwise the command opens the stores itself. `--template F.xlsx` writes an empty template.
 */
export function registerImportCommand(program: Command, io: ImportCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const print = (line: string) => io.stdout.write(`${line}\n`);
  program
    .command("import")
    .description("import farmers, plots or deliveries from a spreadsheet (CSV UTF-8 or XLSX); --dry-run checks every row and writes nothing")
    .option("--kind <kind>", IMPORT_KINDS.join(" | "))
    .option("--file <file>", "the spreadsheet: .csv (UTF-8) or .xlsx")
    .option("--member <id>", "the cooperative (member id) the rows belong to")
    .option("--dry-run", "check every row; write nothing")
    .option("--out <file>", "write each row's outcome and each issue to this CSV")
    .option("--template <file>", "write an empty template instead (.csv or .xlsx, by its extension)")
    .option("--lang <lang>", `the template's header language: ${HEADER_LANGUAGES.join(", ")}`, "en")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (options: ImportOptions) => {
      const kind = options.kind;
      if (!kind || !(IMPORT_KINDS as readonly string[]).includes(kind)) throw new ImportCommandError(`--kind: one of ${IMPORT_KINDS.join(", ")}`);
      if (options.template) {
        const lang = options.lang as HeaderLanguage;
        if (!(HEADER_LANGUAGES as readonly string[]).includes(lang)) throw new ImportCommandError(`--lang: one of ${HEADER_LANGUAGES.join(", ")}`);
        const file = path.resolve(io.cwd, options.template);
        const bytes = file.toLowerCase().endsWith(".xlsx") ? await importer().xlsxTemplate(kind as ImportKind, lang) : importer().csvTemplate(kind as ImportKind, lang);
        fs.writeFileSync(file, bytes);
        print(`wrote the ${kind} template ${file}`);
        return;
      }
      if (!options.file) throw new ImportCommandError("--file: the spreadsheet to import");
      if (!options.member || !/^[1-9]\d{0,18}$/.test(options.member)) throw new ImportCommandError("--member: the cooperative's member id (firstmile members list)");
      const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
      const file = path.resolve(io.cwd, options.file);
      if (!fs.existsSync(file)) throw new ImportCommandError(`--file: no file ${file}`);
      const size = fs.statSync(file).size;
      if (size > config.imports.maxBytes) {
        throw new ImportCommandError(`${path.basename(file)} is ${mib(size)} MiB; an import takes at most ${mib(config.imports.maxBytes)} MiB (FIRSTMILE_IMPORT_MAX_BYTES): split the file`);
      }
      const bytes = fs.readFileSync(file);
      const memberId = BigInt(options.member);
      const dryRun = options.dryRun === true;

      const bar = io.stdout.isTTY ? new cliProgress.SingleBar({ stream: io.stdout as NodeJS.WritableStream, format: " {bar} {value}/{total} rows  {percentage}%  {eta_formatted} left", hideCursor: true }, cliProgress.Presets.shades_classic) : null;
      let started = false;
      const onProgress = (done: number, total: number) => {
        if (!bar) return;
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      };
      let report: ImportReport;
      try {
        report =
          (await viaGateway(config, { kind: kind as ImportKind, memberId, dryRun, bytes }, onProgress)) ??
          (await locally(config, { kind: kind as ImportKind, memberId, dryRun, bytes }, onProgress));
      } finally {
        if (started) bar!.stop();
      }
      printReport(report, print);
      if (options.out) {
        const out = path.resolve(io.cwd, options.out);
        fs.writeFileSync(out, reportCsv(report));
        print(`every row's outcome and every issue: ${out}`);
      }
      if (report.refused > 0 && !dryRun) print("fix the refused rows and import the same file again: the rows already imported are left unchanged");
    });
}

const mib = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

type Job = { kind: ImportKind; memberId: bigint; dryRun: boolean; bytes: Buffer };

/** Through the running gateway's control socket, or null when no gateway runs on the data dir. */
function viaGateway(config: Config, job: Job, onProgress: (done: number, total: number) => void): Promise<ImportReport | null> {
  if (!fs.existsSync(config.paths.controlSocket)) return Promise.resolve(null);
  const reachable = reachableSocketPath(config.paths.controlSocket);
  return new Promise<ImportReport | null>((resolve, reject) => {
    const request = http.request(
      { socketPath: reachable.path, method: "POST", path: `/imports?kind=${job.kind}&member=${job.memberId}&dryRun=${job.dryRun}`, headers: { "content-type": "application/octet-stream", "content-length": job.bytes.length } },
      (response) => {
        let buffered = "";
        let settled = false;
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf("\n")) !== -1) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (!line.trim()) continue;
            const message = JSON.parse(line) as { progress?: { done: number; total: number }; report?: ImportReport; error?: { message: string; advice?: string[] } };
            if (message.progress) onProgress(message.progress.done, message.progress.total);
            if (message.report) {
              settled = true;
              resolve(message.report);
            }
            if (message.error) {
              settled = true;
              reject(new ImportCommandError(message.error.message, { metaMessages: message.error.advice }));
            }
          }
        });
        response.on("end", () => {
          if (settled) return;
          try {
            const body = JSON.parse(buffered) as { error?: { message?: string } };
            reject(new ImportCommandError(body.error?.message ?? `the gateway answered ${response.statusCode}`));
          } catch {
            reject(new ImportCommandError(`the gateway answered ${response.statusCode} without a report`));
          }
        });
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNREFUSED" || error.code === "ENOENT" ? resolve(null) : reject(error)));
    request.end(job.bytes);
  }).finally(() => reachable.release());
}

/** With no gateway running: the stores opened here, under the data dir's lock. */
async function locally(config: Config, job: Job, onProgress: (done: number, total: number) => void): Promise<ImportReport> {
  const { openKeystore } = require("../../chain/keystore") as typeof import("../../chain/keystore");
  const { useNativeKeccak } = require("../../chain/nativeKeccak") as typeof import("../../chain/nativeKeccak");
  const { DeliveryCapacity, PlotRegistry } = require("../../origins") as typeof import("../../origins");
  const { withLocalStores } = require("../localStores") as typeof import("../localStores");
  // Every plot's commitment is a keccak-256, as in the gateway.
  useNativeKeccak();
  return withLocalStores(config, "import", async ({ db, evidence }) => {
    const { keystore } = await openKeystore({ db, config: config.keystore });
    try {
      const plots = await PlotRegistry.load(db, config.plots);
      const context = { db, plots, capacity: new DeliveryCapacity(db, plots), sealer: keystore.records, evidence, maxAttempts: config.relay.maxAttempts, maxBytes: config.imports.maxBytes };
      return await importer().runImport(context, { memberId: job.memberId, kind: job.kind, file: job.bytes, dryRun: job.dryRun, onProgress });
    } catch (error) {
      if (error instanceof BaseError && (error.name === "ImportFileError" || error.name === "ImportRefusedError")) throw new ImportCommandError(error.shortMessage);
      throw error;
    }
  });
}

export function printReport(report: ImportReport, print: (line: string) => void): void {
  const done = report.dryRun ? `${report.valid} valid (would be created)` : `${report.created} created`;
  print(`${report.kind} import${report.dryRun ? " (dry run: nothing written)" : ""}: ${report.rows} rows, ${done}, ${report.unchanged} unchanged, ${report.refused} refused`);
  if (report.requests.length > 0) print(`deliveries sent to the relay as ${report.requests.length} mint-batch request${report.requests.length > 1 ? "s" : ""}: ${report.requests.join(", ")}`);
  for (const issue of report.issues.slice(0, PRINTED_ISSUES)) print(`  row ${issue.row}${issue.column ? `, ${issue.column}` : ""}: ${issue.reason}`);
  if (report.issues.length > PRINTED_ISSUES) print(`  ... and ${report.issues.length - PRINTED_ISSUES} more (--out writes them all)`);
}

/** Each row's outcome, then each issue, as one CSV a spreadsheet opens (UTF-8 with a byte order mark). */
export function reportCsv(report: ImportReport): string {
  const cell = (value: unknown) => {
    const text = value === undefined || value === null ? "" : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const reasons = new Map<number, string[]>();
  for (const issue of report.issues) reasons.set(issue.row, [...(reasons.get(issue.row) ?? []), `${issue.column ? `${issue.column}: ` : ""}${issue.reason}`]);
  const lines = ["row,status,ref,farmer_code,commitment,issues"];
  for (const result of report.results) {
    lines.push([result.row, result.status, result.ref, result.code, result.commitment, (reasons.get(result.row) ?? []).join(" | ")].map(cell).join(","));
  }
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
