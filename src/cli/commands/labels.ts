import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { loadConfig } from "../../config";
import { openDatabase } from "../../db";
import { BaseError } from "../../errors";
import { sendControlCommand } from "../../gateway/controlClient";
import { readLabelLots, type ReadLabelLotsReturnType } from "../../web/labelLots";
import { LABELS_PER_SHEET, labelSheets } from "../../web/labelSheet";

export type LabelsCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/** A bad `firstmile labels` invocation (no lots, an id that is not a number, a lot nobody knows): exit code 2. */
export class LabelsUsageError extends BaseError {
  override name = "LabelsUsageError";
  readonly exitCode = 2;
}

type LabelsOptions = { lots?: string; out: string; dataDir?: string };

/**
 * `firstmile labels --lots 1,2,3 [--out labels.svg]`: printable A4 sheets (SVG) of sack labels,
 * each with its lot page's QR code, lot id, form, weight and GTIN/batch when named. The lots are
 * read from the gateway's read model: through the running gateway's control socket (it holds the
 * embedded database), or, with no gateway running, from the database directly. Nothing is written
 * unless every lot is known. More than 14 lots: one file per sheet, `labels.svg`, `labels-2.svg`, ...
 */
export function registerLabelsCommand(program: Command, io: LabelsCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const print = (line: string) => io.stdout.write(`${line}\n`);
  program
    .command("labels")
    .description("write printable A4 label sheets (SVG) with QR codes for lots, e.g. a cooperative's sacks")
    .option("--lots <ids>", "lot ids, comma-separated")
    .option("--out <file>", "SVG file to write (more sheets: <name>-2.svg, ...)", "labels.svg")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (options: LabelsOptions) => {
      const lotIds = parseLotIds(options.lots);
      const config = loadConfig({ env: io.env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
      let found: ReadLabelLotsReturnType;
      let publicBase = config.publicUrl ?? `http://${config.http.host.includes(":") ? `[${config.http.host}]` : config.http.host}:${config.http.port}`;
      const answer = await sendControlCommand(config.paths.controlSocket, "GET", `/labels?lots=${lotIds.join(",")}`);
      if (answer) {
        if (answer.status !== 200) throw new Error(`the gateway answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        const body = answer.body as ReadLabelLotsReturnType & { publicUrl: string | null };
        found = body;
        publicBase = body.publicUrl ?? publicBase;
      } else {
        const { db } = await openDatabase({ config: config.database });
        try {
          found = await readLabelLots(db, lotIds);
        } finally {
          await db.close();
        }
      }
      if (found.unknown.length > 0) {
        throw new LabelsUsageError(`unknown lot${found.unknown.length > 1 ? "s" : ""} ${found.unknown.join(", ")}: no label written`, {
          metaMessages: ["The read model knows the lots the indexer has seen; check the ids (firstmile index status)."],
        });
      }
      const sheets = labelSheets(found.lots, publicBase);
      const out = path.resolve(io.cwd, options.out);
      const files = sheets.map((_, index) => (index === 0 ? out : out.replace(/(\.svg)?$/i, `-${index + 1}$1`)));
      sheets.forEach((sheet, index) => fs.writeFileSync(files[index]!, sheet));
      print(`${found.lots.length} label${found.lots.length === 1 ? "" : "s"} on ${sheets.length} A4 sheet${sheets.length === 1 ? "" : "s"} (${LABELS_PER_SHEET} per sheet): ${files.join(", ")}`);
      print(`QR codes point at ${publicBase} (set FIRSTMILE_PUBLIC_URL to print another address)`);
    });
}

function parseLotIds(text: string | undefined): string[] {
  if (text === undefined || text.trim() === "") throw new LabelsUsageError("--lots: give the lot ids to label, comma-separated, e.g. --lots 4294967297,4294967298");
  const ids = text.split(",").map((id) => id.trim());
  const bad = ids.filter((id) => !/^[1-9]\d{0,77}$/.test(id));
  if (bad.length > 0) throw new LabelsUsageError(`--lots: not a lot id: ${bad.map((id) => JSON.stringify(id)).join(", ")} (lot ids are positive whole numbers)`);
  return [...new Set(ids)];
}
