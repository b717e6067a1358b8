/**
 * The relay: members' requests from the outbox to the chain through the ERC2771Forwarder, and
 * their outcomes back (see RelayWorker for how, docs/gateway.md for why).
 */
export { RelayWorker, RelayAccountError } from "./relayWorker";
export type { RelayWorkerParameters, RelayWorkerStats } from "./relayWorker";
export { OutboxWriter } from "./outboxWriter";
export {
  OUTBOX_CHANNEL,
  enqueueRelayRequest,
  enqueueRelayRequests,
  getRelayRequest,
  getRelayRequestByIdempotencyKey,
  countRelayBacklog,
} from "./outboxStore";
export type { ForwardRequest, RelayErrorRecord, RelayRequest, RelayStatus } from "./outboxStore";
export { RelayIdempotencyConflictError, RelayInvalidRequestError, RelayLockLostError, RelayTargetMissingError } from "./errors";
export { ensureRelayerAccount, recordRelayerAccount, RelayerMissingError } from "./relayerAccount";
export { checkSelfSignedRequest, RelayForbiddenError, RelayUnacceptableError } from "./selfSignedRequest";
export { ContractRevertError, decodeRevert, describeRevert } from "./contractErrors";
export type { DecodedRevert } from "./contractErrors";
export { FORWARD_REQUEST_TYPES, FORWARDER_DOMAIN_NAME, forwarderDomain, domainSeparator, forwardRequestDigest, recoverForwardRequestSigner } from "./forwardRequest";
export type { ForwarderDomain } from "./forwardRequest";
export { LOT_CALL_KINDS, lotCallSchemas, encodeLotCall } from "./lotCalls";
export type { LotCallKind, LotCallPayload, Delivery } from "./lotCalls";
export { ATTESTATION_CALL_KINDS, attestationCallSchemas, encodeAttestationCall } from "./attestationCalls";
export type { AttestationCallKind, AttestationCallPayload } from "./attestationCalls";
export { callSchemas, callTargetOf, encodeCall, isCallKind } from "./callKinds";
export type { CallKind, CallTarget } from "./callKinds";
export { CRASH_POINTS, crashHookFrom } from "./crashPoints";
export type { CrashHook, CrashPoint } from "./crashPoints";
