// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {Context} from "@openzeppelin/contracts/utils/Context.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Membership} from "../membership/Membership.sol";
import {Roles} from "../membership/Roles.sol";
import {IFormCatalogue} from "./IFormCatalogue.sol";
import {ILotObserver} from "./ILotObserver.sol";
import {ILotRegistry} from "./ILotRegistry.sol";
import {LotHistory} from "./LotHistory.sol";

/// @title LotRegistry
/// @notice ERC-721 lot tokens with custody by handover, mass balance and history heads.
///
/// It inherits {Membership}: one contract holds members, roles and lots, so a lot operation's
/// role check is an internal read of the caller's account slot, the same slot that holds the
/// caller's lot sequence and ERC-721 balance.
///
/// Storage plan (gas is a feature: a cooperative mints every delivery):
/// - `_lots[id]`: one slot, custodian | grams | form | status | quality.
/// - `_heads[id]`: one slot, the history head. Metadata and origin are only in events and the head.
/// - the acting account's {AccountRecord}: roles, lot sequence and balance, read and written once
///   per call however many lots it mints.
/// - `_registeredForms`: a bitmap, so the form check of a whole batch is one read.
/// - `_lotObserver`: told of derivations and accepted handovers (claims and mass-balance credit
///   live in the attestation registry); plain mints never read it, {mintBatchObserved} does.
/// - `_formCatalogue`: dry-weight forms and yield bounds, asked by transforms only (see
///   {IFormCatalogue}); mints and handovers never read it.
///
/// Lot ids are `accountNumber * LOT_ID_BASE + sequence`: each account numbers the lots it mints or
/// derives, consecutively, so a batch is one ERC-2309 range and no shared counter is written.
///
/// Every change of a lot's holder (mint, accepted handover, consumption by a split, merge or
/// transform, creation of an output) passes one internal hook, {_update}: it writes the lot, keeps
/// the holders' ERC-721 balances and emits {Transfer} (a batch of deliveries is one ERC-2309 range).
///
/// ERC-721 reads work as usual; transfers and approvals are refused: custody moves only by
/// {offer} and {accept}. A consumed lot is burned as far as ERC-721 sees it (Transfer to zero,
/// `ownerOf` reverts) but its record and head stay readable through {getLot}.
///
/// @custom:security Roles are checked here, against `_msgSender()`, with the inherited membership
/// registry: a relayer or gateway cannot act for a member without that member's signed request.
contract LotRegistry is Membership, ILotRegistry, IERC721Metadata, ERC2771Context {
    using Strings for uint256;

    /// @notice Most deliveries or inputs in one call.
    uint256 public constant MAX_BATCH = 500;
    /// @notice Most outputs of one split or transform. Each output may carry every claim of its
    /// inputs, so this bound keeps the worst case within a block (docs/attestations.md, batch limits).
    uint256 public constant MAX_OUTPUTS = 200;
    /// @notice Most declared ingredients of one transform (a recipe's sugar, milk powder, lecithin...).
    uint256 public constant MAX_INGREDIENTS = 32;
    /// @notice Highest handover loss or gain allowance a form may have, in basis points (10 %).
    uint16 public constant MAX_TOLERANCE_BPS = 1_000;
    /// @notice Highest form id (the registered-forms bitmap holds 256 bits).
    uint8 public constant MAX_FORM = 255;
    /// @notice Lot ids are `accountNumber * LOT_ID_BASE + sequence`, sequence from 1.
    uint256 public constant LOT_ID_BASE = 1e9;
    /// @notice Commodity codes.
    uint8 public constant COCOA = 1;
    uint8 public constant RUBBER = 2;

    uint256 private constant BPS = 10_000;

    mapping(uint256 lotId => Lot) private _lots;
    mapping(uint256 lotId => bytes32) private _heads;
    mapping(uint256 lotId => address) private _pendingReceivers;
    mapping(uint8 form => Form) private _forms;
    uint256 private _registeredForms;
    uint256 private _mintableForms;
    string private _baseURI;
    ILotObserver private _lotObserver;
    IFormCatalogue private _formCatalogue;

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param firstGovernor The account of member 1, the network's first governor.
    /// @param country The first governor's country code.
    /// @param metadata The first governor's metadata digest.
    constructor(address trustedForwarder, address firstGovernor, bytes2 country, bytes32 metadata)
        Membership(firstGovernor, country, metadata)
        ERC2771Context(trustedForwarder)
    {}

    // ----------------------------------------------------------------------------------- governance

    /// @inheritdoc ILotRegistry
    function registerForm(
        uint8 form,
        uint8 commodity,
        uint16 lossBps,
        uint16 gainBps,
        bool mintable,
        string calldata formName
    ) external onlyGovernance {
        if (form == 0 || form > MAX_FORM || (commodity != COCOA && commodity != RUBBER)) {
            revert LotRegistryInvalidForm(form, commodity);
        }
        if (_forms[form].registered) revert LotRegistryFormExists(form);
        _checkTolerance(lossBps);
        _checkTolerance(gainBps);
        _forms[form] = Form(commodity, lossBps, gainBps, mintable, true);
        _registeredForms |= uint256(1) << form;
        if (mintable) _mintableForms |= uint256(1) << form;
        emit FormRegistered(form, commodity, lossBps, gainBps, mintable, formName);
    }

    /// @inheritdoc ILotRegistry
    function setFormTolerance(uint8 form, uint16 lossBps, uint16 gainBps) external onlyGovernance {
        Form storage record = _forms[form];
        if (!record.registered) revert LotRegistryUnknownForm(form);
        _checkTolerance(lossBps);
        _checkTolerance(gainBps);
        (record.lossBps, record.gainBps) = (lossBps, gainBps);
        emit FormToleranceChanged(form, lossBps, gainBps);
    }

    /// @inheritdoc ILotRegistry
    function setFormCatalogue(address catalogue) external onlyGovernance {
        _formCatalogue = IFormCatalogue(catalogue);
        emit FormCatalogueSet(catalogue);
    }

    /// @inheritdoc ILotRegistry
    function setBaseURI(string calldata baseURI) external onlyGovernor {
        _baseURI = baseURI;
        emit BaseURIChanged(baseURI);
    }

    /// @inheritdoc ILotRegistry
    function setLotObserver(address observer) external onlyGovernance {
        _lotObserver = ILotObserver(observer);
        emit LotObserverSet(observer);
    }

    // ---------------------------------------------------------------------------------------- mint

    /// @inheritdoc ILotRegistry
    function mint(Delivery calldata delivery) external returns (uint256 lotId) {
        address custodian = _msgSender();
        AccountRecord memory account;
        (account, lotId) = _openSequence(custodian, Roles.COOPERATIVE, 1);
        (bytes32 head, uint64 grams, uint8 form, uint16 quality) = _newDelivery(custodian, lotId, delivery, account, 0);
        _update(lotId, custodian, grams, form, LotStatus.Active, quality, address(0), account);
        _closeSequence(custodian, account, 1);
        emit LotMinted(lotId, form, grams, quality, delivery.metadata, delivery.origin, head);
    }

    /// @inheritdoc ILotRegistry
    function mintBatch(Delivery[] calldata deliveries) external returns (uint256 firstLotId) {
        (firstLotId,) = _mintBatch(deliveries);
    }

    /// @inheritdoc ILotRegistry
    function mintBatchObserved(Delivery[] calldata deliveries) external returns (uint256 firstLotId) {
        address custodian;
        (firstLotId, custodian) = _mintBatch(deliveries);
        ILotObserver observer = _lotObserver;
        if (address(observer) != address(0)) observer.onLotsMinted(custodian, firstLotId, deliveries);
    }

    // ------------------------------------------------------------------------------------ handover

    /// @inheritdoc ILotRegistry
    function offer(uint256 lotId, address receiver) external {
        (Lot storage lot, uint64 callerMember) = _custodianLot(lotId, LotStatus.Active);
        AccountRecord memory receiverAccount = _accountRecord(receiver);
        if (receiverAccount.effectiveRoles & Roles.CUSTODIANS == 0 || receiverAccount.memberId == callerMember) {
            // Say "suspended" when that is all that stands in the way: the member would qualify.
            if (receiverAccount.memberId != 0 && receiverAccount.memberId != callerMember
                && receiverAccount.effectiveRoles == 0 && _memberRoles(receiverAccount.memberId) & Roles.CUSTODIANS != 0)
            {
                revert LotRegistryReceiverSuspended(receiver, receiverAccount.memberId);
            }
            revert LotRegistryInvalidReceiver(receiver);
        }
        address custodian = lot.custodian;
        lot.status = LotStatus.InTransit;
        _pendingReceivers[lotId] = receiver;
        bytes32 head = LotHistory.handover(_heads[lotId], LotHistory.OFFERED, lotId, custodian, receiver);
        _heads[lotId] = head;
        emit HandoverOffered(lotId, custodian, receiver, head);
    }

    /// @inheritdoc ILotRegistry
    function cancel(uint256 lotId) external {
        (Lot storage lot,) = _custodianLot(lotId, LotStatus.InTransit);
        address receiver = _pendingReceivers[lotId];
        address custodian = lot.custodian;
        lot.status = LotStatus.Active;
        delete _pendingReceivers[lotId];
        bytes32 head = LotHistory.handover(_heads[lotId], LotHistory.CANCELLED, lotId, custodian, receiver);
        _heads[lotId] = head;
        emit HandoverCancelled(lotId, custodian, receiver, head);
    }

    /// @inheritdoc ILotRegistry
    function reject(uint256 lotId, uint16 reason) external {
        (Lot storage lot, address receiver) = _receiverLot(lotId);
        address custodian = lot.custodian;
        lot.status = LotStatus.Active;
        delete _pendingReceivers[lotId];
        bytes32 head = LotHistory.rejected(_heads[lotId], lotId, custodian, receiver, reason);
        _heads[lotId] = head;
        emit HandoverRejected(lotId, custodian, receiver, reason, head);
    }

    /// @inheritdoc ILotRegistry
    function accept(uint256 lotId, uint64 gramsReceived, uint16 quality) external {
        (Lot storage lot,) = _receiverLot(lotId);
        if (gramsReceived == 0) revert LotRegistryZeroQuantity(0);
        _checkQuality(0, quality);
        if (quality == 0) quality = lot.quality;
        uint64 gramsSent = lot.grams;
        uint64 grams = _checkReceived(lotId, lot.form, gramsSent, gramsReceived);
        address previous = lot.custodian;
        address custodian = _msgSender();
        uint8 form = lot.form;
        delete _pendingReceivers[lotId];
        // The receiver is another member's account (see {offer}), so `previous` is not `custodian`.
        AccountRecord memory holder = _accountRecord(custodian);
        _update(lotId, custodian, grams, form, LotStatus.Active, quality, previous, holder);
        _setAccountRecord(custodian, holder);
        bytes32 head =
            LotHistory.accepted(_heads[lotId], lotId, previous, custodian, gramsSent, gramsReceived, quality);
        _heads[lotId] = head;
        emit HandoverAccepted(lotId, previous, custodian, gramsSent, gramsReceived, quality, head);
        ILotObserver observer = _lotObserver;
        if (address(observer) != address(0)) {
            observer.onHandoverAccepted(lotId, previous, custodian, form, grams);
        }
    }

    // ---------------------------------------------------------------------- split, merge, transform

    /// @inheritdoc ILotRegistry
    function split(uint256 lotId, Output[] calldata parts) external returns (uint256 firstOutputId) {
        uint256 count = parts.length;
        _checkOutputCount(count, 2);
        (Lot storage lot,) = _custodianLot(lotId, LotStatus.Active);
        (uint8 form, uint16 quality) = (lot.form, lot.quality);
        Output[] memory outputs = parts;
        uint256 total;
        for (uint256 i = 0; i < count; ++i) {
            Output memory part = outputs[i];
            if (part.form != form) revert LotRegistryFormMismatch(lotId, form, part.form);
            if (part.quality != 0 && part.quality != quality) {
                revert LotRegistryQualityMismatch(lotId, i, quality, part.quality);
            }
            part.quality = quality;
            total += part.grams;
        }
        if (total != lot.grams) revert LotRegistrySplitImbalance(lotId, lot.grams, total);
        uint256[] memory inputIds = new uint256[](1);
        inputIds[0] = lotId;
        return _derive(LotHistory.SPLIT, inputIds, outputs, new Ingredient[](0), new uint64[](0));
    }

    /// @inheritdoc ILotRegistry
    function merge(uint256[] calldata lotIds, bytes32 metadata) external returns (uint256 lotId) {
        uint256 count = lotIds.length;
        _checkBatchSize(count, 2);
        uint8 form;
        uint256 total;
        uint256 dry; // sum of grams * quality; the merged quality is its grams-weighted mean
        bool measured = true;
        for (uint256 i = 0; i < count; ++i) {
            (Lot storage lot,) = _custodianLot(lotIds[i], LotStatus.Active);
            if (i == 0) form = lot.form;
            else if (lot.form != form) revert LotRegistryFormMismatch(lotIds[i], form, lot.form);
            total += lot.grams;
            dry += uint256(lot.grams) * lot.quality;
            measured = measured && lot.quality != 0;
        }
        Output[] memory outputs = new Output[](1);
        // Cannot truncate: a mean of qualities, each at most 10 000. Rounded down, so the dry weight
        // a merged lot brings to a transform is never more than its inputs had.
        uint16 quality = measured ? uint16(dry / total) : 0;
        outputs[0] = Output(form, _toGrams(total), quality, metadata);
        return _derive(LotHistory.MERGED, lotIds, outputs, new Ingredient[](0), new uint64[](0));
    }

    /// @inheritdoc ILotRegistry
    function transform(uint256[] calldata inputIds, Output[] calldata outputs)
        external
        returns (uint256 firstOutputId)
    {
        return _transform(inputIds, outputs, new Ingredient[](0));
    }

    /// @inheritdoc ILotRegistry
    function transformWithIngredients(
        uint256[] calldata inputIds,
        Output[] calldata outputs,
        Ingredient[] calldata ingredients
    ) external returns (uint256 firstOutputId) {
        if (ingredients.length > MAX_INGREDIENTS) {
            revert LotRegistryBatchSize(ingredients.length, 0, MAX_INGREDIENTS);
        }
        return _transform(inputIds, outputs, ingredients);
    }

    /// @inheritdoc ILotRegistry
    function attachEvidence(uint256 lotId, bytes32 evidence) external {
        Lot storage lot = _lots[lotId];
        LotStatus status = lot.status;
        if (status == LotStatus.None) revert LotRegistryUnknownLot(lotId);
        if (status == LotStatus.Consumed) revert LotRegistryWrongStatus(lotId, status);
        _custodianLot(lotId, status);
        address by = _msgSender();
        bytes32 head = LotHistory.evidence(_heads[lotId], lotId, by, evidence);
        _heads[lotId] = head;
        emit EvidenceAttached(lotId, by, evidence, head);
    }

    // --------------------------------------------------------------------------------------- views

    /// @inheritdoc ILotRegistry
    function getLot(uint256 lotId) external view returns (Lot memory lot, bytes32 head, address pendingReceiver) {
        lot = _lots[lotId];
        if (lot.status == LotStatus.None) revert LotRegistryUnknownLot(lotId);
        return (lot, _heads[lotId], _pendingReceivers[lotId]);
    }

    /// @inheritdoc ILotRegistry
    function historyHead(uint256 lotId) public view returns (bytes32) {
        if (_lots[lotId].status == LotStatus.None) revert LotRegistryUnknownLot(lotId);
        return _heads[lotId];
    }

    /// @inheritdoc ILotRegistry
    function historyHeads(uint256[] calldata lotIds) external view returns (bytes32[] memory heads) {
        heads = new bytes32[](lotIds.length);
        for (uint256 i = 0; i < lotIds.length; ++i) {
            heads[i] = historyHead(lotIds[i]);
        }
    }

    /// @inheritdoc ILotRegistry
    function lotObserver() external view returns (address) {
        return address(_lotObserver);
    }

    /// @inheritdoc ILotRegistry
    function getForm(uint8 form) external view returns (Form memory) {
        return _forms[form];
    }

    /// @inheritdoc ILotRegistry
    function formCatalogue() external view returns (address) {
        return address(_formCatalogue);
    }

    /// @inheritdoc ILotRegistry
    function nextLotId(address account) external view returns (uint256) {
        AccountRecord storage record = _accountRecord(account);
        if (record.number == 0) revert MembershipUnknownAccount(account);
        return _lotId(record.number, record.lotSequence + 1);
    }

    // ------------------------------------------------------------------------------------- ERC-721

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }

    /// @inheritdoc IERC721Metadata
    function name() external pure returns (string memory) {
        return "firstmile lot";
    }

    /// @inheritdoc IERC721Metadata
    function symbol() external pure returns (string memory) {
        return "LOT";
    }

    /// @inheritdoc IERC721Metadata
    function tokenURI(uint256 tokenId) external view returns (string memory) {
        ownerOf(tokenId);
        return bytes(_baseURI).length == 0 ? "" : string.concat(_baseURI, tokenId.toString());
    }

    /// @inheritdoc IERC721
    /// @dev Reverts for the zero address, as ERC-721 requires.
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert IERC721Errors.ERC721InvalidOwner(address(0));
        return _accountRecord(owner).lotBalance;
    }

    /// @inheritdoc IERC721
    /// @dev Reverts for unknown and consumed lots, as ERC-721 does for burned tokens.
    function ownerOf(uint256 tokenId) public view returns (address) {
        Lot storage lot = _lots[tokenId];
        LotStatus status = lot.status;
        if (status == LotStatus.None || status == LotStatus.Consumed) revert LotRegistryUnknownLot(tokenId);
        return lot.custodian;
    }

    /// @inheritdoc IERC721
    /// @dev Always zero: there are no approvals.
    function getApproved(uint256 tokenId) external view returns (address) {
        ownerOf(tokenId);
        return address(0);
    }

    /// @inheritdoc IERC721
    /// @dev Always false: there are no operators.
    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @inheritdoc IERC721
    /// @dev Refused: custody moves only by {offer} and {accept}.
    function approve(address operator, uint256 tokenId) external view {
        revert LotRegistryApprovalRefused(_msgSender(), operator, tokenId);
    }

    /// @inheritdoc IERC721
    /// @dev Refused: custody moves only by {offer} and {accept}.
    function setApprovalForAll(address operator, bool) external view {
        revert LotRegistryApprovalRefused(_msgSender(), operator, 0);
    }

    /// @inheritdoc IERC721
    /// @dev Refused: custody moves only by {offer} and {accept}.
    function transferFrom(address, address, uint256 tokenId) external pure {
        revert LotRegistryTransferOutsideHandover(tokenId);
    }

    /// @inheritdoc IERC721
    /// @dev Refused: custody moves only by {offer} and {accept}.
    function safeTransferFrom(address, address, uint256 tokenId) external pure {
        revert LotRegistryTransferOutsideHandover(tokenId);
    }

    /// @inheritdoc IERC721
    /// @dev Refused: custody moves only by {offer} and {accept}.
    function safeTransferFrom(address, address, uint256 tokenId, bytes calldata) external pure {
        revert LotRegistryTransferOutsideHandover(tokenId);
    }

    // ------------------------------------------------------------------------------------ internal

    /// @dev {mintBatch}'s body, shared with {mintBatchObserved}; returns the minter too.
    function _mintBatch(Delivery[] calldata deliveries) private returns (uint256 firstLotId, address custodian) {
        custodian = _msgSender();
        uint256 count = deliveries.length;
        _checkBatchSize(count, 1);
        AccountRecord memory account;
        (account, firstLotId) = _openSequence(custodian, Roles.COOPERATIVE, count);
        bytes32[] memory heads = new bytes32[](count);
        // The ERC-2309 batch path of the custody hook ({_update}): the lots are written here, counted
        // into the holder's balance at once, and announced by one event for the whole range.
        for (uint256 i = 0; i < count; ++i) {
            uint256 lotId;
            // Cannot overflow: {_openSequence} bounded the range below the account's next prefix.
            unchecked {
                lotId = firstLotId + i;
            }
            (bytes32 head, uint64 grams, uint8 form, uint16 quality) =
                _newDelivery(custodian, lotId, deliveries[i], account, i);
            _writeLot(lotId, custodian, grams, form, LotStatus.Active, quality);
            heads[i] = head;
        }
        _countIn(account, count);
        _closeSequence(custodian, account, count);
        if (count == 1) {
            emit Transfer(address(0), custodian, firstLotId);
        } else {
            emit ConsecutiveTransfer(firstLotId, firstLotId + count - 1, address(0), custodian);
        }
        emit LotsMinted(custodian, firstLotId, deliveries, heads);
    }


    /// @dev Checks delivery `index` of a mint and starts its history head; the custody hook
    /// ({_update}, or the batch path of {mintBatch}) writes the lot.
    function _newDelivery(
        address custodian,
        uint256 lotId,
        Delivery calldata delivery,
        AccountRecord memory account,
        uint256 index
    ) private returns (bytes32 head, uint64 grams, uint8 form, uint16 quality) {
        // Typed reads: the ABI decoder checks each fits its type before the head hashes the words.
        form = delivery.form;
        grams = delivery.grams;
        quality = delivery.quality;
        _checkMintable(form, account);
        if (grams == 0) revert LotRegistryZeroQuantity(index);
        if (quality > BPS) revert LotRegistryInvalidQuality(index, quality);
        head = LotHistory.minted(lotId, custodian, delivery);
        _heads[lotId] = head;
    }

    // -------------------------------------------------------------------------------- custody hook

    /// @dev The custody hook: the one place a lot changes holder, as OpenZeppelin ERC721's `_update`.
    /// A new lot (a delivery, or an output of a split, merge or transform) comes from zero (`from`
    /// zero), a handover moves it from the previous custodian, and a consumed input (`status`
    /// Consumed) goes to zero. The hook writes the lot's slot (`custodian` is the new holder, or, for a
    /// consumed input, its last one, which stays readable), counts the lot out of `from`'s ERC-721
    /// balance and into the new holder's, and emits {Transfer}.
    ///
    /// The new holder is always the caller, whose account record the operation holds open in memory
    /// (`holder`): the lot is counted there ({_countIn}) and the record is written back once per call
    /// ({_closeSequence}, {accept}), so a call creating many lots writes that slot once. `from`'s
    /// balance is counted down in storage ({_countOut}).
    ///
    /// Requirements: the caller checked custody, status and quantities; `from` holds the lot (zero for
    /// a new one) and is not the account of `holder` (a consumer of its own lots reloads its balance
    /// before writing the record back, see {_derive}).
    ///
    /// Emits a {Transfer} event. {mintBatch} is the one batch path: it writes its lots, counts them
    /// with {_countIn} and emits one ERC-2309 {ConsecutiveTransfer} for the range instead.
    function _update(
        uint256 lotId,
        address custodian,
        uint64 grams,
        uint8 form,
        LotStatus status,
        uint16 quality,
        address from,
        AccountRecord memory holder
    ) private {
        _writeLot(lotId, custodian, grams, form, status, quality);
        address to = status == LotStatus.Consumed ? address(0) : custodian;
        if (to != address(0)) _countIn(holder, 1);
        if (from != address(0)) _countOut(from);
        emit Transfer(from, to, lotId);
    }

    /// @dev Writes a lot's slot in one store, packed as {Lot} lays it out (custodian in bits 0-159,
    /// grams 160-223, form 224-231, status 232-239, quality 240-255; getLot reads it back through
    /// the struct, and the tests compare). Solidity would build the struct in memory and copy it
    /// field by field, several hundred gas more on every mint. Each value is masked to its width:
    /// assembly may not assume the unused high bits of a short type are clean.
    function _writeLot(
        uint256 lotId,
        address custodian,
        uint64 grams,
        uint8 form,
        LotStatus status,
        uint16 quality
    ) private {
        Lot storage lot = _lots[lotId];
        assembly ("memory-safe") {
            let packed := or(
                or(and(custodian, 0xffffffffffffffffffffffffffffffffffffffff), shl(160, and(grams, 0xffffffffffffffff))),
                or(shl(224, and(form, 0xff)), or(shl(232, and(status, 0xff)), shl(240, and(quality, 0xffff))))
            )
            sstore(lot.slot, packed)
        }
    }

    /// @dev Counts `count` new lots into the open account record of their holder (see {_update}).
    function _countIn(AccountRecord memory holder, uint256 count) private pure {
        // Cannot overflow: balances count lots, fewer than 2^64.
        unchecked {
            holder.lotBalance += uint64(count);
        }
    }

    /// @dev Counts one lot out of `from`'s balance, in storage (see {_update}).
    function _countOut(address from) private {
        // Cannot underflow: `from`'s balance counts the lot leaving it.
        unchecked {
            --_accountRecord(from).lotBalance;
        }
    }

    /// @dev A transform: each input checked held by the caller's member and active, then the whole
    /// call checked against the form catalogue (yields per input-form group, dry weight, joint
    /// products, ingredients), which also says what each output carries of the inputs.
    function _transform(uint256[] calldata inputIds, Output[] calldata outputs, Ingredient[] memory ingredients)
        private
        returns (uint256 firstOutputId)
    {
        _checkBatchSize(inputIds.length, 1);
        _checkOutputCount(outputs.length, 1);
        IFormCatalogue catalogue = _formCatalogue;
        if (address(catalogue) == address(0)) revert LotRegistryNoFormCatalogue();
        IFormCatalogue.TransformInput[] memory inputs = new IFormCatalogue.TransformInput[](inputIds.length);
        for (uint256 i = 0; i < inputIds.length; ++i) {
            (Lot storage lot,) = _custodianLot(inputIds[i], LotStatus.Active);
            inputs[i] = IFormCatalogue.TransformInput(lot.form, lot.grams, lot.quality);
        }
        uint64[] memory traced = catalogue.checkTransform(inputs, outputs, ingredients);
        return _derive(LotHistory.TRANSFORMED, inputIds, outputs, ingredients, traced);
    }

    /// @dev The one place split, merge and transform consume inputs and create outputs. The caller
    /// checked custody, status and mass balance; this consumes each input (folding the consumption
    /// into its head), then mints each output to the caller with a head committing to the inputs',
    /// and finally tells the lot observer, if one is set (claims follow lots there), what each
    /// output carries of the inputs: `traced` grams where ingredients were declared, else its grams.
    function _derive(
        uint8 kind,
        uint256[] memory inputIds,
        Output[] memory outputs,
        Ingredient[] memory ingredients,
        uint64[] memory traced
    ) private returns (uint256 firstOutputId) {
        address custodian = _msgSender();
        AccountRecord memory account;
        (account, firstOutputId) = _openSequence(custodian, Roles.CUSTODIANS, outputs.length);
        bytes32[] memory inputHeads = _consumeInputs(kind, inputIds, firstOutputId, outputs.length, account);
        // Reload: consuming inputs may have counted lots out of this account's balance in storage.
        account.lotBalance = _accountRecord(custodian).lotBalance;
        bytes32 declared = LotHistory.ingredientsDigest(ingredients);
        bytes32[] memory outputHeads = new bytes32[](outputs.length);
        for (uint256 i = 0; i < outputs.length; ++i) {
            outputHeads[i] =
                _createOutput(custodian, firstOutputId + i, outputs[i], declared, inputIds, inputHeads, i, account);
        }
        _closeSequence(custodian, account, outputs.length);
        emit LotsDerived(kind, custodian, inputIds, inputHeads, firstOutputId, outputs, ingredients, outputHeads);
        ILotObserver observer = _lotObserver;
        if (address(observer) == address(0)) return firstOutputId;
        // The lots are written and announced: from here `outputs` tells the observer what each
        // output carries of the inputs, never the ingredients' grams (they bring no claim, no credit).
        for (uint256 i = 0; i < traced.length; ++i) {
            outputs[i].grams = traced[i];
        }
        observer.onLotsDerived(kind, custodian, inputIds, firstOutputId, outputs);
    }

    function _consumeInputs(
        uint8 kind,
        uint256[] memory inputIds,
        uint256 firstOutputId,
        uint256 outputCount,
        AccountRecord memory account
    ) private returns (bytes32[] memory inputHeads) {
        inputHeads = new bytes32[](inputIds.length);
        for (uint256 i = 0; i < inputIds.length; ++i) {
            uint256 inputId = inputIds[i];
            Lot storage input = _lots[inputId];
            // The callers checked each input active, but not that no id is listed twice: a repeated
            // input would be consumed twice, its grams counted twice and its holder's balance underflow.
            if (input.status == LotStatus.Consumed) revert LotRegistryWrongStatus(inputId, LotStatus.Consumed);
            address holder = input.custodian;
            _update(inputId, holder, input.grams, input.form, LotStatus.Consumed, input.quality, holder, account);
            bytes32 head = LotHistory.consumed(_heads[inputId], kind, inputId, firstOutputId, outputCount);
            _heads[inputId] = head;
            inputHeads[i] = head;
        }
    }

    function _createOutput(
        address custodian,
        uint256 lotId,
        Output memory output,
        bytes32 ingredients,
        uint256[] memory inputIds,
        bytes32[] memory inputHeads,
        uint256 index,
        AccountRecord memory account
    ) private returns (bytes32 head) {
        if ((_registeredForms >> output.form) & 1 == 0) revert LotRegistryUnknownForm(output.form);
        if (output.grams == 0) revert LotRegistryZeroQuantity(index);
        _checkQuality(index, output.quality);
        _update(lotId, custodian, output.grams, output.form, LotStatus.Active, output.quality, address(0), account);
        head = LotHistory.derived(lotId, custodian, output, ingredients, inputIds, inputHeads);
        _heads[lotId] = head;
    }

    /// @dev The lot, checked to be in `status` and held by the caller's member (an active custodian-role account).
    function _custodianLot(uint256 lotId, LotStatus status) private view returns (Lot storage lot, uint64 callerMember) {
        address caller = _msgSender();
        callerMember = _authorize(caller, Roles.CUSTODIANS);
        lot = _lots[lotId];
        LotStatus actual = lot.status;
        if (actual == LotStatus.None) revert LotRegistryUnknownLot(lotId);
        address custodian = lot.custodian;
        if (custodian != caller && _accountRecord(custodian).memberId != callerMember) {
            revert LotRegistryNotCustodian(caller, lotId, custodian);
        }
        if (actual != status) revert LotRegistryWrongStatus(lotId, actual);
    }

    /// @dev The in-transit lot, checked to be offered to the caller's member.
    function _receiverLot(uint256 lotId) private view returns (Lot storage lot, address receiver) {
        address caller = _msgSender();
        uint64 callerMember = _authorize(caller, Roles.CUSTODIANS);
        lot = _lots[lotId];
        LotStatus status = lot.status;
        if (status == LotStatus.None) revert LotRegistryUnknownLot(lotId);
        if (status != LotStatus.InTransit) revert LotRegistryWrongStatus(lotId, status);
        receiver = _pendingReceivers[lotId];
        if (receiver != caller && _accountRecord(receiver).memberId != callerMember) {
            revert LotRegistryNotReceiver(caller, lotId, receiver);
        }
    }

    /// @dev Checks `account` may act in `anyOfRoles` and reserves `count` lot ids from its sequence.
    /// The record is returned in memory and written back once by {_closeSequence}.
    function _openSequence(address account, uint8 anyOfRoles, uint256 count)
        private
        view
        returns (AccountRecord memory record, uint256 firstLotId)
    {
        record = _accountRecord(account);
        if (record.effectiveRoles & anyOfRoles == 0) revert MembershipUnauthorized(account, anyOfRoles);
        uint256 last = uint256(record.lotSequence) + count;
        if (last >= LOT_ID_BASE) revert LotRegistrySequenceExhausted(account);
        firstLotId = _lotId(record.number, record.lotSequence + 1);
    }

    /// @dev Takes `count` lot ids from the sequence and writes the record back, with the lots the
    /// custody hook counted into it.
    function _closeSequence(address account, AccountRecord memory record, uint256 count) private {
        // Cannot overflow: {_openSequence} bounded the sequence below LOT_ID_BASE.
        unchecked {
            record.lotSequence += uint32(count);
        }
        _setAccountRecord(account, record);
    }

    /// @dev Refuses a form that is not registered or not mintable at origin. The account's record
    /// caches forms it has seen mintable (a form's mintability never changes, so the cache cannot go
    /// stale), so a cooperative's daily deliveries of the same form skip the registry read.
    function _checkMintable(uint8 form, AccountRecord memory account) private view {
        bool cacheable = form < 48;
        if (cacheable && (account.knownForms >> form) & 1 == 1) return;
        if ((_mintableForms >> form) & 1 == 0) {
            if ((_registeredForms >> form) & 1 == 0) revert LotRegistryUnknownForm(form);
            revert LotRegistryNotMintable(form);
        }
        if (cacheable) account.knownForms |= uint48(1) << form;
    }

    /// @dev Checks the received weight against the form's loss and gain allowances and returns the
    /// lot's new quantity. A gain is the receiver's scale reading, not new mass: it never raises the
    /// quantity (nor, through the observer, any credit), so passing a lot back and forth cannot grow it.
    function _checkReceived(uint256 lotId, uint8 form, uint64 gramsSent, uint64 gramsReceived)
        private
        view
        returns (uint64)
    {
        Form storage record = _forms[form];
        (uint16 lossBps, uint16 gainBps) = (record.lossBps, record.gainBps);
        bool outside = gramsReceived < gramsSent
            ? uint256(gramsSent - gramsReceived) * BPS > uint256(lossBps) * gramsSent
            : uint256(gramsReceived - gramsSent) * BPS > uint256(gainBps) * gramsSent;
        if (outside) revert LotRegistryOutsideTolerance(lotId, gramsSent, gramsReceived, lossBps, gainBps);
        return gramsReceived < gramsSent ? gramsReceived : gramsSent;
    }

    function _checkTolerance(uint16 bps) private pure {
        if (bps > MAX_TOLERANCE_BPS) revert LotRegistryToleranceTooHigh(bps, MAX_TOLERANCE_BPS);
    }

    function _lotId(uint32 accountNumber, uint256 sequence) private pure returns (uint256) {
        return uint256(accountNumber) * LOT_ID_BASE + sequence;
    }

    /// @dev A quality is a share of the weight in basis points: at most 10 000 (0: not measured).
    function _checkQuality(uint256 index, uint16 quality) private pure {
        if (quality > BPS) revert LotRegistryInvalidQuality(index, quality);
    }

    function _checkBatchSize(uint256 size, uint256 min) private pure {
        if (size < min || size > MAX_BATCH) revert LotRegistryBatchSize(size, min, MAX_BATCH);
    }

    function _checkOutputCount(uint256 size, uint256 min) private pure {
        if (size < min || size > MAX_OUTPUTS) revert LotRegistryBatchSize(size, min, MAX_OUTPUTS);
    }

    /// @dev ERC-2771: the signer of a relayed request, else the caller.
    function _msgSender() internal view override(Context, ERC2771Context) returns (address) {
        return ERC2771Context._msgSender();
    }

    function _msgData() internal view override(Context, ERC2771Context) returns (bytes calldata) {
        return ERC2771Context._msgData();
    }

    function _contextSuffixLength() internal view override(Context, ERC2771Context) returns (uint256) {
        return ERC2771Context._contextSuffixLength();
    }

    function _toGrams(uint256 grams) private pure returns (uint64) {
        if (grams > type(uint64).max) revert LotRegistryQuantityOverflow(grams);
        return uint64(grams);
    }
}
