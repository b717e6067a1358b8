// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ILotRegistry} from "../lots/ILotRegistry.sol";

/// @title IAttestationRegistry
/// @notice Sustainability attestations, modelled on the Ethereum Attestation Service (schema,
/// attester, subject, expiry, revocation, evidence) and specialised for first-mile supply chains:
///
/// - **Schemes** (EAS's schemas), registered by governors: a name and version, the ISO 22095
///   chain-of-custody model the scheme allows, the subjects it applies to (lot, plot, member) and a
///   default validity. Example: "EUDR deforestation-free (cut-off 2020-12-31)" on plots.
/// - **Accreditation**: governors accredit a certifier member for a scheme until a time. Only an
///   accredited certifier may attest; withdrawing (or expiry) stops new attestations and leaves
///   earlier ones as they were.
/// - **Attestations**: a certifier attests a subject for a scheme with an expiry, the sha2-256
///   digest of an evidence CID (audit report, satellite analysis) and a data hash. The attester's
///   member or a governor may revoke with a reason code. {isValid} answers "valid now" in one call.
/// - **Claims through the chain of custody**: a lot attested for a scheme carries its claim, and the
///   lot registry tells this contract (as its {ILotObserver}) of every split, merge, transform and
///   accepted handover, so the claim follows the scheme's model:
///   - identity preserved: the outputs of a derivation carry the claim when every input carries it
///     and all inputs are of one *family* (descend from the same attested lot): carried through
///     split and transform, lost on a merge of different families;
///   - segregated: the outputs carry it when every input carries it; one non-claimed input and the
///     outputs carry nothing;
///   - mass balance: each custodian member holds a credit in grams per scheme and form. Accepting a
///     lot that carries the claim credits the receiver with the grams received (the lot's own claim
///     is then spent: it has become credit); consuming claimed lots in a split, merge or transform
///     credits the custodian with the claimed share of each output's grams (so a transform's yield
///     converts the credit to the output form). The custodian marks lots as claimed with
///     {markClaimed}, which debits the credit by the lot's grams and never lets it go negative.
///     Every credit and debit is an event.
///   {carriesClaim} answers it for a lot, {carriesClaims} for many in one `eth_call`.
/// - **Revocation reaches what came of it**: a carried claim holds only while every input it came
///   from is still backed, down to the attestations at its origins; once one of them is revoked,
///   the derived lots stop carrying the claim. Mass-balance credit that came from a revoked
///   attestation and was not yet marked on a lot is withdrawn ({MassBalanceWithdrawn}).
/// - **Several attestations**: a subject carries a scheme's claim while any of its attestations for
///   that scheme is valid; a newer one revoked or expired does not hide an older valid one.
/// - **Governance**: schemes and accreditations add trust, so they are accepted only from the
///   governance contract of the membership registry (a quorum of governors and a delay); a single
///   governor may withdraw an accreditation or revoke an attestation at once.
///
/// Subjects are `bytes32`: a lot id or a member id as a number, a plot as its commitment (the
/// `origin` a delivery from it is minted with, see docs/plots.md). Evidence and data hash live in the {Attested} event and in the uid, which
/// commits to them (see {attestationUid}); storage keeps what the validity and claim views need.
interface IAttestationRegistry {
    /// @notice ISO 22095 chain-of-custody models.
    enum ChainOfCustody {
        None, // not a registered scheme
        IdentityPreserved, // one origin, physically separate from all other material
        Segregated, // certified material kept apart from non-certified, origins may mix
        MassBalance // mixed physically, certified quantity accounted for administratively
    }

    /// @notice What an attestation is about.
    enum SubjectKind {
        None,
        Lot, // a lot id of the lot registry, as a number
        Plot, // a plot's commitment, the `origin` its deliveries are minted with
        Member // a member id of the membership registry, as a number
    }

    /// @notice How a lot holds a claim besides a direct attestation.
    enum ClaimState {
        None, // no claim recorded (a direct attestation may still make it carry)
        Carried, // identity preserved or segregated: derived from inputs that all carried it
        Marked, // mass balance: the custodian marked it claimed, debiting its credit
        Spent, // mass balance: its claim became credit (accepted by the next custodian, or consumed)
        Withdrawn, // mass balance: spent, and the credit it became was withdrawn on revocation
        Origin // identity preserved or segregated: minted from a plot that held a valid attestation
    }

