import { getAddress } from "ethers";
import type { Queryable } from "../../db/database";
import type { Db, ForwardRequest, RelayErrorRecord, RelayRequest, RelayStatus } from "./schema";

/**
 * Every outbox column plus the columns of its call except its calldata, which can be large (a
 * coalesced mintBatch of 500 deliveries is 64 KB) and is shared by every request of the call:
 * `toRequests` reads it once per call.
 */
const CALL_COLUMNS = "c.from_address, c.to_address, c.value, c.gas, c.nonce, c.deadline, c.signature, c.custodial";
export const withCall = (source: string) => `select o.*, ${CALL_COLUMNS} from ${source} o left join relay_calls c on c.id = o.call_id`;

export type OutboxRow = {
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
export async function toRequests(db: Db, rows: OutboxRow[]): Promise<RelayRequest[]> {
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

/** Runs `fn` in a transaction of `db`, or straight on `db` when it is a transaction handle already. */
export async function inTransaction<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return "transaction" in db ? db.transaction(fn) : fn(db);
}

export const byId = (a: RelayRequest, b: RelayRequest) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
