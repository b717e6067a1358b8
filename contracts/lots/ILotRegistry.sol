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

    /// @notice A lot's state. Storage plan: one slot (160 + 64 + 8 + 8 + 16 = 256 bits); the history
    /// head sits in a second slot; metadata and origin live only in events and in the head.
    struct Lot {
        // The account holding the lot; any active account of the same member may act on it.
        address custodian;
        // Quantity in grams.
        uint64 grams;
        // Form id (see {registerForm}); the commodity follows from the form.
        uint8 form;
        // Life-cycle status.
        LotStatus status;
        // Measured quality in basis points of the weight, 0 = not measured: the dry rubber content
        // (DRC) of a rubber form, the moisture of a cocoa form. Forms whose yields count on dry
        // weight (see {IFormCatalogue-isDryBasis}) read it as the dry share: dry grams = grams *
        // quality / 10 000.
        uint16 quality;
    }

    /// @notice One delivery to mint: a cooperative's weigh-in of one farmer's crop.
    struct Delivery {
        // Form id, e.g. cocoa wet beans or rubber cup lump.
        uint8 form;
        // Weighed quantity in grams (> 0).
        uint64 grams;
        // Quality measured at the weigh-in, basis points (<= 10 000; 0 = not measured): DRC of
        // rubber (cup lump 5 500 = 55 %), moisture of cocoa (wet beans 5 500, dry beans 750).
        uint16 quality;
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
        // Quality measured on the output, basis points (<= 10 000; 0 = not measured). A split's part
        // keeps the lot's quality (give 0 or that value); a merge's output gets its inputs'
        // grams-weighted mean.
        uint16 quality;
        // sha2-256 digest of the output's metadata document CID.
        bytes32 metadata;
    }

    /// @notice A non-traced ingredient a transform declares (sugar, milk powder, lecithin): it adds
    /// its grams to the outputs of `outputForm` and to their yield bounds, carries no claim and never
    /// becomes mass-balance credit (see {transformWithIngredients}).
    struct Ingredient {
        // The output form the ingredient goes into (an output of that form must be produced).
        uint8 outputForm;
        // Its weight in grams (> 0).
        uint64 grams;
        // Its name, UTF-8, right-padded with zero bytes, e.g. "sugar" (the page shows it).
        bytes32 name;
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

    /// @notice Emitted when governance registers a form.
    event FormRegistered(
        uint8 indexed form, uint8 commodity, uint16 lossBps, uint16 gainBps, bool mintable, string name
    );
    /// @notice Emitted when a form's handover tolerances change.
    event FormToleranceChanged(uint8 indexed form, uint16 lossBps, uint16 gainBps);
    /// @notice Emitted when the base of the lots' token URIs changes.
    event BaseURIChanged(string baseURI);
    /// @notice Emitted when governors set the form catalogue transforms are checked against.
    event FormCatalogueSet(address indexed catalogue);
    /// @notice Emitted by {mint} for its one lot; the custodian is the `to` of the {Transfer} just before.
    event LotMinted(
        uint256 indexed lotId, uint8 form, uint64 grams, uint16 quality, bytes32 metadata, bytes32 origin, bytes32 head
    );
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
    /// `quality` is the lot's quality from now on: the receiver's measurement, or the one it had.
    event HandoverAccepted(
        uint256 indexed lotId,
        address indexed previousCustodian,
        address indexed custodian,
        uint64 gramsSent,
        uint64 gramsReceived,
        uint16 quality,
        bytes32 head
    );
    /// @notice Emitted once per split, merge or transform. Inputs are consumed (their heads after the
    /// consumption are `inputHeads`); outputs are lots `firstOutputId` .. `firstOutputId + outputs.length - 1`
    /// (each with the quality it got); `ingredients` are a transform's declared non-traced
    /// ingredients (empty for split, merge and a transform without any).
    event LotsDerived(
        uint8 indexed kind,
        address indexed custodian,
        uint256[] inputIds,
        bytes32[] inputHeads,
        uint256 firstOutputId,
        Output[] outputs,
        Ingredient[] ingredients,
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
    /// @dev Item `index` of the call (a delivery or output; 0 for a single lot or an acceptance) gives a
    /// quality of `quality` basis points, above 10 000 (100 %).
    error LotRegistryInvalidQuality(uint256 index, uint16 quality);
    /// @dev Part `index` of a split of lot `lotId` gives quality `actual`; a split measures nothing, so
    /// a part keeps the lot's `expected` (give 0 or that value).
    error LotRegistryQualityMismatch(uint256 lotId, uint256 index, uint16 expected, uint16 actual);
    /// @dev No form catalogue is set ({setFormCatalogue}): transforms have no yield bounds to be checked against.
    error LotRegistryNoFormCatalogue();
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

    /// @notice Sets the form catalogue every transform is checked against (dry-weight forms, yield
    /// bounds; see {IFormCatalogue}). Mints and handovers never read it.
    /// @dev Requirements: caller is the governance contract (bounds decide what a transform may
    /// produce). Emits {FormCatalogueSet}.
    /// @param catalogue The catalogue contract.
    function setFormCatalogue(address catalogue) external;

    /// @notice Sets the base of every lot's token URI (the gateway's lot path).
    /// @dev Requirements: caller is a governor. Emits {BaseURIChanged}.
    /// @param baseURI E.g. `https://trace.example.org/lots/`.
    function setBaseURI(string calldata baseURI) external;

    /// @notice Sets the contract told about every split, merge, transform and accepted handover
    /// (see {ILotObserver}): the attestation registry, which carries claims through the chain of
    /// custody. Plain mints are never observed; {mintBatchObserved} is.
    /// @dev Requirements: caller is the governance contract (an observer that reverts would stop
    /// every handover and derivation). Emits {LotObserverSet}. Zero clears it.
    /// @param observer The observer, or zero for none.
    function setLotObserver(address observer) external;

    /// @notice Mints one delivery to the caller.
    /// @dev Requirements: caller is an active cooperative account; form registered and mintable at
    /// origin; grams > 0; quality <= 10 000.
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

    /// @notice {mintBatch}, then tells the lot observer the deliveries (see
    /// {ILotObserver-onLotsMinted}), so what the observer attaches to an origin reaches the lots from
    /// the moment they exist: the attestation registry gives each lot the claims its origin plot
    /// holds (an EU Deforestation Regulation claim). {mint} and {mintBatch} never call the observer,
    /// so deliveries that ask for nothing pay nothing for it.
    /// @dev Requirements: as {mintBatch}; the observer, if one is set, must accept the call (no
    /// observer: the lots are minted and nothing else happens). Emits as {mintBatch}, then whatever
    /// the observer emits.
    /// Example: `mintBatchObserved([Delivery(1, 120_000, 5_500, metadataDigest, plotCommitment)])`.
    /// @param deliveries The deliveries.
    /// @return firstLotId The first new lot; the others follow consecutively.
    function mintBatchObserved(Delivery[] calldata deliveries) external returns (uint256 firstLotId);

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

    /// @notice Takes custody, recording the weight received and, if measured, the quality. The lot's
    /// quantity becomes the smaller of the sent and received weights: a loss is the receiver's
    /// measure, a gain is recorded but never raises the lot's quantity or the mass-balance credit it
    /// brings. A quality measured on receipt (a DRC or moisture test) replaces the lot's.
    /// @dev Requirements: caller is an account of the receiver's member; lot in transit; received
    /// within the form's loss and gain allowances of sent; quality <= 10 000. Emits {Transfer} and
    /// {HandoverAccepted}. Example: `accept(lotId, 482_000, 5_650)` (482 kg at 56.5 % DRC).
    /// @param lotId The lot.
    /// @param gramsReceived Weight on the receiver's scale.
    /// @param quality Quality measured on receipt in basis points, or 0 to keep the lot's.
    function accept(uint256 lotId, uint64 gramsReceived, uint16 quality) external;

    /// @notice Splits a lot into parts of the same form whose grams sum exactly to the lot's. The parts
    /// keep the lot's quality.
    /// @dev Requirements: caller is an account of the custodian's member; lot active; 2..{MAX_OUTPUTS} parts,
    /// each > 0, of the lot's form, with quality 0 or the lot's. Emits {LotsDerived} with kind {LotHistory-SPLIT}.
    /// @param lotId The lot to split.
    /// @param parts The parts (their `form` must equal the lot's).
    /// @return firstOutputId The first part's lot id; the others follow.
    function split(uint256 lotId, Output[] calldata parts) external returns (uint256 firstOutputId);

    /// @notice Merges lots of one form held by the caller's member into one lot, whose quality is the
    /// inputs' grams-weighted mean (rounded down; 0, not measured, if any input was not measured).
    /// @dev Requirements: 2..{MAX_BATCH} active lots of the same form, all held by the caller's member.
    /// Emits {LotsDerived} with kind {LotHistory-MERGED}.
    /// @param lotIds The lots to merge.
    /// @param metadata Metadata digest of the merged lot.
    /// @return lotId The merged lot.
    function merge(uint256[] calldata lotIds, bytes32 metadata) external returns (uint256 lotId);

    /// @notice Transforms input lots into outputs of other forms (drying, milling, grinding, pressing
    /// liquor into butter and cake, blending cup lump, sheets and scrap into TSR 20). Inputs may be
    /// of several forms; the outputs of each form, summed, must lie within the bounds the form
    /// catalogue gives for the inputs (per input form, on dry weight where the form says so, see
    /// {IFormCatalogue-checkTransform}), all outputs together within any bound on joint products,
    /// and never weigh more than the inputs.
    /// @dev Requirements: 1..{MAX_BATCH} active inputs held by the caller's member; 1..{MAX_OUTPUTS}
    /// outputs, quality <= 10 000; a form catalogue set. Emits {LotsDerived} with kind
    /// {LotHistory-TRANSFORMED}. Same as {transformWithIngredients} with no ingredients.
    /// @param inputIds The lots consumed.
    /// @param outputs The lots produced.
    /// @return firstOutputId The first output's lot id; the others follow.
    function transform(uint256[] calldata inputIds, Output[] calldata outputs)
        external
        returns (uint256 firstOutputId);

    /// @notice {transform} with declared non-traced ingredients (sugar, milk powder, lecithin in a
    /// chocolate): each adds its grams to the outputs of its form and to both of their yield bounds,
    /// carries no claim, and never becomes mass-balance credit: the lot observer is told only each
    /// output's traced share (its grams less its part of the ingredients of its form).
    /// @dev Requirements: as {transform}; at most {MAX_INGREDIENTS} ingredients, each > 0 grams and
    /// going into a form the call produces. Emits {LotsDerived} listing the ingredients.
    /// Example: 600 kg liquor + 100 kg butter -> 1 000 kg chocolate with
    /// `[{outputForm: 7, grams: 295_000_000, name: "sugar"}, {7, 5_000_000, "lecithin"}]`.
    /// @param inputIds The lots consumed.
    /// @param outputs The lots produced.
    /// @param ingredients The non-traced ingredients.
    /// @return firstOutputId The first output's lot id; the others follow.
    function transformWithIngredients(
        uint256[] calldata inputIds,
        Output[] calldata outputs,
        Ingredient[] calldata ingredients
    ) external returns (uint256 firstOutputId);

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

    /// @notice The form catalogue transforms are checked against (zero if none), see {setFormCatalogue}.
    function formCatalogue() external view returns (address);

    /// @notice The id the next lot minted or derived by `account` will get
    /// (`accountNumber * LOT_ID_BASE + sequence`).
    function nextLotId(address account) external view returns (uint256);
}
