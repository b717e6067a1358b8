import { EvidenceTooLargeError } from "./errors";
import { stripImageMetadata } from "./exif";
import {
  EVIDENCE_MEDIA_TYPES,
  SNIFF_BYTES,
  TextEvidenceChecker,
  checkJsonDocument,
  checkMagicNumber,
  isImageMediaType,
  isTextMediaType,
  parseEvidenceMediaType,
  type EvidenceMediaType,
} from "./mediaTypes";

/**
 * Everything an upload goes through before a single block is written: the size limit, the
 * allowed media types, magic numbers and text rules, and metadata stripping for photos. Both
 * stores call it, so the embedded store and Kubo refuse and transform exactly the same way.
 */

export type EvidenceLimits = {
  /** Largest upload in bytes, before metadata stripping. Default 10 MiB. */
  maxBytes: number;
  /** Media types accepted. Default: all of `EVIDENCE_MEDIA_TYPES`. */
  mediaTypes: readonly EvidenceMediaType[];
};

export const DEFAULT_EVIDENCE_LIMITS: EvidenceLimits = { maxBytes: 10 * 1024 * 1024, mediaTypes: EVIDENCE_MEDIA_TYPES };

export function evidenceLimits(partial: Partial<EvidenceLimits> = {}): EvidenceLimits {
  return { ...DEFAULT_EVIDENCE_LIMITS, ...partial };
}

export type PreparedEvidence = {
  /** The bytes to store: the upload, minus photo metadata. */
  bytes: Uint8Array;
  mediaType: EvidenceMediaType;
  /** What was removed (e.g. "Exif (location, device, time)"), empty when nothing was. */
  removedMetadata: string[];
};

/**
 * Checks a whole upload and returns the bytes to store.
 *
 * @throws {EvidenceMediaTypeError} type not allowed, or bytes that contradict it.
 * @throws {EvidenceTooLargeError}
 * @throws {EvidenceMalformedError} a photo whose structure is broken.
 */
export function prepareEvidence(bytes: Uint8Array, declaredType: string, limits: EvidenceLimits): PreparedEvidence {
  const mediaType = parseEvidenceMediaType(declaredType, limits.mediaTypes);
  if (bytes.length > limits.maxBytes) throw new EvidenceTooLargeError({ maxBytes: limits.maxBytes, receivedBytes: bytes.length });
  checkMagicNumber(mediaType, bytes.subarray(0, SNIFF_BYTES));
  if (isTextMediaType(mediaType)) {
    const checker = new TextEvidenceChecker(mediaType);
    checker.push(bytes);
    checker.end();
    if (mediaType !== "text/csv") checkJsonDocument(mediaType, bytes);
  }
  if (isImageMediaType(mediaType)) {
    const stripped = stripImageMetadata(bytes, mediaType);
    return { bytes: stripped.bytes, mediaType, removedMetadata: stripped.removed };
  }
  return { bytes, mediaType, removedMetadata: [] };
}

/**
 * The check a private document's ciphertext passes (its plaintext passed `prepareEvidence`): the
 * size limit, with room for the sealed box's own 29 bytes.
 *
 * @throws {EvidenceTooLargeError}
 */
export function checkSealedSize(ciphertext: Uint8Array, limits: EvidenceLimits): void {
  if (ciphertext.length > limits.maxBytes + SEALED_OVERHEAD_BYTES) {
    throw new EvidenceTooLargeError({ maxBytes: limits.maxBytes, receivedBytes: ciphertext.length - SEALED_OVERHEAD_BYTES });
  }
}

/** What sealing adds to a document: version (1), nonce (12), tag (16); see src/chain/keystore/cipher.ts. */
export const SEALED_OVERHEAD_BYTES = 29;

/**
 * Whether an upload of this type can be checked as it streams. Photos must be whole to strip
 * their metadata and JSON must be whole to parse; PDF and CSV are checked chunk by chunk.
 */
export function isStreamable(mediaType: EvidenceMediaType): mediaType is "application/pdf" | "text/csv" {
  return mediaType === "application/pdf" || mediaType === "text/csv";
}

/**
 * Passes a PDF or CSV stream through while checking it: the size limit as bytes arrive, the magic
 * number once the first bytes are in, text rules on every chunk. The first bad chunk throws, so a
 * store importing from this stream stops before it has the whole file.
 */
export async function* checkedStream(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  mediaType: "application/pdf" | "text/csv",
  limits: EvidenceLimits,
): AsyncGenerator<Uint8Array> {
  const text = mediaType === "text/csv" ? new TextEvidenceChecker(mediaType) : undefined;
  const head: Uint8Array[] = [];
  let headLength = 0;
  let received = 0;
  let magicChecked = false;
  for await (const chunk of source) {
    received += chunk.length;
    if (received > limits.maxBytes) throw new EvidenceTooLargeError({ maxBytes: limits.maxBytes, receivedBytes: received });
    text?.push(chunk);
    if (!magicChecked) {
      // Hold chunks back until there are enough bytes to read the signature.
      head.push(chunk);
      headLength += chunk.length;
      if (headLength < SNIFF_BYTES) continue;
      checkMagicNumber(mediaType, Buffer.concat(head).subarray(0, SNIFF_BYTES));
      magicChecked = true;
      yield* head;
      continue;
    }
    yield chunk;
  }
  if (!magicChecked) {
    checkMagicNumber(mediaType, Buffer.concat(head));
    yield* head;
  }
  text?.end();
}

/**
 * Reads a whole stream into memory, refusing it as soon as it passes the limit.
 *
 * @throws {EvidenceTooLargeError}
 */
export async function collectLimited(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of source) {
    received += chunk.length;
    if (received > maxBytes) throw new EvidenceTooLargeError({ maxBytes, receivedBytes: received });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}
