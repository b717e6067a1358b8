// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {IMembership} from "./IMembership.sol";
import {IBesuAccountPermissioning} from "./IBesuAccountPermissioning.sol";
import {Roles} from "./Roles.sol";

/// @title Membership
/// @notice The membership registry: members, their accounts and roles, governed by governors.
/// Abstract: the lot registry inherits it, so one deployed contract answers both (and Besu's
/// account-permissioning call), and a lot operation's role check is an internal read.
///
/// Storage plan: the hot path (every role check) reads one slot, the account's {AccountRecord},
/// which caches the member's roles and status beside the account's lot counters (number, lot
/// sequence, ERC-721 balance), so a mint reads and writes that one slot for all of them.
/// Governor actions, which are rare, refresh the cache for each of the member's accounts (at most
/// {MAX_ACCOUNTS}).
///
/// Two levels of authority. Any one governor may act alone where an action withdraws trust from a
/// non-governor or adds an ordinary member (suspend or reinstate a cooperative, add a processor): an
/// emergency brake that other governors can undo at once. Whatever adds trust or power, or touches
/// a governor (add, suspend, re-role a governor, attach or suspend a governor's account), is accepted
/// only from the governance contract ({setGovernance}), which needs a quorum of governors and a
/// delay during which they can object. So no single governor can take over the network.
///
/// @custom:security Every governor action is checked here against `_msgSender()`, so it holds
/// whether the call comes directly or through the trusted ERC-2771 forwarder. Governance actions
/// are checked against `msg.sender`: the governance contract calls directly, never through the
/// forwarder.
abstract contract Membership is IMembership, IBesuAccountPermissioning, Context {
    /// @notice The most accounts one member may have (a cooperative's field-agent phones).
    uint256 public constant MAX_ACCOUNTS = 64;

    /// @dev One slot (256 bits): member id | account active | cached effective roles | account number
    /// (1-based, network-wide; the lot-id prefix) | last lot sequence used | ERC-721 lot balance |
    /// bitmap of form ids below 48 this account has already seen registered (a cache: forms are
    /// never unregistered, so it cannot go stale).
    struct AccountRecord {
        uint64 memberId;
        bool active;
        uint8 effectiveRoles;
        uint32 number;
        uint32 lotSequence;
        uint64 lotBalance;
        uint48 knownForms;
    }

    mapping(uint64 memberId => Member) private _members;
    mapping(uint64 memberId => address[]) private _accounts;
    mapping(address account => AccountRecord) private _accountRecords;
    uint64 private _memberCount;
    mapping(uint64 memberId => uint16) private _activeAccounts;
    /// @dev Members that can govern now: active, holding the governor role, with an active account.
    uint64 private _activeGovernors;
    uint32 private _accountCount;
    /// @dev The governance contract; zero until the deployment sets it (bootstrap: governors act alone).
    address private _governance;

    /// @param firstGovernor The account of member 1, the network's first governor.
    /// @param country The first governor's country code.
    /// @param metadata The first governor's metadata digest.
    constructor(address firstGovernor, bytes2 country, bytes32 metadata) {
        address[] memory accounts = new address[](1);
        accounts[0] = firstGovernor;
        _addMember(Roles.GOVERNOR, country, metadata, accounts);
    }

    /// @dev Any one governor, or the governance contract (a quorum may do what one governor may).
    modifier onlyGovernor() {
        _checkGovernor();
        _;
    }

    modifier onlyGovernance() {
        _checkGovernance();
        _;
    }

    /// @inheritdoc IMembership
    function addMember(uint8 roles, bytes2 country, bytes32 metadata, address[] calldata accounts)
        external
        returns (uint64 memberId)
    {
        _checkGovernorOrGovernance(roles);
        return _addMember(roles, country, metadata, accounts);
    }

    /// @inheritdoc IMembership
    function addAccount(uint64 memberId, address account) external {
        Member storage member = _existingMember(memberId);
        _checkAccountManager(memberId, member.roles);
        bool wasGoverning = _isGoverning(memberId, member);
        _attach(memberId, member, account);
        _countGovernor(memberId, wasGoverning, _isGoverning(memberId, member));
    }

    /// @inheritdoc IMembership
    function setAccountActive(address account, bool active) external {
        AccountRecord storage record = _accountRecords[account];
        uint64 memberId = record.memberId;
        if (memberId == 0) revert MembershipUnknownAccount(account);
        Member storage member = _members[memberId];
        _checkAccountManager(memberId, member.roles);
        if (record.active != active) {
            // Suspending the last governor's last account would leave nobody able to govern.
            bool wasGoverning = _isGoverning(memberId, member);
            if (active) ++_activeAccounts[memberId];
            else --_activeAccounts[memberId];
            _countGovernor(memberId, wasGoverning, _isGoverning(memberId, member));
        }
        record.active = active;
        record.effectiveRoles = _effectiveRoles(member, active);
        emit AccountStatusChanged(memberId, account, active);
    }

    /// @inheritdoc IMembership
    function setMemberActive(uint64 memberId, bool active) external {
        Member storage member = _existingMember(memberId);
        _checkGovernorOrGovernance(member.roles);
        if (member.active == active) return;
        bool wasGoverning = _isGoverning(memberId, member);
        member.active = active;
        _countGovernor(memberId, wasGoverning, _isGoverning(memberId, member));
        _refreshAccounts(memberId, member);
        emit MemberStatusChanged(memberId, active);
    }

    /// @inheritdoc IMembership
    function setRoles(uint64 memberId, uint8 roles) external {
        // A member with no role is expressed by suspension, so a zero set is refused.
        if (roles & ~Roles.ALL != 0 || roles == 0) revert MembershipInvalidRoles(roles);
        Member storage member = _existingMember(memberId);
        uint8 previous = member.roles;
        _checkGovernorOrGovernance(previous | roles);
        bool wasGoverning = _isGoverning(memberId, member);
        member.roles = roles;
        _countGovernor(memberId, wasGoverning, _isGoverning(memberId, member));
        _refreshAccounts(memberId, member);
        emit RolesChanged(memberId, previous, roles);
    }

    /// @inheritdoc IMembership
    function setMetadata(uint64 memberId, bytes32 metadata) external {
        Member storage member = _existingMember(memberId);
        AccountRecord memory caller = _accountRecords[_msgSender()];
        bool isSelf = caller.memberId == memberId && caller.effectiveRoles != 0;
        if (!isSelf) _authorize(_msgSender(), Roles.GOVERNOR);
        member.metadata = metadata;
        emit MetadataChanged(memberId, metadata);
    }

    /// @inheritdoc IMembership
    function getMember(uint64 memberId) external view returns (Member memory member, address[] memory accounts) {
        member = _existingMember(memberId);
        accounts = _accounts[memberId];
    }

    /// @inheritdoc IMembership
    function accountOf(address account)
        external
        view
        returns (uint64 memberId, bool accountActive, uint8 effectiveRoles)
    {
        AccountRecord memory record = _accountRecords[account];
        return (record.memberId, record.active, record.effectiveRoles);
    }

    /// @inheritdoc IMembership
    function authorize(address account, uint8 anyOfRoles) external view returns (uint64 memberId) {
        return _authorize(account, anyOfRoles);
    }

    /// @inheritdoc IMembership
    function hasRole(address account, uint8 anyOfRoles) external view returns (bool) {
        return _accountRecords[account].effectiveRoles & anyOfRoles != 0;
    }

    /// @inheritdoc IMembership
    function memberCount() external view returns (uint64) {
        return _memberCount;
    }

    /// @inheritdoc IMembership
    function setGovernance(address governance_) external onlyGovernance {
        if (governance_ == address(0)) revert MembershipZeroAccount();
        _governance = governance_;
        emit GovernanceSet(governance_);
    }

    /// @inheritdoc IMembership
    function governance() external view returns (address) {
        return _governance;
    }

    /// @inheritdoc IMembership
    function governorCount() external view returns (uint64) {
        return _activeGovernors;
    }

    /// @inheritdoc IMembership
    function isGoverning(uint64 memberId) external view returns (bool) {
        return _isGoverning(memberId, _members[memberId]);
    }

    /// @inheritdoc IBesuAccountPermissioning
    /// @dev True only for active accounts of active members (relayers are members too); creating a
    /// contract (`target` zero) only for governors, so no member can deploy code the network did not
    /// agree on. Besu asks with the transaction's signer, so a relayed request is allowed through
    /// its relayer.
    function transactionAllowed(address sender, address target, uint256, uint256, uint256, bytes calldata)
        external
        view
        returns (bool)
    {
        uint8 roles = _accountRecords[sender].effectiveRoles;
        return target == address(0) ? roles & Roles.GOVERNOR != 0 : roles != 0;
    }

    function _addMember(uint8 roles, bytes2 country, bytes32 metadata, address[] memory accounts)
        private
        returns (uint64 memberId)
    {
        if (roles & ~Roles.ALL != 0 || roles == 0) revert MembershipInvalidRoles(roles);
        if (!_isCountryCode(country)) revert MembershipInvalidCountry(country);
        memberId = ++_memberCount;
        Member storage member = _members[memberId];
        member.roles = roles;
        member.active = true;
        member.country = country;
        member.metadata = metadata;
        emit MemberAdded(memberId, roles, country, metadata);
        for (uint256 i = 0; i < accounts.length; ++i) {
            _attach(memberId, member, accounts[i]);
        }
        if (_isGoverning(memberId, member)) ++_activeGovernors;
    }

    function _attach(uint64 memberId, Member storage member, address account) private {
        if (account == address(0)) revert MembershipZeroAccount();
        uint64 owner = _accountRecords[account].memberId;
        if (owner != 0) revert MembershipAccountTaken(account, owner);
        if (member.accountCount >= MAX_ACCOUNTS) revert MembershipTooManyAccounts(memberId, MAX_ACCOUNTS);
        ++member.accountCount;
        ++_activeAccounts[memberId];
        _accounts[memberId].push(account);
        _accountRecords[account] = AccountRecord(memberId, true, _effectiveRoles(member, true), ++_accountCount, 0, 0, 0);
        emit AccountAdded(memberId, account);
    }

    function _refreshAccounts(uint64 memberId, Member storage member) private {
        address[] storage accounts = _accounts[memberId];
        for (uint256 i = 0; i < accounts.length; ++i) {
            AccountRecord storage record = _accountRecords[accounts[i]];
            record.effectiveRoles = _effectiveRoles(member, record.active);
        }
    }

    /// @dev Keeps the count of members that can govern, refusing a change that would zero it.
    function _countGovernor(uint64 memberId, bool wasGoverning, bool governsNow) private {
        if (wasGoverning == governsNow) return;
        if (governsNow) {
            ++_activeGovernors;
        } else {
            if (_activeGovernors == 1) revert MembershipLastGovernor(memberId);
            --_activeGovernors;
        }
    }

    function _isGoverning(uint64 memberId, Member storage member) private view returns (bool) {
        return member.active && member.roles & Roles.GOVERNOR != 0 && _activeAccounts[memberId] > 0;
    }

    /// @dev A member's role set, whether or not it is active (zero for an unknown member).
    function _memberRoles(uint64 memberId) internal view returns (uint8) {
        return _members[memberId].roles;
    }

    /// @dev The account's record, for the lot registry's counters kept in the same slot.
    function _accountRecord(address account) internal view returns (AccountRecord storage) {
        return _accountRecords[account];
    }

    /// @dev Writes the whole record in one store. Only for the lot counters: roles and status
    /// change through the governor functions above.
    function _setAccountRecord(address account, AccountRecord memory record) internal {
        _accountRecords[account] = record;
    }

    /// @dev The governance contract, or any governor before one is set (the deployment bootstrap).
    function _checkGovernance() internal view {
        address governance_ = _governance;
        if (governance_ == address(0)) {
            _authorize(_msgSender(), Roles.GOVERNOR);
        } else if (msg.sender != governance_) {
            revert MembershipNotGovernance(msg.sender, governance_);
        }
    }

    /// @dev A change touching the governor role needs governance; any other, one governor.
    function _checkGovernorOrGovernance(uint8 roles) private view {
        if (roles & Roles.GOVERNOR != 0) _checkGovernance();
        else _checkGovernor();
    }

    /// @dev A cooperative (not a governor) manages its own accounts (enrols and suspends its field
    /// agents' phones) through any of its active accounts; anything else falls to
    /// {_checkGovernorOrGovernance}.
    function _checkAccountManager(uint64 memberId, uint8 roles) private view {
        AccountRecord memory caller = _accountRecords[_msgSender()];
        if (caller.memberId == memberId && caller.effectiveRoles & Roles.COOPERATIVE != 0 && roles & Roles.GOVERNOR == 0) return;
        _checkGovernorOrGovernance(roles);
    }

    function _checkGovernor() private view {
        if (msg.sender != _governance) _authorize(_msgSender(), Roles.GOVERNOR);
    }

    function _authorize(address account, uint8 anyOfRoles) internal view returns (uint64) {
        AccountRecord memory record = _accountRecords[account];
        if (record.effectiveRoles & anyOfRoles == 0) revert MembershipUnauthorized(account, anyOfRoles);
        return record.memberId;
    }

    function _existingMember(uint64 memberId) private view returns (Member storage member) {
        member = _members[memberId];
        if (member.roles == 0) revert MembershipUnknownMember(memberId);
    }

    function _effectiveRoles(Member storage member, bool accountActive) private view returns (uint8) {
        return member.active && accountActive ? member.roles : 0;
    }

    function _isCountryCode(bytes2 code) private pure returns (bool) {
        return _isUpper(code[0]) && _isUpper(code[1]);
    }

    function _isUpper(bytes1 char) private pure returns (bool) {
        return char >= "A" && char <= "Z";
    }
}