    /// @notice A scheme. Storage plan: the first slot (model, subjects, default validity) is all an
    /// attestation reads; name and version are read only by {getScheme}.
    struct Scheme {
        // The chain-of-custody model its claims follow through split, merge and transform.
        ChainOfCustody model;
        // Bit `1 << SubjectKind` for each kind of subject it applies to (lot 2, plot 4, member 8).
        uint8 subjects;
        // Validity of an attestation made without an explicit expiry, in seconds; 0 = no expiry.
        uint48 defaultValidity;
        // E.g. "EUDR deforestation-free (cut-off 2020-12-31)".
        string name;
        // E.g. "1.0"; a new version is a new scheme.
        string version;
    }

    /// @notice An attestation. Storage plan: one slot (160 + 32 + 48 + 8 + 8 bits). Subject,
    /// evidence, data hash and time are in the {Attested} event and committed in the uid.
    struct Attestation {
        // The certifier account that attested (zero: no such attestation).
        address attester;
        // The scheme.
        uint32 scheme;
        // Expiry (Unix seconds): valid while `now < expiresAt`; 0 = never expires.
        uint48 expiresAt;
        // The kind of its subject.
        SubjectKind subjectKind;
        // True once revoked.
        bool revoked;
    }

    /// @notice One attestation to make (see {attest}, {attestBatch}).
    struct AttestationRequest {
        // Lot, plot or member; must be one of the scheme's subjects.
        SubjectKind subjectKind;
        // `bytes32(lotId)`, the plot geometry hash, or `bytes32(uint256(memberId))`.
        bytes32 subject;
        // Expiry (Unix seconds, in the future); 0 = now + the scheme's default validity.
        uint48 expiresAt;
        // sha2-256 digest of the evidence CID (audit report, satellite analysis).
        bytes32 evidence;
        // Hash of the attested data (e.g. of the certificate's structured fields).
        bytes32 dataHash;
    }

    /// @notice A lot's claim for one scheme besides its direct attestation. One slot (8 + 48 + 64 + 64 + 32).
    struct LotClaim {
        // How the lot holds it.
        ClaimState state;
        // Carried: the earliest expiry among the inputs' claims; Marked: no expiry (max).
        uint48 validUntil;
        // Identity preserved: the attested lot the claim descends from (lot ids fit 64 bits).
        uint64 family;
        // Carried: the derivation it came through (its first output's id), whose inputs back it.
        // Spent from the lot's own attestation in a derivation: that derivation (0 at a handover).
        uint64 derivation;
        // Carried: the scheme's revocation count when it was carried or last found backed; while no
        // revocation happened since, the claim needs no walk back to its origins.
        uint32 epoch;
    }

    /// @notice Emitted when governors register a scheme.
    event SchemeRegistered(
        uint32 indexed scheme,
        ChainOfCustody model,
        uint8 subjects,
        uint48 defaultValidity,
        string name,
        string version
    );
    /// @notice Emitted when governors accredit a certifier member for a scheme until `until`.
    event Accredited(uint32 indexed scheme, uint64 indexed member, uint48 until);
    /// @notice Emitted when governors withdraw an accreditation.
    event AccreditationWithdrawn(uint32 indexed scheme, uint64 indexed member);
    /// @notice Emitted for each attestation. Time is the block's; `uid` commits to every field
    /// (see {attestationUid}).
    event Attested(
        bytes32 indexed subject,
        address indexed attester,
        uint32 indexed scheme,
        bytes32 uid,
        SubjectKind subjectKind,
        uint48 expiresAt,
        bytes32 evidence,
        bytes32 dataHash
    );
    /// @notice Emitted when an attestation is revoked; `reason` is a code the network agrees on.
    event Revoked(bytes32 indexed uid, address indexed revoker, uint32 indexed scheme, uint16 reason);
    /// @notice Emitted when a split, merge or transform carries an identity-preserved or segregated
    /// claim to its outputs, lots `firstOutputId` .. `firstOutputId + outputCount - 1`.
    event ClaimCarried(
        uint32 indexed scheme, uint256 indexed firstOutputId, uint256 outputCount, uint64 family, uint48 validUntil
    );
    /// @notice Emitted when lot `lotId` is minted (observed, see {ILotRegistry-mintBatchObserved})
    /// from an origin plot (its `origin` is in the mint's event) whose attestation `uid` for `scheme`
    /// is valid: the lot carries the claim for as long as some attestation of that plot for the
    /// scheme stays valid.
    event OriginClaimed(uint32 indexed scheme, uint256 indexed lotId, bytes32 uid);
    /// @notice Emitted for each mass-balance credit: `lotId` was received (handover) or produced
    /// (derivation output) as claimed quantity. `balance` is the member's credit afterwards.
    event MassBalanceCredited(
        uint64 indexed member, uint32 indexed scheme, uint256 indexed lotId, uint8 form, uint64 grams, uint256 balance
    );
    /// @notice Emitted when attestation `uid` of lot `lotId` is revoked after its claim became credit:
    /// `grams` of the credit it became are withdrawn from `member` (at most what is left).
    event MassBalanceWithdrawn(
        uint64 indexed member,
        uint32 indexed scheme,
        uint256 indexed lotId,
        uint8 form,
        uint64 grams,
        uint256 balance,
        bytes32 uid
    );
    /// @notice Emitted for each mass-balance debit: `lotId` was marked claimed.
    event MassBalanceDebited(
        uint64 indexed member, uint32 indexed scheme, uint256 indexed lotId, uint8 form, uint64 grams, uint256 balance
    );

