import { toRequests, withCall, type OutboxRow } from "./rows";
import type { Db, RelayRequest } from "./schema";

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

/** Whether a member has a request under this idempotency key (a retried call answers from it). */
export async function hasRelayRequest(db: Db, parameters: { memberId: bigint; idempotencyKey: string }): Promise<boolean> {
  const { rows } = await db.query<{ id: bigint }>("select id from outbox where member_id = $1 and idempotency_key = $2", [
    parameters.memberId,
    parameters.idempotencyKey,
  ]);
  return rows.length > 0;
}

/**
 * Whether an earlier request of the same member is signed or submitted: a request the contract
 * refuses now may only be waiting for it (an offer after its mint).
 */
export async function hasEarlierLiveRequest(db: Db, parameters: { memberId: bigint; id: bigint }): Promise<boolean> {
  const { rows } = await db.query(
    "select 1 from outbox where member_id = $1 and id < $2 and status in ('signed', 'submitted') limit 1",
    [parameters.memberId, parameters.id],
  );
  return rows.length > 0;
}
