import type { Database, Queryable } from "../../db/database";

/** The outbox's vocabulary: a request, its signed call, its statuses and outcomes. */

/** Channel notified (payload: the request id) when a request is enqueued or becomes due again. */
export const OUTBOX_CHANNEL = "firstmile_outbox";

export type RelayStatus = "queued" | "signed" | "submitted" | "mined" | "failed";

/** ERC2771Forwarder `ForwardRequest`, as signed (EIP-712) by the member account `from`. */
export type ForwardRequest = {
  from: string;
  to: string;
  value: bigint;
  gas: bigint;
  nonce: bigint;
  /** uint48 unix seconds. */
  deadline: bigint;
  /** Calldata, 0x hex. */
  data: string;
};

/** What is kept of a failure: enough for the member and the operator, never a stack or a secret. */
export type RelayErrorRecord = {
  name: string;
  message: string;
  details?: string | undefined;
  /** Decoded revert, e.g. `{ error: "LotRegistryNotCustodian", args: {...} }`. */
  revert?: unknown;
};

export type RelayRequest = {
  id: bigint;
  memberId: bigint;
  idempotencyKey: string;
  kind: string;
  payload: unknown;
  /** The signed call carrying this request (null while queued). */
  forwardRequest: ForwardRequest | null;
  signature: string | null;
  callId: bigint | null;
  /** Index of this request's first item in the call (0 unless coalesced). */
  callOffset: number | null;
  /** Number of items of the call that are this request's. */
  callItems: number | null;
  /** The call was signed by the gateway's keystore (true) or by the member (false); null while queued. */
  custodial: boolean | null;
  status: RelayStatus;
  txHash: string | null;
  blockNumber: bigint | null;
  outputs: unknown;
  error: RelayErrorRecord | null;
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  lockedBy: string | null;
  lockedAt: Date | null;
  submittedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** One request's outcome in a mined transaction: its decoded outputs, or why it reverted. */
export type RelayResult = { id: bigint; outputs: unknown } | { id: bigint; error: RelayErrorRecord };

/** The database, or a transaction handle: a request can be enqueued in the business write's transaction. */
export type Db = Database | Queryable;
