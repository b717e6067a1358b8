// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

// OpenZeppelin's ERC-2771 forwarder is used as is; this import makes Hardhat compile it and
// produce its artifact and typings for deployment and tests.
import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";
