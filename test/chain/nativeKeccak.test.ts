import { expect } from "chai";
import { keccak256 } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { useNativeKeccak } from "../../src/chain/nativeKeccak";

describe("useNativeKeccak", () => {
  it("hashes as the JavaScript keccak256 does, at every length around the 136-byte rate, up to 64 KiB, one call after another", () => {
    const native = useNativeKeccak();
    if (!native) console.warn("    (the keccak addon is not installed: ethers' JavaScript keccak stays in use)");
    const lengths = [0, 1, 31, 32, 33, 64, 135, 136, 137, 271, 272, 273, 1000, 65_536];
    for (const length of lengths) {
      const data = Buffer.alloc(length);
      for (let i = 0; i < length; i++) data[i] = (i * 31 + length) & 0xff;
      // ethers' keccak256 goes through the registered function; noble's is the reference.
      expect(keccak256(data), `length ${length}`).to.equal(`0x${Buffer.from(keccak_256(data)).toString("hex")}`);
      expect(keccak256(data.subarray(1)), `offset view, length ${length - 1}`).to.equal(length === 0 ? keccak256(new Uint8Array()) : `0x${Buffer.from(keccak_256(data.subarray(1))).toString("hex")}`);
    }
    expect(keccak256(new Uint8Array())).to.equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  });
});
