// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ILotRegistry} from "./ILotRegistry.sol";

/// @title ILotObserver
/// @notice A contract the lot registry tells about derivations, accepted handovers and observed
/// mints ({ILotRegistry-mintBatchObserved}), so that
/// what follows a lot through its chain of custody (sustainability claims, mass-balance credit)
/// can live in its own contract. Governors set it with {ILotRegistry-setLotObserver}; the
/// registry calls it only when one is set, after its own state changes and events.
///
/// Security considerations:
/// - Only the lot registry may call these functions: an implementation must refuse any other
///   caller (as EAS's `SchemaResolver` refuses anyone but EAS with `onlyEAS`), or anyone could
///   forge a derivation.
/// - The call is synchronous: an observer that reverts blocks splits, merges, transforms and
///   acceptances. Governors can clear the observer (`setLotObserver(address(0))`) to unblock them.
/// - The observer may read the registry (e.g. {ILotRegistry-getLot}) during the call; the lot
///   state it reads is already final for the operation.
interface ILotObserver {
    /// @notice Called at the end of a split, merge or transform. The inputs are consumed (their
    /// grams, form and last custodian stay readable through {ILotRegistry-getLot}); the outputs are
    /// lots `firstOutputId` .. `firstOutputId + outputs.length - 1`, held by `custodian`. Each
    /// output's `grams` here is what it carries of the inputs: its weight, less its share of the
    /// non-traced ingredients a transform declared for its form (see
    /// {ILotRegistry-transformWithIngredients}), so ingredients never become claim or credit; their
    /// sum never exceeds the inputs' grams.
    /// @param kind 6 split, 7 merge, 8 transform (the history-head kinds, see LotHistory).
    /// @param custodian The account that derived the outputs and holds them.
    /// @param inputIds The lots consumed.
    /// @param firstOutputId The first output's lot id.
    /// @param outputs The outputs, in lot-id order, with their traced grams.
    function onLotsDerived(
        uint8 kind,
        address custodian,
        uint256[] calldata inputIds,
        uint256 firstOutputId,
        ILotRegistry.Output[] calldata outputs
    ) external;

    /// @notice Called at the end of {ILotRegistry-accept}: `custodian` took custody of `lotId`.
    /// @param lotId The lot.
    /// @param previousCustodian The account that offered it.
    /// @param custodian The account that accepted it.
    /// @param form The lot's form.
    /// @param gramsReceived The weight recorded on acceptance (the lot's grams from now on).
    function onHandoverAccepted(
        uint256 lotId,
        address previousCustodian,
        address custodian,
        uint8 form,
        uint64 gramsReceived
    ) external;

    /// @notice Called at the end of {ILotRegistry-mintBatchObserved}: lots `firstLotId` ..
    /// `firstLotId + deliveries.length - 1` were minted to `custodian` from `deliveries`, in order.
    /// The registry stores no origin; this call is where an observer learns each lot's.
    /// @param custodian The cooperative account that minted them and holds them.
    /// @param firstLotId The first lot's id.
    /// @param deliveries The deliveries, as minted.
    function onLotsMinted(address custodian, uint256 firstLotId, ILotRegistry.Delivery[] calldata deliveries)
        external;
}
