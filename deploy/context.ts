import type { ContractTransactionResponse, Signer } from "ethers";
import { writeDeployments, type ContractName, type Deployments } from "../src/chain/deployments";
import { applyGoverned, type GovernedCall } from "../src/governance/governedCall";

/** How the governance contract is set up when it is first deployed. */
export interface GovernanceSettings {
  /** Seconds between a proposal and its earliest execution. */
  delaySeconds: number;
  /** Approvals of governors a proposal needs (capped by the number of governors). */
  quorum: number;
}

/** What every deploy step gets: a funded signer (a governor after step 002) and the record. */
export interface DeployContext {
  signer: Signer;
  deployments: Deployments;
  file: string;
  governance: GovernanceSettings;
  /** ISO 3166-1 alpha-2 country of the first governor (member 1), used when the lot registry is first deployed. */
  governorCountry: string;
  log(message: string): void;
}

/**
 * Makes catalogue changes (forms, bounds, schemes, observer): directly while no governance contract
 * is set (the first deployment), else as proposals, executed at once only where one approval and no
 * delay suffice; otherwise they wait for the governors (`firstmile governance`). Returns how many
 * ran now.
 */
export async function applyChanges(context: DeployContext, calls: readonly GovernedCall[]): Promise<number> {
  if (calls.length === 0) return 0;
  const outcome = await applyGoverned(context.signer, context.deployments, calls);
  for (const pending of outcome.proposed) {
    context.log(`governance: proposed ${pending.description} as ${pending.id}; it needs the governors' approval`);
  }
  return outcome.executed;
}

export interface DeployStep {
  /** Numbered, e.g. "001_forwarder": steps run in this order. */
  id: string;
  run(context: DeployContext): Promise<void>;
}

interface Deployable {
  waitForDeployment(): Promise<unknown>;
  getAddress(): Promise<string>;
  deploymentTransaction(): ContractTransactionResponse | null;
}

/**
 * Deploys `name` unless the record already names an address with code on this chain, then saves
 * the record at once: running a step twice deploys nothing new.
 */
export async function ensureContract(
  context: DeployContext,
  name: ContractName,
  deploy: () => Promise<Deployable>,
): Promise<string> {
  const known = context.deployments.contracts[name];
  const provider = context.signer.provider;
  if (!provider) throw new Error("the deploy signer has no provider");
  if (known && (await provider.getCode(known.address)) !== "0x") {
    context.log(`${name}: reusing ${known.address}`);
    return known.address;
  }
  const contract = await deploy();
  await contract.waitForDeployment();
  const transaction = contract.deploymentTransaction();
  const receipt = await transaction?.wait();
  const address = await contract.getAddress();
  context.deployments.contracts[name] = {
    address,
    transactionHash: transaction?.hash ?? "",
    blockNumber: receipt?.blockNumber ?? 0,
  };
  writeDeployments(context.file, context.deployments);
  context.log(`${name}: deployed at ${address}`);
  return address;
}

/** Sends transactions with consecutive nonces without waiting in between, then waits for all. */
export async function sendAll(
  signer: Signer,
  calls: ReadonlyArray<(overrides: { nonce: number }) => Promise<ContractTransactionResponse>>,
): Promise<void> {
  if (calls.length === 0) return;
  let nonce = await signer.getNonce("pending");
  const sent: ContractTransactionResponse[] = [];
  for (const call of calls) sent.push(await call({ nonce: nonce++ }));
  for (const transaction of sent) {
    const receipt = await transaction.wait();
    if (receipt?.status !== 1) throw new Error(`transaction ${transaction.hash} failed`);
  }
}

/** A count of what a step keeps on chain: `total` held, of which this run `changed` (registered, set). */
export type CatalogueCount = { total: number; noun: string; changed: number; verb: string };

/**
 * What a step's catalogue holds on chain and what this run changed: "13 forms (13 new), 10 yield
 * bounds (10 set)" on a first start, "13 forms, 10 yield bounds, none new" on a restart (rather than
 * "0 registered", which reads as if there were none).
 */
export function catalogueLine(counts: readonly CatalogueCount[]): string {
  const held = counts.map((count) => (count.changed > 0 ? `${count.total} ${count.noun} (${count.changed} ${count.verb})` : `${count.total} ${count.noun}`));
  return counts.every((count) => count.changed === 0) ? `${held.join(", ")}, none new` : held.join(", ");
}
