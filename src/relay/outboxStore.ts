import { createHash } from "node:crypto";
import { getAddress, isAddress, isHexString } from "ethers";
import { sqlState, type Database, type Queryable } from "../db/database";
import { canonicalJson } from "../encoding/canonicalJson";
import { RelayDuplicateSignedRequestError, RelayIdempotencyConflictError, RelayInvalidRequestError, RelayLockLostError } from "./errors";

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

type Db = Database | Queryable;

/**
 * Every outbox column plus the columns of its call except its calldata, which can be large (a
 * coalesced mintBatch of 500 deliveries is 64 KB) and is shared by every request of the call:
 * `toRequests` reads it once per call.
 */
const CALL_COLUMNS = "c.from_address, c.to_address, c.value, c.gas, c.nonce, c.deadline, c.signature, c.custodial";
const withCall = (source: string) => `select o.*, ${CALL_COLUMNS} from ${source} o left join relay_calls c on c.id = o.call_id`;

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
  /**
   * With `signed`: refuse it if a request not failed already carries a self-signed call of the
   * same (from, nonce) under another key (RelayDuplicateSignedRequestError). The HTTP intake asks
   * for this; the forwarder runs a signature once, so the first request is the one to follow.
   */
  refuseDuplicateSignature?: boolean | undefined;
};

export type EnqueueRelayRequestReturnType = { request: RelayRequest; created: boolean };

/**
 * Records a request, or returns the one already recorded under the same member and idempotency
 * key (`created: false`). Notifies `OUTBOX_CHANNEL` on commit when it creates one.
 *
 * @throws {RelayIdempotencyConflictError} the key was used for a different request.
 * @throws {RelayDuplicateSignedRequestError} with `refuseDuplicateSignature`, a live request already carries the same signed (from, nonce).
 */
export async function enqueueRelayRequest(db: Db, parameters: EnqueueRelayRequestParameters): Promise<EnqueueRelayRequestReturnType> {
  const { memberId, idempotencyKey, kind, payload, signed } = parameters;
  checkKey(memberId, idempotencyKey);
  const call = signed ? callColumns(signed.forwardRequest, signed.signature) : null;
  const requestHash = hashRequest(kind, payload, signed);

  return inTransaction(db, async (tx) => {
    let callId: bigint | null = null;
    if (call) {
      if (parameters.refuseDuplicateSignature) await refuseDuplicateSignedRequest(tx, { from: call[0] as string, nonce: call[4] as string, memberId, idempotencyKey });
      const inserted = await tx.query<{ id: bigint }>(
        `insert into relay_calls (from_address, to_address, value, gas, nonce, deadline, data, signature, custodial)
         values ($1, $2, $3, $4, $5, $6, $7, $8, false) returning id`,
        call,
      );
      callId = inserted.rows[0]!.id;
    }
    const inserted = await tx.query<OutboxRow>(
      `with inserted as (
         insert into outbox (member_id, idempotency_key, request_hash, kind, payload, max_attempts, status, call_id, call_offset, call_items)
         values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $9 + 1)
         on conflict (member_id, idempotency_key) do nothing
         returning *)
       ${withCall("inserted")}`,
      [memberId, idempotencyKey, requestHash, kind, JSON.stringify(payload), parameters.maxAttempts ?? 10, signed ? "signed" : "queued", callId, callId === null ? null : 0],
    );
    if (inserted.rows[0]) {
      await tx.query("select pg_notify($1, $2)", [OUTBOX_CHANNEL, inserted.rows[0].id.toString()]);
      return { request: (await toRequests(tx, inserted.rows))[0]!, created: true };
    }
    // Under READ COMMITTED the conflicting row is committed by now (the insert waited for it).
    if (callId !== null) await tx.query("delete from relay_calls where id = $1", [callId]);
    const existing = await tx.query<OutboxRow>(`${withCall("outbox")} where o.member_id = $1 and o.idempotency_key = $2`, [memberId, idempotencyKey]);
    const row = existing.rows[0]!;
    if (!row.request_hash.equals(requestHash)) throw new RelayIdempotencyConflictError(memberId, idempotencyKey, row.id);
    return { request: (await toRequests(tx, [row]))[0]!, created: false };
  });
}

/**
 * One live request per self-signed (from, nonce): the forwarder executes a signature once, so a
 * second request for it (another idempotency key) would report that one execution as its own.
 * Taken under a per-signer transaction lock, so two submissions at once cannot both pass; a retry
 * of the first request's own key is not a duplicate (it is answered from the outbox), and a failed
 * request does not hold its nonce.
 */
