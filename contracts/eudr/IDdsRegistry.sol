// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IDdsRegistry
/// @notice References of due diligence statements (EU Deforestation Regulation 2023/1115, Art. 4)
/// filed in the EU information system, recorded against the lots they cover. The statement itself
/// (plots' geolocation, the operator's details) stays off chain; the chain keeps the two numbers the
/// information system gave the operator, so a downstream trader's statement can list them as
/// upstream references (Art. 4(8)) without ever seeing the upstream plots.
///
/// Security considerations:
/// - Only a member that holds the lot (or held it last, if it was consumed) may reference it: the
///   operator placing the material on the market files the statement for what it holds.
/// - The numbers are taken as given: the chain cannot reach the information system to check them;
///   a buyer checks them there with the verification number.
interface IDdsRegistry {
    /// @notice Emitted when member `member` records the statement it filed for lot `lotId`.
    event DdsReferenced(
        uint256 indexed lotId, uint64 indexed member, address by, string referenceNumber, string verificationNumber
    );

    /// @dev `caller` does not belong to the member whose account `custodian` holds (or last held) lot `lotId`.
    error DdsRegistryNotCustodian(address caller, uint256 lotId, address custodian);
    /// @dev A reference or verification number of `length` bytes, where 1 .. `max` are allowed.
    error DdsRegistryInvalidNumber(uint256 length, uint256 max);

    /// @notice Records the reference and verification numbers of a statement the caller's member filed
    /// for lot `lotId`. A lot may be referenced more than once (a statement amended, or filed again).
    /// @dev Requirements: caller is an active custodian-role account (cooperative, processor, brand)
    /// of the member holding the lot, or that last held it if it is consumed; each number is 1 ..
    /// {MAX_NUMBER_LENGTH} bytes. Emits {DdsReferenced}.
    /// Example: `recordStatement(4000000001, "25NLSN6LX69730", "K7R8LA5F")`.
    /// @param lotId The lot the statement covers.
    /// @param referenceNumber The statement's reference number in the EU information system.
    /// @param verificationNumber Its verification number.
    function recordStatement(uint256 lotId, string calldata referenceNumber, string calldata verificationNumber) external;

    /// @notice How many statements were referenced against lot `lotId`.
    /// @param lotId The lot.
    /// @return count The number of {DdsReferenced} events of the lot.
    function referenceCount(uint256 lotId) external view returns (uint256 count);

    /// @notice The lot registry (also the membership registry) whose lots and members this uses.
    /// @return registry Its address.
    function lotRegistry() external view returns (address registry);
}
