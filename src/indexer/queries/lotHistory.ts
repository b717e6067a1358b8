import type { Queryable } from "../../db";
import { decodeCursor, encodeCursor, INT } from "./cursor";
import { pageSize } from "./limits";
import type { Page } from "./lots";

/** One event in a lot's life, with the head after it and the transaction that made it. */
export type LotEventView = {
  seq: number;
  /** minted, offered, cancelled, rejected, accepted, split, merged, transformed, derived, evidence. */
  kind: string;
  position: string;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  blockTime: string | null;
  head: string;
  /** The fields the head commits to (see docs/history-head.md), bigints as decimal strings. */
  fields: Record<string, unknown>;
};

export type GetLotHistoryParameters = { cursor?: string | undefined; limit?: number | undefined };

/**
 * A lot's events in order, keyset-paginated by sequence number; null if the lot is unknown.
 * With every page's `fields`, anyone can recompute the head (`computeHistoryHead`) and compare it
 * with the chain's `historyHead(lotId)`.
 */
export async function getLotHistory(q: Queryable, lotId: bigint, parameters: GetLotHistoryParameters = {}): Promise<Page<LotEventView> | null> {
  const limit = pageSize(parameters.limit);
  const after = parameters.cursor ? Number(decodeCursor(`history:${lotId}`, parameters.cursor, [INT])[0]) : -1;
  const { rows } = await q.query(
    `select l.lot_id, e.seq, e.kind, e.position, e.block_number, e.log_index, e.tx_hash, e.block_time, e.head, e.fields
       from lots l left join lateral (
         select * from lot_events e where e.lot_id = l.lot_id and e.seq > $2 order by e.seq limit $3
       ) e on true
      where l.lot_id = $1
      order by e.seq`,
    [lotId.toString(), after, limit + 1],
  );
  if (rows.length === 0) return null;
  const items: LotEventView[] = rows
    .filter((row) => row.seq !== null)
    .map((row) => ({
      seq: Number(row.seq),
      kind: String(row.kind),
      position: String(row.position),
      blockNumber: Number(row.block_number),
      logIndex: Number(row.log_index),
      txHash: String(row.tx_hash),
      blockTime: row.block_time ? (row.block_time as Date).toISOString() : null,
      head: String(row.head),
      fields: row.fields as Record<string, unknown>,
    }));
  const more = items.length > limit;
  const page = items.slice(0, limit);
  return { items: page, nextCursor: more ? encodeCursor(`history:${lotId}`, [page.at(-1)!.seq]) : null };
}

/** One event of a lot as stored, for readers that recompute and check (the consumer page). */
export type LotEventRecord = Omit<LotEventView, "position"> & { lotId: string };

/** A non-traced ingredient the transform that made a lot declared (`name`: bytes32 as emitted). */
export type LotIngredientRecord = { outputForm: number; grams: string; name: string };

/**
 * The declared ingredients of the given lots (no paging: the caller bounds how many lots it asks
 * for), each lot's in declaration order. Lots made without ingredients are absent.
 */
export async function getIngredientsOfLots(q: Queryable, lotIds: readonly string[]): Promise<Map<string, LotIngredientRecord[]>> {
  const { rows } = await q.query<{ lot_id: string; output_form: number; grams: string; name: string }>(
    `select lot_id::text as lot_id, output_form, grams::text as grams, name
       from lot_ingredients where lot_id = any($1::int8[]) order by lot_id, seq`,
    [lotIds],
  );
  const byLot = new Map<string, LotIngredientRecord[]>();
  for (const row of rows) {
    const list = byLot.get(row.lot_id) ?? [];
    list.push({ outputForm: Number(row.output_form), grams: row.grams, name: row.name });
    byLot.set(row.lot_id, list);
  }
  return byLot;
}

/**
 * Every event of the given lots (no paging: the caller bounds how many lots it asks for), by lot
 * and sequence number. A lot the read model does not know has no events here.
 */
export async function getEventsOfLots(q: Queryable, lotIds: readonly string[]): Promise<LotEventRecord[]> {
  const { rows } = await q.query<LotEventRow>(
    `select ${LOT_EVENT_COLUMNS}
       from lot_events where lot_id = any($1::int8[]) order by lot_id, seq`,
    [lotIds],
  );
  return rows.map(lotEventFromRow);
}

/** A `lot_events` row as the read model answers it. */
export type LotEventRow = { lot_id: string; seq: number; kind: string; block_number: string | number; log_index: number; tx_hash: string; block_time: Date | null; head: string; fields: Record<string, unknown> };

/** The columns of {@link LotEventRow}, for a select. */
export const LOT_EVENT_COLUMNS = "lot_id::text as lot_id, seq, kind, block_number, log_index, tx_hash, block_time, head, fields";

export function lotEventFromRow(row: LotEventRow): LotEventRecord {
  return {
    lotId: row.lot_id,
    seq: Number(row.seq),
    kind: row.kind,
    blockNumber: Number(row.block_number),
    logIndex: Number(row.log_index),
    txHash: row.tx_hash,
    blockTime: row.block_time ? new Date(row.block_time).toISOString() : null,
    head: row.head,
    fields: row.fields,
  };
}
