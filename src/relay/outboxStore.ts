import { createHash } from "node:crypto";
import { getAddress, isAddress, isHexString } from "ethers";
import type { Database, Queryable } from "../db/database";
import { RelayIdempotencyConflictError, RelayInvalidRequestError, RelayLockLostError } from "./errors";

/**
 * The relay's durable outbox in SQL, after Graphile Worker: a request is written (with its
 * idempotency key) before it is acknowledged; workers claim due rows in one statement with
 * `for update skip locked`; failures retry with exponential backoff computed in SQL; only the
 * worker holding a row's lock may change it, and a lock older than `staleLockMs` expires.
 *
 * queued -> signed -> submitted -> mined | failed. A request may arrive already signed (a member
 * that holds its own key). Every function takes the database or a transaction handle, so a
 * request can be enqueued in the same transaction as the business write that caused it.
 */

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
  /** Decoded revert, e.g. `{ error: "LotRegistryNotCustodian", args: [...] }`. */
  revert?: unknown;
};

export type RelayRequest = {
  id: bigint;
  memberId: bigint;
  idempotencyKey: string;
  kind: string;
  payload: unknown;
  forwardRequest: ForwardRequest | null;
  signature: string | null;
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

type Db = Database | Queryable;

// ---------------------------------------------------------------------------------------------
// enqueue

export type EnqueueRelayRequestParameters = {
  memberId: bigint;
  /** The HTTP `Idempotency-Key`: unique per member; a retried call returns the first request. */
  idempotencyKey: string;
  /** What the request does, e.g. `lots.mint`. */
  kind: string;
  /** The request as the member sent it (JSON). */
  payload: unknown;
  /** Attempts before failing for good (config `relay.maxAttempts`). */
  maxAttempts?: number | undefined;
  /** Already signed by the member's own key: enters as `signed`. */
  signed?: { forwardRequest: ForwardRequest; signature: string } | undefined;
};

export type EnqueueRelayRequestReturnType = { request: RelayRequest; created: boolean };

/**
 * Records a request, or returns the one already recorded under the same member and idempotency
 * key (`created: false`). Notifies `OUTBOX_CHANNEL` on commit when it creates one.
 *
 * @throws {RelayIdempotencyConflictError} the key was used for a different request.
 */
export async function enqueueRelayRequest(db: Db, parameters: EnqueueRelayRequestParameters): Promise<EnqueueRelayRequestReturnType> {
  const { memberId, idempotencyKey, kind, payload, signed } = parameters;
  if (memberId <= 0n) throw new RelayInvalidRequestError(`Not a member id: ${memberId}`);
  if (idempotencyKey.length < 1 || idempotencyKey.length > 255) throw new RelayInvalidRequestError("The idempotency key must be 1 to 255 characters");
  const forward = signed ? forwardRequestColumns(signed.forwardRequest) : null;
  const signature = signed ? signatureBytes(signed.signature) : null;
  const requestHash = createHash("sha256")
    .update(canonicalJson({ kind, payload, forwardRequest: signed?.forwardRequest ?? null, signature: signed?.signature.toLowerCase() ?? null }))
    .digest();

  return inTransaction(db, async (tx) => {
    const inserted = await tx.query<OutboxRow>(
      `insert into outbox (member_id, idempotency_key, request_hash, kind, payload, max_attempts, status,
                           from_address, to_address, value, gas, nonce, deadline, data, signature)
       values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       on conflict (member_id, idempotency_key) do nothing
       returning *`,
      [
        memberId,
        idempotencyKey,
        requestHash,
        kind,
        JSON.stringify(payload),
        parameters.maxAttempts ?? 10,
        signed ? "signed" : "queued",
        ...(forward ?? [null, null, null, null, null, null, null]),
        signature,
      ],
    );
    if (inserted.rows[0]) {
      await tx.query("select pg_notify($1, $2)", [OUTBOX_CHANNEL, inserted.rows[0].id.toString()]);
      return { request: toRelayRequest(inserted.rows[0]), created: true };
    }
    // Under READ COMMITTED the conflicting row is committed by now (the insert waited for it).
    const existing = await tx.query<OutboxRow>("select * from outbox where member_id = $1 and idempotency_key = $2", [memberId, idempotencyKey]);
    const row = existing.rows[0]!;
    if (!row.request_hash.equals(requestHash)) throw new RelayIdempotencyConflictError(memberId, idempotencyKey, row.id);
    return { request: toRelayRequest(row), created: false };
  });
}

// ---------------------------------------------------------------------------------------------
// worker side

export type ClaimRelayRequestsParameters = {
  workerId: string;
  limit: number;
  /** A lock older than this is considered abandoned (its worker died). */
  staleLockMs: number;
};

/**
 * Claims up to `limit` due requests (queued or signed, `run_at` passed, attempts left, unlocked
 * or stale-locked), oldest first, in one statement: locks them for `workerId` and counts an
 * attempt. Concurrent workers never claim the same row (`for update skip locked`).
 */
export async function claimRelayRequests(db: Db, parameters: ClaimRelayRequestsParameters): Promise<RelayRequest[]> {
  const { rows } = await db.query<OutboxRow>(
    `with due as (
       select id from outbox
       where status in ('queued', 'signed')
         and run_at <= now()
         and attempts < max_attempts
         and (locked_at is null or locked_at < now() - $3::double precision * interval '1 millisecond')
       order by run_at, id
       limit $2
       for update skip locked
     )
     update outbox o
        set locked_by = $1, locked_at = now(), attempts = o.attempts + 1, updated_at = now()
       from due
      where o.id = due.id
     returning o.*`,
    [parameters.workerId, parameters.limit, parameters.staleLockMs],
  );
  return rows.map(toRelayRequest).sort(byId);
}

export type MarkRelayRequestSignedParameters = {
  id: bigint;
  workerId: string;
  forwardRequest: ForwardRequest;
  signature: string;
};

/**
 * Stores the signed `ForwardRequest` of a queued request the worker holds; the lock stays (the
 * same worker submits it next).
 *
 * @throws {RelayLockLostError} the worker does not hold the request, or it is not queued.
 */
export async function markRelayRequestSigned(db: Db, parameters: MarkRelayRequestSignedParameters): Promise<RelayRequest> {
  const forward = forwardRequestColumns(parameters.forwardRequest);
  const { rows } = await db.query<OutboxRow>(
    `update outbox
        set status = 'signed', from_address = $3, to_address = $4, value = $5, gas = $6, nonce = $7,
            deadline = $8, data = $9, signature = $10, updated_at = now()
      where id = $1 and locked_by = $2 and status = 'queued'
     returning *`,
    [parameters.id, parameters.workerId, ...forward, signatureBytes(parameters.signature)],
  );
  if (!rows[0]) throw new RelayLockLostError(parameters.workerId, [parameters.id], "as a queued request");
  return toRelayRequest(rows[0]);
}

export type MarkRelayRequestsSubmittedParameters = { ids: readonly bigint[]; workerId: string; txHash: string };

/**
 * Records the transaction that carries signed requests the worker holds, and releases them.
 * Call it after signing the transaction and before broadcasting it: a crash in between leaves a
 * hash to look up, never a sent transaction nobody knows about. All or none.
 *
 * @throws {RelayLockLostError} the worker does not hold every one of them as signed.
 */
export async function markRelayRequestsSubmitted(db: Db, parameters: MarkRelayRequestsSubmittedParameters): Promise<RelayRequest[]> {
  const txHash = hash32(parameters.txHash);
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<OutboxRow>(
      `update outbox
          set status = 'submitted', tx_hash = $3, submitted_at = now(), locked_by = null, locked_at = null,
              error = null, updated_at = now()
        where id = any($1::bigint[]) and locked_by = $2 and status = 'signed'
       returning *`,
      [parameters.ids, parameters.workerId, txHash],
    );
    assertAll(rows, parameters.ids, parameters.workerId, "as signed requests");
    return rows.map(toRelayRequest).sort(byId);
  });
}

