import type { JsonRpcProvider, Signer } from "ethers";
import { readDeployments, requireAddress, type Deployments } from "../chain/deployments";
import { connectProvider } from "../chain/provider";
import { rpcEndpoint } from "../chain/rpcEndpoint";
import { DEVELOPMENT_CHAIN_IDS, governorSigner, releaseGovernorSigner } from "../chain/governorKey";
import type { Config } from "../config";
import { BaseError } from "../errors/base";
import { startEmbeddedChain } from "./embeddedChain";
import { stopOrphanedNode, writeNodePid } from "./orphanedNode";

/**
 * The chain as the config names it: on the embedded default, anvil started under the data dir
 * (the contracts deployed, idempotently; a node an earlier, killed gateway left running is stopped
 * first); otherwise a node's JSON-RPC and the deployments file. A governor that can sign exists on
 * the embedded chain (anvil's first development account) and on a development node with unlocked
 * accounts; a production network's governors hold their own keys (null here).
 */
export type ConnectedChain = {
  provider: JsonRpcProvider;
  url: string;
  chainId: bigint;
  deployments: Deployments;
  forwarder: string;
  registry: string;
  governor: Signer | null;
  /**
   * Whether the governor is a development node's unlocked account (anvil's first): then the
   * gateway may create and fund its own relayer. A governor with its own key (FIRSTMILE_GOVERNOR_KEY)
   * adds relayers only when asked (`firstmile members add --roles relayer`).
   */
  developmentGovernor: boolean;
  embedded: boolean;
  /** Runs `work` with each transaction mined as it arrives where the node allows it (the embedded chain), else as it is. */
  withInstantBlocks<T>(work: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
};

/** The gateway could not start (wrong chain, no deployments, port taken). */
export class GatewayStartError extends BaseError {
  override name = "GatewayStartError";
}

export async function connectChain(config: Config, log: (line: string) => void = () => {}): Promise<ConnectedChain> {
  let provider: JsonRpcProvider;
  let deployments: Deployments;
  let governor: Signer | null = null;
  let url: string;
  let stop: () => Promise<void>;
  let withInstantBlocks: ConnectedChain["withInstantBlocks"] = (work) => work();
  if (config.chain.node) {
    const { chainState } = config.paths;
    const stopped = await stopOrphanedNode(chainState);
    if (stopped) log(`stopped anvil process ${stopped}, left running by an earlier gateway on this data dir`);
    const { port, chainId, blockTime, stateInterval } = config.chain.node;
    const chain = await startEmbeddedChain({ paths: config.paths, port, chainId, blockTime, stateInterval, log: (line) => log(`  ${line}`) });
    writeNodePid(chainState, chain.node.process.pid);
    ({ provider, deployments, governor } = chain);
    url = chain.node.url;
    stop = () => chain.stop();
    withInstantBlocks = chain.withInstantBlocks;
    if (config.governorKey) {
      try {
        governor = await governorSigner(config.governorKey, provider, BigInt(chainId));
      } catch (error) {
        await stop();
        throw error;
      }
      const stopChain = stop;
      stop = async () => {
        releaseGovernorSigner(governor);
        await stopChain();
      };
    }
    return finish(config.paths.deploymentsFile);
  }
  provider = connectProvider(config.chain.rpcUrl, config.chain.chainId ?? undefined);
  stop = async () => provider.destroy();
  try {
    // Asked of the node itself: a provider given the expected id answers it without asking.
    const nodeChainId = BigInt((await provider.send("eth_chainId", [])) as string);
    if (config.chain.chainId !== null && nodeChainId !== BigInt(config.chain.chainId)) {
      throw new GatewayStartError(`The node at ${rpcEndpoint(config.chain.rpcUrl).shown} is chain ${nodeChainId}, not ${config.chain.chainId}`, {
        metaMessages: ["FIRSTMILE_CHAIN_ID names the chain the gateway expects: correct it, or point FIRSTMILE_RPC_URL at that chain's node."],
      });
    }
    const known = readDeployments(config.paths.deploymentsFile);
    if (!known || BigInt(known.chainId) !== nodeChainId) {
      throw new GatewayStartError(`No deployments of chain ${nodeChainId} in ${config.paths.deploymentsFile}`, {
        metaMessages: ["Set FIRSTMILE_DEPLOYMENTS_FILE to the JSON record of the contracts' addresses on this network."],
      });
    }
    deployments = known;
    if (config.governorKey) {
      governor = await governorSigner(config.governorKey, provider, nodeChainId);
      const release = stop;
      stop = async () => {
        releaseGovernorSigner(governor);
        await release();
      };
    } else if (config.profile === "embedded" && !DEVELOPMENT_CHAIN_IDS.includes(nodeChainId)) {
      // A node's unlocked accounts govern only a development chain.
    } else if (config.profile === "embedded") {
      const accounts = (await provider.send("eth_accounts", [])) as string[];
      if (accounts.length > 0) governor = await provider.getSigner(accounts[0]);
    }
    url = config.chain.rpcUrl;
    return finish(config.paths.deploymentsFile);
  } catch (error) {
    await stop();
    throw error;
  }

  function finish(file: string): ConnectedChain {
    return {
      provider,
      url,
      chainId: BigInt(deployments.chainId),
      deployments,
      forwarder: requireAddress(deployments, "Forwarder", file),
      registry: requireAddress(deployments, "LotRegistry", file),
      governor,
      developmentGovernor: governor !== null && config.governorKey === null,
      embedded: config.chain.node !== null,
      withInstantBlocks,
      stop,
    };
  }
}
