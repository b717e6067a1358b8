/**
 * The relay's durable outbox in SQL, after Graphile Worker: a request is written (with its
 * idempotency key) before it is acknowledged; workers claim due rows in one statement with
 * `for update skip locked`; failures retry with exponential backoff computed in SQL; only the
 * worker holding a row's lock may change it, and a lock older than `staleLockMs` expires.
 *
 * queued -> signed -> submitted -> mined | failed. A request may arrive already signed (a member
 * that holds its own key). A signed request points at its *call* (`relay_calls`): the signed
 * ERC2771Forwarder `ForwardRequest` that carries it, which may carry several requests (mints of
 * one account coalesced into one `mintBatch`); `callOffset`/`callItems` say which items are its own.
 * Every function takes the database or a transaction handle, so a request can be enqueued in the
 * same transaction as the business write that caused it.
 */
export { OUTBOX_CHANNEL } from "./schema";
export type { ForwardRequest, RelayErrorRecord, RelayRequest, RelayResult, RelayStatus } from "./schema";
export { enqueueRelayRequest, enqueueRelayRequests } from "./enqueue";
export type { EnqueueRelayRequestParameters, EnqueueRelayRequestReturnType, EnqueueRelayRequestsItem, EnqueueRelayRequestsReturnType } from "./enqueue";
export { OutboxWriter } from "./writer";
export type { OutboxWriterStats } from "./writer";
export { claimRelayRequests, expireExhaustedRelayRequests, releaseRelayRequests, releaseRelayRequestsOfPreviousRuns } from "./claim";
export type { ClaimRelayRequestsParameters } from "./claim";
export { recordRelayTransactions } from "./record";
export type { RelayTransactionRecord, SignedRelayCall } from "./record";
export {
  failRelayRequests,
  markHeldRelayRequestsMined,
  markRelayRequestsMined,
  markRelayTransactionsMined,
  requeueSubmittedRelayRequests,
  unsignRelayRequests,
} from "./settle";
export type { FailRelayRequestsParameters, MarkRelayRequestsMinedParameters } from "./settle";
export {
  countRelayBacklog,
  findSubmittedRelayRequests,
  getRelayRequest,
  getRelayRequestByIdempotencyKey,
  hasEarlierLiveRequest,
  hasLiveCall,
  hasRelayRequest,
  highestLiveNonce,
} from "./read";
