import fs from "node:fs";
import path from "node:path";

/** A deployed contract as the deploy steps recorded it. */
export interface DeployedContract {
  address: string;
  transactionHash: string;
  blockNumber: number;
}

/** The addresses of one network's contracts: the file the rest of the code reads. */
export interface Deployments {
  network: string;
  chainId: number;
  contracts: Record<string, DeployedContract>;
}

/** The lot registry is also the membership registry: one contract, one address. */
export const CONTRACT_NAMES = ["Forwarder", "LotRegistry", "FormCatalogue", "AttestationRegistry", "Governance", "DdsRegistry", "PayoutRegistry"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** The deployments file is missing, unreadable, or for another chain. */
export class DeploymentsError extends Error {
  override name = "DeploymentsError";
}

export function readDeployments(file: string): Deployments | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Deployments;
  } catch (cause) {
    throw new DeploymentsError(`cannot read deployments file ${file}: ${(cause as Error).message}`);
  }
}

/** Writes atomically (temp file + rename) so a crash never leaves half a file. */
export function writeDeployments(file: string, deployments: Deployments): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(deployments, null, 2)}\n`);
  fs.renameSync(temp, file);
}

/** The address of `name`, or a clear error naming the file to create. */
export function requireAddress(deployments: Deployments | undefined, name: ContractName, file: string): string {
  const address = deployments?.contracts[name]?.address;
  if (!address) throw new DeploymentsError(`${name} is not deployed: no address in ${file} (run the deploy first)`);
  return address;
}
