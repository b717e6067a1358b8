/** IGovernance.ProposalState. */
export enum ProposalState {
  None = 0,
  Pending = 1,
  Executed = 2,
  Cancelled = 3,
}

export const PROPOSAL_STATE_NAMES: Record<ProposalState, string> = {
  [ProposalState.None]: "none",
  [ProposalState.Pending]: "pending",
  [ProposalState.Executed]: "executed",
  [ProposalState.Cancelled]: "cancelled",
};