async function refuseDuplicateSignedRequest(tx: Queryable, call: { from: string; nonce: string; memberId: bigint; idempotencyKey: string }): Promise<void> {
  await tx.query("select pg_advisory_xact_lock(hashtextextended($1, 0))", [`firstmile relay signer ${call.from}`]);
  const { rows } = await tx.query<{ id: bigint }>(
    `select o.id from relay_calls c join outbox o on o.call_id = c.id
      where c.from_address = $1 and c.nonce = $2 and not c.custodial and o.status <> 'failed'
        and not (o.member_id = $3 and o.idempotency_key = $4)
      order by o.id limit 1`,
    [call.from, call.nonce, call.memberId, call.idempotencyKey],
  );
  if (rows[0]) throw new RelayDuplicateSignedRequestError(getAddress(call.from), BigInt(call.nonce), rows[0].id);
}

export type EnqueueRelayRequestsItem = Omit<EnqueueRelayRequestParameters, "signed">;
export type EnqueueRelayRequestsReturnType = Array<EnqueueRelayRequestReturnType | { error: RelayIdempotencyConflictError | RelayInvalidRequestError }>;

/**
 * `enqueueRelayRequest` for many unsigned requests in one transaction and two statements (group
 * commit: the HTTP layer collects the requests that arrive together). One result per item, in
 * order: the request, or the error that item alone gets (a reused key for a different request).
 * One notification on commit if any request was created, unless they are inserted claimed (`lockFor`).
 */
export async function enqueueRelayRequests(
  db: Db,
  items: readonly EnqueueRelayRequestsItem[],
  options: {
    /**
     * Insert the new rows already claimed by this worker (locked, one attempt counted), to hand
     * them to it in memory instead of through a claim: one write per request less. Rows of a worker
     * that died are released at its next start, or when its lock goes stale.
     */
    lockFor?: string | undefined;
  } = {},
): Promise<EnqueueRelayRequestsReturnType> {
  const results: EnqueueRelayRequestsReturnType = new Array(items.length);
  const valid: { index: number; row: Record<string, unknown>; hash: Buffer }[] = [];
  items.forEach((item, index) => {
    try {
      checkKey(item.memberId, item.idempotencyKey);
      const hash = hashRequest(item.kind, item.payload, undefined);
      valid.push({
        index,
        hash,
        row: {
          member_id: item.memberId.toString(),
          idempotency_key: item.idempotencyKey,
          request_hash: hash.toString("hex"),
          kind: item.kind,
          payload: item.payload,
          max_attempts: item.maxAttempts ?? 10,
        },
      });
    } catch (error) {
      results[index] = { error: error as RelayInvalidRequestError };
    }
  });
  if (valid.length === 0) return results;

  // One statement, so one implicit transaction: the rows and the notification commit together.
  // Rows inserted already claimed need no notification (no other worker may take them), and an
  // insert reads back only what the database chose: the id and the time (every default is now()).
  const lockFor = options.lockFor ?? null;
  const tx = db;
  {
    const inserted = await tx.query<IntakeRow>(
      `with inserted as (
         insert into outbox (member_id, idempotency_key, request_hash, kind, payload, max_attempts, locked_by, locked_at, attempts)
         select r.member_id, r.idempotency_key, decode(r.request_hash, 'hex'), r.kind, r.payload, r.max_attempts,
                $2::text, case when $2::text is null then null else now() end, case when $2::text is null then 0 else 1 end
           from jsonb_array_elements($1::jsonb) with ordinality as e(item, ord),
                jsonb_to_record(e.item) as r(member_id bigint, idempotency_key text, request_hash text, kind text, payload jsonb, max_attempts integer)
          order by e.ord
         on conflict (member_id, idempotency_key) do nothing
         returning id, member_id, idempotency_key, created_at
       )${lockFor === null ? `, notified as materialized (select pg_notify($3, 'enqueued') where exists (select 1 from inserted))` : ""}
       select i.* from inserted i${lockFor === null ? " left join notified on true" : ""}`,
      [JSON.stringify(valid.map((item) => item.row)), lockFor, ...(lockFor === null ? [OUTBOX_CHANNEL] : [])],
    );
    const keyOf = (memberId: bigint | string, key: string) => `${memberId}\u0000${key}`;
    const created = new Map(inserted.rows.map((row) => [keyOf(row.member_id, row.idempotency_key), row]));
    const missing = valid.filter((item) => !created.has(keyOf(item.row.member_id as string, item.row.idempotency_key as string)));
    const existing = new Map<string, OutboxRow>();
    if (missing.length > 0) {
      const { rows } = await tx.query<OutboxRow>(
        `${withCall("outbox")}
          join jsonb_to_recordset($1::jsonb) as k(member_id bigint, idempotency_key text)
            on o.member_id = k.member_id and o.idempotency_key = k.idempotency_key`,
        [JSON.stringify(missing.map((item) => ({ member_id: item.row.member_id, idempotency_key: item.row.idempotency_key })))],
      );
      for (const row of rows) existing.set(keyOf(row.member_id, row.idempotency_key), row);
    }
    // New rows are what was just sent plus the id and the time; the first item with a key sent it.
    const first = new Map<string, (typeof valid)[number]>();
    for (const item of valid) {
      const key = keyOf(item.row.member_id as string, item.row.idempotency_key as string);
      if (!first.has(key)) first.set(key, item);
    }
    const newRequests = inserted.rows.map((row) => newRequest(row, items[first.get(keyOf(row.member_id, row.idempotency_key))!.index]!, lockFor));
    const requests = new Map([...newRequests, ...(await toRequests(tx, [...existing.values()]))].map((request) => [request.id, request]));
    const handedOut = new Set<string>();
    for (const item of valid) {
      const key = keyOf(item.row.member_id as string, item.row.idempotency_key as string);
      const fresh = created.get(key);
      if (fresh && !handedOut.has(key)) {
        // The first item with a key created the row; a later item with the same key in the same batch is a retry.
        handedOut.add(key);
        results[item.index] = { request: requests.get(fresh.id)!, created: true };
        continue;
      }
      const row = fresh ? { ...fresh, request_hash: first.get(key)!.hash } : existing.get(key)!;
      results[item.index] = row.request_hash.equals(item.hash)
        ? { request: requests.get(row.id)!, created: false }
        : { error: new RelayIdempotencyConflictError(row.member_id, row.idempotency_key, row.id) };
    }
    return results;
  }
}

