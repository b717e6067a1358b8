import { ZeroHash, type Interface, type Provider, type Signer } from "ethers";
import { attestationRegistryInterface, formCatalogueInterface, governanceAt, governanceInterface, lotRegistryInterface } from "../chain/contracts";
import type { Deployments } from "../chain/deployments";
import { PROPOSAL_STATE_NAMES, ProposalState } from "./proposalState";

/** The contracts a proposal may call, by the names the CLI uses. */
export const TARGETS = ["lots", "forms", "attestations", "governance"] as const;
export type TargetName = (typeof TARGETS)[number];

/** A proposal's call, as `Proposed` recorded it. */
export interface ProposalCall {
  id: string;
  target: string;
  data: string;
  salt: string;
}

export interface ProposalSummary extends ProposalCall {
  state: string;
  proposer: bigint;
  readyAt: number;
  approvals: bigint;
  objections: bigint;
  required: bigint;
  /** The call in words, e.g. `lots.setMemberActive(7, false)`. */
  description: string;
}

/** Refused input (an unknown target or function, arguments that do not fit). */
export class ProposalInputError extends Error {
  override name = "ProposalInputError";
}

export function governanceOf(deployments: Deployments, runner: Signer | Provider) {
  const address = deployments.contracts.Governance?.address;
  if (!address) throw new ProposalInputError("no Governance contract in the deployments file (deploy it first)");
  return governanceAt(address, runner);
}

function interfaceOf(target: TargetName): Interface {
  // Widened to the untyped interface: the function is named on the command line.
  if (target === "lots") return lotRegistryInterface;
  if (target === "forms") return formCatalogueInterface;
  if (target === "attestations") return attestationRegistryInterface;
  return governanceInterface;
}

function addressOf(deployments: Deployments, target: TargetName): string {
  const name = ({ lots: "LotRegistry", forms: "FormCatalogue", attestations: "AttestationRegistry", governance: "Governance" } as const)[target];
  const address = deployments.contracts[name]?.address;
  if (!address) throw new ProposalInputError(`no ${name} in the deployments file`);
  return address;
}

/** Encodes `functionName(args)` on `target`, refusing unknown names and arguments that do not fit. */
export function encodeProposal(
  deployments: Deployments,
  target: string,
  functionName: string,
  argsJson: string,
): { target: string; data: string; description: string } {
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new ProposalInputError(`unknown target ${JSON.stringify(target)}: use ${TARGETS.join(", ")}`);
  }
  const contract = interfaceOf(target as TargetName);
  const fragment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(functionName) ? contract.getFunction(functionName) : null;
  if (!fragment) throw new ProposalInputError(`${target} has no function ${JSON.stringify(functionName)}`);
  let args: unknown;
  try {
    args = JSON.parse(argsJson);
  } catch {
    throw new ProposalInputError(`--args must be a JSON array, e.g. '[7, false]'`);
  }
  if (!Array.isArray(args)) throw new ProposalInputError(`--args must be a JSON array, e.g. '[7, false]'`);
  try {
    const data = contract.encodeFunctionData(fragment, args);
    return { target: addressOf(deployments, target as TargetName), data, description: `${target}.${functionName}(${args.map((a) => JSON.stringify(a)).join(", ")})` };
  } catch (error) {
    throw new ProposalInputError(`arguments do not fit ${fragment.format()}: ${(error as Error).message}`);
  }
}

/** Describes a call for people: `lots.setMemberActive(7, false)`, or the raw data if unknown. */
export function describeCall(deployments: Deployments, target: string, data: string): string {
  for (const name of TARGETS) {
    let address: string;
    try {
      address = addressOf(deployments, name);
    } catch {
      continue;
    }
    if (address.toLowerCase() !== target.toLowerCase()) continue;
    const parsed = interfaceOf(name).parseTransaction({ data });
    if (parsed) return `${name}.${parsed.name}(${parsed.args.map((arg) => String(arg)).join(", ")})`;
  }
  return `${target} ${data}`;
}

/** Every proposal made, from the `Proposed` events, with its state now; newest last. */
export async function listProposals(deployments: Deployments, provider: Provider): Promise<ProposalSummary[]> {
  const governance = governanceOf(deployments, provider);
  const fromBlock = deployments.contracts.Governance?.blockNumber ?? 0;
  const events = await governance.queryFilter(governance.filters.Proposed(), fromBlock);
  const required = await governance.requiredApprovals();
  const out: ProposalSummary[] = [];
  for (const event of events) {
    const { id, target, data, salt } = event.args;
    const [proposal, approvals, objections] = await governance.getProposal(id);
    out.push({
      id,
      target,
      data,
      salt,
      state: PROPOSAL_STATE_NAMES[Number(proposal.state) as ProposalState],
      proposer: proposal.proposer,
      readyAt: Number(proposal.readyAt),
      approvals,
      objections,
      required,
      description: describeCall(deployments, target, data),
    });
  }
  return out;
}

/** The proposal `id` as its `Proposed` event recorded it, or a clear error. */
export async function findProposal(deployments: Deployments, provider: Provider, id: string): Promise<ProposalSummary> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(id)) throw new ProposalInputError(`not a proposal id (0x + 64 hex): ${JSON.stringify(id)}`);
  const found = (await listProposals(deployments, provider)).find((proposal) => proposal.id.toLowerCase() === id.toLowerCase());
  if (!found) throw new ProposalInputError(`no proposal ${id}`);
  return found;
}

export { ZeroHash as DEFAULT_SALT };
