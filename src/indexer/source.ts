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
  /** The form catalogue, when deployed: dry-weight forms and yield bounds. */
  formCatalogue?: IndexedContract | undefined;
  /** The attestation registry, when deployed: schemes, attestations, claims, mass-balance credit. */
  attestationRegistry?: IndexedContract | undefined;
  /** The payout registry, when deployed: premium commitments and payout-run roots. */
  payoutRegistry?: IndexedContract | undefined;
  /** The DDS registry, when deployed: due diligence statement references against lots. */
  ddsRegistry?: IndexedContract | undefined;
};

export const DEFAULT_SOURCE_NAME = "chain";

/**
 * The indexer's source from a deployments file: the lot registry (which is also the membership
 * registry) and, when deployed, the form catalogue and the attestation registry.
 */
export function indexerSourceFromDeployments(deployments: Deployments, name = DEFAULT_SOURCE_NAME): IndexerSource {
  const registry = deployments.contracts.LotRegistry;
  if (!registry) throw new Error(`the deployments of ${deployments.network} have no LotRegistry: deploy the contracts first`);
  const attestations = deployments.contracts.AttestationRegistry;
  const catalogue = deployments.contracts.FormCatalogue;
  const payouts = deployments.contracts.PayoutRegistry;
  const dds = deployments.contracts.DdsRegistry;
  return {
    name,
    chainId: deployments.chainId,
    lotRegistry: { name: "LotRegistry", address: registry.address.toLowerCase(), deploymentBlock: registry.blockNumber },
    ...(catalogue ? { formCatalogue: { name: "FormCatalogue", address: catalogue.address.toLowerCase(), deploymentBlock: catalogue.blockNumber } } : {}),
    ...(attestations
      ? { attestationRegistry: { name: "AttestationRegistry", address: attestations.address.toLowerCase(), deploymentBlock: attestations.blockNumber } }
      : {}),
    ...(payouts ? { payoutRegistry: { name: "PayoutRegistry", address: payouts.address.toLowerCase(), deploymentBlock: payouts.blockNumber } } : {}),
    ...(dds ? { ddsRegistry: { name: "DdsRegistry", address: dds.address.toLowerCase(), deploymentBlock: dds.blockNumber } } : {}),
  };
}

export function sourceContracts(source: IndexerSource): IndexedContract[] {
  return [source.lotRegistry, source.formCatalogue, source.attestationRegistry, source.ddsRegistry, source.payoutRegistry].filter((contract): contract is IndexedContract => contract !== undefined);
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
