// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";

/// @title BaselineLotToken
/// @notice The gas benchmark's baseline: a plain OpenZeppelin ERC721URIStorage token whose token URI
/// holds what a naive lot token would store (an IPFS URI). Lives in bench/contracts, outside the
/// production tree; never deployed outside benchmarks.
contract BaselineLotToken is ERC721URIStorage {
    uint256 private _nextTokenId;

    constructor() ERC721("baseline lot", "BASE") {}

    /// @notice Mints the next token to `to` with `uri`.
    /// @param to The holder.
    /// @param uri The token URI.
    /// @return tokenId The new token.
    function mint(address to, string calldata uri) external returns (uint256 tokenId) {
        tokenId = ++_nextTokenId;
        _mint(to, tokenId);
        _setTokenURI(tokenId, uri);
    }
}
