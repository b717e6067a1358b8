import { getAddress } from "ethers";
import type { Queryable } from "../../db/database";
import { RelayDuplicateSignedRequestError, RelayIdempotencyConflictError, type RelayInvalidRequestError } from "../errors";
import { inTransaction, toRequests, withCall, type OutboxRow } from "./rows";
import { OUTBOX_CHANNEL, type Db, type ForwardRequest, type RelayRequest } from "./schema";
import { callColumns, checkKey, hashRequest } from "./values";

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
