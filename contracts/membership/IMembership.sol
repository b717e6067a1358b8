// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IMembership
/// @notice Who is in the network, with which accounts and which roles. The single source of
/// truth every other firstmile contract asks before it lets an account act.
interface IMembership {
    /// @notice A member as governors registered it.
    struct Member {
        // Role bits (see {Roles}).
        uint8 roles;
        // False while the member is suspended: none of its accounts may act.
        bool active;
        // ISO 3166-1 alpha-2 country code, e.g. "ID", "TH", "MY".
        bytes2 country;
        // Number of accounts ever attached (active or not).
        uint16 accountCount;
        // sha2-256 digest of the member's metadata document on IPFS (CIDv1 raw/dag-pb digest).
        bytes32 metadata;
    }

    /// @notice Emitted when governors add a member.
    event MemberAdded(uint64 indexed memberId, uint8 roles, bytes2 country, bytes32 metadata);
    /// @notice Emitted when an account is attached to a member.
    event AccountAdded(uint64 indexed memberId, address indexed account);
    /// @notice Emitted when an account is suspended (`active` false) or re-activated.
    event AccountStatusChanged(uint64 indexed memberId, address indexed account, bool active);
    /// @notice Emitted when a member is suspended (`active` false) or re-activated.
    event MemberStatusChanged(uint64 indexed memberId, bool active);
    /// @notice Emitted when a member's role set changes.
    event RolesChanged(uint64 indexed memberId, uint8 previousRoles, uint8 roles);
    /// @notice Emitted when a member's metadata digest changes.
    event MetadataChanged(uint64 indexed memberId, bytes32 metadata);
    /// @notice Emitted when the governance contract is set (see {setGovernance}).
    event GovernanceSet(address indexed governance);

    /// @dev `account` lacks every role of `neededRoles`, or it or its member is suspended.
    error MembershipUnauthorized(address account, uint8 neededRoles);
    /// @dev No member has id `memberId`.
    error MembershipUnknownMember(uint64 memberId);
    /// @dev `account` belongs to no member.
    error MembershipUnknownAccount(address account);
    /// @dev `account` already belongs to member `memberId`.
    error MembershipAccountTaken(address account, uint64 memberId);
    /// @dev The zero address cannot be an account.
    error MembershipZeroAccount();
    /// @dev `roles` holds bits outside the defined roles.
    error MembershipInvalidRoles(uint8 roles);
    /// @dev `country` is not two upper-case ASCII letters.
    error MembershipInvalidCountry(bytes2 country);
    /// @dev The change would leave the network with no active governor (`memberId` is the last).
    error MembershipLastGovernor(uint64 memberId);
    /// @dev Member `memberId` already has the maximum `max` accounts.
    error MembershipTooManyAccounts(uint64 memberId, uint256 max);
    /// @dev Only the governance contract `governance` may make this change (`caller` is not it):
    /// it takes a quorum of governors and a delay (see {setGovernance}).
    error MembershipNotGovernance(address caller, address governance);

    /// @notice Adds a member with its first accounts.
    /// @dev Requirements: caller is a governor, or the governance contract if `roles` include the
    /// governor role; `roles` within {Roles-ALL}; `country` two letters A-Z; accounts non-zero and not
    /// yet taken. Emits {MemberAdded} and one {AccountAdded} per account.
    /// Example: `addMember(Roles.COOPERATIVE, "ID", metadataDigest, [phone1, phone2])`.
    /// @param roles Role bits.
    /// @param country ISO 3166-1 alpha-2 code.
    /// @param metadata sha2-256 digest of the metadata document's CID.
    /// @param accounts The member's accounts (field-agent phones, custodial keys).
    /// @return memberId The new member's id (1-based, sequential).
    function addMember(uint8 roles, bytes2 country, bytes32 metadata, address[] calldata accounts)
        external
        returns (uint64 memberId);

    /// @notice Attaches another account to a member.
    /// @dev Requirements: caller is a governor, or the governance contract if the member holds the
    /// governor role, or an active account of the member itself when it holds the cooperative role
    /// and not the governor role (a cooperative enrols its field agents' phones without a
    /// governor); the account is new. Emits {AccountAdded}.
    /// Example: a cooperative's admin account calls `addAccount(ownMemberId, newPhone)`.
    /// @param memberId The member.
    /// @param account The account to attach.
    function addAccount(uint64 memberId, address account) external;

