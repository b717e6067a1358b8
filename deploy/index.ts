import type { Signer } from "ethers";
import { readDeployments, type Deployments } from "../src/chain/deployments";
import { forwarderStep } from "./001_forwarder";
import { lotRegistryStep } from "./002_lot_registry";
import { formsStep } from "./003_forms";
import { attestationsStep } from "./004_attestations";
import { governanceStep } from "./005_governance";
import { ddsStep } from "./006_dds";
import { payoutsStep } from "./007_payouts";
import { demoSchemesStep } from "./demo/001_demo_schemes";
import type { DeployStep, GovernanceSettings } from "./context";
import { DEVELOPMENT_CHAIN_IDS } from "../src/chain/governorKey";

/** Every step a network needs, in order: contracts, the form catalogue, wiring, governance. No demo data. */
export const DEPLOY_STEPS: readonly DeployStep[] = [forwarderStep, lotRegistryStep, formsStep, attestationsStep, governanceStep, ddsStep, payoutsStep];

/**
 * The steps on a development chain with the demo: the same, and the demo schemes registered right
 * after the attestation registry (directly, while no governance is set yet, as before).
 */
export const DEMO_DEPLOY_STEPS: readonly DeployStep[] = [forwarderStep, lotRegistryStep, formsStep, attestationsStep, demoSchemesStep, governanceStep, ddsStep, payoutsStep];

/** The first governor's country when none is given (the demo's networks are run from Indonesia). */
export const DEFAULT_GOVERNOR_COUNTRY = "ID";

/**
 * Governance of a network deployed without settings: one governor may act at once (a development
 * network, the demo). A production deployment passes its own (docs/governance.md: e.g. 2 days, 2).
 */
export const DEVELOPMENT_GOVERNANCE: GovernanceSettings = { delaySeconds: 0, quorum: 1 };

/** Networks that get the demo schemes by default. */
export const DEVELOPMENT_NETWORKS: readonly string[] = ["embedded", "hardhat"];

export interface DeployAllParameters {
  signer: Signer;
  /** The per-network deployments file, read first and rewritten after every contract. */
  file: string;
  network: string;
  /** Used only when the governance contract is first deployed. */
  governance?: GovernanceSettings;
  /**
   * Run the demo steps (the demo schemes); by default only on the development networks ("embedded",
   * "hardhat"). Refused on a chain that is not a development chain (chain id 31337).
   */
  demoSchemes?: boolean;
  /** The first governor's country (ISO 3166-1 alpha-2; default ID), when the lot registry is first deployed. */
  governorCountry?: string;
  log?: (message: string) => void;
}

/** Runs every step. Idempotent: a second run against the same chain and file deploys nothing. */
export async function deployAll({
  signer,
  file,
  network,
  governance = DEVELOPMENT_GOVERNANCE,
  demoSchemes,
  governorCountry = DEFAULT_GOVERNOR_COUNTRY,
  log = () => {},
}: DeployAllParameters): Promise<Deployments> {
  const provider = signer.provider;
  if (!provider) throw new Error("the deploy signer has no provider");
  const chainId = Number((await provider.getNetwork()).chainId);
  const developmentChain = DEVELOPMENT_CHAIN_IDS.includes(BigInt(chainId));
  if (demoSchemes === true && !developmentChain) throw new Error(`no demo data on chain ${chainId}: the demo steps run on a development chain (31337) only`);
  const demo = demoSchemes ?? (developmentChain && DEVELOPMENT_NETWORKS.includes(network));
  if (!/^[A-Z]{2}$/.test(governorCountry)) throw new Error(`the first governor's country must be an ISO 3166-1 alpha-2 code (e.g. ID, MY), got ${JSON.stringify(governorCountry)}`);
  const known = readDeployments(file);
  const deployments: Deployments =
    known && known.chainId === chainId ? known : { network, chainId, contracts: {} };
  for (const step of demo ? DEMO_DEPLOY_STEPS : DEPLOY_STEPS) {
    await step.run({ signer, deployments, file, governance, governorCountry, log });
  }
  return deployments;
}
