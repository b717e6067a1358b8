import fs from "node:fs";
import path from "node:path";
import { seedDemo, type SeedDemoReturnType } from "../../src/demo/seedDemo";
import { startTestGateway } from "../gateway/helpers";
import { sharedTemplate, TEMPLATE_FILES } from "./sharedTemplate";

/**
 * The demo story as `firstmile start` seeds it on a first start, seeded once per test run: a
 * gateway on a template data dir seeds it through its own HTTP API and relay, waits until its read
 * model holds every block, and stops (anvil writes its state, PGlite closes). It seeds with each
 * transaction mined as it arrives, as `firstmile start` does; copying the data dir takes a second.
 * A suite that copies it starts its gateway on the copy as a later `firstmile start` does, on the
 * same chain, read model, evidence and keys.
 */
export type SeededDemo = SeedDemoReturnType & {
  /** How long the seed took, in seconds. */
  seconds: number;
};

/** What a running gateway leaves in its data dir that belongs to that run only (its log, lock, socket, node pid). */
const RUN_FILES = new Set(["gateway.log", "gateway.lock", "gateway.sock", "anvil.pid", "anvil.log"]);

/** Gives `dataDir` (new) the data dir of a gateway that seeded the demo; answers what the seed did. */
export async function copySeededDemo(dataDir: string): Promise<SeededDemo> {
  const { dir, value: seeded } = await sharedTemplate("demo", seedTemplate);
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) throw new Error(`${dataDir} is not empty: the seeded demo would overwrite it`);
  fs.cpSync(dir, dataDir, { recursive: true, filter: (source) => !RUN_FILES.has(path.basename(source)) && !TEMPLATE_FILES.has(path.basename(source)) });
  return seeded;
}

async function seedTemplate(dir: string): Promise<SeededDemo> {
  // On 1 s blocks, as `firstmile start` runs: the node can then mine each of the seed's
  // transactions as it arrives (the 250 ms interval of the suites could not be set back after).
  const running = await startTestGateway(dir, { FIRSTMILE_CHAIN_BLOCK_TIME_MS: "1000" });
  try {
    const started = Date.now();
    const log = (line: string) => process.env.DEMO_SEED_LOG && console.log(`      ${((Date.now() - started) / 1000).toFixed(1)} s ${line}`);
    const result = await seedDemo({ gateway: running.gateway, file: running.config.paths.demoRecord, log });
    const seconds = (Date.now() - started) / 1000;
    // Every block of the story in the read model before the copy is taken: a suite reads it at once.
    await running.gateway.indexer.waitForBlock(await running.gateway.governor!.provider!.getBlockNumber());
    return { ...result, seconds };
  } finally {
    await running.gateway.stop();
  }
}
