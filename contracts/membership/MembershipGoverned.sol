// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IMembership} from "./IMembership.sol";
import {Roles} from "./Roles.sol";

/// @title MembershipGoverned
/// @notice A contract beside the membership registry whose rules change only by the registry's
/// governance (the attestation registry's schemes and accreditations, the form catalogue's yield
/// bounds): once a governance contract is set, only it; before that (the deployment bootstrap), any
/// governor, checked against `_msgSender()` through the trusted forwarder.
///
/// @custom:security The governance contract calls directly, never through the forwarder, so it is
/// checked against `msg.sender`.
abstract contract MembershipGoverned is ERC2771Context {
    /// @dev The membership registry (which is also the lot registry).
    address internal immutable _registry;

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param registry The lot registry, which is also the membership registry.
    constructor(address trustedForwarder, address registry) ERC2771Context(trustedForwarder) {
        _registry = registry;
    }

    /// @dev The membership registry's governance contract, or any governor before one is set.
    modifier onlyGovernance() {
        address governance = IMembership(_registry).governance();
        if (governance == address(0)) IMembership(_registry).authorize(_msgSender(), Roles.GOVERNOR);
        else if (msg.sender != governance) _revertNotGovernance(msg.sender, governance);
        _;
    }

    /// @dev Reverts with the contract's own error naming `caller` and the governance contract.
    function _revertNotGovernance(address caller, address governance) internal pure virtual;
}
