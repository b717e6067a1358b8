import { byId, toRequests, withCall, type OutboxRow } from "./rows";
import type { Db, RelayRequest } from "./schema";

/**
 * A worker's hold on requests, after Graphile Worker's `getJobs`: claimed in one statement with
 * `for update skip locked`, released when the worker gives them back, freed from runs that died.
 */

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
