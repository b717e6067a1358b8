// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MembershipGoverned} from "../membership/MembershipGoverned.sol";
import {ILotRegistry} from "./ILotRegistry.sol";
import {IFormCatalogue} from "./IFormCatalogue.sol";

/// @title FormCatalogue
/// @notice Dry-weight forms and yield bounds, and the transform rule that uses them (see
/// {IFormCatalogue}). A contract of its own so the lot registry stays within the EIP-170 size limit
/// and a mint never pays for it: the registry calls {checkTransform} in transforms only.
///
/// Storage plan: `_yields[input][output]`, one slot per form pair (output 0: all outputs
/// together); `_dryBasisForms`, a bitmap, so a transform reads it once for all its inputs.
///
/// @custom:security Changes are accepted from the membership registry's governance contract only
/// (before one is set, from any governor; see {MembershipGoverned}). {checkTransform} is a view: it
/// changes nothing, and the registry calls it before it consumes any input.
contract FormCatalogue is IFormCatalogue, MembershipGoverned {
    /// @notice The output form id that stands for all outputs of a transform together.
    uint8 public constant ALL_OUTPUTS = 0;

    uint256 private constant BPS = 10_000;
    /// @dev A group's basis is in gram-basis-points and a bound in basis points of it.
    uint256 private constant SCALE = BPS * BPS;

    mapping(uint8 inputForm => mapping(uint8 outputForm => YieldBounds)) private _yields;
    uint256 private _dryBasisForms;

    /// @dev The inputs of one form: their form and basis (grams * 10 000, or grams * quality).
    struct Group {
        uint8 form;
        uint256 basis;
    }

    /// @param trustedForwarder The ERC-2771 forwarder relayed requests come through.
    /// @param registry The lot registry, which is also the membership registry.
    constructor(address trustedForwarder, address registry) MembershipGoverned(trustedForwarder, registry) {}

    function _revertNotGovernance(address caller, address governance) internal pure override {
        revert FormCatalogueNotGovernance(caller, governance);
    }

    // ----------------------------------------------------------------------------------- governance

    /// @inheritdoc IFormCatalogue
    function setYieldBounds(uint8 inputForm, uint8 outputForm, uint32 minBps, uint32 maxBps)
        external
        onlyGovernance
    {
        _checkRegistered(inputForm);
        if (outputForm != ALL_OUTPUTS) _checkRegistered(outputForm);
        if (maxBps == 0 || minBps > maxBps) revert FormCatalogueInvalidBounds(minBps, maxBps);
        _yields[inputForm][outputForm] = YieldBounds(minBps, maxBps);
        emit YieldBoundsSet(inputForm, outputForm, minBps, maxBps);
    }

    /// @inheritdoc IFormCatalogue
    function setDryBasis(uint8 form, bool dryBasis) external onlyGovernance {
        _checkRegistered(form);
        if (dryBasis) _dryBasisForms |= uint256(1) << form;
        else _dryBasisForms &= ~(uint256(1) << form);
        emit DryBasisSet(form, dryBasis);
    }

    // ------------------------------------------------------------------------------------ the rule

    /// @inheritdoc IFormCatalogue
    function checkTransform(
        TransformInput[] calldata inputs,
        ILotRegistry.Output[] calldata outputs,
        ILotRegistry.Ingredient[] calldata ingredients
    ) external view returns (uint64[] memory tracedGrams) {
        (Group[] memory groups, uint256 inputGrams) = _groups(inputs);
        uint256 ingredientGrams = _checkIngredients(outputs, ingredients);
        if (ingredients.length != 0) tracedGrams = new uint64[](outputs.length);
        uint256 outputGrams;
        uint256 seen; // bitmap of the output forms already checked
        for (uint256 i = 0; i < outputs.length; ++i) {
            uint8 form = outputs[i].form;
            outputGrams += outputs[i].grams;
            if ((seen >> form) & 1 == 1) continue;
            seen |= uint256(1) << form;
            _checkOutputForm(groups, outputs, ingredients, i, tracedGrams);
        }
        if (_hasJointBounds(groups)) _checkYield(groups, ALL_OUTPUTS, outputGrams, ingredientGrams);
        if (outputGrams > inputGrams + ingredientGrams) {
            revert FormCatalogueMassCreated(inputGrams, ingredientGrams, outputGrams);
        }
    }

    // --------------------------------------------------------------------------------------- views

    /// @inheritdoc IFormCatalogue
    function getYieldBounds(uint8 inputForm, uint8 outputForm) external view returns (YieldBounds memory) {
        return _yields[inputForm][outputForm];
    }

    /// @inheritdoc IFormCatalogue
    function isDryBasis(uint8 form) external view returns (bool) {
        return (_dryBasisForms >> form) & 1 == 1;
    }

    /// @inheritdoc IFormCatalogue
    function lotRegistry() external view returns (address) {
        return _registry;
    }

    // ------------------------------------------------------------------------------------ internal

    function _checkRegistered(uint8 form) private view {
        if (form == 0 || !ILotRegistry(_registry).getForm(form).registered) revert FormCatalogueUnknownForm(form);
    }

    /// @dev The inputs grouped by form, each group's basis summed (dry weight where the form says so,
    /// with the quality required), and all inputs' grams.
    function _groups(TransformInput[] calldata inputs)
        private
        view
        returns (Group[] memory groups, uint256 inputGrams)
    {
        groups = new Group[](inputs.length);
        uint256 count;
        uint256 dryForms = _dryBasisForms;
        for (uint256 i = 0; i < inputs.length; ++i) {
            (uint8 form, uint64 grams, uint16 quality) = (inputs[i].form, inputs[i].grams, inputs[i].quality);
            uint256 basis;
            if ((dryForms >> form) & 1 == 1) {
                if (quality == 0 || quality > BPS) revert FormCatalogueQualityRequired(i, form, quality);
                basis = uint256(grams) * quality;
            } else {
                basis = uint256(grams) * BPS;
            }
            inputGrams += grams;
            uint256 k = 0;
            while (k < count && groups[k].form != form) ++k;
            if (k == count) groups[count++] = Group(form, basis);
            else groups[k].basis += basis;
        }
        // Shrink to the groups found (a memory array's length is its first word; only shortened).
        assembly ("memory-safe") {
            mstore(groups, count)
        }
    }

    /// @dev Checks that `formGrams` of outputs of `form` (0: all outputs) lie within the groups'
    /// bounds to it, both ends raised by `ingredientGrams`.
    function _checkYield(Group[] memory groups, uint8 form, uint256 formGrams, uint256 ingredientGrams)
        private
        view
    {
        uint256 minScaled;
        uint256 maxScaled;
        for (uint256 g = 0; g < groups.length; ++g) {
            YieldBounds memory bounds = _yields[groups[g].form][form];
            if (bounds.maxBps == 0) revert FormCatalogueNoYieldBounds(groups[g].form, form);
            minScaled += groups[g].basis * bounds.minBps;
            maxScaled += groups[g].basis * bounds.maxBps;
        }
        // Whole grams: the least allowed rounds up, the most allowed rounds down.
        uint256 minGrams = Math.ceilDiv(minScaled, SCALE) + ingredientGrams;
        uint256 maxGrams = maxScaled / SCALE + ingredientGrams;
        if (formGrams < minGrams || formGrams > maxGrams) {
            revert FormCatalogueYieldOutOfBounds(form, formGrams, minGrams, maxGrams);
        }
    }

    /// @dev Checks the outputs of the form of output `first` (its first), all counted together so two
    /// of them cannot each take the allowance, and, with ingredients, what each of them carries.
    function _checkOutputForm(
        Group[] memory groups,
        ILotRegistry.Output[] calldata outputs,
        ILotRegistry.Ingredient[] calldata ingredients,
        uint256 first,
        uint64[] memory tracedGrams
    ) private view {
        uint8 form = outputs[first].form;
        uint256 formGrams = _formGrams(outputs, first, form);
        uint256 formIngredients = _ingredientGrams(ingredients, form);
        _checkYield(groups, form, formGrams, formIngredients);
        // formIngredients <= formGrams: the least allowed output of the form includes them.
        if (tracedGrams.length != 0) _traced(outputs, first, formGrams - formIngredients, formGrams, tracedGrams);
    }

    /// @dev Whether any input group has bounds on all outputs together (joint products).
    function _hasJointBounds(Group[] memory groups) private view returns (bool) {
        for (uint256 g = 0; g < groups.length; ++g) {
            if (_yields[groups[g].form][ALL_OUTPUTS].maxBps != 0) return true;
        }
        return false;
    }

    /// @dev Checks each ingredient weighs something and goes into a form the call produces, and
    /// returns their grams.
    function _checkIngredients(
        ILotRegistry.Output[] calldata outputs,
        ILotRegistry.Ingredient[] calldata ingredients
    ) private pure returns (uint256 total) {
        for (uint256 i = 0; i < ingredients.length; ++i) {
            (uint8 form, uint64 grams) = (ingredients[i].outputForm, ingredients[i].grams);
            bool produced = false;
            for (uint256 j = 0; j < outputs.length && !produced; ++j) {
                produced = outputs[j].form == form;
            }
            if (grams == 0 || !produced) revert FormCatalogueInvalidIngredient(i, form, grams);
            total += grams;
        }
    }

    /// @dev The grams of the outputs of `form`, from output `from` on (the first of that form).
    function _formGrams(ILotRegistry.Output[] calldata outputs, uint256 from, uint8 form)
        private
        pure
        returns (uint256 grams)
    {
        if (form == ALL_OUTPUTS) revert FormCatalogueUnknownForm(form);
        for (uint256 j = from; j < outputs.length; ++j) {
            if (outputs[j].form == form) grams += outputs[j].grams;
        }
    }

    function _ingredientGrams(ILotRegistry.Ingredient[] calldata ingredients, uint8 form)
        private
        pure
        returns (uint256 grams)
    {
        for (uint256 i = 0; i < ingredients.length; ++i) {
            if (ingredients[i].outputForm == form) grams += ingredients[i].grams;
        }
    }

    /// @dev Each output of the form of output `first` carries its grams less its share of the form's
    /// ingredients: `traced` of the form's `formGrams`, pro rata, rounded down (traced mass, and the
    /// credit it may become, is never created).
    function _traced(
        ILotRegistry.Output[] calldata outputs,
        uint256 first,
        uint256 traced,
        uint256 formGrams,
        uint64[] memory tracedGrams
    ) private pure {
        uint8 form = outputs[first].form;
        for (uint256 j = first; j < outputs.length; ++j) {
            if (outputs[j].form != form) continue;
            // Cannot truncate: at most the output's own uint64 grams.
            tracedGrams[j] = uint64((uint256(outputs[j].grams) * traced) / formGrams);
        }
    }
}
