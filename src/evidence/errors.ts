import { NonRetryableError, RetryableError } from "../errors/base";

/**
 * Evidence errors. Bad input (too large, wrong type, malformed) and integrity failures are
 * `NonRetryableError`s: the same bytes fail the same way every time. Only an unreachable Kubo node
 * is retryable. HTTP mapping lives with the routers, by class.
 */

/** Bytes whose hash does not match the CID they were fetched under: tampering or corruption. */
export class EvidenceCidMismatchError extends NonRetryableError {
  override name = "EvidenceCidMismatchError";
  /** The CID that was asked for. */
  readonly expected: string;
  /** The CID the bytes actually have (same version and codec, hash of what was received). */
  readonly actual: string;

  constructor(parameters: { expected: string; actual: string; source: string; root?: string | undefined }) {
    const within = parameters.root && parameters.root !== parameters.expected ? ` (a block of ${parameters.root})` : "";
    super(`Evidence bytes do not match their CID: expected ${parameters.expected}${within}, got ${parameters.actual}`, {
      details: `source: ${parameters.source}`,
      metaMessages: ["The bytes were refused, not returned. The store or the gateway that served them is corrupt or lying."],
    });
    this.expected = parameters.expected;
    this.actual = parameters.actual;
  }
}

/** An upload larger than the configured limit. Nothing was stored. */
export class EvidenceTooLargeError extends NonRetryableError {
  override name = "EvidenceTooLargeError";
  readonly maxBytes: number;
  /** Bytes received before the upload was refused (at least `maxBytes + 1` for a stream). */
  readonly receivedBytes: number;

  constructor(parameters: { maxBytes: number; receivedBytes: number }) {
    super(`Evidence is larger than the limit of ${parameters.maxBytes} bytes`, {
      details: `received at least ${parameters.receivedBytes} bytes`,
      metaMessages: ["The limit is FIRSTMILE_EVIDENCE_MAX_BYTES. Nothing was stored."],
    });
    this.maxBytes = parameters.maxBytes;
    this.receivedBytes = parameters.receivedBytes;
  }
}

/**
 * A media type outside the allowed list, or bytes that contradict the declared type (a PNG
 * declared as PDF, binary bytes declared as CSV). Nothing was stored.
 */
export class EvidenceMediaTypeError extends NonRetryableError {
  override name = "EvidenceMediaTypeError";
  /** The media type the caller declared. */
  readonly declared: string;
  /** What the bytes look like, when recognisable. */
  readonly detected: string | undefined;

  constructor(parameters: { declared: string; reason: string; detected?: string | undefined; allowed?: readonly string[] | undefined }) {
    super(`Evidence refused as ${JSON.stringify(parameters.declared)}: ${parameters.reason}`, {
      details: parameters.detected ? `the bytes look like ${parameters.detected}` : undefined,
      metaMessages: parameters.allowed ? [`Allowed media types: ${parameters.allowed.join(", ")}.`, "Nothing was stored."] : ["Nothing was stored."],
    });
    this.declared = parameters.declared;
    this.detected = parameters.detected;
  }
}

/** The bytes claim an allowed type but their structure is broken (a truncated JPEG). Nothing was stored. */
export class EvidenceMalformedError extends NonRetryableError {
  override name = "EvidenceMalformedError";
  readonly mediaType: string;

  constructor(parameters: { mediaType: string; reason: string }) {
    super(`Evidence is not a well-formed ${parameters.mediaType}: ${parameters.reason}`, { metaMessages: ["Nothing was stored."] });
    this.mediaType = parameters.mediaType;
  }
}

/** A string or value that is not a CID firstmile accepts for evidence. */
export class EvidenceInvalidCidError extends NonRetryableError {
  override name = "EvidenceInvalidCidError";
  readonly input: string;

  constructor(parameters: { input: string; reason: string; cause?: unknown }) {
    super(`Not an evidence CID: ${JSON.stringify(parameters.input)}`, {
      details: parameters.reason,
      metaMessages: ["Evidence CIDs are CIDv1, sha2-256, codec raw (0x55) or dag-pb (0x70), e.g. bafkrei… or bafybei…"],
      cause: parameters.cause,
    });
    this.input = parameters.input;
  }
}

/** The store does not hold this CID (or a block below it). */
export class EvidenceNotFoundError extends NonRetryableError {
  override name = "EvidenceNotFoundError";
  readonly cid: string;

  constructor(parameters: { cid: string; root?: string | undefined; cause?: unknown }) {
    const what = parameters.root && parameters.root !== parameters.cid ? `Block ${parameters.cid} of evidence ${parameters.root}` : `Evidence ${parameters.cid}`;
    super(`${what} is not in the store`, { cause: parameters.cause });
    this.cid = parameters.cid;
  }
}

/** The CID names a DAG that is not a UnixFS file (a directory, a foreign codec). */
export class EvidenceNotAFileError extends NonRetryableError {
  override name = "EvidenceNotAFileError";
  readonly cid: string;

  constructor(parameters: { cid: string; found: string }) {
    super(`Evidence ${parameters.cid} is not a file`, { details: `found ${parameters.found}` });
    this.cid = parameters.cid;
  }
}

/** The backing store could not be reached or answered with an error (Kubo down, disk full). */
export class EvidenceStoreUnavailableError extends RetryableError {
  override name = "EvidenceStoreUnavailableError";

  constructor(parameters: { store: string; operation: string; cause?: unknown }) {
    const reason = parameters.cause instanceof Error ? parameters.cause.message : String(parameters.cause ?? "unknown error");
    super(`Evidence store ${parameters.store} failed during ${parameters.operation}`, { details: reason, cause: parameters.cause });
  }
}

export type EvidenceErrorType =
  | EvidenceCidMismatchError
  | EvidenceTooLargeError
  | EvidenceMediaTypeError
  | EvidenceMalformedError
  | EvidenceInvalidCidError
  | EvidenceNotFoundError
  | EvidenceNotAFileError
  | EvidenceStoreUnavailableError;
