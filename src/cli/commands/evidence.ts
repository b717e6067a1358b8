import fs from "node:fs";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { loadConfig } from "../../config";
import {
  EmbeddedEvidenceStore,
  cidToDigest,
  codecOf,
  computeEvidenceCid,
  evidenceLimitsFrom,
  evidenceStoreConfig,
  exportEvidenceCar,
  importEvidenceCar,
  openEvidenceStore,
  readFileChunks,
  type EvidenceStore,
} from "../../evidence";

/** What the commands read and write; the real process by default, a test's buffers otherwise. */
export type EvidenceCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/**
 * `firstmile evidence put|get|export|import|cid`: the evidence store from the command line, with
 * the same configuration as the gateway (`FIRSTMILE_DATA_DIR`, `FIRSTMILE_IPFS`,
 * `FIRSTMILE_KUBO_URL`, `FIRSTMILE_EVIDENCE_MAX_BYTES`).
 */
export function registerEvidenceCommand(program: Command, io: EvidenceCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const evidence = program.command("evidence").description("evidence files on IPFS: store, read (verified), export as CAR");
  const print = (line: string) => io.stdout.write(`${line}\n`);

  evidence
    .command("put <file>")
    .description("store a file as evidence (photos lose their location and device metadata first); prints its CID")
    .requiredOption("--type <mediaType>", "media type: image/jpeg, image/png, image/webp, application/pdf, application/json, application/geo+json, text/csv")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (file: string, options: { type: string; dataDir?: string }) => {
      await withStore(io, options.dataDir, async (store) => {
        const stored = await store.putStream(fs.createReadStream(file), options.type);
        print(stored.cid.toString());
        print(`bytes32 ${cidToDigest(stored.cid)} codec ${codecOf(stored.cid)} size ${stored.size}`);
        if (stored.removedMetadata.length > 0) print(`removed: ${stored.removedMetadata.join(", ")}`);
      });
    });

  evidence
    .command("get <cid>")
    .description("write a file's bytes, verified against its CID, to --out or stdout")
    .option("--out <file>", "file to write (default stdout)")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (cid: string, options: { out?: string; dataDir?: string }) => {
      await withStore(io, options.dataDir, async (store) => {
        const bytes = await store.get(cid); // whole and verified before a byte is written
        if (options.out) fs.writeFileSync(options.out, bytes);
        else await pipeline(Readable.from([bytes]), io.stdout, { end: false });
      });
    });

  evidence
    .command("export")
    .description("write every pinned evidence file to one CAR file, for any IPFS node or pinning service to import")
    .requiredOption("--out <file>", "CAR file to write")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (options: { out: string; dataDir?: string }) => {
      await withStore(io, options.dataDir, async (store) => {
        const summary = await exportEvidenceCar(store, options.out);
        print(`wrote ${options.out}: ${summary.roots.length} evidence files, ${summary.blocks} blocks, ${summary.bytes} bytes`);
      });
    });

  evidence
    .command("import <car>")
    .description("verify and store every block of a CAR file, pin its complete roots (embedded store)")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (car: string, options: { dataDir?: string }) => {
      await withStore(io, options.dataDir, async (store) => {
        if (!(store instanceof EmbeddedEvidenceStore)) throw new Error("import writes to the embedded store; for Kubo use `ipfs dag import`");
        const result = await importEvidenceCar(store, readFileChunks(car));
        print(`imported ${result.blocks} blocks, pinned ${result.pinned.length} evidence files`);
        for (const cid of result.incomplete) print(`incomplete (not pinned): ${cid}`);
      });
    });

  evidence
    .command("cid <file>")
    .description("compute a file's evidence CID and bytes32 offline (no store, no node)")
    .action(async (file: string) => {
      const cid = await computeEvidenceCid(fs.createReadStream(file));
      print(cid.toString());
      print(`bytes32 ${cidToDigest(cid)} codec ${codecOf(cid)}`);
    });
}

async function withStore(io: EvidenceCommandIo, dataDir: string | undefined, work: (store: EvidenceStore) => Promise<void>): Promise<void> {
  const config = loadConfig({ env: io.env, argv: dataDir ? [`--data-dir=${dataDir}`] : [], cwd: io.cwd });
  const store = await openEvidenceStore(evidenceStoreConfig(config), evidenceLimitsFrom(config));
  try {
    await work(store);
  } finally {
    await store.close();
  }
}
