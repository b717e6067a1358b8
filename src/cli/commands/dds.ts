import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { openKeystore } from "../../chain/keystore";
import { loadConfig, type Config } from "../../config";
import { openDatabase } from "../../db";
import { BaseError } from "../../errors";
import { buildDds, ddsRefusalText, type DdsActivity, type DdsDocument } from "../../eudr/dds";
import { sendControlCommand } from "../../gateway/controlSocket";
import { lockDataDir } from "../../gateway/dataDirLock";

export type DdsCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/** A bad `firstmile dds` invocation, or a lot that gets no statement: exit code 2. */
export class DdsCommandError extends BaseError {
  override name = "DdsCommandError";
  readonly exitCode = 2;
}

type DdsOptions = { lot?: string; member?: string; out: string; activity?: string; allowPartial?: boolean; dataDir?: string };

const ACTIVITIES = ["import", "export", "domestic"] as const;

/**
 * `firstmile dds --lot <id> --member <id> --out dds/`: the EU due diligence statement of a lot the
 * member holds (`statement.json`) and its geolocation (`geolocation.geojson`, or several files when
 * one would pass 25 MB), from the lot's ancestry and this gateway's private plots. Through the
 * running gateway's control socket (it holds the database and the keystore), or directly with no
 * gateway running. Refuses, listing the deliveries and plots, when any lacks the EUDR claim, unless
 * `--allow-partial`.
 */
export function registerDdsCommand(program: Command, io: DdsCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const print = (line: string) => io.stdout.write(`${line}\n`);
  program
    .command("dds")
    .description("write the EU due diligence statement (JSON) and geolocation (GeoJSON) of a lot")
    .option("--lot <id>", "the lot")
    .option("--member <id>", "the member that holds it (the operator filing the statement)")
    .option("--out <dir>", "directory to write statement.json and the geolocation into", "dds")
    .option("--activity <activity>", "import | export | domestic (default: import for an operator in the EU, export elsewhere)")
    .option("--allow-partial", "write a statement marked partial when plots lack the claim")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (options: DdsOptions) => {
      if (!options.lot || !/^[1-9]\d{0,30}$/.test(options.lot)) throw new DdsCommandError("--lot: the lot id");
      if (!options.member || !/^[1-9]\d{0,18}$/.test(options.member)) throw new DdsCommandError("--member: the member id that holds the lot (firstmile members list)");
      if (options.activity && !(ACTIVITIES as readonly string[]).includes(options.activity)) throw new DdsCommandError(`--activity: one of ${ACTIVITIES.join(", ")}`);
      const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
      const job: DdsJob = { lotId: options.lot, memberId: options.member, activity: options.activity as DdsActivity | undefined, allowPartial: options.allowPartial === true };
      const document = (await viaGateway(config, job)) ?? (await locally(config, job));
      const out = path.resolve(io.cwd, options.out);
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, "statement.json"), `${JSON.stringify(document.statement, null, 2)}\n`);
      for (const file of document.files) fs.writeFileSync(path.join(out, file.name), file.text);
      const { statement } = document;
      print(`${statement.partial ? "PARTIAL " : ""}due diligence statement of lot ${statement.lot.lotId}: ${statement.commodity.netMassKg} kg ${statement.commodity.description}, HS ${statement.commodity.hsCode}, ${statement.activity}`);
      print(`  ${statement.geolocation.plots} plots from ${statement.geolocation.deliveries} deliveries; ${statement.referencedStatements.length} upstream statements referenced`);
      print(`  wrote ${path.join(out, "statement.json")} and ${document.files.map((file) => file.name).join(", ")}${statement.geolocation.split ? " (the geolocation is split: each file stays under the information system's 25 MB)" : ""}`);
      if (statement.partial) print(`  missing: ${statement.missing.length} deliveries without the claim or a plot here (see "missing" in statement.json)`);
    });
}

type DdsJob = { lotId: string; memberId: string; activity: DdsActivity | undefined; allowPartial: boolean };

async function viaGateway(config: Config, job: DdsJob): Promise<DdsDocument | null> {
  const query = new URLSearchParams({ lot: job.lotId, member: job.memberId, allowPartial: String(job.allowPartial), ...(job.activity ? { activity: job.activity } : {}) });
  const answer = await sendControlCommand(config.paths.controlSocket, "GET", `/dds?${query.toString()}`);
  if (!answer) return null;
  if (answer.status === 200) return answer.body as DdsDocument;
  const body = answer.body as { error?: { message?: string } };
  throw new DdsCommandError(body.error?.message ?? `the gateway answered ${answer.status}`);
}

async function locally(config: Config, job: DdsJob): Promise<DdsDocument> {
  const lock = lockDataDir(config.dataDir, { command: "dds", httpPort: null, chainPort: null });
  try {
    const { db } = await openDatabase({ config: config.database });
    try {
      const { keystore } = await openKeystore({ db, config: config.keystore });
      return await ddsOrUsageError({ db, sealer: keystore.records, lotId: BigInt(job.lotId), memberId: BigInt(job.memberId), activity: job.activity, allowPartial: job.allowPartial });
    } finally {
      await db.close();
    }
  } finally {
    lock.release();
  }
}

/** {@link buildDds}, its refusals as usage errors that say what is missing. */
async function ddsOrUsageError(parameters: Parameters<typeof buildDds>[0]): Promise<DdsDocument> {
  try {
    return await buildDds(parameters);
  } catch (error) {
    const refusal = ddsRefusalText(error);
    if (refusal) throw new DdsCommandError(refusal);
    throw error;
  }
}
