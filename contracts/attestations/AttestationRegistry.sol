// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IMembership} from "../membership/IMembership.sol";
import {MembershipGoverned} from "../membership/MembershipGoverned.sol";
import {Roles} from "../membership/Roles.sol";
import {ILotObserver} from "../lots/ILotObserver.sol";
import {ILotRegistry} from "../lots/ILotRegistry.sol";
import {IAttestationRegistry} from "./IAttestationRegistry.sol";

/// @dev {IMembership-getMember} read for its first return value only: the member record is a static
/// struct at the head of the answer, so the accounts array after it need not be decoded (which
/// keeps the decoder, and the contract, smaller).
interface IMemberRecord {
    function getMember(uint64 memberId) external view returns (IMembership.Member memory member);
}

/// @title AttestationRegistry
/// @notice Schemes, accredited certifiers, attestations, and claims that follow lots through split,
/// merge, transform and handover (see {IAttestationRegistry} for the rules).
///
/// A contract of its own (the lot registry is close to the EIP-170 size limit): roles come from the
/// membership registry through {IMembership-authorize}, lot state from {ILotRegistry-getLot}, and
/// the lot registry calls {onLotsDerived} and {onHandoverAccepted} as its lot observer.
///
/// Storage plan (gas is a feature: an audit attests hundreds of farms):
/// - `_attestations[uid]`: one slot, attester | scheme | expiry | subject kind | revoked.
/// - `_current[kind][subject][scheme]`: the subject's latest uid, for the claim views.
/// - lots only: `_lotSchemes[lotId][word]`, a bitmap of the schemes the lot has any claim for
///   (attested, carried or marked), 256 per word, so a derivation or handover reads one slot per
///   input to learn which schemes to follow; `_lotClaims[lotId][scheme]`, one slot, the carried,
///   marked or spent claim.
/// - `_credits[member][scheme][form]`: mass-balance credit in grams.
/// - `_revocations[scheme]`: how many lot attestations of an identity-preserved or segregated scheme
///   were revoked; a carried claim records the count it was last backed at, so it is checked by one
///   extra read while nothing was revoked, and by a walk back to its origins once something was.
/// - `_derivationInputs[firstOutputId]`: the inputs of a derivation that carried a claim (lot ids,
///   four to a slot), the path of that walk.
/// - `_earlier[kind][subject][scheme]`: a subject's earlier attestations, kept only when a newer
///   one is made, so a revoked newer one does not hide them.
/// - mass balance: `_massBalanceLot[uid]`, the lot a mass-balance attestation is about, and what its
///   claim became (`_derivationCredits`, `_bookedIn`), so a revocation can withdraw that credit.
/// - origins: `_originSchemes`, the plot schemes (identity preserved or segregated) a delivery's
///   plot passes to its lot, and `_lotOrigins[lotId]`, the plot a lot holding such a claim was
///   minted from (its claim state `Origin`), read back to check the plot's attestation is valid.
/// Evidence, data hash and attestation time live in the {Attested} event; the uid commits to them.
///
/// @custom:security Roles are checked against `_msgSender()` (ERC-2771: the signer of a request
/// relayed through the trusted forwarder). The observer hooks trust `msg.sender` only when it is
/// the lot registry, as EAS's `SchemaResolver` trusts only EAS.
contract AttestationRegistry is IAttestationRegistry, ILotObserver, MembershipGoverned {
    /// @notice Most items in one call (attestations, lots to mark).
    uint256 public constant MAX_BATCH = 500;

    /// @dev The subject kinds a scheme may name: lot, plot, member.
    uint8 private constant ALL_SUBJECTS = (uint8(1) << uint8(SubjectKind.Lot)) | (uint8(1) << uint8(SubjectKind.Plot))
        | (uint8(1) << uint8(SubjectKind.Member));
    uint48 private constant NO_EXPIRY = type(uint48).max;
    /// @notice Most attestations still valid for one subject and scheme.
    uint256 public constant MAX_ATTESTATIONS_PER_SUBJECT = 16;
    /// @notice Most derivations a carried claim's walk back to its origins visits; a claim whose
    /// ancestry is larger does not count as backed once something in its scheme was revoked.
    uint256 public constant MAX_WALK = 256;

    /// @dev What every attestation of one call shares, read once.
    struct AttestationContext {
        uint32 scheme;
        ChainOfCustody model;
        uint8 subjects;
        uint48 defaultValidity;
        address attester;
        uint48 now_;
    }

    mapping(uint32 scheme => Scheme) private _schemes;
    mapping(bytes32 nameAndVersion => uint32 scheme) private _schemeIds;
    uint32 private _schemeCount;
    mapping(uint32 scheme => mapping(uint64 member => uint48 until)) private _accreditations;
    mapping(bytes32 uid => Attestation) private _attestations;
    mapping(SubjectKind kind => mapping(bytes32 subject => mapping(uint32 scheme => bytes32 uid))) private _current;
    mapping(uint256 lotId => mapping(uint256 word => uint256 schemeBits)) private _lotSchemes;
    mapping(uint256 lotId => mapping(uint32 scheme => LotClaim)) private _lotClaims;
    mapping(uint64 member => mapping(uint32 scheme => mapping(uint8 form => uint256 grams))) private _credits;
    mapping(uint32 scheme => uint32 count) private _revocations;
    mapping(uint256 firstOutputId => uint64[] inputIds) private _derivationInputs;
    mapping(SubjectKind kind => mapping(bytes32 subject => mapping(uint32 scheme => bytes32[] uids))) private _earlier;
    mapping(bytes32 uid => uint256 lotId) private _massBalanceLot;
    mapping(uint256 firstOutputId => DerivationCredit) private _derivationCredits;
    mapping(uint256 lotId => mapping(uint32 scheme => BookedCredit)) private _bookedIn;
    uint32[] private _originSchemes;
    mapping(uint256 lotId => bytes32 origin) private _lotOrigins;

    /// @dev What a derivation turned mass-balance claims into: the member credited, the inputs' total
    /// grams, and the outputs' grams per form (an input's share of each is its grams / inputGrams).
    struct DerivationCredit {
        uint64 member;
        uint64 inputGrams;
        FormGrams[] outputs;
    }

    struct FormGrams {
        uint8 form;
        uint64 grams;
    }

    /// @dev What a lot's mass-balance claim became when its handover was accepted.
    struct BookedCredit {
        uint64 member;
        uint64 grams;
    }

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param registry The lot registry, which is also the membership registry.
    constructor(address trustedForwarder, address registry) MembershipGoverned(trustedForwarder, registry) {}

    /// @dev Any one governor, or the membership registry's governance contract.
    modifier onlyGovernor() {
        if (msg.sender != IMembership(_registry).governance()) {
            IMembership(_registry).authorize(_msgSender(), Roles.GOVERNOR);
        }
        _;
    }


    function _revertNotGovernance(address caller, address governance) internal pure override {
        revert AttestationRegistryNotGovernance(caller, governance);
    }

    modifier onlyLotRegistry() {
        if (msg.sender != _registry) revert AttestationRegistryNotLotRegistry(msg.sender);
        _;
    }

    // ----------------------------------------------------------------------------------- governance

    /// @inheritdoc IAttestationRegistry
    function registerScheme(
        string calldata name,
        string calldata version,
        ChainOfCustody model,
        uint8 subjects,
        uint48 defaultValidity
    ) external onlyGovernance returns (uint32 scheme) {
        if (model == ChainOfCustody.None || subjects == 0 || subjects & ~ALL_SUBJECTS != 0) {
            revert AttestationRegistryInvalidScheme(model, subjects);
        }
        bytes32 key = keccak256(abi.encode(name, version));
        uint32 existing = _schemeIds[key];
        if (existing != 0) revert AttestationRegistrySchemeExists(existing);
        scheme = ++_schemeCount;
        _schemeIds[key] = scheme;
        _schemes[scheme] = Scheme(model, subjects, defaultValidity, name, version);
        // A plot's identity-preserved or segregated claim can follow its deliveries from mint; a
        // mass-balance one is credit to book, not a claim a lot carries.
        if ((subjects >> uint8(SubjectKind.Plot)) & 1 == 1 && model != ChainOfCustody.MassBalance) {
            _originSchemes.push(scheme);
        }
        emit SchemeRegistered(scheme, model, subjects, defaultValidity, name, version);
    }

    /// @inheritdoc IAttestationRegistry
    function accredit(uint32 scheme, uint64 member, uint48 until) external onlyGovernance {
        _scheme(scheme);
        IMembership.Member memory record = IMemberRecord(_registry).getMember(member);
        if (record.roles & Roles.CERTIFIER == 0) revert AttestationRegistryNotCertifier(member);
        uint48 now_ = _time();
        if (until <= now_) revert AttestationRegistryInvalidExpiry(until, now_);
        _accreditations[scheme][member] = until;
        emit Accredited(scheme, member, until);
    }

    /// @inheritdoc IAttestationRegistry
    function withdrawAccreditation(uint32 scheme, uint64 member) external onlyGovernor {
        _scheme(scheme);
        delete _accreditations[scheme][member];
        emit AccreditationWithdrawn(scheme, member);
    }

    // ------------------------------------------------------------------------------ attest, revoke

    /// @inheritdoc IAttestationRegistry
    function attest(uint32 scheme, AttestationRequest calldata request) external returns (bytes32 uid) {
        return _attest(_openAttestation(scheme), request);
    }

    /// @inheritdoc IAttestationRegistry
    function attestBatch(uint32 scheme, AttestationRequest[] calldata requests)
        external
        returns (bytes32[] memory uids)
    {
        uint256 count = requests.length;
        _checkBatch(count);
        AttestationContext memory context = _openAttestation(scheme);
        uids = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            uids[i] = _attest(context, requests[i]);
        }
    }

    /// @inheritdoc IAttestationRegistry
    function revoke(bytes32 uid, uint16 reason) external {
        Attestation storage attestation = _attestations[uid];
        address attester = attestation.attester;
        if (attester == address(0)) revert AttestationRegistryUnknownAttestation(uid);
        if (attestation.revoked) revert AttestationRegistryAlreadyRevoked(uid);
        address caller = _msgSender();
        (uint64 callerMember,, uint8 roles) = IMembership(_registry).accountOf(caller);
        if (roles & Roles.GOVERNOR == 0) {
            bool sameMember = caller == attester;
            if (!sameMember) {
                (uint64 attesterMember,,) = IMembership(_registry).accountOf(attester);
                sameMember = attesterMember == callerMember;
            }
            if (roles & Roles.CERTIFIER == 0 || !sameMember) {
                revert AttestationRegistryNotRevoker(caller, uid, attester);
            }
        }
        attestation.revoked = true;
        uint32 scheme = attestation.scheme;
        emit Revoked(uid, caller, scheme, reason);
        SubjectKind kind = attestation.subjectKind;
        if (kind == SubjectKind.Member) return;
        if (_schemes[scheme].model == ChainOfCustody.MassBalance) {
            if (kind == SubjectKind.Lot) _withdrawCredit(uid, scheme);
        } else {
            // A lot or plot attestation backs lots (minted from the plot): what was carried from them
            // is checked back to its origins from now on. Cannot overflow in practice: one
            // revocation per transaction at most 2^32 times.
            ++_revocations[scheme];
        }
    }

    // ---------------------------------------------------------------------------------- mass balance

    /// @inheritdoc IAttestationRegistry
    function markClaimed(uint32 scheme, uint256[] calldata lotIds) external {
        uint256 count = lotIds.length;
        _checkBatch(count);
        if (_scheme(scheme).model != ChainOfCustody.MassBalance) revert AttestationRegistryNotMassBalance(scheme);
        address caller = _msgSender();
        uint64 member = IMembership(_registry).authorize(caller, Roles.CUSTODIANS);
        uint48 now_ = _time();
        for (uint256 i = 0; i < count; ++i) {
            uint256 lotId = lotIds[i];
            (ILotRegistry.Lot memory lot,,) = ILotRegistry(_registry).getLot(lotId);
            if (lot.custodian != caller) {
                (uint64 holder,,) = IMembership(_registry).accountOf(lot.custodian);
                if (holder != member) revert AttestationRegistryNotCustodian(caller, lotId, lot.custodian);
            }
            if (lot.status != ILotRegistry.LotStatus.Active) revert AttestationRegistryLotNotActive(lotId, lot.status);
            (bool carries,,,) = _lotClaim(lotId, scheme, now_);
            if (carries) revert AttestationRegistryAlreadyClaimed(lotId, scheme);
            uint256 balance = _credits[member][scheme][lot.form];
            if (balance < lot.grams) {
                revert AttestationRegistryInsufficientCredit(member, scheme, lot.form, balance, lot.grams);
            }
            // Cannot underflow: checked just above.
            unchecked {
                balance -= lot.grams;
            }
            _credits[member][scheme][lot.form] = balance;
            _lotClaims[lotId][scheme] = LotClaim(ClaimState.Marked, NO_EXPIRY, 0, 0, 0);
            // The lot's claim is now this mark, not its attestation: what an earlier handover booked
            // from the attestation is no longer this lot's to withdraw (it is the receiver's pool).
            delete _bookedIn[lotId][scheme];
            _addLotScheme(lotId, scheme);
            emit MassBalanceDebited(member, scheme, lotId, lot.form, lot.grams, balance);
        }
    }

    // -------------------------------------------------------------------------------- lot observer

    /// @inheritdoc ILotObserver
    /// @dev Follows each scheme any input has a claim for: identity-preserved and segregated claims
    /// are carried to the outputs when every input carries them (and, identity preserved, all are
    /// of one family); mass-balance claims of the inputs are spent and credited to the custodian's
    /// member in the outputs' forms, pro rata of each output's grams.
    function onLotsDerived(
        uint8,
        address custodian,
        uint256[] calldata inputIds,
        uint256 firstOutputId,
        ILotRegistry.Output[] calldata outputs
    ) external onlyLotRegistry {
        uint256 words = (uint256(_schemeCount) >> 8) + 1;
        for (uint256 word = 0; word < words; ++word) {
            _followWord(word, custodian, inputIds, firstOutputId, outputs);
        }
    }

    /// @inheritdoc ILotObserver
    /// @dev A lot carrying a mass-balance claim is booked into the receiver's credit: its claim is
    /// spent and the receiver's member is credited with the grams received.
    function onHandoverAccepted(uint256 lotId, address, address custodian, uint8 form, uint64 gramsReceived)
        external
        onlyLotRegistry
    {
        uint64 member;
        uint256 words = (uint256(_schemeCount) >> 8) + 1;
        for (uint256 word = 0; word < words; ++word) {
            uint256 any = _lotSchemes[lotId][word];
            while (any != 0) {
                uint256 bit = Math.log2(any);
                any &= ~(uint256(1) << bit);
                member = _bookIn(lotId, uint32((word << 8) | bit), custodian, member, form, gramsReceived);
            }
        }
    }

    /// @inheritdoc ILotObserver
    /// @dev For each delivery and each origin scheme (`_originSchemes`): when the delivery's origin
    /// plot holds a valid attestation of the scheme, the lot carries the claim (state `Origin`),
    /// for as long as the plot holds one. Deliveries without one get nothing; nothing reverts.
    function onLotsMinted(address, uint256 firstLotId, ILotRegistry.Delivery[] calldata deliveries)
        external
        onlyLotRegistry
    {
        uint32[] storage schemes = _originSchemes;
        uint48 now_ = _time();
        for (uint256 i = 0; i < deliveries.length; ++i) {
            // A zero origin finds no attestation: a plot subject is never zero (see {_checkSubject}).
            bytes32 origin = deliveries[i].origin;
            uint256 lotId = firstLotId + i;
            for (uint256 k = 0; k < schemes.length; ++k) {
                uint32 scheme = schemes[k];
                (bool valid, bytes32 uid,) = _validAttestation(SubjectKind.Plot, origin, scheme, now_);
                if (!valid) continue;
                // Cannot truncate: lot ids are below 2^64 (see {_lotClaim}).
                _lotClaims[lotId][scheme] = LotClaim(ClaimState.Origin, NO_EXPIRY, uint64(lotId), 0, 0);
                _addLotScheme(lotId, scheme);
                _lotOrigins[lotId] = origin;
                emit OriginClaimed(scheme, lotId, uid);
            }
        }
    }

    // --------------------------------------------------------------------------------------- views

    /// @inheritdoc IAttestationRegistry
    function lotRegistry() external view returns (address) {
        return _registry;
    }

    /// @inheritdoc IAttestationRegistry
    function schemeCount() external view returns (uint32) {
        return _schemeCount;
    }

    /// @inheritdoc IAttestationRegistry
    function getScheme(uint32 scheme) external view returns (Scheme memory) {
        return _scheme(scheme);
    }

    /// @inheritdoc IAttestationRegistry
    function schemeIdOf(string calldata name, string calldata version) external view returns (uint32) {
        return _schemeIds[keccak256(abi.encode(name, version))];
    }

    /// @inheritdoc IAttestationRegistry
    function accreditedUntil(uint32 scheme, uint64 member) external view returns (uint48) {
        return _accreditations[scheme][member];
    }

    /// @inheritdoc IAttestationRegistry
    function getAttestation(bytes32 uid) external view returns (Attestation memory) {
        return _attestations[uid];
    }

    /// @inheritdoc IAttestationRegistry
    function isValid(bytes32 uid) public view returns (bool) {
        return _isValid(_attestations[uid], _time());
    }

    /// @inheritdoc IAttestationRegistry
    function areValid(bytes32[] calldata uids) external view returns (bool[] memory valid) {
        valid = new bool[](uids.length);
        uint48 now_ = _time();
        for (uint256 i = 0; i < uids.length; ++i) {
            valid[i] = _isValid(_attestations[uids[i]], now_);
        }
    }

    /// @inheritdoc IAttestationRegistry
    function currentAttestation(SubjectKind subjectKind, bytes32 subject, uint32 scheme)
        external
        view
        returns (bytes32 uid, bool valid)
    {
        (valid, uid,) = _validAttestation(subjectKind, subject, scheme, _time());
        if (!valid) uid = _current[subjectKind][subject][scheme];
    }

    /// @inheritdoc IAttestationRegistry
    function carriesClaim(uint256 lotId, uint32 scheme) external view returns (bool carries) {
        (carries,,,) = _lotClaim(lotId, scheme, _time());
    }

    /// @inheritdoc IAttestationRegistry
    function carriesClaims(uint256[] calldata lotIds, uint32[] calldata schemes)
        external
        view
        returns (bool[] memory carries)
    {
        if (lotIds.length != schemes.length) revert AttestationRegistryLengthMismatch(lotIds.length, schemes.length);
        carries = new bool[](lotIds.length);
        uint48 now_ = _time();
        for (uint256 i = 0; i < lotIds.length; ++i) {
            (carries[i],,,) = _lotClaim(lotIds[i], schemes[i], now_);
        }
    }

    /// @inheritdoc IAttestationRegistry
    function getLotClaim(uint256 lotId, uint32 scheme) external view returns (LotClaim memory) {
        return _lotClaims[lotId][scheme];
    }

    /// @inheritdoc IAttestationRegistry
    function creditsOf(uint64 member, uint32 scheme, uint8[] calldata forms)
        external
        view
        returns (uint256[] memory grams)
    {
        grams = new uint256[](forms.length);
        for (uint256 i = 0; i < forms.length; ++i) {
            grams[i] = _credits[member][scheme][forms[i]];
        }
    }

    /// @inheritdoc IAttestationRegistry
    function attestationUid(
        uint32 scheme,
        SubjectKind subjectKind,
        bytes32 subject,
        address attester,
        uint48 time,
        uint48 expiresAt,
        bytes32 evidence,
        bytes32 dataHash
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(scheme, subjectKind, subject, attester, time, expiresAt, evidence, dataHash));
    }

    // ------------------------------------------------------------------------------------ internal

    /// @dev The current time, overridable (as EAS does) so a subclass can run on another clock.
    function _time() internal view virtual returns (uint48) {
        return uint48(block.timestamp);
    }

    function _checkBatch(uint256 count) private pure {
        if (count == 0 || count > MAX_BATCH) revert AttestationRegistryBatchSize(count, 1, MAX_BATCH);
    }

    function _scheme(uint32 scheme) private view returns (Scheme storage record) {
        record = _schemes[scheme];
        if (record.model == ChainOfCustody.None) revert AttestationRegistryUnknownScheme(scheme);
    }

    /// @dev Checks the caller may attest for `scheme` now (an active certifier account of a member
    /// whose accreditation has not expired) and reads the scheme's hot slot once for a whole batch.
    function _openAttestation(uint32 scheme) private view returns (AttestationContext memory context) {
        Scheme storage record = _scheme(scheme);
        address attester = _msgSender();
        uint64 member = IMembership(_registry).authorize(attester, Roles.CERTIFIER);
        uint48 now_ = _time();
        uint48 until = _accreditations[scheme][member];
        if (until <= now_) revert AttestationRegistryNotAccredited(member, scheme, until);
        context = AttestationContext(scheme, record.model, record.subjects, record.defaultValidity, attester, now_);
    }

    function _attest(AttestationContext memory context, AttestationRequest calldata request)
        private
        returns (bytes32 uid)
    {
        uint32 scheme = context.scheme;
        SubjectKind kind = request.subjectKind;
        bytes32 subject = request.subject;
        if ((context.subjects >> uint8(kind)) & 1 == 0) revert AttestationRegistrySubjectNotInScheme(scheme, kind);
        _checkSubject(scheme, context.model, kind, subject);
        uint48 now_ = context.now_;
        uint48 expiresAt = request.expiresAt;
        if (expiresAt == 0 && context.defaultValidity != 0) expiresAt = now_ + context.defaultValidity;
        if (expiresAt != 0 && expiresAt <= now_) revert AttestationRegistryInvalidExpiry(expiresAt, now_);
        uid = attestationUid(
            scheme, kind, subject, context.attester, now_, expiresAt, request.evidence, request.dataHash
        );
        if (_attestations[uid].attester != address(0)) revert AttestationRegistryDuplicate(uid);
        _attestations[uid] = Attestation(context.attester, scheme, expiresAt, kind, false);
        bytes32 previous = _current[kind][subject][scheme];
        if (previous != 0) _keepEarlier(kind, subject, scheme, previous, now_);
        _current[kind][subject][scheme] = uid;
        if (kind == SubjectKind.Lot) {
            _addLotScheme(uint256(subject), scheme);
            if (context.model == ChainOfCustody.MassBalance) _massBalanceLot[uid] = uint256(subject);
        }
        emit Attested(subject, context.attester, scheme, uid, kind, expiresAt, request.evidence, request.dataHash);
    }

    /// @dev Sets `scheme`'s bit in the lot's bitmap, writing only if it was not set.
    function _addLotScheme(uint256 lotId, uint32 scheme) private {
        uint256 mask = uint256(1) << (scheme & 0xff);
        mapping(uint256 => uint256) storage words = _lotSchemes[lotId];
        uint256 bits = words[scheme >> 8];
        if (bits & mask == 0) words[scheme >> 8] = bits | mask;
    }

    function _checkSubject(uint32 scheme, ChainOfCustody model, SubjectKind kind, bytes32 subject) private view {
        if (kind == SubjectKind.Lot) {
            // Reverts with LotRegistryUnknownLot for a lot never minted or already consumed.
            IERC721(_registry).ownerOf(uint256(subject));
            if (
                model == ChainOfCustody.MassBalance
                    && _lotClaims[uint256(subject)][scheme].state >= ClaimState.Spent
            ) {
                revert AttestationRegistryClaimSpent(uint256(subject), scheme);
            }
        } else if (kind == SubjectKind.Member) {
            uint256 member = uint256(subject);
            if (member == 0 || member > IMembership(_registry).memberCount()) {
                revert AttestationRegistryUnknownSubject(kind, subject);
            }
        } else if (subject == bytes32(0)) {
            revert AttestationRegistryUnknownSubject(kind, subject);
        }
    }

    function _isValid(Attestation memory attestation, uint48 now_) private pure returns (bool) {
        return attestation.attester != address(0) && !attestation.revoked
            && (attestation.expiresAt == 0 || now_ < attestation.expiresAt);
    }

    /// @dev Whether any attestation of the subject for `scheme` is valid at `now_`; of several, the
    /// one that expires last (`expiresAt` 0 = never).
    function _validAttestation(SubjectKind kind, bytes32 subject, uint32 scheme, uint48 now_)
        private
        view
        returns (bool valid, bytes32 uid, uint48 expiresAt)
    {
        bytes32 current = _current[kind][subject][scheme];
        if (current == 0) return (false, 0, 0);
        Attestation memory attestation = _attestations[current];
        if (_isValid(attestation, now_)) {
            if (attestation.expiresAt == 0) return (true, current, 0);
            (valid, uid, expiresAt) = (true, current, attestation.expiresAt);
        }
        bytes32[] storage earlier = _earlier[kind][subject][scheme];
        for (uint256 i = 0; i < earlier.length; ++i) {
            attestation = _attestations[earlier[i]];
            if (!_isValid(attestation, now_)) continue;
            if (attestation.expiresAt == 0) return (true, earlier[i], 0);
            if (!valid || attestation.expiresAt > expiresAt) (valid, uid, expiresAt) = (true, earlier[i], attestation.expiresAt);
        }
    }

    /// @dev Files `previous`, replaced as the subject's latest attestation, among the earlier ones,
    /// dropping those no longer valid (they can never become valid again).
    function _keepEarlier(SubjectKind kind, bytes32 subject, uint32 scheme, bytes32 previous, uint48 now_) private {
        bytes32[] storage earlier = _earlier[kind][subject][scheme];
        uint256 i = 0;
        while (i < earlier.length) {
            if (_isValid(_attestations[earlier[i]], now_)) {
                ++i;
            } else {
                earlier[i] = earlier[earlier.length - 1];
                earlier.pop();
            }
        }
        if (!_isValid(_attestations[previous], now_)) return;
        if (earlier.length + 1 >= MAX_ATTESTATIONS_PER_SUBJECT) {
            revert AttestationRegistryTooManyAttestations(kind, subject, scheme, MAX_ATTESTATIONS_PER_SUBJECT);
        }
        earlier.push(previous);
    }

    /// @dev Whether lot `lotId` carries `scheme`'s claim at `now_`, until when, its family, and
    /// whether it carries it through its own attestation (not a carried or marked claim). A marked
    /// or carried claim comes first (it keeps the family it descends from), a carried one only while
    /// its origins are still backed; else the lot's own valid attestations, which start a family of
    /// their own. A spent claim carries nothing.
    function _lotClaim(uint256 lotId, uint32 scheme, uint48 now_)
        private
        view
        returns (bool carries, uint48 validUntil, uint64 family, bool attested)
    {
        LotClaim memory claim = _lotClaims[lotId][scheme];
        ClaimState state = claim.state;
        if (state == ClaimState.Spent || state == ClaimState.Withdrawn) return (false, 0, 0, false);
        if (state == ClaimState.Marked) return (true, claim.validUntil, claim.family, false);
        if (state == ClaimState.Origin) {
            (bool plot, uint48 until) = _originValid(lotId, scheme, now_);
            if (plot) return (true, until, claim.family, false);
        }
        if (state == ClaimState.Carried && now_ < claim.validUntil && _backed(claim, scheme, now_)) {
            return (true, claim.validUntil, claim.family, false);
        }
        (bool valid,, uint48 expiresAt) = _validAttestation(SubjectKind.Lot, bytes32(lotId), scheme, now_);
        if (!valid) return (false, 0, 0, false);
        // Cannot truncate: lot ids are below 2^32 * 1e9 < 2^64.
        return (true, expiresAt == 0 ? NO_EXPIRY : expiresAt, uint64(lotId), true);
    }

    /// @dev Whether carried claim `claim` is still backed: nothing of its scheme was revoked since it
    /// was carried, or every input of every derivation it came through is attested (validly) or
    /// carries the claim itself through a derivation that is backed in turn. Walks at most
    /// {MAX_WALK} derivations, each once, and answers false beyond (a claim it cannot show backed).
    function _backed(LotClaim memory claim, uint32 scheme, uint48 now_) private view returns (bool) {
        uint32 epoch = _revocations[scheme];
        if (claim.epoch == epoch) return true;
        uint256[] memory pending = new uint256[](MAX_WALK);
        uint256[] memory seen = new uint256[](MAX_WALK);
        (pending[0], seen[0]) = (claim.derivation, claim.derivation);
        uint256 top = 1;
        uint256 seenCount = 1;
        while (top != 0) {
            uint64[] storage inputs = _derivationInputs[pending[--top]];
            for (uint256 i = 0; i < inputs.length; ++i) {
                (bool backed, uint256 derivation) = _inputBacked(inputs[i], scheme, now_, epoch);
                if (!backed) return false;
                if (derivation == 0 || _contains(seen, seenCount, derivation)) continue;
                if (seenCount == MAX_WALK) return false;
                (seen[seenCount++], pending[top++]) = (derivation, derivation);
            }
        }
        return true;
    }

    /// @dev One input of a derivation on a carried claim's path: backed by its own valid attestation
    /// or by a claim carried since the last revocation (`derivation` 0), or by a claim carried
    /// through `derivation`, which the walk must check in turn; or not backed at all.
    function _inputBacked(uint256 input, uint32 scheme, uint48 now_, uint32 epoch)
        private
        view
        returns (bool backed, uint256 derivation)
    {
        LotClaim memory claim = _lotClaims[input][scheme];
        bool carried = claim.state == ClaimState.Carried;
        if (carried && claim.epoch == epoch) return (true, 0);
        if (claim.state == ClaimState.Origin) {
            (bool plot,) = _originValid(input, scheme, now_);
            if (plot) return (true, 0);
        }
        (bool attested,,) = _validAttestation(SubjectKind.Lot, bytes32(input), scheme, now_);
        if (attested) return (true, 0);
        return carried ? (true, claim.derivation) : (false, 0);
    }

    /// @dev Whether lot `lotId`'s origin plot holds a valid attestation of `scheme` (see
    /// {onLotsMinted}), and until when (the latest expiry among the plot's valid ones).
    function _originValid(uint256 lotId, uint32 scheme, uint48 now_) private view returns (bool valid, uint48 until) {
        (valid,, until) = _validAttestation(SubjectKind.Plot, _lotOrigins[lotId], scheme, now_);
        if (until == 0) until = NO_EXPIRY;
    }

    function _contains(uint256[] memory values, uint256 count, uint256 value) private pure returns (bool) {
        for (uint256 i = 0; i < count; ++i) {
            if (values[i] == value) return true;
        }
        return false;
    }

    /// @dev {onLotsDerived} for the schemes of bitmap word `word`: each scheme any input has a claim
    /// for is followed by its model; the outputs get the bits of the claims carried to them.
    function _followWord(
        uint256 word,
        address custodian,
        uint256[] calldata inputIds,
        uint256 firstOutputId,
        ILotRegistry.Output[] calldata outputs
    ) private {
        uint256 any;
        uint256 all = type(uint256).max;
        for (uint256 i = 0; i < inputIds.length; ++i) {
            uint256 bits = _lotSchemes[inputIds[i]][word];
            any |= bits;
            all &= bits;
        }
        uint256 carried;
        while (any != 0) {
            uint256 bit = Math.log2(any);
            any &= ~(uint256(1) << bit);
            uint32 scheme = uint32((word << 8) | bit);
            ChainOfCustody model = _schemes[scheme].model;
            if (model == ChainOfCustody.MassBalance) {
                _creditDerived(scheme, custodian, inputIds, firstOutputId, outputs);
            } else if ((all >> bit) & 1 == 1 && _carry(scheme, model, inputIds, firstOutputId, outputs.length)) {
                // Only inputs that all have the bit can all carry the claim.
                carried |= uint256(1) << bit;
            }
        }
        if (carried != 0) {
            for (uint256 j = 0; j < outputs.length; ++j) {
                _lotSchemes[firstOutputId + j][word] |= carried;
            }
        }
    }

    /// @dev Identity preserved or segregated: records the claim on every output when every input
    /// carries it (identity preserved: all of one family), with the derivation whose inputs back it.
    /// Returns whether it did.
    function _carry(
        uint32 scheme,
        ChainOfCustody model,
        uint256[] calldata inputIds,
        uint256 firstOutputId,
        uint256 outputCount
    ) private returns (bool) {
        uint48 now_ = _time();
        uint48 validUntil = NO_EXPIRY;
        uint64 family;
        for (uint256 i = 0; i < inputIds.length; ++i) {
            (bool carries, uint48 until, uint64 inputFamily) = _inputClaim(inputIds[i], scheme, now_);
            if (!carries) return false;
            if (until < validUntil) validUntil = until;
            if (i == 0) family = inputFamily;
            else if (inputFamily != family && model == ChainOfCustody.IdentityPreserved) return false;
        }
        if (model != ChainOfCustody.IdentityPreserved) family = 0;
        _recordInputs(inputIds, firstOutputId);
        // Cannot truncate: lot ids are below 2^64 (see {_lotClaim}).
        LotClaim memory claim =
            LotClaim(ClaimState.Carried, validUntil, family, uint64(firstOutputId), _revocations[scheme]);
        for (uint256 j = 0; j < outputCount; ++j) {
            _lotClaims[firstOutputId + j][scheme] = claim;
        }
        emit ClaimCarried(scheme, firstOutputId, outputCount, family, validUntil);
        return true;
    }

    /// @dev {_lotClaim} of a derivation's input. An input carrying a claim may also be attested in
    /// its own right, for longer: the claim it passes on lasts as long as the later of the two.
    function _inputClaim(uint256 lotId, uint32 scheme, uint48 now_)
        private
        view
        returns (bool carries, uint48 until, uint64 family)
    {
        bool attested;
        (carries, until, family, attested) = _lotClaim(lotId, scheme, now_);
        if (!carries || attested) return (carries, until, family);
        (bool valid,, uint48 expiresAt) = _validAttestation(SubjectKind.Lot, bytes32(lotId), scheme, now_);
        uint48 own = expiresAt == 0 ? NO_EXPIRY : expiresAt;
        if (valid && own > until) until = own;
    }

    /// @dev Stores a derivation's inputs once, however many schemes it carries (four ids a slot).
    function _recordInputs(uint256[] calldata inputIds, uint256 firstOutputId) private {
        uint64[] storage stored = _derivationInputs[firstOutputId];
        if (stored.length != 0) return;
        uint64[] memory ids = new uint64[](inputIds.length);
        for (uint256 i = 0; i < inputIds.length; ++i) {
            ids[i] = uint64(inputIds[i]);
        }
        _derivationInputs[firstOutputId] = ids;
    }

    /// @dev Mass balance: spends the claims of the inputs that carry one and credits the custodian's
    /// member with the claimed share of each output's grams (rounded down: credit is never created).
    /// An input whose claim was its own attestation is spent pointing at this derivation, whose
    /// credit is recorded, so a revocation of that attestation can withdraw its share.
    function _creditDerived(
        uint32 scheme,
        address custodian,
        uint256[] calldata inputIds,
        uint256 firstOutputId,
        ILotRegistry.Output[] calldata outputs
    ) private {
        (uint256 claimed, uint256 total, bool anyAttested) = _spendInputs(scheme, inputIds, firstOutputId);
        if (claimed == 0) return;
        (uint64 member,,) = IMembership(_registry).accountOf(custodian);
        if (anyAttested) _recordDerivationCredit(member, total, firstOutputId, outputs);
        for (uint256 j = 0; j < outputs.length; ++j) {
            // Cannot truncate: claimed <= total, so the share is at most the output's uint64 grams.
            uint64 grams = uint64((uint256(outputs[j].grams) * claimed) / total);
            if (grams != 0) _credit(member, scheme, outputs[j].form, firstOutputId + j, grams);
        }
    }

    /// @dev Spends the mass-balance claims of a derivation's inputs; returns the claimed and total
    /// grams, and whether any claim was an input's own attestation.
    function _spendInputs(uint32 scheme, uint256[] calldata inputIds, uint256 firstOutputId)
        private
        returns (uint256 claimed, uint256 total, bool anyAttested)
    {
        uint48 now_ = _time();
        for (uint256 i = 0; i < inputIds.length; ++i) {
            uint256 inputId = inputIds[i];
            (ILotRegistry.Lot memory input,,) = ILotRegistry(_registry).getLot(inputId);
            total += input.grams;
            (bool carries,,, bool attested) = _lotClaim(inputId, scheme, now_);
            if (!carries) continue;
            claimed += input.grams;
            anyAttested = anyAttested || attested;
            // Cannot truncate: lot ids are below 2^64 (see {_lotClaim}).
            _lotClaims[inputId][scheme] = LotClaim(ClaimState.Spent, 0, 0, attested ? uint64(firstOutputId) : 0, 0);
        }
    }

    /// @dev Records once per derivation what its outputs weigh per form, for {_withdrawCredit}.
    function _recordDerivationCredit(
        uint64 member,
        uint256 inputGrams,
        uint256 firstOutputId,
        ILotRegistry.Output[] calldata outputs
    ) private {
        DerivationCredit storage record = _derivationCredits[firstOutputId];
        if (record.inputGrams != 0) return;
        record.member = member;
        // Cannot truncate: the lot registry refuses inputs heavier than 2^64 - 1 grams in all
        // (a merge's output must fit), and a transform's outputs carry at most its inputs' grams
        // (the registry passes their traced share, declared ingredients left out).
        record.inputGrams = uint64(inputGrams);
        for (uint256 j = 0; j < outputs.length; ++j) {
            uint8 form = outputs[j].form;
            uint256 k = 0;
            while (k < record.outputs.length && record.outputs[k].form != form) ++k;
            if (k == record.outputs.length) record.outputs.push(FormGrams(form, outputs[j].grams));
            else record.outputs[k].grams += outputs[j].grams;
        }
    }

    /// @dev Mass balance, on acceptance: spends the lot's claim of `scheme`, if it carries one, and
    /// credits the receiver's member (looked up once, passed along as `member`, zero until then).
    function _bookIn(uint256 lotId, uint32 scheme, address custodian, uint64 member, uint8 form, uint64 grams)
        private
        returns (uint64)
    {
        if (_schemes[scheme].model != ChainOfCustody.MassBalance) return member;
        (bool carries,,, bool attested) = _lotClaim(lotId, scheme, _time());
        if (!carries) return member;
        _lotClaims[lotId][scheme] = LotClaim(ClaimState.Spent, 0, 0, 0, 0);
        if (member == 0) (member,,) = IMembership(_registry).accountOf(custodian);
        if (attested) _bookedIn[lotId][scheme] = BookedCredit(member, grams);
        _credit(member, scheme, form, lotId, grams);
        return member;
    }

    /// @dev On revocation of mass-balance attestation `uid`: if its lot's claim became credit and no
    /// other valid attestation backs the lot, withdraws that credit (what is left of it: credit the
    /// member already marked on lots stays marked) and records the claim as withdrawn.
    function _withdrawCredit(bytes32 uid, uint32 scheme) private {
        uint256 lotId = _massBalanceLot[uid];
        LotClaim memory claim = _lotClaims[lotId][scheme];
        if (claim.state != ClaimState.Spent) return;
        (bool backed,,) = _validAttestation(SubjectKind.Lot, bytes32(lotId), scheme, _time());
        if (backed) return;
        (ILotRegistry.Lot memory lot,,) = ILotRegistry(_registry).getLot(lotId);
        if (claim.derivation == 0) {
            BookedCredit memory booked = _bookedIn[lotId][scheme];
            if (booked.member == 0) return; // spent from a marked claim, not from this attestation
            _withdraw(booked.member, scheme, lot.form, lotId, booked.grams, uid);
        } else {
            DerivationCredit storage record = _derivationCredits[claim.derivation];
            for (uint256 k = 0; k < record.outputs.length; ++k) {
                FormGrams memory output = record.outputs[k];
                // Cannot truncate: lot.grams <= inputGrams, so the share is at most the output's grams.
                uint64 share = uint64((uint256(output.grams) * lot.grams) / record.inputGrams);
                _withdraw(record.member, scheme, output.form, lotId, share, uid);
            }
        }
        _lotClaims[lotId][scheme].state = ClaimState.Withdrawn;
    }

    function _withdraw(uint64 member, uint32 scheme, uint8 form, uint256 lotId, uint64 grams, bytes32 uid) private {
        uint256 balance = _credits[member][scheme][form];
        uint64 taken = balance < grams ? uint64(balance) : grams;
        if (taken == 0) return;
        // Cannot underflow: taken <= balance.
        unchecked {
            balance -= taken;
        }
        _credits[member][scheme][form] = balance;
        emit MassBalanceWithdrawn(member, scheme, lotId, form, taken, balance, uid);
    }

    function _credit(uint64 member, uint32 scheme, uint8 form, uint256 lotId, uint64 grams) private {
        uint256 balance = _credits[member][scheme][form] + grams;
        _credits[member][scheme][form] = balance;
        emit MassBalanceCredited(member, scheme, lotId, form, grams, balance);
    }
}
