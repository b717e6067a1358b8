import { NonRetryableError } from "../errors/base";

/** The idempotency key was used before with a different request: the first one stands. */
export class RelayIdempotencyConflictError extends NonRetryableError {
  override name = "RelayIdempotencyConflictError";
  readonly requestId: bigint;
  constructor(memberId: bigint, idempotencyKey: string, requestId: bigint) {
    super(`Idempotency key ${JSON.stringify(idempotencyKey)} of member ${memberId} was already used for a different request`, {
      metaMessages: [`The first request (${requestId}) stands; use a new key for a new request.`],
    });
    this.requestId = requestId;
  }
}

/**
 * The worker no longer holds the lock on a request (it expired and another worker claimed it,
 * or the request moved on): it must drop the request, not act on it.
 */
/**
 * A request signed by a member's own key was submitted again, under another idempotency key, while
 * the first submission of the same (from, nonce) is live: the forwarder runs it once, so the first
 * request is the one to follow.
 */
export class RelayDuplicateSignedRequestError extends NonRetryableError {
  override name = "RelayDuplicateSignedRequestError";
  readonly requestId: bigint;
  constructor(from: string, nonce: bigint, requestId: bigint) {
    super(`The request signed by ${from} with forwarder nonce ${nonce} was already submitted as request ${requestId}`, {
      metaMessages: [`Follow GET /v1/requests/${requestId}; a new request needs a new nonce.`],
    });
    this.requestId = requestId;
  }
}

export class RelayLockLostError extends NonRetryableError {
  override name = "RelayLockLostError";
  readonly requestIds: readonly bigint[];
  constructor(workerId: string, requestIds: readonly bigint[], expected: string) {
    super(`Worker ${workerId} does not hold request${requestIds.length === 1 ? "" : "s"} ${requestIds.join(", ")} ${expected}`);
    this.requestIds = requestIds;
  }
}

/** A value given to the outbox is malformed (address, uint, signature, key). */
export class RelayInvalidRequestError extends NonRetryableError {
  override name = "RelayInvalidRequestError";
}

/** A request's kind calls a contract this network has not deployed (the attestation registry on an old deployment). */
export class RelayTargetMissingError extends NonRetryableError {
  override name = "RelayTargetMissingError";
}
