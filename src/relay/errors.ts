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