    /// @dev Only the lot registry may call the observer hooks; `caller` did.
    error AttestationRegistryNotLotRegistry(address caller);
    /// @dev No scheme has id `scheme`.
    error AttestationRegistryUnknownScheme(uint32 scheme);
    /// @dev A scheme with this name and version exists already, with id `scheme`.
    error AttestationRegistrySchemeExists(uint32 scheme);
    /// @dev `model` is not a chain-of-custody model, or `subjects` is empty or has unknown bits.
    error AttestationRegistryInvalidScheme(ChainOfCustody model, uint8 subjects);
    /// @dev Member `member` does not hold the certifier role.
    error AttestationRegistryNotCertifier(uint64 member);
    /// @dev Member `member` is not accredited for `scheme` now (never, withdrawn, or expired at `until`).
    error AttestationRegistryNotAccredited(uint64 member, uint32 scheme, uint48 until);
    /// @dev `expiresAt` is not after `now`.
    error AttestationRegistryInvalidExpiry(uint48 expiresAt, uint48 now);
    /// @dev `scheme` does not apply to subjects of kind `subjectKind`.
    error AttestationRegistrySubjectNotInScheme(uint32 scheme, SubjectKind subjectKind);
    /// @dev `subject` is not a valid subject of kind `subjectKind` (no such member, zero plot hash).
    error AttestationRegistryUnknownSubject(SubjectKind subjectKind, bytes32 subject);
    /// @dev An attestation with the same uid exists (same fields, same attester, same second).
    error AttestationRegistryDuplicate(bytes32 uid);
    /// @dev No attestation has uid `uid`.
    error AttestationRegistryUnknownAttestation(bytes32 uid);
    /// @dev Attestation `uid` is revoked already.
    error AttestationRegistryAlreadyRevoked(bytes32 uid);
    /// @dev `caller` is neither a governor nor a certifier account of the member of `attester`.
    error AttestationRegistryNotRevoker(address caller, bytes32 uid, address attester);
    /// @dev A batch of `size` items where `min` .. `max` are allowed.
    error AttestationRegistryBatchSize(uint256 size, uint256 min, uint256 max);
    /// @dev Two arrays that must have one length have `a` and `b`.
    error AttestationRegistryLengthMismatch(uint256 a, uint256 b);
    /// @dev `scheme` is not a mass-balance scheme.
    error AttestationRegistryNotMassBalance(uint32 scheme);
    /// @dev `caller` does not belong to the member whose account `custodian` holds lot `lotId`.
    error AttestationRegistryNotCustodian(address caller, uint256 lotId, address custodian);
    /// @dev Lot `lotId` is `status`; marking needs an active lot.
    error AttestationRegistryLotNotActive(uint256 lotId, ILotRegistry.LotStatus status);
    /// @dev Lot `lotId` carries the claim of `scheme` already.
    error AttestationRegistryAlreadyClaimed(uint256 lotId, uint32 scheme);
    /// @dev Lot `lotId`'s mass-balance claim of `scheme` has become credit; attest a new lot instead.
    error AttestationRegistryClaimSpent(uint256 lotId, uint32 scheme);
    /// @dev Only the governance contract `governance` may make this change; `caller` is not it.
    error AttestationRegistryNotGovernance(address caller, address governance);
    /// @dev Subject `subject` has `max` attestations for `scheme` that are still valid; revoke one first.
    error AttestationRegistryTooManyAttestations(SubjectKind subjectKind, bytes32 subject, uint32 scheme, uint256 max);
    /// @dev Member `member` holds `balance` grams of credit for `scheme` in `form`; `needed` were asked for.
    error AttestationRegistryInsufficientCredit(
        uint64 member, uint32 scheme, uint8 form, uint256 balance, uint256 needed
    );

