// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IMembership} from "../membership/IMembership.sol";
import {Roles} from "../membership/Roles.sol";
import {ILotObserver} from "../lots/ILotObserver.sol";
import {ILotRegistry} from "../lots/ILotRegistry.sol";
import {IAttestationRegistry} from "./IAttestationRegistry.sol";

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
/// Evidence, data hash and attestation time live in the {Attested} event; the uid commits to them.
///
/// @custom:security Roles are checked against `_msgSender()` (ERC-2771: the signer of a request
/// relayed through the trusted forwarder). The observer hooks trust `msg.sender` only when it is
/// the lot registry, as EAS's `SchemaResolver` trusts only EAS.
contract AttestationRegistry is IAttestationRegistry, ILotObserver, ERC2771Context {
    /// @notice Most items in one call (attestations, lots to mark).
    uint256 public constant MAX_BATCH = 500;

    /// @dev The subject kinds a scheme may name: lot, plot, member.
    uint8 private constant ALL_SUBJECTS = (uint8(1) << uint8(SubjectKind.Lot)) | (uint8(1) << uint8(SubjectKind.Plot))
        | (uint8(1) << uint8(SubjectKind.Member));
    uint48 private constant NO_EXPIRY = type(uint48).max;

    /// @dev What every attestation of one call shares, read once.
    struct AttestationContext {
        uint32 scheme;
        ChainOfCustody model;
        uint8 subjects;
        uint48 defaultValidity;
        address attester;
        uint48 now_;
    }

    address private immutable _registry;

    mapping(uint32 scheme => Scheme) private _schemes;
    mapping(bytes32 nameAndVersion => uint32 scheme) private _schemeIds;
    uint32 private _schemeCount;
    mapping(uint32 scheme => mapping(uint64 member => uint48 until)) private _accreditations;
    mapping(bytes32 uid => Attestation) private _attestations;
    mapping(SubjectKind kind => mapping(bytes32 subject => mapping(uint32 scheme => bytes32 uid))) private _current;
    mapping(uint256 lotId => mapping(uint256 word => uint256 schemeBits)) private _lotSchemes;
    mapping(uint256 lotId => mapping(uint32 scheme => LotClaim)) private _lotClaims;
    mapping(uint64 member => mapping(uint32 scheme => mapping(uint8 form => uint256 grams))) private _credits;

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param registry The lot registry, which is also the membership registry.
    constructor(address trustedForwarder, address registry) ERC2771Context(trustedForwarder) {
        _registry = registry;
    }

    modifier onlyGovernor() {
        IMembership(_registry).authorize(_msgSender(), Roles.GOVERNOR);
        _;
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
    ) external onlyGovernor returns (uint32 scheme) {
        if (model == ChainOfCustody.None || subjects == 0 || subjects & ~ALL_SUBJECTS != 0) {
            revert AttestationRegistryInvalidScheme(model, subjects);
        }
        bytes32 key = keccak256(abi.encode(name, version));
        uint32 existing = _schemeIds[key];
        if (existing != 0) revert AttestationRegistrySchemeExists(existing);
        scheme = ++_schemeCount;
        _schemeIds[key] = scheme;
        _schemes[scheme] = Scheme(model, subjects, defaultValidity, name, version);
        emit SchemeRegistered(scheme, model, subjects, defaultValidity, name, version);
    }

    /// @inheritdoc IAttestationRegistry
    function accredit(uint32 scheme, uint64 member, uint48 until) external onlyGovernor {
        _scheme(scheme);
        (IMembership.Member memory record,) = IMembership(_registry).getMember(member);
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
        if (count == 0 || count > MAX_BATCH) revert AttestationRegistryBatchSize(count, 1, MAX_BATCH);
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
        emit Revoked(uid, caller, attestation.scheme, reason);
    }

    // ---------------------------------------------------------------------------------- mass balance

    /// @inheritdoc IAttestationRegistry
    function markClaimed(uint32 scheme, uint256[] calldata lotIds) external {
        uint256 count = lotIds.length;
        if (count == 0 || count > MAX_BATCH) revert AttestationRegistryBatchSize(count, 1, MAX_BATCH);
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
            (bool carries,,) = _lotClaim(lotId, scheme, now_);
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
            _lotClaims[lotId][scheme] = LotClaim(ClaimState.Marked, NO_EXPIRY, 0);
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
        uid = _current[subjectKind][subject][scheme];
        valid = isValid(uid);
    }

    /// @inheritdoc IAttestationRegistry
    function carriesClaim(uint256 lotId, uint32 scheme) external view returns (bool carries) {
        (carries,,) = _lotClaim(lotId, scheme, _time());
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
            (carries[i],,) = _lotClaim(lotIds[i], schemes[i], now_);
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
        _current[kind][subject][scheme] = uid;
        if (kind == SubjectKind.Lot) _addLotScheme(uint256(subject), scheme);
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
                    && _lotClaims[uint256(subject)][scheme].state == ClaimState.Spent
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

    /// @dev Whether lot `lotId` carries `scheme`'s claim at `now_`, until when, and its family. A
    /// carried or marked claim comes first (it keeps the family it descends from); else the lot's
    /// own current attestation, which starts a family of its own. A spent claim carries nothing.
    function _lotClaim(uint256 lotId, uint32 scheme, uint48 now_)
        private
        view
        returns (bool carries, uint48 validUntil, uint64 family)
    {
        LotClaim memory claim = _lotClaims[lotId][scheme];
        if (claim.state == ClaimState.Spent) return (false, 0, 0);
        if (claim.state != ClaimState.None && now_ < claim.validUntil) return (true, claim.validUntil, claim.family);
        bytes32 uid = _current[SubjectKind.Lot][bytes32(lotId)][scheme];
        if (uid == 0) return (false, 0, 0);
        Attestation memory attestation = _attestations[uid];
        if (!_isValid(attestation, now_)) return (false, 0, 0);
        // Cannot truncate: lot ids are below 2^32 * 1e9 < 2^64.
        return (true, attestation.expiresAt == 0 ? NO_EXPIRY : attestation.expiresAt, uint64(lotId));
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
    /// carries it (identity preserved: all of one family). Returns whether it did.
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
            (bool carries, uint48 until, uint64 inputFamily) = _lotClaim(inputIds[i], scheme, now_);
            if (!carries) return false;
            if (until < validUntil) validUntil = until;
            if (i == 0) family = inputFamily;
            else if (inputFamily != family && model == ChainOfCustody.IdentityPreserved) return false;
        }
        if (model != ChainOfCustody.IdentityPreserved) family = 0;
        for (uint256 j = 0; j < outputCount; ++j) {
            _lotClaims[firstOutputId + j][scheme] = LotClaim(ClaimState.Carried, validUntil, family);
        }
        emit ClaimCarried(scheme, firstOutputId, outputCount, family, validUntil);
        return true;
    }

    /// @dev Mass balance: spends the claims of the inputs that carry one and credits the custodian's
    /// member with the claimed share of each output's grams (rounded down: credit is never created).
    function _creditDerived(
        uint32 scheme,
        address custodian,
        uint256[] calldata inputIds,
        uint256 firstOutputId,
        ILotRegistry.Output[] calldata outputs
    ) private {
        uint48 now_ = _time();
        uint256 claimed;
        uint256 total;
        for (uint256 i = 0; i < inputIds.length; ++i) {
            (ILotRegistry.Lot memory input,,) = ILotRegistry(_registry).getLot(inputIds[i]);
            total += input.grams;
            (bool carries,,) = _lotClaim(inputIds[i], scheme, now_);
            if (carries) {
                claimed += input.grams;
                _lotClaims[inputIds[i]][scheme] = LotClaim(ClaimState.Spent, 0, 0);
            }
        }
        if (claimed == 0) return;
        (uint64 member,,) = IMembership(_registry).accountOf(custodian);
        for (uint256 j = 0; j < outputs.length; ++j) {
            // Cannot truncate: claimed <= total, so the share is at most the output's uint64 grams.
            uint64 grams = uint64((uint256(outputs[j].grams) * claimed) / total);
            if (grams != 0) _credit(member, scheme, outputs[j].form, firstOutputId + j, grams);
        }
    }

    /// @dev Mass balance, on acceptance: spends the lot's claim of `scheme`, if it carries one, and
    /// credits the receiver's member (looked up once, passed along as `member`, zero until then).
    function _bookIn(uint256 lotId, uint32 scheme, address custodian, uint64 member, uint8 form, uint64 grams)
        private
        returns (uint64)
    {
        if (_schemes[scheme].model != ChainOfCustody.MassBalance) return member;
        (bool carries,,) = _lotClaim(lotId, scheme, _time());
        if (!carries) return member;
        _lotClaims[lotId][scheme] = LotClaim(ClaimState.Spent, 0, 0);
        if (member == 0) (member,,) = IMembership(_registry).accountOf(custodian);
        _credit(member, scheme, form, lotId, grams);
        return member;
    }

    function _credit(uint64 member, uint32 scheme, uint8 form, uint256 lotId, uint64 grams) private {
        uint256 balance = _credits[member][scheme][form] + grams;
        _credits[member][scheme][form] = balance;
        emit MassBalanceCredited(member, scheme, lotId, form, grams, balance);
    }
}
