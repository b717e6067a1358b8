// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IMembership} from "../membership/IMembership.sol";
import {Roles} from "../membership/Roles.sol";
import {ILotRegistry} from "../lots/ILotRegistry.sol";
import {IPayoutRegistry} from "./IPayoutRegistry.sol";

/// @title PayoutRegistry
/// @notice Premium commitments on lots and payout-run roots (see {IPayoutRegistry}).
///
/// A contract of its own (the lot registry is close to the EIP-170 size limit): roles come from the
/// membership registry through {IMembership-authorize} and {IMembership-accountOf}, custody from
/// {ILotRegistry-getLot}.
///
/// @custom:security Roles are checked against `_msgSender()` (ERC-2771: the signer of a request
/// relayed through the trusted forwarder). Nothing here moves value: a root is a public promise that
/// the cooperative's private records can be checked against.
contract PayoutRegistry is IPayoutRegistry, ERC2771Context {
    /// @notice Most currencies in one payout run.
    uint256 public constant MAX_CURRENCIES = 8;

    /// @dev The membership registry, which is also the lot registry.
    address private immutable _registry;

    mapping(uint256 commitmentId => PremiumCommitment) private _commitments;
    uint256 private _commitmentCount;
    mapping(bytes32 root => PayoutRun) private _runs;
    mapping(bytes32 batchRoot => ConfirmationBatch) private _confirmationBatches;

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param registry The lot registry, which is also the membership registry.
    constructor(address trustedForwarder, address registry) ERC2771Context(trustedForwarder) {
        _registry = registry;
    }

    /// @inheritdoc IPayoutRegistry
    function commitPremium(uint256 lotId, bytes32 scheme, bytes3 currency, uint64 ratePerKg) external returns (uint256 commitmentId) {
        address caller = _msgSender();
        uint64 member = IMembership(_registry).authorize(caller, Roles.PROCESSOR | Roles.BRAND);
        if (ratePerKg == 0) revert PayoutRegistryInvalidInput("ratePerKg is zero");
        if (scheme == bytes32(0)) revert PayoutRegistryInvalidInput("scheme is empty");
        _checkCurrency(currency);
        (ILotRegistry.Lot memory lot,,) = ILotRegistry(_registry).getLot(lotId);
        // Any active account of the custodian's member may commit: custody is the member's.
        if (lot.status != ILotRegistry.LotStatus.Active) revert PayoutRegistryNotCustodian(caller, lotId, lot.custodian);
        (uint64 custodianMember,,) = IMembership(_registry).accountOf(lot.custodian);
        if (custodianMember != member) revert PayoutRegistryNotCustodian(caller, lotId, lot.custodian);
        commitmentId = ++_commitmentCount;
        _commitments[commitmentId] = PremiumCommitment({
            lotId: lotId,
            member: member,
            grams: lot.grams,
            ratePerKg: ratePerKg,
            currency: currency,
            committedAt: uint48(block.timestamp),
            scheme: scheme
        });
        emit PremiumCommitted(commitmentId, lotId, member, scheme, currency, ratePerKg, lot.grams);
    }

    /// @inheritdoc IPayoutRegistry
    function publishPayoutRun(bytes32 root, uint32 count, bytes3[] calldata currencies, uint256[] calldata totals) external {
        uint64 member = IMembership(_registry).authorize(_msgSender(), Roles.COOPERATIVE);
        if (root == bytes32(0)) revert PayoutRegistryInvalidInput("root is zero");
        if (count == 0) revert PayoutRegistryInvalidInput("count is zero");
        uint256 n = currencies.length;
        if (n == 0 || n > MAX_CURRENCIES || totals.length != n) revert PayoutRegistryInvalidInput("one total per currency, 1 to 8");
        for (uint256 i = 0; i < n; ++i) {
            _checkCurrency(currencies[i]);
            for (uint256 j = 0; j < i; ++j) {
                if (currencies[j] == currencies[i]) revert PayoutRegistryInvalidInput("a currency twice");
            }
        }
        PayoutRun storage run = _runs[root];
        if (run.member != 0) revert PayoutRegistryRootPublished(root, run.member);
        run.member = member;
        run.count = count;
        run.publishedAt = uint48(block.timestamp);
        emit PayoutRunPublished(root, member, count, currencies, totals);
    }

    /// @inheritdoc IPayoutRegistry
    function publishConfirmationRoot(bytes32 runRoot, bytes32 batchRoot, uint32 count) external {
        address caller = _msgSender();
        uint64 member = IMembership(_registry).authorize(caller, Roles.COOPERATIVE);
        if (batchRoot == bytes32(0)) revert PayoutRegistryInvalidInput("batch root is zero");
        if (count == 0) revert PayoutRegistryInvalidInput("count is zero");
        uint64 publisher = _runs[runRoot].member;
        if (publisher == 0) revert PayoutRegistryUnknownRun(runRoot);
        // Only the run's own cooperative speaks for its farmers' answers.
        if (publisher != member) revert PayoutRegistryNotRunPublisher(caller, runRoot, publisher);
        ConfirmationBatch storage batch = _confirmationBatches[batchRoot];
        if (batch.member != 0) revert PayoutRegistryConfirmationsPublished(batchRoot, batch.runRoot);
        batch.member = member;
        batch.count = count;
        batch.publishedAt = uint48(block.timestamp);
        batch.runRoot = runRoot;
        emit ConfirmationRootPublished(batchRoot, runRoot, member, count);
    }

    /// @inheritdoc IPayoutRegistry
    function confirmationBatch(bytes32 batchRoot) external view returns (ConfirmationBatch memory) {
        return _confirmationBatches[batchRoot];
    }

    /// @inheritdoc IPayoutRegistry
    function premiumCommitment(uint256 commitmentId) external view returns (PremiumCommitment memory) {
        return _commitments[commitmentId];
    }

    /// @inheritdoc IPayoutRegistry
    function commitmentCount() external view returns (uint256) {
        return _commitmentCount;
    }

    /// @inheritdoc IPayoutRegistry
    function payoutRun(bytes32 root) external view returns (PayoutRun memory) {
        return _runs[root];
    }

    /// @dev Three upper-case ASCII letters, as ISO 4217 writes them.
    function _checkCurrency(bytes3 currency) private pure {
        for (uint256 i = 0; i < 3; ++i) {
            bytes1 c = currency[i];
            if (c < 0x41 || c > 0x5a) revert PayoutRegistryInvalidCurrency(currency);
        }
    }
}
