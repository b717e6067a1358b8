// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ILotRegistry
/// @notice Lot tokens for cocoa and rubber: minted by cooperatives, moved only by two-party
/// handover, split, merged and transformed under mass balance, each with a history head.
interface ILotRegistry {
    /// @notice Where a lot is in its life.
    enum LotStatus {
        None, // never minted
        Active, // held by its custodian
        InTransit, // offered to a receiver, not yet accepted
        Consumed // an input of a split, merge or transform; its outputs carry on
    }

    /// @notice A lot's state. Storage plan: one slot (160 + 64 + 8 + 8 = 240 bits); the history head
    /// sits in a second slot; metadata and origin live only in events and in the head.
    struct Lot {
        // The account holding the lot; any active account of the same member may act on it.
        address custodian;
        // Quantity in grams.
        uint64 grams;
        // Form id (see {registerForm}); the commodity follows from the form.
        uint8 form;
        // Life-cycle status.
        LotStatus status;
    }

    /// @notice One delivery to mint: a cooperative's weigh-in of one farmer's crop.
    struct Delivery {
        // Form id, e.g. cocoa wet beans or rubber cup lump.
        uint8 form;
        // Weighed quantity in grams (> 0).
        uint64 grams;
        // sha2-256 digest of the delivery's metadata document CID (grade, moisture, DRC, date).
        bytes32 metadata;
        // Commitment to the origin: hash of the plot geometry and farmer reference, kept private off chain.
        bytes32 origin;
    }

    /// @notice One output of a split, merge or transform.
    struct Output {
        // Form id of the output (a split's and merge's outputs keep the input form).
        uint8 form;
        // Quantity in grams (> 0).
        uint64 grams;
        // sha2-256 digest of the output's metadata document CID.
        bytes32 metadata;
    }

    /// @notice A registered form of a commodity.
    struct Form {
        // 1 = cocoa, 2 = rubber.
        uint8 commodity;
        // Largest accepted loss at a handover (received below sent), in basis points of sent: drying,
        // draining and storage losses on the way.
        uint16 lossBps;
        // Largest accepted gain at a handover (received above sent), in basis points of sent: only
        // scale differences. A gain is recorded as measured but never raises the lot's quantity.
        uint16 gainBps;
        // Whether a cooperative may mint the form at origin (a farmer's delivery: wet or dry beans,
        // field latex, cup lump, sheets). Other forms exist only as outputs of a transform.
        bool mintable;
        // True once registered.
        bool registered;
    }

    /// @notice Yield bounds for a transform from one form to another, in basis points of the input grams.
    struct YieldBounds {
        uint32 minBps;
        uint32 maxBps;
    }

    /// @notice Emitted when governance registers a form.
    event FormRegistered(
        uint8 indexed form, uint8 commodity, uint16 lossBps, uint16 gainBps, bool mintable, string name
    );
    /// @notice Emitted when a form's handover tolerances change.
    event FormToleranceChanged(uint8 indexed form, uint16 lossBps, uint16 gainBps);
    /// @notice Emitted when the base of the lots' token URIs changes.
    event BaseURIChanged(string baseURI);
    /// @notice Emitted when governors set the yield bounds of `inputForm` -> `outputForm`.
    event YieldBoundsSet(uint8 indexed inputForm, uint8 indexed outputForm, uint32 minBps, uint32 maxBps);
    /// @notice Emitted by {mint} for its one lot; the custodian is the `to` of the {Transfer} just before.
    event LotMinted(uint256 indexed lotId, uint8 form, uint64 grams, bytes32 metadata, bytes32 origin, bytes32 head);
    /// @notice Emitted once per {mintBatch} call: lots `firstLotId` .. `firstLotId + deliveries.length - 1`.
    /// `heads[i]` is the history head of lot `firstLotId + i` after minting.
    event LotsMinted(address indexed custodian, uint256 indexed firstLotId, Delivery[] deliveries, bytes32[] heads);
    /// @notice Emitted when a custodian offers a lot to `receiver`.
    event HandoverOffered(uint256 indexed lotId, address indexed custodian, address indexed receiver, bytes32 head);
    /// @notice Emitted when the custodian withdraws an offer.
    event HandoverCancelled(uint256 indexed lotId, address indexed custodian, address indexed receiver, bytes32 head);
    /// @notice Emitted when the receiver refuses an offer; `reason` is a code the network agrees on.
    event HandoverRejected(
        uint256 indexed lotId, address indexed custodian, address indexed receiver, uint16 reason, bytes32 head
    );
    /// @notice Emitted when the receiver takes custody. `gramsReceived - gramsSent` is the weighed
    /// difference; the lot's quantity is now the smaller of the two (a handover never adds mass).
    event HandoverAccepted(
        uint256 indexed lotId,
        address indexed previousCustodian,
        address indexed custodian,
        uint64 gramsSent,
        uint64 gramsReceived,
        bytes32 head
    );
    /// @notice Emitted once per split, merge or transform. Inputs are consumed (their heads after the
    /// consumption are `inputHeads`); outputs are lots `firstOutputId` .. `firstOutputId + outputs.length - 1`.
    event LotsDerived(
        uint8 indexed kind,
        address indexed custodian,
        uint256[] inputIds,
        bytes32[] inputHeads,
        uint256 firstOutputId,
        Output[] outputs,
        bytes32[] outputHeads
    );
    /// @notice Emitted when a custodian attaches evidence (weigh ticket, photo, lab report) to a lot.
    event EvidenceAttached(uint256 indexed lotId, address indexed by, bytes32 evidence, bytes32 head);
    /// @notice Emitted when governors set (or, with zero, clear) the lot observer.
    event LotObserverSet(address indexed observer);
    /// @notice ERC-2309: lots `fromTokenId` .. `toTokenId` were minted to `toAddress` in one call.
    event ConsecutiveTransfer(
        uint256 indexed fromTokenId, uint256 toTokenId, address indexed fromAddress, address indexed toAddress
    );

