// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IPayoutRegistry
/// @notice What reaches the farmer, provable in public: buyers commit a premium per kilogram on a lot
/// they hold, and cooperatives publish one Merkle root per payout run. The payments themselves stay
/// in the cooperative's gateway; a leaf of a run holds a farmer's pseudonym, the delivery lot ids,
/// the amounts and a random salt, so the root commits to them and reveals nothing.
interface IPayoutRegistry {
    /// @notice A buyer's premium promise on a lot. Storage plan: slot 1 lot id; slot 2 member (64) |
    /// grams (64) | rate (64) | currency (24) | time (48 of the remaining 64); slot 3 scheme.
    struct PremiumCommitment {
        // The lot the premium is committed on (held by the buyer when committed).
        uint256 lotId;
        // The committing member (a processor, exporter or brand).
        uint64 member;
        // The lot's grams when committed: the premium is owed on this mass.
        uint64 grams;
        // Premium per kilogram, in the currency's minor units (ISO 4217 exponent).
        uint64 ratePerKg;
        // ISO 4217 alphabetic code, e.g. "IDR", "USD".
        bytes3 currency;
        // Block time of the commitment.
        uint48 committedAt;
        // The premium scheme's name, UTF-8, zero-padded, e.g. "fairtrade", "eudr", "living-income".
        bytes32 scheme;
    }

    /// @notice A published payout run.
    struct PayoutRun {
        // The cooperative (or buying station) that published it.
        uint64 member;
        // Number of leaves (payments) under the root.
        uint32 count;
        // Block time of publication.
        uint48 publishedAt;
    }

    /// @notice A published batch of farmers' confirmations of one payout run's payments. Storage plan:
    /// slot 1 member (64) | count (32) | publishedAt (48); slot 2 the run's root.
    struct ConfirmationBatch {
        // The cooperative that published it (the run's publisher).
        uint64 member;
        // Number of confirmation records (leaves) under the batch's root.
        uint32 count;
        // Block time of publication.
        uint48 publishedAt;
        // The payout run whose payments the confirmations are about.
        bytes32 runRoot;
    }

    /// @notice A premium was committed on a lot.
    /// @param commitmentId Sequential id, from 1.
    /// @param lotId The lot.
    /// @param member The committing member.
    /// @param scheme The premium scheme's name (bytes32 UTF-8).
    /// @param currency ISO 4217 code.
    /// @param ratePerKg Minor units per kilogram.
    /// @param grams The lot's grams at commitment.
    event PremiumCommitted(
        uint256 indexed commitmentId, uint256 indexed lotId, uint64 indexed member, bytes32 scheme, bytes3 currency, uint64 ratePerKg, uint64 grams
    );

    /// @notice A payout run's root was published.
    /// @param root The StandardMerkleTree root of the run's leaves.
    /// @param member The publishing cooperative.
    /// @param count Number of leaves.
    /// @param currencies ISO 4217 codes, one per total.
    /// @param totals Sum paid in each currency, minor units.
    event PayoutRunPublished(bytes32 indexed root, uint64 indexed member, uint32 count, bytes3[] currencies, uint256[] totals);

    /// @notice The root of a batch of confirmation records of a payout run was published.
    /// @param batchRoot The StandardMerkleTree root of the batch's confirmation records.
    /// @param runRoot The payout run the confirmations are about.
    /// @param member The publishing cooperative (the run's publisher).
    /// @param count Number of confirmation records under the root.
    event ConfirmationRootPublished(bytes32 indexed batchRoot, bytes32 indexed runRoot, uint64 indexed member, uint32 count);

    /// @notice The caller's member does not hold the lot (or the lot is not active).
    /// @param caller The acting account.
    /// @param lotId The lot.
    /// @param custodian The lot's custodian.
    error PayoutRegistryNotCustodian(address caller, uint256 lotId, address custodian);

    /// @notice A payout root published before.
    /// @param root The root.
    /// @param member The member that published it.
    error PayoutRegistryRootPublished(bytes32 root, uint64 member);

