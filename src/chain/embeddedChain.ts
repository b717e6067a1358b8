import path from "node:path";
import type { JsonRpcProvider, Signer } from "ethers";
import { deployAll } from "../../deploy";
import type { Deployments } from "./deployments";
import { EMBEDDED_CHAIN_ID, startAnvil, type RunningAnvil } from "./anvil";
import { connectProvider } from "./provider";

export interface EmbeddedChainOptions {
  dataDir: string;
  port: number;
  log?: (message: string) => void;
}

export interface EmbeddedChain {
  node: RunningAnvil;
  provider: JsonRpcProvider;
  /** The deployer and first governor: anvil's first unlocked development account. */
  governor: Signer;
  deployments: Deployments;
  deploymentsFile: string;
  stop(): Promise<void>;
}

/** Where the embedded profile keeps the chain and its deployment record. */
export function embeddedChainPaths(dataDir: string) {
  return {
    stateDir: path.join(dataDir, "chain"),
    deploymentsFile: path.join(dataDir, "deployments", "embedded.json"),
  };
}

/**
 * Starts the local persistent chain under the data directory and deploys the contracts
 * (idempotently: on a restart the recorded contracts are found and reused).
 */
export async function startEmbeddedChain({ dataDir, port, log = () => {} }: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const { stateDir, deploymentsFile } = embeddedChainPaths(dataDir);
  const node = await startAnvil({ stateDir, port });
  try {
    const provider = connectProvider(node.url, EMBEDDED_CHAIN_ID);
    const governor = await provider.getSigner(0);
    const deployments = await deployAll({ signer: governor, file: deploymentsFile, network: "embedded", log });
    return {
      node,
      provider,
      governor,
      deployments,
      deploymentsFile,
      async stop() {
        provider.destroy();
        await node.stop();
      },
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