    /// @dev No lot has id `lotId` (or, for ERC-721 reads, it was consumed).
    error LotRegistryUnknownLot(uint256 lotId);
    /// @dev `caller` does not belong to the member whose account `custodian` holds lot `lotId`.
    error LotRegistryNotCustodian(address caller, uint256 lotId, address custodian);
    /// @dev Lot `lotId` is `status`, not in the status the operation needs.
    error LotRegistryWrongStatus(uint256 lotId, LotStatus status);
    /// @dev Form `form` is not registered.
    error LotRegistryUnknownForm(uint8 form);
    /// @dev Form `form` is registered already.
    error LotRegistryFormExists(uint8 form);
    /// @dev Form ids run from 1 to {MAX_FORM}; commodities are 1 (cocoa) and 2 (rubber).
    error LotRegistryInvalidForm(uint8 form, uint8 commodity);
    /// @dev Item `index` of the call (a delivery, part or output; 0 for a single lot) has zero grams.
    error LotRegistryZeroQuantity(uint256 index);
    /// @dev A batch of `size` items where `min` .. `max` are allowed.
    error LotRegistryBatchSize(uint256 size, uint256 min, uint256 max);
    /// @dev `receiver` cannot take custody: not an account of another member holding a custodian role.
    error LotRegistryInvalidReceiver(address receiver);
    /// @dev `receiver`, an account of member `memberId`, is suspended (the account or its member).
    error LotRegistryReceiverSuspended(address receiver, uint64 memberId);
    /// @dev Form `form` cannot be minted at origin: it comes only out of a transform.
    error LotRegistryNotMintable(uint8 form);
    /// @dev `caller` is not of the member lot `lotId` was offered to (`receiver`).
    error LotRegistryNotReceiver(address caller, uint256 lotId, address receiver);
    /// @dev The received weight lies outside the form's loss and gain allowances of the sent weight.
    error LotRegistryOutsideTolerance(
        uint256 lotId, uint64 gramsSent, uint64 gramsReceived, uint16 lossBps, uint16 gainBps
    );
    /// @dev A handover tolerance of `bps` basis points is above the most the network allows, `maxBps`.
    error LotRegistryToleranceTooHigh(uint16 bps, uint16 maxBps);
    /// @dev A quantity of `grams` does not fit a lot (at most 2^64 - 1 grams).
    error LotRegistryQuantityOverflow(uint256 grams);
    /// @dev A split's parts sum to `partsGrams`, not the lot's `lotGrams`.
    error LotRegistrySplitImbalance(uint256 lotId, uint64 lotGrams, uint256 partsGrams);
    /// @dev Lot `lotId` is of form `actual`; the operation needs `expected`.
    error LotRegistryFormMismatch(uint256 lotId, uint8 expected, uint8 actual);
    /// @dev No yield bounds are registered for `inputForm` -> `outputForm`.
    error LotRegistryNoYieldBounds(uint8 inputForm, uint8 outputForm);
    /// @dev The outputs of form `outputForm`, `outputGrams` in all, from `inputGrams` of `inputForm`,
    /// lie outside [`minBps`, `maxBps`] of the input.
    error LotRegistryYieldOutOfBounds(
        uint8 inputForm, uint8 outputForm, uint256 inputGrams, uint256 outputGrams, uint32 minBps, uint32 maxBps
    );
    /// @dev A transform's outputs weigh more than its inputs.
    error LotRegistryMassCreated(uint256 inputGrams, uint256 outputGrams);
    /// @dev Invalid tolerance or yield bounds.
    error LotRegistryInvalidBounds(uint256 minBps, uint256 maxBps);
    /// @dev `account` has used all {LOT_ID_BASE} - 1 lot ids of its sequence.
    error LotRegistrySequenceExhausted(address account);
    /// @dev ERC-721 transfers and approvals are refused: custody moves only by handover.
    error LotRegistryTransferOutsideHandover(uint256 lotId);
    /// @dev `caller` asked to approve `operator` for lot `lotId` (0: for all its lots): there are no
    /// approvals, custody moves only by handover.
    error LotRegistryApprovalRefused(address caller, address operator, uint256 lotId);

