// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IGovernance
/// @notice Changes that add trust or power on the network (governor membership, the form catalogue
/// and yield bounds, the lot observer, schemes and accreditations) go through proposals here: one
/// governor proposes a call, a quorum of governors approves it, and it can be executed only after a
/// delay during which governors can object. See docs/governance.md.
///
/// A proposal is named by `keccak256(abi.encode(target, data, salt))`, as OpenZeppelin's
/// `TimelockController` names an operation; the salt lets the same call be proposed again.
interface IGovernance {
    /// @notice Where a proposal is in its life.
    enum ProposalState {
        None, // never proposed
        Pending, // proposed, neither executed nor cancelled
        Executed, // its call ran
        Cancelled // withdrawn by its proposer or objected to by a quorum
    }

    /// @notice A proposal. One slot: proposer | readyAt | state.
    struct Proposal {
        // The member that proposed it (its first approval).
        uint64 proposer;
        // The earliest time it can be executed: proposal time plus the delay then in force.
        uint48 readyAt;
        // Life-cycle state.
        ProposalState state;
    }

    /// @notice Emitted when a governor proposes `data` to be called on `target`.
    event Proposed(
        bytes32 indexed id, uint64 indexed proposer, address indexed target, bytes data, bytes32 salt, uint48 readyAt
    );
    /// @notice Emitted when a governor approves a proposal (the proposer's approval is {Proposed}).
    event Approved(bytes32 indexed id, uint64 indexed member);
    /// @notice Emitted when a governor objects to a proposal.
    event Objected(bytes32 indexed id, uint64 indexed member);
    /// @notice Emitted when a proposal is cancelled (by its proposer, or by a quorum of objections).
    event Cancelled(bytes32 indexed id);
    /// @notice Emitted when a proposal's call ran.
    event Executed(bytes32 indexed id, address indexed target);
    /// @notice Emitted when the delay of future proposals changes.
    event DelayChanged(uint48 delay);
    /// @notice Emitted when the quorum changes.
    event QuorumChanged(uint16 quorum);

    /// @dev No proposal has id `id`.
    error GovernanceUnknownProposal(bytes32 id);
    /// @dev Proposal `id` exists already (use another salt to propose the same call again).
    error GovernanceProposalExists(bytes32 id);
    /// @dev Proposal `id` is `state`, not pending.
    error GovernanceNotPending(bytes32 id, ProposalState state);
    /// @dev Member `member` approved or objected to proposal `id` already.
    error GovernanceAlreadyVoted(bytes32 id, uint64 member);
    /// @dev Proposal `id` can be executed from `readyAt`; it is `now`.
    error GovernanceNotReady(bytes32 id, uint48 readyAt, uint48 now);
    /// @dev Proposal `id` has `approvals` approvals of governing members; it needs `required`.
    error GovernanceQuorumNotReached(bytes32 id, uint256 approvals, uint256 required);
    /// @dev Only a proposal executed by this contract may change its settings; `caller` is not it.
    error GovernanceOnlySelf(address caller);
    /// @dev A quorum of `quorum` governors; it must be at least 1.
    error GovernanceInvalidQuorum(uint16 quorum);
    /// @dev A delay of `delay` seconds is longer than the most allowed, `maxDelay`.
    error GovernanceDelayTooLong(uint48 delay, uint48 maxDelay);
    /// @dev `caller` did not propose `id` (only the proposer may withdraw a proposal alone).
    error GovernanceNotProposer(bytes32 id, address caller);
    /// @dev A proposal's target must be a contract; `target` has no code.
    error GovernanceInvalidTarget(address target);

    /// @notice Proposes calling `target` with `data`; the proposer's approval counts.
    /// @dev Requirements: caller is an active governor account; `target` is a contract; the id is new.
    /// Emits {Proposed}. Example: a governor proposes suspending another governor with
    /// `propose(lotRegistry, abi.encodeCall(IMembership.setMemberActive, (7, false)), 0)`.
    /// @param target The contract to call (the lot registry, the attestation registry, or this).
    /// @param data The call.
    /// @param salt Any value; distinguishes proposals of the same call.
    /// @return id The proposal id.
    function propose(address target, bytes calldata data, bytes32 salt) external returns (bytes32 id);

    /// @notice Approves a pending proposal.
    /// @dev Requirements: caller is an active governor account of a member that has not voted on it.
    /// Emits {Approved}.
    /// @param id The proposal.
    function approve(bytes32 id) external;

    /// @notice Objects to a pending proposal; once the objections of governing members reach the
    /// approvals required, it is cancelled, so a quorum can stop a proposal during its delay.
    /// @dev Requirements: caller is an active governor account of a member that has not voted on it.
    /// Emits {Objected}, and {Cancelled} when the objections reach the quorum.
    /// @param id The proposal.
    function object(bytes32 id) external;

    /// @notice Withdraws a pending proposal.
    /// @dev Requirements: caller is an active account of the proposing member. Emits {Cancelled}.
    /// @param id The proposal.
    function cancel(bytes32 id) external;

    /// @notice Runs a pending proposal's call once its delay has passed and enough governing members
    /// approved it (approvals of members that no longer govern do not count).
    /// @dev Requirements: caller is an active governor account; the proposal is pending, ready, and
    /// approved by {requiredApprovals} governing members. A failing call reverts with its own error.
    /// Emits {Executed}.
    /// @param target As proposed.
    /// @param data As proposed.
    /// @param salt As proposed.
    /// @return result What the call returned.
    function execute(address target, bytes calldata data, bytes32 salt) external returns (bytes memory result);

    /// @notice Sets the delay of proposals made from now on.
    /// @dev Requirements: caller is this contract (a proposal executed); at most {MAX_DELAY}. Emits {DelayChanged}.
    /// @param delay Seconds between a proposal and its earliest execution.
    function setDelay(uint48 delay) external;

    /// @notice Sets the number of governors whose approval a proposal needs (capped by the number of
    /// governors there are).
    /// @dev Requirements: caller is this contract (a proposal executed); at least 1. Emits {QuorumChanged}.
    /// @param quorum Approvals needed.
    function setQuorum(uint16 quorum) external;

    /// @notice The id of the proposal to call `target` with `data` and `salt`.
    function proposalId(address target, bytes calldata data, bytes32 salt) external pure returns (bytes32);

    /// @notice A proposal (state None if there is none) and the approvals and objections of members
    /// that govern now.
    function getProposal(bytes32 id)
        external
        view
        returns (Proposal memory proposal, uint256 approvals, uint256 objections);

    /// @notice The approvals a proposal needs now: the quorum, or the number of governors if fewer.
    function requiredApprovals() external view returns (uint256);

    /// @notice The delay of proposals made now, in seconds.
    function delay() external view returns (uint48);

    /// @notice The quorum set (see {requiredApprovals} for what applies).
    function quorum() external view returns (uint16);

    /// @notice The membership registry whose governors govern here.
    function membership() external view returns (address);
}