/** What the intake insert reads back of a new row. */
type IntakeRow = { id: bigint; member_id: bigint; idempotency_key: string; created_at: Date };

/** A row just inserted, as `toRelayRequest` would read it back (the column defaults are known). */
function newRequest(row: IntakeRow, item: EnqueueRelayRequestsItem, lockFor: string | null): RelayRequest {
  return {
    id: row.id,
    memberId: row.member_id,
    idempotencyKey: row.idempotency_key,
    kind: item.kind,
    payload: item.payload,
    forwardRequest: null,
    signature: null,
    callId: null,
    callOffset: null,
    callItems: null,
    custodial: null,
    status: "queued",
    txHash: null,
    blockNumber: null,
    outputs: null,
    error: null,
    attempts: lockFor === null ? 0 : 1,
    maxAttempts: item.maxAttempts ?? 10,
    runAt: row.created_at,
    lockedBy: lockFor,
    lockedAt: lockFor === null ? null : row.created_at,
    submittedAt: null,
    finishedAt: null,
    createdAt: row.created_at,
    updatedAt: row.created_at,
  };
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
 * attempt. Concurrent workers never claim the same row (`for update skip locked`). A claimed
 * signed request brings the other requests of its call along (a call is submitted whole), even
 * beyond `limit`.
 */
export async function claimRelayRequests(db: Db, parameters: ClaimRelayRequestsParameters): Promise<RelayRequest[]> {
  // Two statements, each atomic, not one transaction: on the embedded engine a transaction open
  // across round trips holds up every other statement. Between the two another worker may take a
  // sibling, as it could between the statements of a READ COMMITTED transaction.
  const { rows } = await db.query<OutboxRow>(
    // Due rows from their two indexes (free; held, oldest lock first), each locked as it is read,
    // skipping rows another worker is locking, so that concurrent claims share the due rows out.
    // A row that changed meanwhile is checked again by the lock (READ COMMITTED re-reads it).
    `with free as (
       select id, run_at from outbox
        where status in ('queued', 'signed') and locked_by is null
          and run_at <= now() and attempts < max_attempts
        order by run_at, id
        limit $2
        for update skip locked
     ), stale as (
       select id, run_at from outbox
        where status in ('queued', 'signed') and locked_by is not null
          and locked_at < now() - $3::double precision * interval '1 millisecond'
          and run_at <= now() and attempts < max_attempts
        order by locked_at, id
        limit $2
        for update skip locked
     ), due as (
       select id from (select * from free union all select * from stale) d
        order by run_at, id
        limit $2
     ), claimed as (
       update outbox o
          set locked_by = $1, locked_at = now(), attempts = o.attempts + 1, updated_at = now()
         from due
        where o.id = due.id
       returning o.*)
     ${withCall("claimed")}`,
    [parameters.workerId, parameters.limit, parameters.staleLockMs],
  );
  try {
    const callIds = [...new Set(rows.filter((row) => row.status === "signed" && row.call_id !== null).map((row) => row.call_id!))];
    if (callIds.length > 0) {
      const siblings = await db.query<OutboxRow>(
        `with claimed as (
           update outbox o
              set locked_by = $1, locked_at = now(), attempts = o.attempts + 1, updated_at = now()
            where o.call_id = any($2::bigint[]) and o.status = 'signed' and o.locked_by is distinct from $1
              and (o.locked_at is null or o.locked_at < now() - $3::double precision * interval '1 millisecond')
           returning o.*)
         ${withCall("claimed")}`,
        [parameters.workerId, callIds, parameters.staleLockMs],
      );
      rows.push(...siblings.rows);
    }
    return (await toRequests(db, rows)).sort(byId);
  } catch (error) {
    // The caller never learns of what the first statement locked: let it go now, not when the lock goes stale.
    if (rows.length > 0) await releaseRelayRequests(db, { ids: rows.map((row) => row.id), workerId: parameters.workerId }).catch(() => {});
    throw error;
  }
}

/** A signed call and the requests it carries, as the worker records it. */
export type SignedRelayCall = {
  forwardRequest: ForwardRequest;
  signature: string;
  custodial: boolean;
  /** The requests it carries; `offset`/`items` place each one's items in the call (default 0 / 1). */
  requests: ReadonlyArray<{ id: bigint; offset?: number | undefined; items?: number | undefined }>;
};

/** A transaction the worker has signed and is about to broadcast, and the requests it carries. */
export type RelayTransactionRecord = {
  txHash: string;
  /** Calls signed for it in this pass: stored here, with the requests they carry. */
  calls: readonly SignedRelayCall[];
  /** Signed requests the worker holds whose call is already stored (submitted again). */
  resumed: readonly bigint[];
};

/**
 * Records transactions the worker has signed, before it broadcasts them: stores the calls signed
 * for them, and every request they carry becomes `submitted` under its transaction's hash and is
 * released. One statement, so all or none without a transaction held open across round trips
 * (on the embedded engine every other statement waits while one is open). Returns how many
 * requests it recorded.
 *
 * @throws {RelayLockLostError} the worker does not hold every request, or one is past signing.
 */
export async function recordRelayTransactions(db: Db, parameters: { workerId: string; transactions: readonly RelayTransactionRecord[] }): Promise<number> {
  const calls = parameters.transactions.flatMap((transaction) => transaction.calls);
  const columns = calls.map((call) => callColumns(call.forwardRequest, call.signature));
  const requests: Array<{ id: string; call: number; offset: number; items: number; txHash: string }> = [];
  let call = 0;
  for (const transaction of parameters.transactions) {
    const txHash = hash32(transaction.txHash);
    for (const signed of transaction.calls) {
      call += 1;
      for (const request of signed.requests) requests.push({ id: request.id.toString(), call, offset: request.offset ?? 0, items: request.items ?? 1, txHash });
    }
    // Call 0 is none of the new calls: the request keeps the call it has.
    for (const id of transaction.resumed) requests.push({ id: id.toString(), call: 0, offset: 0, items: 1, txHash });
  }
  if (requests.length === 0) return 0;
  try {
    const { rows } = await db.query<{ recorded: number }>(
      // New calls take their ids from the identity's sequence first, so that the requests can be
      // pointed at them by position (`with ordinality`) in the same statement.
      `with p as materialized (
         select nextval(pg_get_serial_sequence('relay_calls', 'id')) as id, p.*
           from unnest($2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::bigint[], $8::text[], $9::text[], $10::boolean[])
                with ordinality as p(from_address, to_address, value, gas, nonce, deadline, data, signature, custodial, ord)
       ), stored as (
         insert into relay_calls (id, from_address, to_address, value, gas, nonce, deadline, data, signature, custodial)
         overriding system value
         select id, from_address, to_address, value, gas, nonce, deadline, decode(data, 'hex'), decode(signature, 'hex'), custodial from p
       ), r as (
         select r.*, p.id as new_call_id
           from unnest($11::bigint[], $12::bigint[], $13::integer[], $14::integer[], $15::text[]) as r(id, call, call_offset, call_items, tx_hash)
           left join p on p.ord = r.call
       ), updated as (
         update outbox o
            set status = 'submitted', tx_hash = r.tx_hash, submitted_at = now(),
                call_id = coalesce(r.new_call_id, o.call_id),
                call_offset = case when r.new_call_id is null then o.call_offset else r.call_offset end,
                call_items = case when r.new_call_id is null then o.call_items else r.call_items end,
                error = null, locked_by = null, locked_at = null, updated_at = now()
           from r
          where o.id = any($11::bigint[]) and o.id = r.id and o.locked_by = $1
            and (o.status = 'signed' or (o.status = 'queued' and r.new_call_id is not null))
         returning o.id)
       select relay_expect_held($1, $11::bigint[], array(select id from updated), 'as queued or signed requests') as recorded`,
      [
        parameters.workerId,
        ...[0, 1, 2, 3, 4].map((index) => columns.map((values) => values[index] as string)),
        columns.map(([, , , , , deadline]) => deadline.toString()),
        columns.map(([, , , , , , data]) => data.toString("hex")),
        columns.map(([, , , , , , , signature]) => signature.toString("hex")),
        calls.map((signed) => signed.custodial),
        requests.map((request) => request.id),
        requests.map((request) => request.call),
        requests.map((request) => request.offset),
        requests.map((request) => request.items),
        requests.map((request) => request.txHash),
      ],
    );
    return rows[0]!.recorded;
  } catch (error) {
    if (sqlState(error) !== HELD_CHECK_FAILED) throw error;
    const detail = String((error as { detail?: unknown }).detail ?? "");
    throw new RelayLockLostError(parameters.workerId, detail === "" ? [] : detail.split(",").map(BigInt), "as queued or signed requests");
  }
}

/** Raised by `relay_expect_held` (migration 0008). */
const HELD_CHECK_FAILED = "RL001";

/** One request's outcome in a mined transaction: its decoded outputs, or why it reverted. */
export type RelayResult = { id: bigint; outputs: unknown } | { id: bigint; error: RelayErrorRecord };

export type MarkRelayRequestsMinedParameters = {
  /** The transaction the requests were recorded as submitted in. */
  txHash: string;
  /** The transaction that executed them, if another (an earlier submission of the same call). */
  minedTxHash?: string | undefined;
  blockNumber: bigint;
  results: readonly RelayResult[];
  /** Return nothing (the worker does not read the rows back). */
  quiet?: boolean | undefined;
};

/**
 * Records the receipt of a submitted transaction: each request becomes `mined` with its outputs,
 * or `failed` with its revert (a batch skips requests that revert). Idempotent: requests no
 * longer `submitted` under `txHash` are left alone and not returned.
 */
export async function markRelayRequestsMined(db: Db, parameters: MarkRelayRequestsMinedParameters): Promise<RelayRequest[]> {
  const update = `update outbox o
          set status = case when r.error is null then 'mined' else 'failed' end,
              tx_hash = $4, block_number = $2, outputs = r.outputs, error = r.error,
              finished_at = now(), updated_at = now()
         from jsonb_to_recordset($3::jsonb) as r(id bigint, outputs jsonb, error jsonb)
        where o.id = any($5::bigint[]) and o.id = r.id and o.status = 'submitted' and o.tx_hash = $1`;
  const { rows } = await db.query<OutboxRow>(
    parameters.quiet ? `${update} returning o.id` : `with updated as (${update} returning o.*) ${withCall("updated")}`,
    [hash32(parameters.txHash), parameters.blockNumber, resultsJson(parameters.results), hash32(parameters.minedTxHash ?? parameters.txHash), idsOf(parameters.results)],
  );
  return parameters.quiet ? [] : (await toRequests(db, rows)).sort(byId);
}

/**
 * `markRelayRequestsMined` for the receipts of several transactions (a block's) in one statement.
 * Returns how many requests it recorded.
 */
export async function markRelayTransactionsMined(db: Db, transactions: readonly MarkRelayRequestsMinedParameters[]): Promise<number> {
  const rows = transactions.flatMap((transaction) =>
    transaction.results.map((result) => ({
      id: result.id.toString(),
      tx_hash: hash32(transaction.txHash),
      mined_tx_hash: hash32(transaction.minedTxHash ?? transaction.txHash),
      block_number: transaction.blockNumber.toString(),
      outputs: "error" in result ? null : (result.outputs ?? null),
      error: "error" in result ? result.error : null,
    })),
  );
  if (rows.length === 0) return 0;
  const { rowCount } = await db.query(
    `update outbox o
        set status = case when r.error is null then 'mined' else 'failed' end,
            tx_hash = r.mined_tx_hash, block_number = r.block_number, outputs = r.outputs, error = r.error,
            finished_at = now(), updated_at = now()
       from jsonb_to_recordset($1::jsonb) as r(id bigint, tx_hash text, mined_tx_hash text, block_number bigint, outputs jsonb, error jsonb)
      where o.id = any($2::bigint[]) and o.id = r.id and o.status = 'submitted' and o.tx_hash = r.tx_hash`,
    [JSON.stringify(rows), rows.map((row) => row.id)],
  );
  return rowCount;
}

/**
 * Records the outcome of signed requests the worker holds whose call turned out to be executed
 * already (found on chain by the forwarder's event before it was submitted again).
 */
export async function markHeldRelayRequestsMined(
  db: Db,
  parameters: { workerId: string; txHash: string; blockNumber: bigint; results: readonly RelayResult[] },
): Promise<RelayRequest[]> {
  const { rows } = await db.query<OutboxRow>(
    `with updated as (
       update outbox o
          set status = case when r.error is null then 'mined' else 'failed' end,
              tx_hash = $2, block_number = $3, outputs = r.outputs, error = r.error,
              submitted_at = coalesce(o.submitted_at, now()), locked_by = null, locked_at = null,
              finished_at = now(), updated_at = now()
         from jsonb_to_recordset($4::jsonb) as r(id bigint, outputs jsonb, error jsonb)
        where o.id = any($5::bigint[]) and o.id = r.id and o.status = 'signed' and o.locked_by = $1
       returning o.*)
     ${withCall("updated")}`,
    [parameters.workerId, hash32(parameters.txHash), parameters.blockNumber, resultsJson(parameters.results), idsOf(parameters.results)],
  );
  return (await toRequests(db, rows)).sort(byId);
}

export type FailRelayRequestsParameters = {
  workerId: string;
  failures: readonly {
    id: bigint;
    error: RelayErrorRecord;
    retryable: boolean;
    /** Run again after this long instead of the exponential backoff (a request waiting for another). */
    delayMs?: number | undefined;
  }[];
};

/**
 * Releases requests the worker holds after a failure. A retryable failure with attempts left
 * keeps its status and runs again after `exp(min(attempts, 10))` seconds (2.7 s, 7.4 s, ...,
 * 6 h), or after `delayMs`; any other becomes `failed`. The error is kept either way. Requests
 * the worker no longer holds are left alone and not returned (their new holder decides).
 */
export async function failRelayRequests(db: Db, parameters: FailRelayRequestsParameters): Promise<RelayRequest[]> {
  const failures = parameters.failures.map((failure) => ({
    id: failure.id.toString(),
    error: failure.error,
    retryable: failure.retryable,
    delay_ms: failure.delayMs ?? null,
  }));
  const { rows } = await db.query<OutboxRow>(
    `with updated as (
       update outbox o
          set status = case when f.retryable and o.attempts < o.max_attempts then o.status else 'failed' end,
              run_at = case when not (f.retryable and o.attempts < o.max_attempts) then o.run_at
                            when f.delay_ms is not null then now() + f.delay_ms * interval '1 millisecond'
                            else greatest(now(), o.run_at) + exp(least(o.attempts, 10)) * interval '1 second' end,
              finished_at = case when f.retryable and o.attempts < o.max_attempts then null else now() end,
              error = f.error, locked_by = null, locked_at = null, updated_at = now()
         from jsonb_to_recordset($2::jsonb) as f(id bigint, error jsonb, retryable boolean, delay_ms double precision)
        where o.id = any($3::bigint[]) and o.id = f.id and o.locked_by = $1 and o.status in ('queued', 'signed')
       returning o.*)
     ${withCall("updated")}`,
    [parameters.workerId, JSON.stringify(failures), failures.map((failure) => failure.id)],
  );
  return (await toRequests(db, rows)).sort(byId);
}

/**
 * Sends signed requests the worker holds back to `queued`, their call dropped, to be signed
 * again: only for custodial calls that can never execute (their deadline passed unexecuted).
 */
export async function unsignRelayRequests(db: Db, parameters: { workerId: string; ids: readonly bigint[]; error: RelayErrorRecord }): Promise<RelayRequest[]> {
  const { rows } = await db.query<OutboxRow>(
    `with updated as (
       update outbox
          set status = 'queued', call_id = null, call_offset = null, call_items = null, error = $3::jsonb,
              run_at = now(), locked_by = null, locked_at = null, updated_at = now()
        where id = any($1::bigint[]) and locked_by = $2 and status = 'signed'
       returning *)
     ${withCall("updated")}`,
    [parameters.ids, parameters.workerId, JSON.stringify(parameters.error)],
  );
  if (rows.length > 0) await db.query("select pg_notify($1, $2)", [OUTBOX_CHANNEL, "unsigned"]);
  return (await toRequests(db, rows)).sort(byId);
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
 * Releases every lock held by earlier runs of one relay instance (worker ids `<prefix><run>`),
 * at start: their process is gone, so their requests need not wait for the stale-lock timeout.
 */
export async function releaseRelayRequestsOfPreviousRuns(db: Db, parameters: { workerIdPrefix: string; currentWorkerId: string }): Promise<number> {
  const { rowCount } = await db.query(
    `update outbox set locked_by = null, locked_at = null, updated_at = now()
      where starts_with(locked_by, $1) and locked_by <> $2`,
    [parameters.workerIdPrefix, parameters.currentWorkerId],
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
    `${withCall("outbox")}
      where o.status = 'submitted' and ($1::timestamptz is null or o.submitted_at < $1)
      order by o.submitted_at, o.id
      limit $2`,
    [parameters.submittedBefore ?? null, parameters.limit ?? 1000],
  );
  return toRequests(db, rows);
}

/**
 * Puts submitted requests whose transaction `txHash` was dropped (or reverted as a whole) back to
 * `signed`, due now or after `delayMs`, to be submitted again (the forwarder's nonce stops a
 * request from running twice). Notifies the relay.
 */
export async function requeueSubmittedRelayRequests(
  db: Db,
  parameters: { ids: readonly bigint[]; txHash: string; error?: RelayErrorRecord | undefined; delayMs?: number | undefined },
): Promise<RelayRequest[]> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<OutboxRow>(
      `with updated as (
         update outbox
            set status = 'signed', tx_hash = null, submitted_at = null,
                run_at = now() + $3::double precision * interval '1 millisecond',
                error = coalesce($4::jsonb, error), updated_at = now()
          where id = any($1::bigint[]) and status = 'submitted' and tx_hash = $2
         returning *)
       ${withCall("updated")}`,
      [parameters.ids, hash32(parameters.txHash), parameters.delayMs ?? 0, parameters.error ? JSON.stringify(parameters.error) : null],
    );
    if (rows.length > 0) await tx.query("select pg_notify($1, $2)", [OUTBOX_CHANNEL, "requeued"]);
    return (await toRequests(tx, rows)).sort(byId);
  });
}