    /// @notice Registers a form of a commodity.
    /// @dev Requirements: caller is the governance contract (see {IMembership-setGovernance});
    /// `form` in 1..{MAX_FORM} and new; `commodity` 1 or 2; both tolerances <= {MAX_TOLERANCE_BPS}.
    /// Emits {FormRegistered}. Whether a form is mintable at origin never changes.
    /// Example: `registerForm(2, 1, 100, 50, true, "cocoa dry beans")` (1% loss, 0.5% gain allowed).
    /// @param form Form id.
    /// @param commodity 1 = cocoa, 2 = rubber.
    /// @param lossBps Handover loss allowance in basis points of the sent weight.
    /// @param gainBps Handover gain allowance in basis points of the sent weight.
    /// @param mintable Whether cooperatives may mint it at origin.
    /// @param formName Human-readable name (event only).
    function registerForm(
        uint8 form,
        uint8 commodity,
        uint16 lossBps,
        uint16 gainBps,
        bool mintable,
        string calldata formName
    ) external;

    /// @notice Changes a form's handover tolerances.
    /// @dev Requirements: caller is the governance contract; form registered; both <= {MAX_TOLERANCE_BPS}.
    /// Emits {FormToleranceChanged}.
    /// @param form Form id.
    /// @param lossBps New loss allowance in basis points.
    /// @param gainBps New gain allowance in basis points.
    function setFormTolerance(uint8 form, uint16 lossBps, uint16 gainBps) external;

    /// @notice Sets the yield bounds of a transform from `inputForm` to `outputForm`.
    /// @dev Requirements: caller is the governance contract; both forms registered; 0 < `maxBps`,
    /// `minBps` <= `maxBps`.
    /// Emits {YieldBoundsSet}. Example: wet -> dry cocoa beans `setYieldBounds(1, 2, 3500, 4500)`.
    /// @param inputForm Form consumed.
    /// @param outputForm Form produced.
    /// @param minBps Least output per input, basis points.
    /// @param maxBps Most output per input, basis points.
    function setYieldBounds(uint8 inputForm, uint8 outputForm, uint32 minBps, uint32 maxBps) external;

    /// @notice Sets the base of every lot's token URI (the gateway's lot path).
    /// @dev Requirements: caller is a governor. Emits {BaseURIChanged}.
    /// @param baseURI E.g. `https://trace.example.org/lots/`.
    function setBaseURI(string calldata baseURI) external;

    /// @notice Sets the contract told about every split, merge, transform and accepted handover
    /// (see {ILotObserver}): the attestation registry, which carries claims through the chain of
    /// custody. Mints are never observed.
    /// @dev Requirements: caller is the governance contract (an observer that reverts would stop
    /// every handover and derivation). Emits {LotObserverSet}. Zero clears it.
    /// @param observer The observer, or zero for none.
    function setLotObserver(address observer) external;

    /// @notice Mints one delivery to the caller.
    /// @dev Requirements: caller is an active cooperative account; form registered and mintable at
    /// origin; grams > 0.
    /// Emits {Transfer} and {LotMinted}.
    /// @param delivery The delivery.
    /// @return lotId The new lot.
    function mint(Delivery calldata delivery) external returns (uint256 lotId);

    /// @notice Mints a day's deliveries to the caller in one transaction (consecutive lot ids).
    /// @dev Requirements: as {mint}, for 1..{MAX_BATCH} deliveries. Emits {ConsecutiveTransfer}
    /// (or {Transfer} for one) and one {LotsMinted}.
    /// @param deliveries The deliveries.
    /// @return firstLotId The first new lot; the others follow consecutively.
    function mintBatch(Delivery[] calldata deliveries) external returns (uint256 firstLotId);

    /// @notice Offers a lot to another member's account; the lot is in transit until accepted,
    /// rejected or cancelled.
    /// @dev Requirements: caller is an account of the custodian's member; lot active; `receiver` is an
    /// active account of another member holding a custodian role. Emits {HandoverOffered}.
    /// @param lotId The lot.
    /// @param receiver The receiving account.
    function offer(uint256 lotId, address receiver) external;

