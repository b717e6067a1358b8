import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { readDeployments } from "../../chain/deployments";
import { loadConfig, type Config } from "../../config";
import { openDatabase } from "../../db";
import { exportLotEpcis, type EpcisDocument } from "../../epcis";
import { BaseError } from "../../errors";
import { sendControlCommand } from "../../gateway/controlSocket";
import { lockDataDir } from "../../gateway/dataDirLock";

export type EpcisCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/** A bad `firstmile epcis` invocation or an unknown lot: exit code 2. */
export class EpcisCommandError extends BaseError {
  override name = "EpcisCommandError";
  readonly exitCode = 2;
}

type EpcisOptions = { lot?: string; out?: string; dataDir?: string };

/**
 * `firstmile epcis --lot <id> [--out file.jsonld]`: the lot's whole history (with everything it
 * was made from) as a GS1 EPCIS 2.0 JSON-LD document, on stdout or into a file. Through the
 * running gateway's control socket, or from the database directly with no gateway running.
 */
export function registerEpcisCommand(program: Command, io: EpcisCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  program
    .command("epcis")
    .description("export a lot's history as a GS1 EPCIS 2.0 JSON-LD document")
    .option("--lot <id>", "the lot")
    .option("--out <file>", "file to write (default: standard output)")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (options: EpcisOptions) => {
      if (!options.lot || !/^[1-9]\d{0,18}$/.test(options.lot)) throw new EpcisCommandError("--lot: the lot id, a positive whole number");
      const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
      const document = (await viaGateway(config, options.lot)) ?? (await locally(config, options.lot));
      const text = `${JSON.stringify(document, null, 2)}\n`;
      if (options.out === undefined) return void io.stdout.write(text);
      const out = path.resolve(io.cwd, options.out);
      fs.writeFileSync(out, text);
      io.stdout.write(`lot ${options.lot}: ${document.epcisBody.eventList.length} EPCIS events written to ${out}\n`);
    });
}

async function viaGateway(config: Config, lotId: string): Promise<EpcisDocument | null> {
  const answer = await sendControlCommand(config.paths.controlSocket, "GET", `/epcis?lot=${lotId}`);
  if (!answer) return null;
  if (answer.status === 200) return answer.body as EpcisDocument;
  if (answer.status === 404) throw new EpcisCommandError(`lot ${lotId} is not known to this gateway's read model`);
  const body = answer.body as { error?: { message?: string } };
  throw new Error(body.error?.message ?? `the gateway answered ${answer.status}`);
}

async function locally(config: Config, lotId: string): Promise<EpcisDocument> {
  const deployments = readDeployments(config.paths.deploymentsFile);
  if (!deployments) throw new EpcisCommandError(`no deployments file at ${config.paths.deploymentsFile}: start the gateway once (firstmile start)`);
  const publicBase = (config.publicUrl ?? `http://${config.http.host.includes(":") ? `[${config.http.host}]` : config.http.host}:${config.http.port}`).replace(/\/+$/, "");
  const lock = lockDataDir(config.dataDir, { command: "epcis", httpPort: null, chainPort: null });
  try {
    const { db } = await openDatabase({ config: config.database });
    try {
      const document = await exportLotEpcis({ db, lotId: BigInt(lotId), publicBase, chainId: BigInt(deployments.chainId) });
      if (!document) throw new EpcisCommandError(`lot ${lotId} is not known to this gateway's read model`);
      return document;
    } finally {
      await db.close();
    }
  } finally {
    lock.release();
  }
}
