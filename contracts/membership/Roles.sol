// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Roles
/// @notice The role bits a member can hold. A member's role set is the OR of these bits.
library Roles {
    uint8 internal constant COOPERATIVE = 1 << 0;
    uint8 internal constant PROCESSOR = 1 << 1;
    uint8 internal constant CERTIFIER = 1 << 2;
    uint8 internal constant BRAND = 1 << 3;
    uint8 internal constant RELAYER = 1 << 4;
    uint8 internal constant GOVERNOR = 1 << 5;

    /// @dev Every defined bit; anything above is refused.
    uint8 internal constant ALL = (1 << 6) - 1;

    /// @dev Roles that may hold lots in custody.
    uint8 internal constant CUSTODIANS = COOPERATIVE | PROCESSOR | BRAND;
}
