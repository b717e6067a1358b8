import type { Queryable, Row } from "../../db";
import { Commodity, type CommodityName } from "../../lots/forms";
import type { LotGenesis, LotStatus } from "../store/rows";
import { decodeCursor, encodeCursor, ID } from "./cursor";
import { fitsReadModelId, pageSize, QUERY_LIMITS } from "./limits";

export type AccountRef = { account: string; memberId: string };

/** A lot as the API shows it: ids and grams as decimal strings (lot ids exceed 2^53). */
export type LotView = {
  lotId: string;
  commodity: CommodityName | null;
  form: { id: number; name: string | null };
  grams: string;
  /** Measured quality in basis points of the weight (DRC for rubber, moisture for cocoa); 0 = not measured. */
  quality: number;
  status: LotStatus;
  custodian: AccountRef;
  /** While in transit: who it was offered to. */
  pendingReceiver: AccountRef | null;
  creator: AccountRef;
  genesis: LotGenesis;
  metadata: string;
  origin: string | null;
  head: string;
  eventCount: number;
  created: { position: string; block: number; txHash: string; at: string | null };
  consumedAt: string | null;
};

export type Page<T> = { items: T[]; nextCursor: string | null };

const COMMODITY_NAMES = new Map(Object.entries(Commodity).map(([name, id]) => [id as number, name as CommodityName]));

export function commodityName(id: number): CommodityName | null {
  return COMMODITY_NAMES.get(id) ?? null;
}

const LOT_COLUMNS = `l.lot_id, l.commodity, l.form, f.name as form_name, l.grams, l.quality, l.status, l.custodian, l.custodian_member,
  l.pending_receiver, l.pending_receiver_member, l.creator, l.creator_member, l.genesis, l.metadata, l.origin, l.head,
  l.event_count, l.created_position, l.created_block, l.created_tx, l.created_at, l.consumed_at`;

export function lotViewFromRow(row: Row): LotView {
  return {
    lotId: String(row.lot_id),
    commodity: commodityName(Number(row.commodity)),
    form: { id: Number(row.form), name: (row.form_name as string | null) ?? null },
    grams: String(row.grams),
    quality: Number(row.quality),
    status: row.status as LotStatus,
    custodian: { account: String(row.custodian), memberId: String(row.custodian_member) },
    pendingReceiver: row.pending_receiver ? { account: String(row.pending_receiver), memberId: String(row.pending_receiver_member) } : null,
    creator: { account: String(row.creator), memberId: String(row.creator_member) },
    genesis: row.genesis as LotGenesis,
    metadata: String(row.metadata),
    origin: (row.origin as string | null) ?? null,
    head: String(row.head),
    eventCount: Number(row.event_count),
    created: {
      position: String(row.created_position),
      block: Number(row.created_block),
      txHash: String(row.created_tx),
      at: row.created_at ? (row.created_at as Date).toISOString() : null,
    },
    consumedAt: row.consumed_at ? (row.consumed_at as Date).toISOString() : null,
  };
}

/**
 * SQL for one lot as a JSON object (alias `l` for lots, `f` for forms): for queries that return
 * many lots in one row, where one JSON value parses faster than a row of typed columns.
 */
export const LOT_JSON = `json_build_object(
  'lotId', l.lot_id::text, 'commodity', l.commodity, 'form', l.form, 'formName', f.name, 'grams', l.grams::text, 'quality', l.quality,
  'status', l.status, 'custodian', l.custodian, 'custodianMember', l.custodian_member::text,
  'pendingReceiver', l.pending_receiver, 'pendingReceiverMember', l.pending_receiver_member::text,
  'creator', l.creator, 'creatorMember', l.creator_member::text, 'genesis', l.genesis, 'metadata', l.metadata,
  'origin', l.origin, 'head', l.head, 'eventCount', l.event_count, 'createdPosition', l.created_position,
  'createdBlock', l.created_block, 'createdTx', l.created_tx, 'createdAt', l.created_at, 'consumedAt', l.consumed_at)`;

type LotJson = {
  lotId: string;
  commodity: number;
  form: number;
  formName: string | null;
  grams: string;
  quality: number;
  status: LotStatus;
  custodian: string;
  custodianMember: string;
  pendingReceiver: string | null;
  pendingReceiverMember: string | null;
  creator: string;
  creatorMember: string;
  genesis: LotGenesis;
  metadata: string;
  origin: string | null;
  head: string;
  eventCount: number;
  createdPosition: string;
  createdBlock: number;
  createdTx: string;
  createdAt: string | null;
  consumedAt: string | null;
};

export function lotViewFromJson(lot: LotJson): LotView {
  return {
    lotId: lot.lotId,
    commodity: commodityName(lot.commodity),
    form: { id: lot.form, name: lot.formName },
    grams: lot.grams,
    quality: lot.quality,
    status: lot.status,
    custodian: { account: lot.custodian, memberId: lot.custodianMember },
    pendingReceiver: lot.pendingReceiver ? { account: lot.pendingReceiver, memberId: lot.pendingReceiverMember! } : null,
    creator: { account: lot.creator, memberId: lot.creatorMember },
    genesis: lot.genesis,
    metadata: lot.metadata,
    origin: lot.origin,
    head: lot.head,
    eventCount: lot.eventCount,
    created: { position: lot.createdPosition, block: Number(lot.createdBlock), txHash: lot.createdTx, at: lot.createdAt ? new Date(lot.createdAt).toISOString() : null },
    consumedAt: lot.consumedAt ? new Date(lot.consumedAt).toISOString() : null,
  };
}