/**
 * Fails requests whose worker died holding them on their last attempt (a stale lock and no
 * attempts left): no claim would ever pick them up again.
 */
export async function expireExhaustedRelayRequests(db: Db, parameters: { staleLockMs: number }): Promise<RelayRequest[]> {
  const { rows } = await db.query<OutboxRow>(
    `with updated as (
       update outbox
          set status = 'failed', finished_at = now(), locked_by = null, locked_at = null, updated_at = now(),
              error = jsonb_build_object('name', 'RelayAttemptsExhausted',
                                         'message', 'the worker holding the request stopped during its last attempt')
        where status in ('queued', 'signed') and attempts >= max_attempts
          and locked_at < now() - $1::double precision * interval '1 millisecond'
       returning *)
     ${withCall("updated")}`,
    [parameters.staleLockMs],
  );
  return (await toRequests(db, rows)).sort(byId);
}

/**
 * The highest forwarder nonce among an account's live calls (carrying a signed or submitted
 * request), or null: the relay hands out the next one above it and the chain's.
 */
export async function highestLiveNonce(db: Db, parameters: { account: string }): Promise<bigint | null> {
  const { rows } = await db.query<{ nonce: string | null }>(
    `select max(c.nonce)::text as nonce from relay_calls c
      where c.from_address = $1 and exists (select 1 from outbox o where o.call_id = c.id and o.status in ('signed', 'submitted'))`,
    [parameters.account.toLowerCase()],
  );
  return rows[0]?.nonce == null ? null : BigInt(rows[0].nonce);
}