/** One request's outcome in a mined transaction: its decoded outputs, or why it reverted. */
export type RelayResult = { id: bigint; outputs: unknown } | { id: bigint; error: RelayErrorRecord };

export type MarkRelayRequestsMinedParameters = { txHash: string; blockNumber: bigint; results: readonly RelayResult[] };

/**
 * Records the receipt of a submitted transaction: each request becomes `mined` with its outputs,
 * or `failed` with its revert (a batch skips requests that revert). Idempotent: requests no
 * longer `submitted` under `txHash` are left alone and not returned.
 */
export async function markRelayRequestsMined(db: Db, parameters: MarkRelayRequestsMinedParameters): Promise<RelayRequest[]> {
  const results = parameters.results.map((result) =>
    "error" in result
      ? { id: result.id.toString(), outputs: null, error: result.error }
      : { id: result.id.toString(), outputs: result.outputs ?? null, error: null },
  );
  const { rows } = await db.query<OutboxRow>(
    `update outbox o
        set status = case when r.error is null then 'mined' else 'failed' end,
            block_number = $2, outputs = r.outputs, error = r.error,
            finished_at = now(), updated_at = now()
       from jsonb_to_recordset($3::jsonb) as r(id bigint, outputs jsonb, error jsonb)
      where o.id = r.id and o.status = 'submitted' and o.tx_hash = $1
     returning o.*`,
    [hash32(parameters.txHash), parameters.blockNumber, JSON.stringify(results)],
  );
  return rows.map(toRelayRequest).sort(byId);
}

