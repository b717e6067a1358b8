// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IMembership} from "../membership/IMembership.sol";
import {Roles} from "../membership/Roles.sol";
import {ILotRegistry} from "./ILotRegistry.sol";
import {LotHistory} from "./LotHistory.sol";

/// @title LotRegistry
/// @notice ERC-721 lot tokens with custody by handover, mass balance and history heads.
///
/// Storage plan (gas is a feature: a cooperative mints every delivery):
/// - `_lots[id]`: one slot, custodian | grams | form | status.
/// - `_heads[id]`: one slot, the history head. Metadata and origin are only in events and the head.
/// - `_mintState`: one slot shared by every mint, next lot id (64 bits) | bitmap of registered forms
///   (192 bits), so a mint reads and writes it once for both the id and the form check.
/// - `_balances[account]`: ERC-721 balance, written once per call however many lots it mints.
///
/// ERC-721 reads work as usual; transfers and approvals are refused: custody moves only by
/// {offer} and {accept}. A consumed lot is burned as far as ERC-721 sees it (Transfer to zero,
/// `ownerOf` reverts) but its record and head stay readable through {getLot}.
///
/// @custom:security Roles are checked here, against `_msgSender()`, with the {IMembership} registry:
/// a relayer or gateway cannot act for a member without that member's signed request.
contract LotRegistry is ILotRegistry, IERC721Metadata, ERC2771Context {
    using Strings for uint256;

    /// @notice Most items (deliveries, parts, inputs or outputs) in one call.
    uint256 public constant MAX_BATCH = 500;
    /// @notice Highest form id (the registered-forms bitmap holds 192 bits).
    uint8 public constant MAX_FORM = 191;
    /// @notice Commodity codes.
    uint8 public constant COCOA = 1;
    uint8 public constant RUBBER = 2;

    uint256 private constant BPS = 10_000;

    struct MintState {
        uint64 nextLotId;
        uint192 registeredForms;
    }

    /// @notice The membership registry every role check asks.
    IMembership public immutable membership;

    mapping(uint256 lotId => Lot) private _lots;
    mapping(uint256 lotId => bytes32) private _heads;
    mapping(uint256 lotId => address) private _pendingReceivers;
    mapping(address account => uint256) private _balances;
    mapping(uint8 form => Form) private _forms;
    mapping(uint8 inputForm => mapping(uint8 outputForm => YieldBounds)) private _yields;
    MintState private _mintState;
    string private _baseURI;

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param membership_ The membership registry.
    constructor(address trustedForwarder, IMembership membership_) ERC2771Context(trustedForwarder) {
        membership = membership_;
        _mintState.nextLotId = 1;
    }

    modifier onlyGovernor() {
        membership.authorize(_msgSender(), Roles.GOVERNOR);
        _;
    }

    // ----------------------------------------------------------------------------------- governance

    /// @inheritdoc ILotRegistry
    function registerForm(uint8 form, uint8 commodity, uint16 toleranceBps, string calldata formName)
        external
        onlyGovernor
    {
        if (form == 0 || form > MAX_FORM || (commodity != COCOA && commodity != RUBBER)) {
            revert LotRegistryInvalidForm(form, commodity);
        }
        if (_forms[form].registered) revert LotRegistryFormExists(form);
        if (toleranceBps > BPS) revert LotRegistryInvalidBounds(toleranceBps, BPS);
        _forms[form] = Form(commodity, toleranceBps, true);
        _mintState.registeredForms |= uint192(1) << form;
        emit FormRegistered(form, commodity, toleranceBps, formName);
    }

    /// @inheritdoc ILotRegistry
    function setFormTolerance(uint8 form, uint16 toleranceBps) external onlyGovernor {
        if (!_forms[form].registered) revert LotRegistryUnknownForm(form);
        if (toleranceBps > BPS) revert LotRegistryInvalidBounds(toleranceBps, BPS);
        _forms[form].toleranceBps = toleranceBps;
        emit FormToleranceChanged(form, toleranceBps);
    }

    /// @inheritdoc ILotRegistry
    function setYieldBounds(uint8 inputForm, uint8 outputForm, uint32 minBps, uint32 maxBps) external onlyGovernor {
        if (!_forms[inputForm].registered) revert LotRegistryUnknownForm(inputForm);
        if (!_forms[outputForm].registered) revert LotRegistryUnknownForm(outputForm);
        if (maxBps == 0 || minBps > maxBps) revert LotRegistryInvalidBounds(minBps, maxBps);
        _yields[inputForm][outputForm] = YieldBounds(minBps, maxBps);
        emit YieldBoundsSet(inputForm, outputForm, minBps, maxBps);
    }

    /// @inheritdoc ILotRegistry
    function setBaseURI(string calldata baseURI) external onlyGovernor {
        _baseURI = baseURI;
    }

    // ---------------------------------------------------------------------------------------- mint

    /// @inheritdoc ILotRegistry
    function mint(Delivery calldata delivery) external returns (uint256 lotId) {
        address custodian = _msgSender();
        membership.authorize(custodian, Roles.COOPERATIVE);
        MintState memory state = _mintState;
        lotId = state.nextLotId;
        bytes32[] memory heads = new bytes32[](1);
        heads[0] = _mintOne(custodian, lotId, delivery, state.registeredForms);
        _mintState.nextLotId = uint64(lotId + 1);
        unchecked {
            ++_balances[custodian];
        }
        Delivery[] memory deliveries = new Delivery[](1);
        deliveries[0] = delivery;
        emit Transfer(address(0), custodian, lotId);
        emit LotsMinted(custodian, lotId, deliveries, heads);
    }

    /// @inheritdoc ILotRegistry
    function mintBatch(Delivery[] calldata deliveries) external returns (uint256 firstLotId) {
        address custodian = _msgSender();
        membership.authorize(custodian, Roles.COOPERATIVE);
        uint256 count = deliveries.length;
        _checkBatchSize(count, 1);
        MintState memory state = _mintState;
        firstLotId = state.nextLotId;
        bytes32[] memory heads = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            heads[i] = _mintOne(custodian, firstLotId + i, deliveries[i], state.registeredForms);
        }
        uint256 lastLotId = firstLotId + count - 1;
        _mintState.nextLotId = uint64(lastLotId + 1);
        // Cannot overflow: bounded by the number of lot ids, far below 2**256.
        unchecked {
            _balances[custodian] += count;
        }
        if (count == 1) {
            emit Transfer(address(0), custodian, firstLotId);
        } else {
            emit ConsecutiveTransfer(firstLotId, lastLotId, address(0), custodian);
        }
        emit LotsMinted(custodian, firstLotId, deliveries, heads);
    }

    // ------------------------------------------------------------------------------------ handover

    /// @inheritdoc ILotRegistry
    function offer(uint256 lotId, address receiver) external {
        (Lot storage lot, uint64 callerMember) = _custodianLot(lotId, LotStatus.Active);
        (uint64 receiverMember,, uint8 receiverRoles) = membership.accountOf(receiver);
        if (receiverRoles & Roles.CUSTODIANS == 0 || receiverMember == callerMember) {
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
    function accept(uint256 lotId, uint64 gramsReceived) external {
        (Lot storage lot,) = _receiverLot(lotId);
        if (gramsReceived == 0) revert LotRegistryZeroQuantity();
        uint64 gramsSent = lot.grams;
        uint16 tolerance = _forms[lot.form].toleranceBps;
        uint256 difference = gramsSent > gramsReceived ? gramsSent - gramsReceived : gramsReceived - gramsSent;
        if (difference * BPS > uint256(tolerance) * gramsSent) {
            revert LotRegistryOutsideTolerance(lotId, gramsSent, gramsReceived, tolerance);
        }
        address previous = lot.custodian;
        address custodian = _msgSender();
        lot.custodian = custodian;
        lot.grams = gramsReceived;
        lot.status = LotStatus.Active;
        delete _pendingReceivers[lotId];
        unchecked {
            --_balances[previous];
            ++_balances[custodian];
        }
        bytes32 head = LotHistory.accepted(_heads[lotId], lotId, previous, custodian, gramsSent, gramsReceived);
        _heads[lotId] = head;
        emit Transfer(previous, custodian, lotId);
        emit HandoverAccepted(lotId, previous, custodian, gramsSent, gramsReceived, head);
    }

    // ---------------------------------------------------------------------- split, merge, transform

    /// @inheritdoc ILotRegistry
    function split(uint256 lotId, Output[] calldata parts) external returns (uint256 firstOutputId) {
        uint256 count = parts.length;
        _checkBatchSize(count, 2);
        (Lot storage lot,) = _custodianLot(lotId, LotStatus.Active);
        uint8 form = lot.form;
        uint256 total;
        for (uint256 i = 0; i < count; ++i) {
            if (parts[i].form != form) revert LotRegistryFormMismatch(lotId, form, parts[i].form);
            total += parts[i].grams;
        }
        if (total != lot.grams) revert LotRegistrySplitImbalance(lotId, lot.grams, total);
        uint256[] memory inputIds = new uint256[](1);
        inputIds[0] = lotId;
        return _derive(LotHistory.SPLIT, inputIds, parts);
    }

    /// @inheritdoc ILotRegistry
    function merge(uint256[] calldata lotIds, bytes32 metadata) external returns (uint256 lotId) {
        uint256 count = lotIds.length;
        _checkBatchSize(count, 2);
        uint8 form;
        uint256 total;
        for (uint256 i = 0; i < count; ++i) {
            (Lot storage lot,) = _custodianLot(lotIds[i], LotStatus.Active);
            if (i == 0) form = lot.form;
            else if (lot.form != form) revert LotRegistryFormMismatch(lotIds[i], form, lot.form);
            total += lot.grams;
        }
        Output[] memory outputs = new Output[](1);
        outputs[0] = Output(form, _toGrams(total), metadata);
        return _derive(LotHistory.MERGED, lotIds, outputs);
    }

    /// @inheritdoc ILotRegistry
    function transform(uint256[] calldata inputIds, Output[] calldata outputs)
        external
        returns (uint256 firstOutputId)
    {
        _checkBatchSize(inputIds.length, 1);
        _checkBatchSize(outputs.length, 1);
        uint8 form;
        uint256 inputGrams;
        for (uint256 i = 0; i < inputIds.length; ++i) {
            (Lot storage lot,) = _custodianLot(inputIds[i], LotStatus.Active);
            if (i == 0) form = lot.form;
            else if (lot.form != form) revert LotRegistryFormMismatch(inputIds[i], form, lot.form);
            inputGrams += lot.grams;
        }
        uint256 outputGrams;
        for (uint256 i = 0; i < outputs.length; ++i) {
            _checkYield(form, outputs[i].form, inputGrams, outputs[i].grams);
            outputGrams += outputs[i].grams;
        }
        if (outputGrams > inputGrams) revert LotRegistryMassCreated(inputGrams, outputGrams);
        return _derive(LotHistory.TRANSFORMED, inputIds, outputs);
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
    function getForm(uint8 form) external view returns (Form memory) {
        return _forms[form];
    }

    /// @inheritdoc ILotRegistry
    function getYieldBounds(uint8 inputForm, uint8 outputForm) external view returns (YieldBounds memory) {
        return _yields[inputForm][outputForm];
    }

    /// @inheritdoc ILotRegistry
    function nextLotId() external view returns (uint256) {
        return _mintState.nextLotId;
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
    function balanceOf(address owner) external view returns (uint256) {
        return _balances[owner];
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
    function approve(address, uint256 tokenId) external pure {
        revert LotRegistryTransferOutsideHandover(tokenId);
    }

    /// @inheritdoc IERC721
    /// @dev Refused: custody moves only by {offer} and {accept}.
    function setApprovalForAll(address, bool) external pure {
        revert LotRegistryTransferOutsideHandover(0);
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

    function _mintOne(address custodian, uint256 lotId, Delivery calldata delivery, uint192 registeredForms)
        private
        returns (bytes32 head)
    {
        uint8 form = delivery.form;
        uint64 grams = delivery.grams;
        if (form > MAX_FORM || registeredForms & (uint192(1) << form) == 0) revert LotRegistryUnknownForm(form);
        if (grams == 0) revert LotRegistryZeroQuantity();
        _lots[lotId] = Lot(custodian, grams, form, LotStatus.Active);
        head = LotHistory.minted(lotId, custodian, form, grams, delivery.metadata, delivery.origin);
        _heads[lotId] = head;
    }

    /// @dev The one place split, merge and transform consume inputs and create outputs. The caller
    /// checked custody, status and mass balance; this consumes each input (folding the consumption
    /// into its head), then mints each output to the caller with a head committing to the inputs'.
    function _derive(uint8 kind, uint256[] memory inputIds, Output[] memory outputs)
        private
        returns (uint256 firstOutputId)
    {
        address custodian = _msgSender();
        MintState memory state = _mintState;
        firstOutputId = state.nextLotId;
        bytes32[] memory inputHeads = _consumeInputs(kind, inputIds, firstOutputId, outputs.length);
        bytes32[] memory outputHeads = new bytes32[](outputs.length);
        for (uint256 i = 0; i < outputs.length; ++i) {
            outputHeads[i] = _createOutput(
                custodian, firstOutputId + i, outputs[i], inputIds, inputHeads, state.registeredForms
            );
        }
        _mintState.nextLotId = uint64(firstOutputId + outputs.length);
        unchecked {
            _balances[custodian] += outputs.length;
        }
        emit LotsDerived(kind, custodian, inputIds, inputHeads, firstOutputId, outputs, outputHeads);
    }

    function _consumeInputs(uint8 kind, uint256[] memory inputIds, uint256 firstOutputId, uint256 outputCount)
        private
        returns (bytes32[] memory inputHeads)
    {
        inputHeads = new bytes32[](inputIds.length);
        for (uint256 i = 0; i < inputIds.length; ++i) {
            uint256 inputId = inputIds[i];
            Lot storage input = _lots[inputId];
            input.status = LotStatus.Consumed;
            address holder = input.custodian;
            unchecked {
                --_balances[holder];
            }
            bytes32 head = LotHistory.consumed(_heads[inputId], kind, inputId, firstOutputId, outputCount);
            _heads[inputId] = head;
            inputHeads[i] = head;
            emit Transfer(holder, address(0), inputId);
        }
    }

    function _createOutput(
        address custodian,
        uint256 lotId,
        Output memory output,
        uint256[] memory inputIds,
        bytes32[] memory inputHeads,
        uint192 registeredForms
    ) private returns (bytes32 head) {
        if (output.form > MAX_FORM || registeredForms & (uint192(1) << output.form) == 0) {
            revert LotRegistryUnknownForm(output.form);
        }
        if (output.grams == 0) revert LotRegistryZeroQuantity();
        _lots[lotId] = Lot(custodian, output.grams, output.form, LotStatus.Active);
        head = LotHistory.derived(lotId, custodian, output.form, output.grams, output.metadata, inputIds, inputHeads);
        _heads[lotId] = head;
        emit Transfer(address(0), custodian, lotId);
    }

    /// @dev The lot, checked to be in `status` and held by the caller's member (an active custodian-role account).
    function _custodianLot(uint256 lotId, LotStatus status) private view returns (Lot storage lot, uint64 callerMember) {
        address caller = _msgSender();
        callerMember = membership.authorize(caller, Roles.CUSTODIANS);
        lot = _lots[lotId];
        LotStatus actual = lot.status;
        if (actual == LotStatus.None) revert LotRegistryUnknownLot(lotId);
        address custodian = lot.custodian;
        if (custodian != caller) {
            (uint64 custodianMember,,) = membership.accountOf(custodian);
            if (custodianMember != callerMember) revert LotRegistryNotCustodian(caller, lotId, custodian);
        }
        if (actual != status) revert LotRegistryWrongStatus(lotId, actual);
    }

    /// @dev The in-transit lot, checked to be offered to the caller's member.
    function _receiverLot(uint256 lotId) private view returns (Lot storage lot, address receiver) {
        address caller = _msgSender();
        uint64 callerMember = membership.authorize(caller, Roles.CUSTODIANS);
        lot = _lots[lotId];
        LotStatus status = lot.status;
        if (status == LotStatus.None) revert LotRegistryUnknownLot(lotId);
        if (status != LotStatus.InTransit) revert LotRegistryWrongStatus(lotId, status);
        receiver = _pendingReceivers[lotId];
        if (receiver != caller) {
            (uint64 receiverMember,,) = membership.accountOf(receiver);
            if (receiverMember != callerMember) revert LotRegistryNotReceiver(caller, lotId, receiver);
        }
    }

    function _checkYield(uint8 inputForm, uint8 outputForm, uint256 inputGrams, uint256 outputGrams) private view {
        YieldBounds memory bounds = _yields[inputForm][outputForm];
        if (bounds.maxBps == 0) revert LotRegistryNoYieldBounds(inputForm, outputForm);
        uint256 scaled = outputGrams * BPS;
        if (scaled < inputGrams * bounds.minBps || scaled > inputGrams * bounds.maxBps) {
            revert LotRegistryYieldOutOfBounds(
                inputForm, outputForm, inputGrams, outputGrams, bounds.minBps, bounds.maxBps
            );
        }
    }

    function _checkBatchSize(uint256 size, uint256 min) private pure {
        if (size < min || size > MAX_BATCH) revert LotRegistryBatchSize(size, min, MAX_BATCH);
    }

    function _toGrams(uint256 grams) private pure returns (uint64) {
        if (grams > type(uint64).max) revert LotRegistryInvalidBounds(grams, type(uint64).max);
        return uint64(grams);
    }
}