/** Whether a live call of `account` (carrying a signed or submitted request) has forwarder nonce `nonce`. */
export async function hasLiveCall(db: Db, parameters: { account: string; nonce: bigint }): Promise<boolean> {
  const { rows } = await db.query(
    `select 1 from relay_calls c
      where c.from_address = $1 and c.nonce = $2
        and exists (select 1 from outbox o where o.call_id = c.id and o.status in ('signed', 'submitted'))
      limit 1`,
    [parameters.account.toLowerCase(), parameters.nonce.toString()],
  );
  return rows.length > 0;
}

/** Requests not finished yet, by status: the relay backlog `/readyz` reports. */
export async function countRelayBacklog(db: Db): Promise<Record<"queued" | "signed" | "submitted", number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    "select status, count(*)::int as n from outbox where status in ('queued', 'signed', 'submitted') group by status",
  );
  const counts = { queued: 0, signed: 0, submitted: 0 };
  for (const row of rows) counts[row.status as keyof typeof counts] = row.n;
  return counts;
}

// ---------------------------------------------------------------------------------------------
// reads for the API

/** A member's request by id; null if it does not exist or belongs to another member. */
export async function getRelayRequest(db: Db, parameters: { memberId: bigint; id: bigint }): Promise<RelayRequest | null> {
  const { rows } = await db.query<OutboxRow>(`${withCall("outbox")} where o.id = $1 and o.member_id = $2`, [parameters.id, parameters.memberId]);
  return rows[0] ? (await toRequests(db, rows))[0]! : null;
}