    /// @notice Suspends or re-activates one account of a member.
    /// @dev Requirements: caller is a governor, or the governance contract if the account's member
    /// holds the governor role, or an active account of that member itself when it holds the
    /// cooperative role and not the governor role (a cooperative suspends a lost phone; a
    /// suspended member can do neither, and governors can always undo). Emits {AccountStatusChanged}.
    /// @param account The account.
    /// @param active False to suspend, true to re-activate.
    function setAccountActive(address account, bool active) external;

    /// @notice Suspends or re-activates a member: a suspended member's accounts can do nothing.
    /// @dev Requirements: caller is a governor, or the governance contract if the member holds the
    /// governor role; never leaves zero active governors. Emits {MemberStatusChanged}.
    /// @param memberId The member.
    /// @param active False to suspend, true to re-activate.
    function setMemberActive(uint64 memberId, bool active) external;

    /// @notice Replaces a member's role set.
    /// @dev Requirements: caller is a governor, or the governance contract if the old or the new role
    /// set includes the governor role; never leaves zero active governors. Emits {RolesChanged}.
    /// @param memberId The member.
    /// @param roles The new role bits.
    function setRoles(uint64 memberId, uint8 roles) external;

    /// @notice Points a member at a new metadata document.
    /// @dev Requirements: caller is a governor or an active account of the member itself. Emits {MetadataChanged}.
    /// @param memberId The member.
    /// @param metadata sha2-256 digest of the new document's CID.
    function setMetadata(uint64 memberId, bytes32 metadata) external;

    /// @notice The member `memberId` and its accounts.
    /// @param memberId The member.
    /// @return member The record.
    /// @return accounts Every account ever attached, in order (see {accountOf} for each one's status).
    function getMember(uint64 memberId) external view returns (Member memory member, address[] memory accounts);

    /// @notice Which member an account belongs to and what it may do now.
    /// @param account The account.
    /// @return memberId The member (0 if none).
    /// @return accountActive Whether the account itself is active.
    /// @return effectiveRoles The member's roles if member and account are both active, else 0.
    function accountOf(address account)
        external
        view
        returns (uint64 memberId, bool accountActive, uint8 effectiveRoles);

    /// @notice The member of an active account of an active member holding any of `anyOfRoles`.
    /// @dev Reverts with {MembershipUnauthorized} otherwise. The hot path of every role check: one storage read.
    /// @param account The acting account (the contracts pass `_msgSender()`).
    /// @param anyOfRoles Role bits, any one of which suffices.
    /// @return memberId The acting member.
    function authorize(address account, uint8 anyOfRoles) external view returns (uint64 memberId);

    /// @notice Whether `account` may act now in any of `anyOfRoles`.
    /// @param account The account.
    /// @param anyOfRoles Role bits, any one of which suffices.
    /// @return True if the account and its member are active and hold one of the roles.
    function hasRole(address account, uint8 anyOfRoles) external view returns (bool);

    /// @notice Number of members ever added.
    function memberCount() external view returns (uint64);

    /// @notice Sets the governance contract: from then on, changes that add trust or power (governor
    /// membership, the form catalogue, the lot observer, schemes and accreditations) are accepted
    /// only from it, after a quorum of governors approved them and a delay passed.
    /// @dev Requirements: before a governance contract is set, caller is a governor (the deployment
    /// bootstrap); afterwards, only the governance contract itself (so it can be replaced only by
    /// its own quorum). `governance` non-zero. Emits {GovernanceSet}.
    /// @param governance The governance contract.
    function setGovernance(address governance) external;

    /// @notice The governance contract, zero before one is set.
    function governance() external view returns (address);

    /// @notice Number of members that can govern now: active, holding the governor role, with an
    /// active account. The governance contract caps its quorum at this number.
    function governorCount() external view returns (uint64);

    /// @notice Whether member `memberId` can govern now (see {governorCount}).
    function isGoverning(uint64 memberId) external view returns (bool);
}