export type FailRelayRequestsParameters = {
  workerId: string;
  failures: readonly { id: bigint; error: RelayErrorRecord; retryable: boolean }[];
};

/**
 * Releases requests the worker holds after a failure. A retryable failure with attempts left
 * keeps its status and runs again after `exp(min(attempts, 10))` seconds (2.7 s, 7.4 s, ...,
 * 6 h); any other becomes `failed`. The error is kept either way. Requests the worker no longer
 * holds are left alone and not returned (their new holder decides).
 */
export async function failRelayRequests(db: Db, parameters: FailRelayRequestsParameters): Promise<RelayRequest[]> {
  const failures = parameters.failures.map((failure) => ({ id: failure.id.toString(), error: failure.error, retryable: failure.retryable }));
  const { rows } = await db.query<OutboxRow>(
    `update outbox o
        set status = case when f.retryable and o.attempts < o.max_attempts then o.status else 'failed' end,
            run_at = case when f.retryable and o.attempts < o.max_attempts
                          then greatest(now(), o.run_at) + exp(least(o.attempts, 10)) * interval '1 second'
                          else o.run_at end,
            finished_at = case when f.retryable and o.attempts < o.max_attempts then null else now() end,
            error = f.error, locked_by = null, locked_at = null, updated_at = now()
       from jsonb_to_recordset($2::jsonb) as f(id bigint, error jsonb, retryable boolean)
      where o.id = f.id and o.locked_by = $1 and o.status in ('queued', 'signed')
     returning o.*`,
    [parameters.workerId, JSON.stringify(failures)],
  );
  return rows.map(toRelayRequest).sort(byId);
}

/** Gives held requests back untouched (shutdown): unlocked, the claim's attempt not counted. */
export async function releaseRelayRequests(db: Db, parameters: { ids: readonly bigint[]; workerId: string }): Promise<number> {
  const { rowCount } = await db.query(
    `update outbox set locked_by = null, locked_at = null, attempts = greatest(attempts - 1, 0), updated_at = now()
      where id = any($1::bigint[]) and locked_by = $2`,
    [parameters.ids, parameters.workerId],
  );
  return rowCount;
}

/**
 * Submitted requests with no receipt recorded yet, oldest first: after a restart the relay looks
 * up each transaction and records the receipt, or requeues requests whose transaction was lost.
 */
export async function findSubmittedRelayRequests(
  db: Db,
  parameters: { submittedBefore?: Date | undefined; limit?: number | undefined } = {},
): Promise<RelayRequest[]> {
  const { rows } = await db.query<OutboxRow>(
    `select * from outbox
      where status = 'submitted' and ($1::timestamptz is null or submitted_at < $1)
      order by submitted_at, id
      limit $2`,
    [parameters.submittedBefore ?? null, parameters.limit ?? 1000],
  );
  return rows.map(toRelayRequest);
}

/**
 * Puts submitted requests whose transaction `txHash` was dropped back to `signed`, due now, to be
 * submitted again (the forwarder's nonce stops a request from running twice). Notifies the relay.
 */
export async function requeueSubmittedRelayRequests(db: Db, parameters: { ids: readonly bigint[]; txHash: string }): Promise<RelayRequest[]> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<OutboxRow>(
      `update outbox set status = 'signed', tx_hash = null, submitted_at = null, run_at = now(), updated_at = now()
        where id = any($1::bigint[]) and status = 'submitted' and tx_hash = $2
       returning *`,
      [parameters.ids, hash32(parameters.txHash)],
    );
    if (rows.length > 0) await tx.query("select pg_notify($1, $2)", [OUTBOX_CHANNEL, "requeued"]);
    return rows.map(toRelayRequest).sort(byId);
  });
}

/**
 * Fails requests whose worker died holding them on their last attempt (a stale lock and no
 * attempts left): no claim would ever pick them up again.
 */
export async function expireExhaustedRelayRequests(db: Db, parameters: { staleLockMs: number }): Promise<RelayRequest[]> {
  const { rows } = await db.query<OutboxRow>(
    `update outbox
        set status = 'failed', finished_at = now(), locked_by = null, locked_at = null, updated_at = now(),
            error = jsonb_build_object('name', 'RelayAttemptsExhausted',
                                       'message', 'the worker holding the request stopped during its last attempt')
      where status in ('queued', 'signed') and attempts >= max_attempts
        and locked_at < now() - $1::double precision * interval '1 millisecond'
     returning *`,
    [parameters.staleLockMs],
  );
  return rows.map(toRelayRequest).sort(byId);
}

// ---------------------------------------------------------------------------------------------
// reads for the API