    /// @notice Withdraws an offer.
    /// @dev Requirements: caller is an account of the custodian's member; lot in transit. Emits {HandoverCancelled}.
    /// @param lotId The lot.
    function cancel(uint256 lotId) external;

    /// @notice Refuses an offer; custody stays with the sender.
    /// @dev Requirements: caller is an account of the receiver's member; lot in transit. Emits {HandoverRejected}.
    /// @param lotId The lot.
    /// @param reason A reason code (e.g. 1 = quality, 2 = weight, 3 = documents).
    function reject(uint256 lotId, uint16 reason) external;

    /// @notice Takes custody, recording the weight received. The lot's quantity becomes the smaller of
    /// the sent and received weights: a loss is the receiver's measure, a gain is recorded but never
    /// raises the lot's quantity or the mass-balance credit it brings.
    /// @dev Requirements: caller is an account of the receiver's member; lot in transit; received
    /// within the form's loss and gain allowances of sent. Emits {Transfer} and {HandoverAccepted}.
    /// @param lotId The lot.
    /// @param gramsReceived Weight on the receiver's scale.
    function accept(uint256 lotId, uint64 gramsReceived) external;

    /// @notice Splits a lot into parts of the same form whose grams sum exactly to the lot's.
    /// @dev Requirements: caller is an account of the custodian's member; lot active; 2..{MAX_OUTPUTS} parts,
    /// each > 0 and of the lot's form. Emits {LotsDerived} with kind {LotHistory-SPLIT}.
    /// @param lotId The lot to split.
    /// @param parts The parts (their `form` must equal the lot's).
    /// @return firstOutputId The first part's lot id; the others follow.
    function split(uint256 lotId, Output[] calldata parts) external returns (uint256 firstOutputId);

    /// @notice Merges lots of one form held by the caller's member into one lot.
    /// @dev Requirements: 2..{MAX_BATCH} active lots of the same form, all held by the caller's member.
    /// Emits {LotsDerived} with kind {LotHistory-MERGED}.
    /// @param lotIds The lots to merge.
    /// @param metadata Metadata digest of the merged lot.
    /// @return lotId The merged lot.
    function merge(uint256[] calldata lotIds, bytes32 metadata) external returns (uint256 lotId);

    /// @notice Transforms input lots of one form into outputs of other forms (drying, grinding,
    /// pressing: cocoa liquor -> butter + powder). The outputs of each form, summed, must lie within
    /// the bounds registered for input form -> that form (two dry-bean outputs of one wet-bean lot
    /// count together), and all outputs together may not weigh more than the inputs.
    /// @dev Requirements: 1..{MAX_BATCH} active inputs of one form held by the caller's member;
    /// 1..{MAX_OUTPUTS} outputs. Emits {LotsDerived} with kind {LotHistory-TRANSFORMED}.
    /// @param inputIds The lots consumed.
    /// @param outputs The lots produced.
    /// @return firstOutputId The first output's lot id; the others follow.
    function transform(uint256[] calldata inputIds, Output[] calldata outputs)
        external
        returns (uint256 firstOutputId);

    /// @notice Attaches evidence (a weigh ticket, photo, lab report) to a lot, folding it into its head.
    /// @dev Requirements: caller is an account of the custodian's member; lot not consumed. Emits {EvidenceAttached}.
    /// @param lotId The lot.
    /// @param evidence sha2-256 digest of the evidence CID.
    function attachEvidence(uint256 lotId, bytes32 evidence) external;

    /// @notice A lot's state, history head and pending receiver (zero unless in transit).
    function getLot(uint256 lotId) external view returns (Lot memory lot, bytes32 head, address pendingReceiver);

    /// @notice A lot's history head: every event on it folded in order (see LotHistory).
    function historyHead(uint256 lotId) external view returns (bytes32);

    /// @notice Many lots' history heads in one call.
    function historyHeads(uint256[] calldata lotIds) external view returns (bytes32[] memory heads);

    /// @notice The lot observer (zero if none), see {setLotObserver}.
    function lotObserver() external view returns (address);

    /// @notice A registered form.
    function getForm(uint8 form) external view returns (Form memory);

    /// @notice The yield bounds of `inputForm` -> `outputForm` (zeros if none).
    function getYieldBounds(uint8 inputForm, uint8 outputForm) external view returns (YieldBounds memory);

    /// @notice The id the next lot minted or derived by `account` will get
    /// (`accountNumber * LOT_ID_BASE + sequence`).
    function nextLotId(address account) external view returns (uint256);
}
