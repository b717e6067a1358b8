import type { CID } from "multiformats/cid";
import { RAW_CODEC, IDENTITY_CODE, SHA2_256_CODE, blockCid, computeEvidenceCid, sha256 } from "./cid";
import { EvidenceCidMismatchError, EvidenceInvalidCidError } from "./errors";

/**
 * Every byte firstmile hands out has been hashed and compared with the CID it was asked for.
 * These two checks are the only way bytes leave a store or a remote gateway.
 */

/**
 * Checks one block against its CID and returns it. Identity CIDs carry their bytes inline and
 * are compared directly.
 *
 * @param source where the bytes came from, for the error ("embedded blockstore", a URL).
 * @param root the evidence this block belongs to, when it is a child block.
 * @throws {EvidenceCidMismatchError} naming the expected and the actual CID.
 * @throws {EvidenceInvalidCidError} for a hash function other than sha2-256 or identity.
 */
export function verifyBlock(cid: CID, bytes: Uint8Array, source: string, root?: CID): Uint8Array {
  const { code, digest } = cid.multihash;
  if (code === SHA2_256_CODE) {
    if (!equals(sha256(bytes), digest)) throw mismatch(cid, blockCid(bytes, cid.code), source, root);
    return bytes;
  }
  if (code === IDENTITY_CODE) {
    if (!equals(bytes, digest)) throw mismatch(cid, blockCid(bytes, cid.code), source, root);
    return bytes;
  }
  throw new EvidenceInvalidCidError({ input: cid.toString(), reason: `hash function 0x${code.toString(16)} cannot be verified here (sha2-256 only)` });
}

/**
 * {@link verifyBlock} for a sha2-256 block, hashed on libuv's thread pool (WebCrypto) so that a
 * reader can hash one block while it reads the next, and several blocks hash on several cores.
 * Other hash functions fall back to the synchronous check.
 */
export async function verifyBlockOffThread(cid: CID, bytes: Uint8Array, source: string, root?: CID): Promise<Uint8Array> {
  if (cid.multihash.code !== SHA2_256_CODE) return verifyBlock(cid, bytes, source, root);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  if (!equals(digest, cid.multihash.digest)) throw mismatch(cid, blockCid(bytes, cid.code), source, root);
  return bytes;
}

/**
 * Checks a whole file's bytes against its evidence CID by recomputing the CID offline with
 * firstmile's UnixFS parameters. A raw CID is a single block: its digest is the file's sha2-256,
 * whatever the size.
 *
 * A file that someone chunked differently (other chunk size, trickle layout) fails here although
 * its bytes are right: such content is verified block by block instead (see `readEvidenceFile`).
 *
 * @throws {EvidenceCidMismatchError}
 */
export async function verifyFileBytes(cid: CID, bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (cid.code === RAW_CODEC) return verifyBlock(cid, bytes, source);
  const actual = await computeEvidenceCid(bytes);
  if (!actual.equals(cid)) throw mismatch(cid, actual, source);
  return bytes;
}

function equals(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function mismatch(expected: CID, actual: CID, source: string, root?: CID): EvidenceCidMismatchError {
  return new EvidenceCidMismatchError({ expected: expected.toString(), actual: actual.toString(), source, root: root?.toString() });
}
