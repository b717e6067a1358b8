import fs from "node:fs";
import path from "node:path";
import type { JsonRpcProvider, Signer } from "ethers";
import { NonRetryableError } from "../errors/base";
import { startAnvil, type RunningAnvil } from "./anvil";
import { connectProvider } from "./provider";

export interface EmbeddedNodeOptions {
  /** Directory of anvil's state (`config.paths.chainState`). */
  stateDir: string;
  chainId: number;
  port: number;
  /** Seconds per block and between state writes (anvil's defaults here: 1 and 1). */
  blockTime?: number | undefined;
  stateInterval?: number | undefined;
}

export interface EmbeddedNode {
  node: RunningAnvil;
  provider: JsonRpcProvider;
  chainId: number;
  /** The deployer and first governor: anvil's first unlocked development account. */
  governor: Signer;
  stop(): Promise<void>;
}

/** The chain state under the data dir was made as another chain than the one asked for. */
export class EmbeddedChainIdError extends NonRetryableError {
  override name = "EmbeddedChainIdError";
}

/** Beside anvil's state: the chain id the state was made with (anvil's state file does not say). */
const CHAIN_ID_FILE = "chain-id";

/**
 * Starts the local persistent chain (anvil with its state under `stateDir`) as chain `chainId`.
 * A chain keeps its id: anvil would load a state made as another chain and answer with the new
 * id, leaving the recorded contracts, signatures and read model of the old one behind, so a
 * state made as another chain is refused before the node starts. Deploying is not this module's
 * job: the composition root runs `deploy/` against the node.
 *
 * @throws {EmbeddedChainIdError} when the state was made as another chain.
 */
export async function startEmbeddedNode({ stateDir, chainId, port, blockTime, stateInterval }: EmbeddedNodeOptions): Promise<EmbeddedNode> {
  claimChainId(stateDir, chainId);
  const node = await startAnvil({ stateDir, port, chainId, ...(blockTime === undefined ? {} : { blockTime }), ...(stateInterval === undefined ? {} : { stateInterval }) });
  try {
    const provider = connectProvider(node.url, chainId);
    const governor = await provider.getSigner(0);
    return {
      node,
      provider,
      chainId,
      governor,
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

/** Records `chainId` for a new state; refuses a state recorded as another chain. */
function claimChainId(stateDir: string, chainId: number): void {
  const file = path.join(stateDir, CHAIN_ID_FILE);
  const recorded = fs.existsSync(file) ? Number(fs.readFileSync(file, "utf8").trim()) : null;
  if (recorded !== null && recorded !== chainId) {
    throw new EmbeddedChainIdError(`The chain state in ${stateDir} is chain ${recorded}, not chain ${chainId}`, {
      metaMessages: [`A chain keeps its id: set FIRSTMILE_CHAIN_ID=${recorded} (or unset it if ${recorded} is the default), or use another data directory for chain ${chainId}.`],
    });
  }
  if (recorded === null) {
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(file, `${chainId}\n`);
  }
}