/** A member's request by id; null if it does not exist or belongs to another member. */
export async function getRelayRequest(db: Db, parameters: { memberId: bigint; id: bigint }): Promise<RelayRequest | null> {
  const { rows } = await db.query<OutboxRow>("select * from outbox where id = $1 and member_id = $2", [parameters.id, parameters.memberId]);
  return rows[0] ? toRelayRequest(rows[0]) : null;
}

/** A member's request by its idempotency key, or null. */
export async function getRelayRequestByIdempotencyKey(
  db: Db,
  parameters: { memberId: bigint; idempotencyKey: string },
): Promise<RelayRequest | null> {
  const { rows } = await db.query<OutboxRow>("select * from outbox where member_id = $1 and idempotency_key = $2", [
    parameters.memberId,
    parameters.idempotencyKey,
  ]);
  return rows[0] ? toRelayRequest(rows[0]) : null;
}

// ---------------------------------------------------------------------------------------------
// rows and values

type OutboxRow = {
  id: bigint;
  member_id: bigint;
  idempotency_key: string;
  request_hash: Buffer;
  kind: string;
  payload: unknown;
  from_address: string | null;
  to_address: string | null;
  value: string | null;
  gas: string | null;
  nonce: string | null;
  deadline: bigint | null;
  data: Buffer | null;
  signature: Buffer | null;
  status: RelayStatus;
  tx_hash: string | null;
  block_number: bigint | null;
  outputs: unknown;
  error: RelayErrorRecord | null;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  locked_by: string | null;
  locked_at: Date | null;
  submitted_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

function toRelayRequest(row: OutboxRow): RelayRequest {
  const forwardRequest: ForwardRequest | null =
    row.from_address === null
      ? null
      : {
          from: getAddress(row.from_address),
          to: getAddress(row.to_address!),
          value: BigInt(row.value!),
          gas: BigInt(row.gas!),
          nonce: BigInt(row.nonce!),
          deadline: row.deadline!,
          data: `0x${row.data!.toString("hex")}`,
        };
  return {
    id: row.id,
    memberId: row.member_id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind,
    payload: row.payload,
    forwardRequest,
    signature: row.signature ? `0x${row.signature.toString("hex")}` : null,
    status: row.status,
    txHash: row.tx_hash,
    blockNumber: row.block_number,
    outputs: row.outputs,
    error: row.error,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    lockedBy: row.locked_by,
    lockedAt: row.locked_at,
    submittedAt: row.submitted_at,
    finishedAt: row.finished_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const UINT256_MAX = 2n ** 256n - 1n;
const UINT48_MAX = 2n ** 48n - 1n;

/** `from, to, value, gas, nonce, deadline, data` as stored: lower-case addresses, decimal uints, bytes. */
function forwardRequestColumns(request: ForwardRequest): [string, string, string, string, string, bigint, Buffer] {
  for (const [name, address] of [["from", request.from], ["to", request.to]] as const) {
    if (!isAddress(address)) throw new RelayInvalidRequestError(`ForwardRequest.${name} is not an address`);
  }
  for (const [name, value, max] of [["value", request.value, UINT256_MAX], ["gas", request.gas, UINT256_MAX], ["nonce", request.nonce, UINT256_MAX], ["deadline", request.deadline, UINT48_MAX]] as const) {
    if (typeof value !== "bigint" || value < 0n || value > max) throw new RelayInvalidRequestError(`ForwardRequest.${name} is out of range`);
  }
  if (!isHexString(request.data) || request.data.length % 2 !== 0) throw new RelayInvalidRequestError("ForwardRequest.data is not 0x hex bytes");
  return [
    request.from.toLowerCase(),
    request.to.toLowerCase(),
    request.value.toString(),
    request.gas.toString(),
    request.nonce.toString(),
    request.deadline,
    Buffer.from(request.data.slice(2), "hex"),
  ];
}

function signatureBytes(signature: string): Buffer {
  if (!isHexString(signature, 65)) throw new RelayInvalidRequestError("The signature is not 65 bytes of 0x hex");
  return Buffer.from(signature.slice(2), "hex");
}

function hash32(txHash: string): string {
  if (!isHexString(txHash, 32)) throw new RelayInvalidRequestError("The transaction hash is not 32 bytes of 0x hex");
  return txHash.toLowerCase();
}

/** JSON with sorted keys and bigints as decimal strings: equal requests hash equally. */
function canonicalJson(value: unknown): string {
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(",")}}`;
}

function assertAll(rows: readonly OutboxRow[], ids: readonly bigint[], workerId: string, expected: string): void {
  if (rows.length === new Set(ids).size) return;
  const found = new Set(rows.map((row) => row.id));
  throw new RelayLockLostError(workerId, ids.filter((id) => !found.has(id)), expected);
}

async function inTransaction<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return "transaction" in db ? db.transaction(fn) : fn(db);
}

const byId = (a: RelayRequest, b: RelayRequest) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
