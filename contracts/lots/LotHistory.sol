// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/// @title LotHistory
/// @notice The history-head encoding. Every event on a lot folds into its head:
///
///     head' = keccak256(abi.encode(head, digest))
///     digest = keccak256(abi.encode(uint8 kind, uint256 lotId, ...fields))
///
/// A minted or derived lot starts from head = 0. A derived lot's first digest commits to its
/// parents' ids and their heads right after they were consumed, so one read of a final lot's head
/// checks its whole ancestry given the event list. The fields of each kind are listed below and in
/// docs/history-head.md; src/lots/historyHead.ts is the off-chain twin and tests compare the two.
library LotHistory {
    /// @dev (kind, lotId, custodian, form, grams, metadata, origin)
    uint8 internal constant MINTED = 1;
    /// @dev (kind, lotId, custodian, receiver)
    uint8 internal constant OFFERED = 2;
    /// @dev (kind, lotId, custodian, receiver)
    uint8 internal constant CANCELLED = 3;
    /// @dev (kind, lotId, custodian, receiver, uint16 reason)
    uint8 internal constant REJECTED = 4;
    /// @dev (kind, lotId, previousCustodian, custodian, uint64 gramsSent, uint64 gramsReceived)
    uint8 internal constant ACCEPTED = 5;
    /// @dev Input consumed: (kind, lotId, firstOutputId, outputCount)
    uint8 internal constant SPLIT = 6;
    /// @dev Input consumed: (kind, lotId, firstOutputId, outputCount)
    uint8 internal constant MERGED = 7;
    /// @dev Input consumed: (kind, lotId, firstOutputId, outputCount)
    uint8 internal constant TRANSFORMED = 8;
    /// @dev Output created: (kind, lotId, custodian, form, grams, metadata, uint256[] inputIds, bytes32[] inputHeads)
    uint8 internal constant DERIVED = 9;
    /// @dev (kind, lotId, by, evidence)
    uint8 internal constant EVIDENCE = 10;

    /// @dev `keccak256(abi.encode(head, digest))`, in scratch space: every lot event folds, so the
    /// head's hash allocates no memory (a batch of mints would otherwise grow memory per lot).
    function fold(bytes32 head, bytes32 digest) internal pure returns (bytes32) {
        return Hashes.efficientKeccak256(head, digest);
    }

    /// @dev The genesis of a delivery. The digest is `keccak256(abi.encode(MINTED, lotId, custodian,
    /// form, grams, metadata, origin))`, written word by word past the free memory pointer without
    /// moving it: a cooperative's batch of deliveries hashes hundreds of these in one call.
    function minted(uint256 lotId, address custodian, uint8 form, uint64 grams, bytes32 metadata, bytes32 originDigest)
        internal
        pure
        returns (bytes32 digest)
    {
        assembly ("memory-safe") {
            let at := mload(0x40)
            mstore(at, MINTED)
            mstore(add(at, 0x20), lotId)
            mstore(add(at, 0x40), custodian)
            mstore(add(at, 0x60), form)
            mstore(add(at, 0x80), grams)
            mstore(add(at, 0xa0), metadata)
            mstore(add(at, 0xc0), originDigest)
            digest := keccak256(at, 0xe0)
        }
        return fold(0, digest);
    }

    function handover(bytes32 head, uint8 kind, uint256 lotId, address custodian, address receiver)
        internal
        pure
        returns (bytes32)
    {
        return fold(head, keccak256(abi.encode(kind, lotId, custodian, receiver)));
    }

    function rejected(bytes32 head, uint256 lotId, address custodian, address receiver, uint16 reason)
        internal
        pure
        returns (bytes32)
    {
        return fold(head, keccak256(abi.encode(REJECTED, lotId, custodian, receiver, reason)));
    }

    function accepted(
        bytes32 head,
        uint256 lotId,
        address previousCustodian,
        address custodian,
        uint64 gramsSent,
        uint64 gramsReceived
    ) internal pure returns (bytes32) {
        return fold(
            head, keccak256(abi.encode(ACCEPTED, lotId, previousCustodian, custodian, gramsSent, gramsReceived))
        );
    }

    function consumed(bytes32 head, uint8 kind, uint256 lotId, uint256 firstOutputId, uint256 outputCount)
        internal
        pure
        returns (bytes32)
    {
        return fold(head, keccak256(abi.encode(kind, lotId, firstOutputId, outputCount)));
    }

    function derived(
        uint256 lotId,
        address custodian,
        uint8 form,
        uint64 grams,
        bytes32 metadata,
        uint256[] memory inputIds,
        bytes32[] memory inputHeads
    ) internal pure returns (bytes32) {
        return fold(
            0, keccak256(abi.encode(DERIVED, lotId, custodian, form, grams, metadata, inputIds, inputHeads))
        );
    }

    function evidence(bytes32 head, uint256 lotId, address by, bytes32 evidenceDigest)
        internal
        pure
        returns (bytes32)
    {
        return fold(head, keccak256(abi.encode(EVIDENCE, lotId, by, evidenceDigest)));
    }
}