    /// @notice Registers a scheme.
    /// @dev Requirements: caller is the governance contract (see {IMembership-setGovernance}); `model` is one of the three models; `subjects` is a
    /// non-empty set of lot (2), plot (4), member (8); no scheme has this name and version.
    /// Emits {SchemeRegistered}.
    /// Example: `registerScheme("Fairtrade-like premium eligible", "1.0", ChainOfCustody.MassBalance, 2, 365 days)`.
    /// @param name The scheme's name.
    /// @param version Its version.
    /// @param model The chain-of-custody model its claims follow.
    /// @param subjects Bit `1 << SubjectKind` for each kind it applies to.
    /// @param defaultValidity Seconds an attestation without explicit expiry stays valid; 0 = forever.
    /// @return scheme The new scheme's id (1-based, sequential).
    function registerScheme(
        string calldata name,
        string calldata version,
        ChainOfCustody model,
        uint8 subjects,
        uint48 defaultValidity
    ) external returns (uint32 scheme);

    /// @notice Accredits a certifier member for a scheme until `until` (renewing replaces the time).
    /// @dev Requirements: caller is the governance contract; scheme registered; member holds the certifier role;
    /// `until` in the future. Emits {Accredited}.
    /// @param scheme The scheme.
    /// @param member The certifier member.
    /// @param until The accreditation's expiry (Unix seconds).
    function accredit(uint32 scheme, uint64 member, uint48 until) external;

    /// @notice Withdraws an accreditation: the member can no longer attest for the scheme; its
    /// attestations stay as they were.
    /// @dev Requirements: caller is a governor; scheme registered. Emits {AccreditationWithdrawn}.
    /// @param scheme The scheme.
    /// @param member The certifier member.
    function withdrawAccreditation(uint32 scheme, uint64 member) external;

    /// @notice Attests one subject for a scheme.
    /// @dev Requirements: caller is an active certifier account of a member accredited for the scheme
    /// now; the subject's kind is one of the scheme's; a lot subject exists and is not consumed, a
    /// member subject exists, a plot subject is non-zero; the expiry is in the future. Emits {Attested}.
    /// The attestation becomes the subject's current one for the scheme (see {currentAttestation}).
    /// Example: `attest(1, AttestationRequest(SubjectKind.Plot, plotHash, 0, reportDigest, dataHash))`.
    /// @param scheme The scheme.
    /// @param request What to attest.
    /// @return uid The attestation's uid.
    function attest(uint32 scheme, AttestationRequest calldata request) external returns (bytes32 uid);

    /// @notice Attests many subjects for one scheme (an audit of many farms), the scheme and the
    /// caller's accreditation read once.
    /// @dev Requirements: as {attest}, for 1 .. {MAX_BATCH} requests. Emits one {Attested} per request.
    /// @param scheme The scheme.
    /// @param requests What to attest.
    /// @return uids The attestations' uids, in request order.
    function attestBatch(uint32 scheme, AttestationRequest[] calldata requests)
        external
        returns (bytes32[] memory uids);

