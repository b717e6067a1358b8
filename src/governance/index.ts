export { applyGoverned, type ApplyGovernedResult, type GovernedCall } from "./governedCall";
export { ProposalState, PROPOSAL_STATE_NAMES } from "./proposalState";
export {
  DEFAULT_SALT,
  ProposalInputError,
  TARGETS,
  describeCall,
  encodeProposal,
  findProposal,
  governanceOf,
  listProposals,
  type ProposalSummary,
} from "./proposals";
