// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.29;

// The gas benchmark's attestation baseline: the Ethereum Attestation Service 1.9.0 contracts as
// published on npm, compiled in the same run as ours (with solc 0.8.29, which they pin; see
// hardhat.config.ts). Importing them here makes Hardhat build their artifacts. Lives in
// bench/contracts, outside the production tree (hardhat.config.ts adds this folder to the
// compile); never deployed outside benchmarks.
import {EAS} from "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol";
import {SchemaRegistry} from "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol";