    /// @notice A confirmation batch root published before.
    /// @param batchRoot The batch's root.
    /// @param runRoot The run it was published for.
    error PayoutRegistryConfirmationsPublished(bytes32 batchRoot, bytes32 runRoot);

    /// @notice A confirmation batch for a payout run never published.
    /// @param runRoot The run's root.
    error PayoutRegistryUnknownRun(bytes32 runRoot);

    /// @notice A confirmation batch for a payout run another member published.
    /// @param caller The acting account.
    /// @param runRoot The run's root.
    /// @param publisher The member that published the run.
    error PayoutRegistryNotRunPublisher(address caller, bytes32 runRoot, uint64 publisher);

    /// @notice A zero rate, zero root, zero count, or totals that do not match their currencies.
    /// @param reason What is wrong.
    error PayoutRegistryInvalidInput(string reason);

    /// @notice A currency code that is not three upper-case ASCII letters.
    /// @param currency The code given.
    error PayoutRegistryInvalidCurrency(bytes3 currency);

    /// @notice Commits a premium per kilogram on a lot the caller's member holds.
    /// @dev Requirements: caller is an active processor or brand account; the lot exists (else the lot
    /// registry's {LotRegistryUnknownLot}), is active and its
    /// custodian belongs to the caller's member; `ratePerKg` > 0; a valid currency code.
    /// Emits a {PremiumCommitted} event. Example: `commitPremium(42, "fairtrade", "USD", 24)` (0.24 USD/kg).
    /// @param lotId The lot.
    /// @param scheme The scheme's name (bytes32 UTF-8).
    /// @param currency ISO 4217 code.
    /// @param ratePerKg Minor units per kilogram.
    /// @return commitmentId The new commitment's id.
    function commitPremium(uint256 lotId, bytes32 scheme, bytes3 currency, uint64 ratePerKg) external returns (uint256 commitmentId);

    /// @notice Publishes the Merkle root of a payout run.
    /// @dev Requirements: caller is an active cooperative account; `root` not zero and never published;
    /// `count` > 0; one total per currency (1 to 8 currencies). Emits a {PayoutRunPublished} event.
    /// @param root The StandardMerkleTree root.
    /// @param count Number of leaves.
    /// @param currencies ISO 4217 codes.
    /// @param totals Sum per currency, minor units.
    function publishPayoutRun(bytes32 root, uint32 count, bytes3[] calldata currencies, uint256[] calldata totals) external;

    /// @notice Publishes the Merkle root of a batch of farmers' confirmation records of a payout run's
    /// payments. A record (leaf) holds the payment's leaf hash in the run, the verdict, the kind
    /// (passkey, agent code, paper) and the hash of the signed statement or record: nothing that
    /// names the farmer.
    /// @dev Requirements: caller is an active cooperative account of the member that published
    /// `runRoot`; the run is published; `batchRoot` not zero and never published; `count` > 0.
    /// Emits a {ConfirmationRootPublished} event. Example:
    /// `publishConfirmationRoot(runRoot, batchRoot, 36)` (36 confirmations of the run's payments).
    /// @param runRoot The payout run's root.
    /// @param batchRoot The StandardMerkleTree root of the confirmation records.
    /// @param count Number of confirmation records.
    function publishConfirmationRoot(bytes32 runRoot, bytes32 batchRoot, uint32 count) external;

    /// @notice A confirmation batch by its root (member 0 if never published).
    /// @param batchRoot The batch's root.
    function confirmationBatch(bytes32 batchRoot) external view returns (ConfirmationBatch memory);

    /// @notice A commitment by id (all zero if none).
    /// @param commitmentId The id.
    function premiumCommitment(uint256 commitmentId) external view returns (PremiumCommitment memory);

    /// @notice Number of commitments made.
    function commitmentCount() external view returns (uint256);

    /// @notice A payout run by root (member 0 if never published).
    /// @param root The root.
    function payoutRun(bytes32 root) external view returns (PayoutRun memory);
}
