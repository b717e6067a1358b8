/**
 * The relay: members' requests from the outbox to the chain through the ERC2771Forwarder, and
 * their outcomes back (see RelayWorker for how, docs/gateway.md for why).
 */
export { RelayWorker } from "./worker";
export type { RelayWorkerParameters, RelayWorkerStats } from "./worker";
export {
  OUTBOX_CHANNEL,
  OutboxWriter,
  enqueueRelayRequest,
  enqueueRelayRequests,
  getRelayRequest,
  getRelayRequestByIdempotencyKey,
  countRelayBacklog,
} from "./outbox";
export type { ForwardRequest, RelayErrorRecord, RelayRequest, RelayStatus } from "./outbox";
export {
  ContractRevertError,
  JsonRpcError,
  JsonRpcUnreachableError,
  RelayAccountError,
  RelayForbiddenError,
  RelayIdempotencyConflictError,
  RelayInvalidRequestError,
  RelayLockLostError,
  RelayTargetMissingError,
  RelayUnacceptableError,
  RelayerMissingError,
  SimulationUnavailableError,
} from "./errors";
export { ensureRelayerAccount, recordRelayerAccount } from "./relayerAccount";
export { checkSelfSignedRequest } from "./selfSignedRequest";
export { decodeRevert, describeRevert } from "./contractErrors";
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
