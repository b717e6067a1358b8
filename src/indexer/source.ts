import type { Deployments } from "../chain/deployments";

/** One contract the indexer reads, from its deployment block on. */
export type IndexedContract = { name: string; address: string; deploymentBlock: number };

/**
 * What an indexer reads: a chain and its contracts. Its `key` is stored beside the checkpoint, so
 * a read model built from other contracts (a redeployed network) is refused rather than extended.
 */
export type IndexerSource = {
  /** Checkpoint row name. */
  name: string;
  chainId: number;
  lotRegistry: IndexedContract;
};

export const DEFAULT_SOURCE_NAME = "chain";

/** The indexer's source from a deployments file (the lot registry, which is also the membership registry). */
export function indexerSourceFromDeployments(deployments: Deployments, name = DEFAULT_SOURCE_NAME): IndexerSource {
  const registry = deployments.contracts.LotRegistry;
  if (!registry) throw new Error(`the deployments of ${deployments.network} have no LotRegistry: deploy the contracts first`);
  return {
    name,
    chainId: deployments.chainId,
    lotRegistry: { name: "LotRegistry", address: registry.address.toLowerCase(), deploymentBlock: registry.blockNumber },
  };
}

export function sourceContracts(source: IndexerSource): IndexedContract[] {
  return [source.lotRegistry];
}

/** `LotRegistry=0xabc…@12`, comma-separated: what the checkpoint row records. */
export function sourceKey(source: IndexerSource): string {
  return sourceContracts(source)
    .map((contract) => `${contract.name}=${contract.address.toLowerCase()}@${contract.deploymentBlock}`)
    .join(",");
}

/** The first block with events to read: the earliest deployment. */
export function sourceStartBlock(source: IndexerSource): number {
  return Math.min(...sourceContracts(source).map((contract) => contract.deploymentBlock));
}
