import { BaseError, NonRetryableError, RetryableError } from "../errors/base";
import type { DecodedRevert } from "./contractErrors";

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

/** The member may not act from the account it named (or has none). */
export class RelayAccountError extends NonRetryableError {
  override name = "RelayAccountError";
}

/**
 * A contract would refuse (or refused) a request: the decoded custom error is in `revert`. The
 * API answers it as 422 with the error's name and arguments.
 */
export class ContractRevertError extends NonRetryableError {
  override name = "ContractRevertError";
  readonly revert: DecodedRevert;
  constructor(revert: DecodedRevert, parameters: { cause?: unknown; metaMessages?: string[] } = {}) {
    super(`The contract refuses the request: ${revert.summary}`, parameters);
    this.revert = revert;
  }
}

/** The request is not this member's to send (its `from` is another member's account). */
export class RelayForbiddenError extends NonRetryableError {
  override name = "RelayForbiddenError";
}

/** The request is malformed for relaying (target, value, gas). */
export class RelayUnacceptableError extends NonRetryableError {
  override name = "RelayUnacceptableError";
}

/** No relayer account is recorded for this chain and none can be created here. */
export class RelayerMissingError extends NonRetryableError {
  override name = "RelayerMissingError";
}

/** The node did not answer the simulation (as opposed to "the call reverts"): try again later. */
export class SimulationUnavailableError extends RetryableError {
  override name = "SimulationUnavailableError";
}

// The JSON-RPC client's errors belong to the chain layer; the relay names them with its own.
export { JsonRpcError, JsonRpcUnreachableError } from "../chain/jsonRpc";
