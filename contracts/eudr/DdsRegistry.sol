// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IMembership} from "../membership/IMembership.sol";
import {Roles} from "../membership/Roles.sol";
import {ILotRegistry} from "../lots/ILotRegistry.sol";
import {IDdsRegistry} from "./IDdsRegistry.sol";

/// @title DdsRegistry
/// @notice Due diligence statement references against lots (see {IDdsRegistry}). A contract of its
/// own: the lot registry is close to the EIP-170 size limit, and statements are a compliance
/// record beside the chain of custody, not a change of it.
///
/// Storage plan: `_counts[lotId]`, how many statements reference the lot; the numbers themselves
/// are only in the {DdsReferenced} event (the indexer keeps them in SQL).
///
/// @custom:security The member is checked against `_msgSender()` (ERC-2771: the signer of a request
/// relayed through the trusted forwarder), never against the relayer.
contract DdsRegistry is IDdsRegistry, ERC2771Context {
    /// @notice Longest reference or verification number, in bytes (the EU system's are 14 and 8).
    uint256 public constant MAX_NUMBER_LENGTH = 64;

    /// @dev The lot registry, which is also the membership registry.
    address private immutable _registry;
    mapping(uint256 lotId => uint256 count) private _counts;

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param registry The lot registry, which is also the membership registry.
    constructor(address trustedForwarder, address registry) ERC2771Context(trustedForwarder) {
        _registry = registry;
    }

    /// @inheritdoc IDdsRegistry
    function recordStatement(uint256 lotId, string calldata referenceNumber, string calldata verificationNumber)
        external
    {
        _checkNumber(referenceNumber);
        _checkNumber(verificationNumber);
        address caller = _msgSender();
        uint64 member = IMembership(_registry).authorize(caller, Roles.CUSTODIANS);
        // Reverts with LotRegistryUnknownLot for a lot never minted. A consumed lot keeps its last
        // custodian: the statement of what a product was made from is filed by whoever made it.
        (ILotRegistry.Lot memory lot,,) = ILotRegistry(_registry).getLot(lotId);
        if (lot.custodian != caller) {
            (uint64 holder,,) = IMembership(_registry).accountOf(lot.custodian);
            if (holder != member) revert DdsRegistryNotCustodian(caller, lotId, lot.custodian);
        }
        ++_counts[lotId];
        emit DdsReferenced(lotId, member, caller, referenceNumber, verificationNumber);
    }

    /// @inheritdoc IDdsRegistry
    function referenceCount(uint256 lotId) external view returns (uint256 count) {
        return _counts[lotId];
    }

    /// @inheritdoc IDdsRegistry
    function lotRegistry() external view returns (address registry) {
        return _registry;
    }

    function _checkNumber(string calldata number) private pure {
        uint256 length = bytes(number).length;
        if (length == 0 || length > MAX_NUMBER_LENGTH) revert DdsRegistryInvalidNumber(length, MAX_NUMBER_LENGTH);
    }
}
