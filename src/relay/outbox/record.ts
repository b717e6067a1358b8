import { sqlState } from "../../db/database";
import { RelayLockLostError } from "../errors";
import type { Db, ForwardRequest } from "./schema";
import { callColumns, hash32 } from "./values";

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