    /// @notice Revokes an attestation.
    /// @dev Requirements: caller is a governor, or an active certifier account of the attester's
    /// member; the attestation exists and is not revoked. Emits {Revoked}. Claims carried from it to
    /// derived lots stop (unless another valid attestation backs the same origin lot); credit its
    /// mass-balance claim became and that is not yet marked on a lot is withdrawn, emitting
    /// {MassBalanceWithdrawn}; lots already marked stay marked.
    /// @param uid The attestation.
    /// @param reason A reason code (e.g. 1 = fraud, 2 = audit finding, 3 = issued in error).
    function revoke(bytes32 uid, uint16 reason) external;

    /// @notice Marks lots held by the caller's member as carrying a mass-balance scheme's claim,
    /// debiting the member's credit in each lot's form by the lot's grams.
    /// @dev Requirements: caller is an active custodian-role account; the scheme is mass balance;
    /// each lot is active, held by the caller's member and does not carry the claim yet; the credit
    /// suffices (it never goes negative). Emits one {MassBalanceDebited} per lot.
    /// Example: after a transform, `markClaimed(fairtrade, [firstOutputId])`.
    /// @param scheme The mass-balance scheme.
    /// @param lotIds The lots to mark.
    function markClaimed(uint32 scheme, uint256[] calldata lotIds) external;

    /// @notice The lot registry (also the membership registry) this contract observes.
    function lotRegistry() external view returns (address);

    /// @notice Number of schemes registered; ids run from 1 to this.
    function schemeCount() external view returns (uint32);

    /// @notice A scheme (reverts for an unknown id).
    function getScheme(uint32 scheme) external view returns (Scheme memory);

    /// @notice The id of the scheme named `name` at `version`, 0 if none.
    function schemeIdOf(string calldata name, string calldata version) external view returns (uint32);

    /// @notice Until when `member` is accredited for `scheme` (0: not accredited).
    function accreditedUntil(uint32 scheme, uint64 member) external view returns (uint48);

    /// @notice An attestation's stored record (attester zero if none).
    function getAttestation(bytes32 uid) external view returns (Attestation memory);

    /// @notice Whether attestation `uid` exists, is not revoked and has not expired.
    function isValid(bytes32 uid) external view returns (bool);

    /// @notice {isValid} for many uids in one call.
    function areValid(bytes32[] calldata uids) external view returns (bool[] memory valid);

    /// @notice The subject's attestation for a scheme that is valid now (of several, the one that
    /// expires last), else its latest attestation; and whether it is valid.
    /// @param subjectKind Lot, plot or member.
    /// @param subject The subject.
    /// @param scheme The scheme.
    /// @return uid The attestation (zero if none).
    /// @return valid {isValid} of it.
    function currentAttestation(SubjectKind subjectKind, bytes32 subject, uint32 scheme)
        external
        view
        returns (bytes32 uid, bool valid);

    /// @notice Whether lot `lotId` carries the claim of `scheme` now: one of its own attestations is
    /// valid (and, for mass balance, not yet spent), or it was marked, or it was carried to it, has
    /// not expired and every origin it came from is still backed by a valid attestation (see the
    /// contract notes). For a consumed lot: what it carried when consumed (mass balance: false, its
    /// claim became credit).
    function carriesClaim(uint256 lotId, uint32 scheme) external view returns (bool);

    /// @notice {carriesClaim} for pairs `(lotIds[i], schemes[i])` in one call.
    function carriesClaims(uint256[] calldata lotIds, uint32[] calldata schemes)
        external
        view
        returns (bool[] memory carries);

    /// @notice A lot's recorded claim for a scheme besides its direct attestation.
    function getLotClaim(uint256 lotId, uint32 scheme) external view returns (LotClaim memory);

    /// @notice A member's mass-balance credit for `scheme`, in grams of each of `forms`.
    function creditsOf(uint64 member, uint32 scheme, uint8[] calldata forms)
        external
        view
        returns (uint256[] memory grams);

    /// @notice The uid an attestation with these fields gets: anyone holding an {Attested} event and
    /// its block time can check that the evidence and data hash are the ones attested.
    /// `uid = keccak256(abi.encode(scheme, subjectKind, subject, attester, time, expiresAt, evidence, dataHash))`.
    function attestationUid(
        uint32 scheme,
        SubjectKind subjectKind,
        bytes32 subject,
        address attester,
        uint48 time,
        uint48 expiresAt,
        bytes32 evidence,
        bytes32 dataHash
    ) external pure returns (bytes32);
}
