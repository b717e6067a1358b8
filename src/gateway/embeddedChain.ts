import fs from "node:fs";
import { deployAll } from "../../deploy";
import type { Deployments } from "../chain/deployments";
import { startEmbeddedNode, type EmbeddedNode, type EmbeddedNodeOptions } from "../chain/embeddedChain";
import { DEFAULTS, type DataPaths } from "../config";

export interface EmbeddedChainOptions {
  /** Where the chain state and the deployment record live (`config.paths`). */
  paths: Pick<DataPaths, "chainState" | "deploymentsFile">;
  port: number;
  /** Default: the embedded default chain id (31337). */
  chainId?: number;
  /** The node's seconds per block and between state writes (default 1 and 1). */
  blockTime?: EmbeddedNodeOptions["blockTime"];
  stateInterval?: EmbeddedNodeOptions["stateInterval"];
  log?: (message: string) => void;
}

export interface EmbeddedChain extends EmbeddedNode {
  deployments: Deployments;
  deploymentsFile: string;
  /**
   * Runs `work` with the node mining each transaction as it arrives, then back to its block
   * interval; `work` runs as it is where the interval cannot be set back (anvil takes whole
   * seconds there, and the test suites run 250 ms blocks).
   */
  withInstantBlocks<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * The embedded profile's chain: the local node started under the data dir, and the contracts
 * deployed to it by `deploy/` (idempotently: on a restart the recorded contracts are found and
 * reused), recorded in `paths.deploymentsFile`.
 */
export async function startEmbeddedChain({ paths, port, chainId = DEFAULTS.chainId, blockTime, stateInterval, log = () => {} }: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const node = await startEmbeddedNode({ stateDir: paths.chainState, chainId, port, blockTime, stateInterval });
  const interval = blockTime ?? 1;
  const restorable = Number.isInteger(interval) && interval >= 1;
  let instantDepth = 0;
  const withInstantBlocks = async <T>(work: () => Promise<T>): Promise<T> => {
    if (!restorable) return work();
    if (instantDepth++ === 0) await node.provider.send("evm_setAutomine", [true]);
    try {
      return await work();
    } finally {
      if (--instantDepth === 0) await node.provider.send("evm_setIntervalMining", [interval]);
    }
  };
  try {
    // A first deployment sends its transactions one after another, each waiting for its block: on
    // 1 s blocks, half a minute of a new user's first start.
    const deploy = () => deployAll({ signer: node.governor, file: paths.deploymentsFile, network: "embedded", log });
    const deployments = fs.existsSync(paths.deploymentsFile) ? await deploy() : await withInstantBlocks(deploy);
    return { ...node, deployments, deploymentsFile: paths.deploymentsFile, withInstantBlocks };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
