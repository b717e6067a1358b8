import { byId, inTransaction, toRequests, withCall, type OutboxRow } from "./rows";
import { OUTBOX_CHANNEL, type Db, type RelayErrorRecord, type RelayRequest, type RelayResult } from "./schema";
import { hash32 } from "./values";

/**
 * Where requests go after a worker held them: mined or failed from a receipt, failed or retried
 * after an error, back to queued (a call to sign again) or to signed (a transaction to send again).
 */

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
