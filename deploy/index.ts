import type { Signer } from "ethers";
import { readDeployments, type Deployments } from "../src/chain/deployments";
import { forwarderStep } from "./001_forwarder";
import { lotRegistryStep } from "./002_lot_registry";
import { formsStep } from "./003_forms";
import { attestationsStep } from "./004_attestations";
import type { DeployStep } from "./context";


/** Every step, in order. */
export const DEPLOY_STEPS: readonly DeployStep[] = [forwarderStep, lotRegistryStep, formsStep, attestationsStep];

export interface DeployAllParameters {
  signer: Signer;
  /** The per-network deployments file, read first and rewritten after every contract. */
  file: string;
  network: string;
  log?: (message: string) => void;
}

/** Runs every step. Idempotent: a second run against the same chain and file deploys nothing. */
export async function deployAll({ signer, file, network, log = () => {} }: DeployAllParameters): Promise<Deployments> {
  const provider = signer.provider;
  if (!provider) throw new Error("the deploy signer has no provider");
  const chainId = Number((await provider.getNetwork()).chainId);
  const known = readDeployments(file);
  const deployments: Deployments =
    known && known.chainId === chainId ? known : { network, chainId, contracts: {} };
  for (const step of DEPLOY_STEPS) {
    await step.run({ signer, deployments, file, log });
  }
  return deployments;
}