/** One lot, or null if the read model has no such lot. */
export async function getLot(q: Queryable, lotId: bigint): Promise<LotView | null> {
  if (!fitsReadModelId(lotId)) return null;
  const { rows } = await q.query(`select ${LOT_COLUMNS} from lots l left join forms f on f.form = l.form where l.lot_id = $1`, [lotId.toString()]);
  return rows.length === 0 ? null : lotViewFromRow(rows[0]!);
}

/** Several lots by id, in the order asked (unknown ids left out). */
export async function getLots(q: Queryable, lotIds: readonly bigint[]): Promise<LotView[]> {
  const known = lotIds.filter(fitsReadModelId);
  if (known.length === 0) return [];
  const { rows } = await q.query(`select ${LOT_COLUMNS} from lots l left join forms f on f.form = l.form where l.lot_id = any($1::int8[])`, [
    known.map(String),
  ]);
  const byId = new Map(rows.map((row) => [String(row.lot_id), lotViewFromRow(row)]));
  return lotIds.flatMap((lotId) => byId.get(lotId.toString()) ?? []);
}

/** Whether the read model knows the lot (a cheap check before drawing its QR code). */
export async function lotExists(q: Queryable, lotId: bigint): Promise<boolean> {
  if (!fitsReadModelId(lotId)) return false;
  const { rows } = await q.query("select 1 from lots where lot_id = $1", [lotId.toString()]);
  return rows.length === 1;
}

export type LotFilters = {
  commodity?: CommodityName | undefined;
  form?: number | undefined;
  status?: LotStatus | undefined;
  genesis?: LotGenesis | undefined;
  custodianMember?: bigint | undefined;
  creatorMember?: bigint | undefined;
  /** Created at or after (inclusive). */
  from?: Date | undefined;
  /** Created before (exclusive). */
  to?: Date | undefined;
};

export type ListLotsParameters = LotFilters & {
  cursor?: string | undefined;
  limit?: number | undefined;
  /** Lower the rows one page may examine (never above `QUERY_LIMITS.scanRows`). */
  scanRows?: number | undefined;
};

/**
 * Lots in lot-id order, filtered, keyset-paginated. One page examines at most
 * `QUERY_LIMITS.scanRows` rows along an index chosen from the filters (custodian, form,
 * or the primary key); when a page fills up or the scan limit is reached it returns a cursor, so a
 * page may hold fewer items than asked and still have a next one.
 */
export async function listLots(q: Queryable, parameters: ListLotsParameters): Promise<Page<LotView>> {
  const limit = pageSize(parameters.limit);
  const after = parameters.cursor ? BigInt(decodeCursor("lots", parameters.cursor, [ID])[0]!) : -1n;
  const params: unknown[] = [after.toString()];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // The driving condition picks the index the scan walks in lot-id order.
  let driver: string;
  if (parameters.custodianMember !== undefined) driver = `custodian_member = ${param(parameters.custodianMember.toString())}`;
  else if (parameters.form !== undefined) driver = `form = ${param(parameters.form)}`;
  else driver = "true";
  const filters: string[] = [];
  if (parameters.creatorMember !== undefined) filters.push(`creator_member = ${param(parameters.creatorMember.toString())}`);
  if (parameters.form !== undefined && !driver.startsWith("form")) filters.push(`form = ${param(parameters.form)}`);
  if (parameters.commodity !== undefined) filters.push(`commodity = ${param(Commodity[parameters.commodity])}`);
  if (parameters.status !== undefined) filters.push(`status = ${param(parameters.status)}`);
  if (parameters.genesis !== undefined) filters.push(`genesis = ${param(parameters.genesis)}`);
  if (parameters.from !== undefined) filters.push(`created_at >= ${param(parameters.from.toISOString())}`);
  if (parameters.to !== undefined) filters.push(`created_at < ${param(parameters.to.toISOString())}`);
  const hit = filters.length === 0 ? "true" : filters.join(" and ");
  const scanRows = Math.max(1, Math.min(parameters.scanRows ?? QUERY_LIMITS.scanRows, QUERY_LIMITS.scanRows));
  const scan = param(scanRows);
  const take = param(limit);
  const { rows } = await q.query<{ scanned: number; last_scanned: bigint | null; picked: bigint[] }>(
    `with scanned as (
       select lot_id, (${hit}) as hit from lots where ${driver} and lot_id > $1 order by lot_id limit ${scan}
     )
     select (select count(*)::int from scanned) as scanned,
            (select max(lot_id) from scanned) as last_scanned,
            array(select lot_id from scanned where hit order by lot_id limit ${take}) as picked`,
    params,
  );
  const { scanned, last_scanned: lastScanned, picked } = rows[0]!;
  const items = await getLots(q, picked.map(BigInt));
  let nextCursor: string | null = null;
  if (items.length === limit) nextCursor = encodeCursor("lots", [items.at(-1)!.lotId]);
  else if (scanned === scanRows && lastScanned !== null) nextCursor = encodeCursor("lots", [String(lastScanned)]);
  return { items, nextCursor };
}
