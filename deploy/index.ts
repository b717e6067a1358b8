import type { Signer } from "ethers";
import { readDeployments, type Deployments } from "../src/chain/deployments";
import { forwarderStep } from "./001_forwarder";
import { lotRegistryStep } from "./002_lot_registry";
import { formsStep } from "./003_forms";
import { attestationsStep } from "./004_attestations";
import { governanceStep } from "./005_governance";
import { ddsStep } from "./006_dds";
import { payoutsStep } from "./007_payouts";
import type { DeployStep, GovernanceSettings } from "./context";


/** Every step, in order. */
export const DEPLOY_STEPS: readonly DeployStep[] = [forwarderStep, lotRegistryStep, formsStep, attestationsStep, governanceStep, ddsStep, payoutsStep];

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
  /** Register the demo schemes; by default only on the development networks ("embedded", "hardhat"). */
  demoSchemes?: boolean;
  log?: (message: string) => void;
}

/** Runs every step. Idempotent: a second run against the same chain and file deploys nothing. */
export async function deployAll({
  signer,
  file,
  network,
  governance = DEVELOPMENT_GOVERNANCE,
  demoSchemes = DEVELOPMENT_NETWORKS.includes(network),
  log = () => {},
}: DeployAllParameters): Promise<Deployments> {
  const provider = signer.provider;
  if (!provider) throw new Error("the deploy signer has no provider");
  const chainId = Number((await provider.getNetwork()).chainId);
  const known = readDeployments(file);
  const deployments: Deployments =
    known && known.chainId === chainId ? known : { network, chainId, contracts: {} };
  for (const step of DEPLOY_STEPS) {
    await step.run({ signer, deployments, file, governance, demoSchemes, log });
  }
  return deployments;
}
