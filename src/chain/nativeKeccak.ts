import { createRequire } from "node:module";
import path from "node:path";
import { getBytes, keccak256 } from "ethers";

/** The `keccak` addon's sponge (its stream API wraps one per hash, a Node stream each time). */
type KeccakState = {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  squeeze(bytes: number): Buffer;
};

/**
 * Makes ethers (and so this process) hash with the native `keccak` addon when it is installed:
 * the relay hashes every transaction and request it signs, some tens of kilobytes each, and the
 * JavaScript implementation is about eight times slower; the indexer hashes twice per lot event
 * (digest, fold) on 64 to a few hundred bytes, where the addon's stream wrapper would cost more
 * than the hash. So the addon's sponge is called directly, one state reused (hashing is
 * synchronous). Same function, same results; without the addon nothing changes. Returns whether
 * the native one is in use.
 */
let native: boolean | null = null;
let nativeHash: ((data: Buffer) => Buffer) | null = null;

export function useNativeKeccak(): boolean {
  if (native !== null) return native;
  try {
    // The addon as keccak's own bindings.js loads it, resolved from keccak's directory.
    const dir = path.dirname(require.resolve("keccak/package.json"));
    const State = createRequire(path.join(dir, "bindings.js"))("node-gyp-build")(dir) as new () => KeccakState;
    const state = new State();
    const hash = (data: Buffer) => {
      state.initialize(1088, 512); // keccak256: rate 1088 bits, capacity 512
      state.absorb(data);
      return state.squeeze(32);
    };
    const probe = hash(Buffer.from("")).toString("hex");
    if (probe !== "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470") throw new Error("unexpected keccak");
    keccak256.register((data: Uint8Array) => hash(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
    nativeHash = hash;
    native = true;
  } catch {
    native = false;
  }
  return native;
}

/**
 * keccak256 of `data` as its 32 bytes: the native sponge when the addon is in use, else ethers'
 * `keccak256`. For the indexer's history heads, which feed one hash's bytes into the next and
 * turn only the last into hex.
 */
export function keccak256Bytes(data: Buffer): Uint8Array {
  return nativeHash ? nativeHash(data) : getBytes(keccak256(data));
}