/** A member's request by its idempotency key, or null. */
export async function getRelayRequestByIdempotencyKey(
  db: Db,
  parameters: { memberId: bigint; idempotencyKey: string },
): Promise<RelayRequest | null> {
  const { rows } = await db.query<OutboxRow>(`${withCall("outbox")} where o.member_id = $1 and o.idempotency_key = $2`, [
    parameters.memberId,
    parameters.idempotencyKey,
  ]);
  return rows[0] ? (await toRequests(db, rows))[0]! : null;
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
  call_id: bigint | null;
  call_offset: number | null;
  call_items: number | null;
  from_address: string | null;
  to_address: string | null;
  value: string | null;
  gas: string | null;
  nonce: string | null;
  deadline: bigint | null;
  data: Buffer | null;
  signature: Buffer | null;
  custodial: boolean | null;
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

/** Rows as requests, with each distinct call's calldata read once. */
async function toRequests(db: Db, rows: OutboxRow[]): Promise<RelayRequest[]> {
  const callIds = [...new Set(rows.filter((row) => row.call_id !== null).map((row) => row.call_id!))];
  if (callIds.length > 0) {
    const { rows: calls } = await db.query<{ id: bigint; data: Buffer }>("select id, data from relay_calls where id = any($1::bigint[])", [callIds]);
    const data = new Map(calls.map((call) => [call.id, call.data]));
    for (const row of rows) if (row.call_id !== null) row.data = data.get(row.call_id) ?? null;
  }
  return rows.map(toRelayRequest);
}

function toRelayRequest(row: OutboxRow): RelayRequest {
  // Rows straight from a table without its call's columns have them undefined, not null.
  const forwardRequest: ForwardRequest | null =
    row.from_address == null
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
    callId: row.call_id,
    callOffset: row.call_offset,
    callItems: row.call_items,
    custodial: row.custodial ?? null,
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

function checkKey(memberId: bigint, idempotencyKey: string): void {
  if (memberId <= 0n) throw new RelayInvalidRequestError(`Not a member id: ${memberId}`);
  if (idempotencyKey.length < 1 || idempotencyKey.length > 255) throw new RelayInvalidRequestError("The idempotency key must be 1 to 255 characters");
}

function hashRequest(kind: string, payload: unknown, signed: { forwardRequest: ForwardRequest; signature: string } | undefined): Buffer {
  return createHash("sha256")
    .update(canonicalJson({ kind, payload, forwardRequest: signed?.forwardRequest ?? null, signature: signed?.signature.toLowerCase() ?? null }))
    .digest();
}

/** `from, to, value, gas, nonce, deadline, data, signature` as stored: lower-case addresses, decimal uints, bytes. */
function callColumns(request: ForwardRequest, signature: string): [string, string, string, string, string, bigint, Buffer, Buffer] {
  for (const [name, address] of [["from", request.from], ["to", request.to]] as const) {
    if (!isAddress(address)) throw new RelayInvalidRequestError(`ForwardRequest.${name} is not an address`);
  }
  for (const [name, value, max] of [["value", request.value, UINT256_MAX], ["gas", request.gas, UINT256_MAX], ["nonce", request.nonce, UINT256_MAX], ["deadline", request.deadline, UINT48_MAX]] as const) {
    if (typeof value !== "bigint" || value < 0n || value > max) throw new RelayInvalidRequestError(`ForwardRequest.${name} is out of range`);
  }
  if (!isHexString(request.data) || request.data.length % 2 !== 0) throw new RelayInvalidRequestError("ForwardRequest.data is not 0x hex bytes");
  if (!isHexString(signature, 65)) throw new RelayInvalidRequestError("The signature is not 65 bytes of 0x hex");
  return [
    request.from.toLowerCase(),
    request.to.toLowerCase(),
    request.value.toString(),
    request.gas.toString(),
    request.nonce.toString(),
    request.deadline,
    Buffer.from(request.data.slice(2), "hex"),
    Buffer.from(signature.slice(2), "hex"),
  ];
}

function hash32(txHash: string): string {
  if (!isHexString(txHash, 32)) throw new RelayInvalidRequestError("The transaction hash is not 32 bytes of 0x hex");
  return txHash.toLowerCase();
}

/**
 * The ids an update by a joined list of rows touches, also given as `o.id = any(...)`: the outbox
 * has no planner statistics on PGlite (no autovacuum), and without that condition the planner may
 * scan every due or submitted row once per listed row (seconds per call with a backlog).
 */
function idsOf(results: readonly RelayResult[]): string[] {
  return results.map((result) => result.id.toString());
}

function resultsJson(results: readonly RelayResult[]): string {
  return JSON.stringify(
    results.map((result) =>
      "error" in result
        ? { id: result.id.toString(), outputs: null, error: result.error }
        : { id: result.id.toString(), outputs: result.outputs ?? null, error: null },
    ),
  );
}

async function inTransaction<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return "transaction" in db ? db.transaction(fn) : fn(db);
}

const byId = (a: RelayRequest, b: RelayRequest) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
