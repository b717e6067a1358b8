// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IMembership} from "../membership/IMembership.sol";
import {Roles} from "../membership/Roles.sol";
import {IGovernance} from "./IGovernance.sol";

/// @title Governance
/// @notice Proposals with a quorum of governors and a delay, for every change that adds trust or
/// power (see {IGovernance}). The lot registry, the membership registry and the attestation registry
/// accept those changes only from this contract.
///
/// Storage plan: `_proposals[id]`, one slot; `_votes[id]`, the members that approved (`true`) or
/// objected, with their lists so that execution can count only members that still govern (a
/// governor suspended after approving no longer counts).
///
/// @custom:security Governors act through `_msgSender()` (ERC-2771: a governor without a node signs a
/// request the gateway relays). The calls it makes go out with this contract as `msg.sender`, which
/// is what the registries check. A proposal's call runs after its state is set to executed, so it
/// cannot run twice, even if the target calls back.
contract Governance is IGovernance, ERC2771Context {
    /// @notice The longest delay governance may set (so a quorum cannot lock itself out for years).
    uint48 public constant MAX_DELAY = 30 days;

    IMembership private immutable _membership;
    uint48 private _delay;
    uint16 private _quorum;
    mapping(bytes32 id => Proposal) private _proposals;
    mapping(bytes32 id => mapping(uint64 member => bool)) private _voted;
    mapping(bytes32 id => uint64[]) private _approvers;
    mapping(bytes32 id => uint64[]) private _objectors;

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param membership_ The membership registry (the lot registry).
    /// @param delay_ Seconds between a proposal and its earliest execution.
    /// @param quorum_ Approvals needed (capped by the number of governors).
    constructor(address trustedForwarder, address membership_, uint48 delay_, uint16 quorum_)
        ERC2771Context(trustedForwarder)
    {
        _membership = IMembership(membership_);
        _setDelay(delay_);
        _setQuorum(quorum_);
    }

    modifier onlySelf() {
        if (msg.sender != address(this)) revert GovernanceOnlySelf(msg.sender);
        _;
    }

    /// @inheritdoc IGovernance
    function propose(address target, bytes calldata data, bytes32 salt) external returns (bytes32 id) {
        uint64 member = _governor();
        if (target.code.length == 0) revert GovernanceInvalidTarget(target);
        id = proposalId(target, data, salt);
        if (_proposals[id].state != ProposalState.None) revert GovernanceProposalExists(id);
        uint48 readyAt = uint48(block.timestamp) + _delay;
        _proposals[id] = Proposal(member, readyAt, ProposalState.Pending);
        _voted[id][member] = true;
        _approvers[id].push(member);
        emit Proposed(id, member, target, data, salt, readyAt);
    }

    /// @inheritdoc IGovernance
    function approve(bytes32 id) external {
        uint64 member = _vote(id);
        _approvers[id].push(member);
        emit Approved(id, member);
    }

    /// @inheritdoc IGovernance
    function object(bytes32 id) external {
        uint64 member = _vote(id);
        _objectors[id].push(member);
        emit Objected(id, member);
        if (_governing(_objectors[id]) >= requiredApprovals()) _cancel(id);
    }

    /// @inheritdoc IGovernance
    function cancel(bytes32 id) external {
        Proposal storage proposal = _pending(id);
        (uint64 member,,) = _membership.accountOf(_msgSender());
        if (member == 0 || member != proposal.proposer) revert GovernanceNotProposer(id, _msgSender());
        _membership.authorize(_msgSender(), Roles.GOVERNOR);
        _cancel(id);
    }

    /// @inheritdoc IGovernance
    function execute(address target, bytes calldata data, bytes32 salt) external returns (bytes memory result) {
        _governor();
        bytes32 id = proposalId(target, data, salt);
        Proposal storage proposal = _pending(id);
        uint48 now_ = uint48(block.timestamp);
        if (now_ < proposal.readyAt) revert GovernanceNotReady(id, proposal.readyAt, now_);
        uint256 approvals = _governing(_approvers[id]);
        uint256 required = requiredApprovals();
        if (approvals < required) revert GovernanceQuorumNotReached(id, approvals, required);
        proposal.state = ProposalState.Executed;
        result = Address.functionCall(target, data);
        emit Executed(id, target);
    }

    /// @inheritdoc IGovernance
    function setDelay(uint48 delay_) external onlySelf {
        _setDelay(delay_);
    }

    /// @inheritdoc IGovernance
    function setQuorum(uint16 quorum_) external onlySelf {
        _setQuorum(quorum_);
    }

    /// @inheritdoc IGovernance
    function proposalId(address target, bytes calldata data, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(target, data, salt));
    }

    /// @inheritdoc IGovernance
    function getProposal(bytes32 id)
        external
        view
        returns (Proposal memory proposal, uint256 approvals, uint256 objections)
    {
        return (_proposals[id], _governing(_approvers[id]), _governing(_objectors[id]));
    }

    /// @inheritdoc IGovernance
    function requiredApprovals() public view returns (uint256) {
        uint256 governors = _membership.governorCount();
        return governors < _quorum ? governors : _quorum;
    }

    /// @inheritdoc IGovernance
    function delay() external view returns (uint48) {
        return _delay;
    }

    /// @inheritdoc IGovernance
    function quorum() external view returns (uint16) {
        return _quorum;
    }

    /// @inheritdoc IGovernance
    function membership() external view returns (address) {
        return address(_membership);
    }

    function _governor() private view returns (uint64) {
        return _membership.authorize(_msgSender(), Roles.GOVERNOR);
    }

    /// @dev Records the caller's member as having voted on pending proposal `id`.
    function _vote(bytes32 id) private returns (uint64 member) {
        member = _governor();
        _pending(id);
        if (_voted[id][member]) revert GovernanceAlreadyVoted(id, member);
        _voted[id][member] = true;
    }

    function _pending(bytes32 id) private view returns (Proposal storage proposal) {
        proposal = _proposals[id];
        ProposalState state = proposal.state;
        if (state == ProposalState.None) revert GovernanceUnknownProposal(id);
        if (state != ProposalState.Pending) revert GovernanceNotPending(id, state);
    }

    function _cancel(bytes32 id) private {
        _proposals[id].state = ProposalState.Cancelled;
        emit Cancelled(id);
    }

    /// @dev How many of `members` govern now. Lists are short: at most one entry per governor.
    function _governing(uint64[] storage members) private view returns (uint256 count) {
        for (uint256 i = 0; i < members.length; ++i) {
            if (_membership.isGoverning(members[i])) ++count;
        }
    }

    function _setDelay(uint48 delay_) private {
        if (delay_ > MAX_DELAY) revert GovernanceDelayTooLong(delay_, MAX_DELAY);
        _delay = delay_;
        emit DelayChanged(delay_);
    }

    function _setQuorum(uint16 quorum_) private {
        if (quorum_ == 0) revert GovernanceInvalidQuorum(quorum_);
        _quorum = quorum_;
        emit QuorumChanged(quorum_);
    }
}
