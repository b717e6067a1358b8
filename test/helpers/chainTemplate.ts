import fs from "node:fs";
import path from "node:path";
import { dataPaths } from "../../src/config";
import { startEmbeddedChain } from "../../src/gateway/embeddedChain";
import { freePort } from "./ports";
import { sharedTemplate } from "./sharedTemplate";
import { TEST_NODE } from "./testNode";

/**
 * The embedded chain as a gateway's first start leaves it: anvil's saved state with every contract
 * deployed and the catalogue registered, and the deployments record beside it. Deploying costs
 * about 25 transactions (~15 s on 1 s blocks, a few on the test nodes' quarter seconds); copying
 * the result, milliseconds. A data dir seeded
 * from it starts as a restart does: the gateway still runs its own anvil and `deploy/`, which finds
 * every contract and sends nothing. Made once per test run, on first use (test/helpers/sharedTemplate.ts).
 *
 * Suites that test the first deployment itself (embedded chain, `firstmile start`) start from an
 * empty data dir instead.
 */
/** Files of a data dir that make up the deployed chain (anvil's own log and pid file are not copied). */
const CHAIN_FILES = ["state.json", "chain-id"];

/** Gives `dataDir` (new, or without a chain yet) the deployed embedded chain of the template. */
export function copyChainTemplate(dataDir: string): Promise<void> {
  return copyChainTemplateTo(dataPaths(dataDir));
}

/** The same, to a node's state dir and a deployments file of the caller's choosing (an external node's). */
export async function copyChainTemplateTo(target: { chainState: string; deploymentsFile: string }): Promise<void> {
  const source = dataPaths((await sharedTemplate("chain", deployTemplate)).dir);
  if (fs.existsSync(target.deploymentsFile) || fs.existsSync(path.join(target.chainState, "state.json"))) {
    throw new Error(`${target.chainState} already has a chain: the template would overwrite it`);
  }
  fs.mkdirSync(target.chainState, { recursive: true });
  for (const file of CHAIN_FILES) fs.copyFileSync(path.join(source.chainState, file), path.join(target.chainState, file));
  fs.mkdirSync(path.dirname(target.deploymentsFile), { recursive: true });
  fs.copyFileSync(source.deploymentsFile, target.deploymentsFile);
}

async function deployTemplate(dir: string): Promise<null> {
  const chain = await startEmbeddedChain({ paths: dataPaths(dir), port: await freePort(), ...TEST_NODE });
  // Stopped with SIGINT, anvil writes its whole state (blocks and logs included) before it exits.
  await chain.stop();
  return null;
}
