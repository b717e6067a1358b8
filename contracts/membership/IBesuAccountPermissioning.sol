// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IBesuAccountPermissioning
/// @notice Hyperledger Besu's on-chain account-permissioning interface. A Besu node started with
/// `--permissions-accounts-contract-enabled` and `--permissions-accounts-contract-address=<this>`
/// calls it for every transaction it would accept into its pool or a block.
interface IBesuAccountPermissioning {
    /// @notice Whether `sender` may send this transaction.
    /// @param sender The transaction's signer.
    /// @param target The transaction's `to` (zero for contract creation).
    /// @param value Wei sent.
    /// @param gasPrice Gas price.
    /// @param gasLimit Gas limit.
    /// @param payload Call data.
    /// @return True if the transaction may proceed.
    function transactionAllowed(
        address sender,
        address target,
        uint256 value,
        uint256 gasPrice,
        uint256 gasLimit,
        bytes calldata payload
    ) external view returns (bool);
}
