// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ILotRegistry} from "./ILotRegistry.sol";

/// @title IFormCatalogue
/// @notice What a transform must respect: which forms count their yields on dry weight, and the
/// yield bounds from each input form to each output form and to all outputs together (joint
/// products). The lot registry asks {checkTransform} in every transform; mints and handovers never
/// read the catalogue (the form list, handover allowances and mintability live in the registry).
///
/// The rule for a transform (docs/forms.md gives each bound's reasoning):
/// - Inputs are grouped by form. A group's basis is its grams, or, for a dry-weight form, its dry
///   grams: the sum of grams * quality / 10 000 over its lots (quality, the DRC, is required).
/// - For each output form F: the outputs of form F, summed, lie within
///   [sum over groups G of basis(G) * min(G, F), sum of basis(G) * max(G, F)], both ends raised by
///   the grams of the ingredients declared for F. Every group needs bounds to every output form:
///   a blend's inputs all go into its outputs.
/// - Joint products: where bounds to {ALL_OUTPUTS} (form 0) are set for an input group, all
///   outputs together lie within the same sum over groups, raised by all ingredients (liquor ->
///   butter + cake 98-100 %); then every group needs such bounds.
/// - All outputs together never weigh more than the inputs' grams plus the ingredients'.
///
/// Governance: changes come from the membership registry's governance contract once one is set
/// (a quorum of governors and a delay); before that (the deployment bootstrap), from any governor.
interface IFormCatalogue {
    /// @notice Yield bounds in basis points of the input group's basis (grams, or dry grams).
    struct YieldBounds {
        uint32 minBps;
        uint32 maxBps;
    }

    /// @notice One input lot of a transform, as the lot registry holds it.
    struct TransformInput {
        uint8 form;
        uint64 grams;
        uint16 quality;
    }

    /// @notice Emitted when governors set the yield bounds of `inputForm` -> `outputForm` (0: all
    /// outputs together).
    event YieldBoundsSet(uint8 indexed inputForm, uint8 indexed outputForm, uint32 minBps, uint32 maxBps);
    /// @notice Emitted when governors say whether `form`'s yields count on dry weight.
    event DryBasisSet(uint8 indexed form, bool dryBasis);

    /// @dev Only the governance contract `governance` may change the catalogue (`caller` is not it).
    error FormCatalogueNotGovernance(address caller, address governance);
    /// @dev Form `form` is not registered in the lot registry.
    error FormCatalogueUnknownForm(uint8 form);
    /// @dev Yield bounds need 0 < `maxBps` and `minBps` <= `maxBps`.
    error FormCatalogueInvalidBounds(uint32 minBps, uint32 maxBps);
    /// @dev No yield bounds are set for input form `inputForm` -> `outputForm` (0: all outputs
    /// together), while the transform has inputs of `inputForm` and outputs of `outputForm`.
    error FormCatalogueNoYieldBounds(uint8 inputForm, uint8 outputForm);
    /// @dev Input `index` of the transform is of form `form`, whose yields count on dry weight, but its
    /// quality (DRC) is `quality`: it must be measured (> 0) and at most 10 000.
    error FormCatalogueQualityRequired(uint256 index, uint8 form, uint16 quality);
    /// @dev The outputs of form `outputForm` (0: all outputs together) weigh `outputGrams`; the inputs
    /// and declared ingredients allow `minGrams` .. `maxGrams`.
    error FormCatalogueYieldOutOfBounds(uint8 outputForm, uint256 outputGrams, uint256 minGrams, uint256 maxGrams);
    /// @dev The outputs weigh `outputGrams`, more than the inputs' `inputGrams` plus the declared
    /// ingredients' `ingredientGrams`.
    error FormCatalogueMassCreated(uint256 inputGrams, uint256 ingredientGrams, uint256 outputGrams);
    /// @dev Ingredient `index` goes into form `outputForm`, which the transform does not produce, or
    /// weighs nothing (`grams` 0).
    error FormCatalogueInvalidIngredient(uint256 index, uint8 outputForm, uint64 grams);

    /// @notice Sets the yield bounds of input form `inputForm` -> output form `outputForm`, or, with
    /// `outputForm` {ALL_OUTPUTS} (0), of all outputs together (joint products).
    /// @dev Requirements: caller is the governance contract (any governor before one is set);
    /// `inputForm` registered, `outputForm` registered or 0; 0 < `maxBps`, `minBps` <= `maxBps`.
    /// Emits {YieldBoundsSet}. Examples: fermented dry beans -> nibs `setYieldBounds(2, 3, 7700, 8500)`;
    /// liquor -> butter and cake together `setYieldBounds(4, 0, 9800, 10000)`.
    /// @param inputForm Form consumed.
    /// @param outputForm Form produced, or 0 for all outputs together.
    /// @param minBps Least output per input basis, basis points.
    /// @param maxBps Most output per input basis, basis points.
    function setYieldBounds(uint8 inputForm, uint8 outputForm, uint32 minBps, uint32 maxBps) external;

    /// @notice Says whether `form`'s yields count on dry weight: a transform's input of that form
    /// counts grams * quality / 10 000 (its DRC) and must carry a measured quality.
    /// @dev Requirements: caller is the governance contract (any governor before one is set); form
    /// registered. Emits {DryBasisSet}. Example: rubber cup lump `setDryBasis(21, true)`.
    /// @param form Form id.
    /// @param dryBasis Whether its yields count on dry weight.
    function setDryBasis(uint8 form, bool dryBasis) external;

    /// @notice Checks a transform against the catalogue (see the rule above) and returns what each
    /// output carries of the inputs: its grams less its share of the ingredients declared for its
    /// form (rounded down), or an empty array when no ingredient is declared.
    /// @dev Reverts with the catalogue's errors; a view: the lot registry calls it before consuming
    /// anything.
    /// @param inputs The inputs as the registry holds them.
    /// @param outputs The outputs asked for.
    /// @param ingredients The declared non-traced ingredients.
    /// @return tracedGrams Per output, the traced share of its grams (empty without ingredients).
    function checkTransform(
        TransformInput[] calldata inputs,
        ILotRegistry.Output[] calldata outputs,
        ILotRegistry.Ingredient[] calldata ingredients
    ) external view returns (uint64[] memory tracedGrams);

    /// @notice The yield bounds of `inputForm` -> `outputForm` (0: all outputs together; zeros if none).
    function getYieldBounds(uint8 inputForm, uint8 outputForm) external view returns (YieldBounds memory);

    /// @notice Whether `form`'s yields count on dry weight.
    function isDryBasis(uint8 form) external view returns (bool);

    /// @notice The lot registry (also the membership registry) this catalogue serves.
    function lotRegistry() external view returns (address);
}
