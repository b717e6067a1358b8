import { ZeroHash, keccak256, AbiCoder, type Signer } from "ethers";
import { governanceAt, lotRegistryAt, type Governance } from "../chain/contracts";
import type { Deployments } from "../chain/deployments";
import { ProposalState } from "./proposalState";

/** A change that needs governance once a governance contract is set: the call and what it does. */
export interface GovernedCall {
  target: string;
  data: string;
  /** For logs and the CLI, e.g. `registerForm(26, "cocoa shells")`. */
  description: string;
}

export interface ApplyGovernedResult {
  /** Calls that ran (directly, or proposed and executed at once). */
  executed: number;
  /** Proposals that now wait for approvals or their delay. */
  proposed: Array<{ id: string; description: string }>;
}

/**
 * Runs `calls` as the network's rules allow `signer` (a governor): directly while no governance
 * contract is set; else each as a proposal, executed at once when one approval and no delay suffice
 * (a development network with one governor), otherwise left pending for the other governors. A call
 * proposed before and still pending is not proposed twice.
 */
export async function applyGoverned(
  signer: Signer,
  deployments: Deployments,
  calls: readonly GovernedCall[],
): Promise<ApplyGovernedResult> {
  const result: ApplyGovernedResult = { executed: 0, proposed: [] };
  if (calls.length === 0) return result;
  const registry = lotRegistryAt(deployments.contracts.LotRegistry.address, signer);
  const governanceAddress = await registry.governance();
  if (governanceAddress === "0x0000000000000000000000000000000000000000") {
    let nonce = await signer.getNonce("pending");
    const sent = [];
    for (const call of calls) sent.push(await signer.sendTransaction({ to: call.target, data: call.data, nonce: nonce++ }));
    for (const transaction of sent) {
      const receipt = await transaction.wait();
      if (receipt?.status !== 1) throw new Error(`transaction ${transaction.hash} failed`);
    }
    result.executed = calls.length;
    return result;
  }
  const governance = governanceAt(governanceAddress, signer);
  const immediate = (await governance.delay()) === 0n && (await governance.requiredApprovals()) <= 1n;
  for (const call of calls) {
    const { id, salt, pending } = await freshProposal(governance, call);
    if (!pending) await (await governance.propose(call.target, call.data, salt)).wait();
    if (immediate) {
      const receipt = await (await governance.execute(call.target, call.data, salt)).wait();
      if (receipt?.status !== 1) throw new Error(`executing proposal ${id} failed`);
      result.executed += 1;
    } else {
      result.proposed.push({ id, description: call.description });
    }
  }
  return result;
}

/**
 * The proposal to use for `call`: one still pending for it (salt 0, 1, ...), or the first salt
 * not used yet (a call may be proposed again after an earlier proposal ran or was cancelled).
 */
async function freshProposal(
  governance: Governance,
  call: GovernedCall,
): Promise<{ id: string; salt: string; pending: boolean }> {
  for (let attempt = 0; ; attempt += 1) {
    const salt = attempt === 0 ? ZeroHash : keccak256(AbiCoder.defaultAbiCoder().encode(["uint256"], [attempt]));
    const id = await governance.proposalId(call.target, call.data, salt);
    const state = await proposalStateOf(governance, id);
    if (state === ProposalState.None) return { id, salt, pending: false };
    if (state === ProposalState.Pending) return { id, salt, pending: true };
  }
}

export async function proposalStateOf(
  governance: Governance,
  id: string,
): Promise<ProposalState> {
  const [proposal] = await governance.getProposal(id);
  return Number(proposal.state) as ProposalState;
}
