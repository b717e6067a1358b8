import type { Queryable } from "../../db";
import { DagTooLargeError } from "./errors";
import { fitsReadModelId, QUERY_LIMITS } from "./limits";
import { LOT_EVENT_COLUMNS, getEventsOfLots, lotEventFromRow, type LotEventRecord, type LotEventRow } from "./lotHistory";

/** Most lots (a lot and its ancestry) one EPCIS document covers. */
export const MAX_EPCIS_LOTS = 20_000;

/** The events that fold into a lot's history (docs/history-head.md), by how EPCIS sees them. */
export const OBJECT_EVENT_KINDS = ["minted", "offered", "cancelled", "rejected", "accepted", "evidence"] as const;
export const OPERATION_KINDS = ["split", "merged", "transformed"] as const;
export type ObjectEventKind = (typeof OBJECT_EVENT_KINDS)[number];
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * What an EPCIS export is made from: the events of the lots it covers, the members behind the
 * accounts they name, the products (GTIN and batch) the lots were named as, and the attestations
 * (not revoked) about the lots and about the plots of the deliveries among them. Plot commitments
 * and farmer references are not part of it.
 */
export type EpcisRecords = {
  /** The lots whose own events are exported (a lot and its ancestry, or the lots of a query page). */
  subjectLotIds: string[];
  /** Every event of the subject lots, and the genesis (`derived`) events of the outputs of every operation that consumed one. */
  events: LotEventRecord[];
  /** Account (lower case) -> member id. */
  members: Map<string, string>;
  /** Lot id -> the first GTIN and batch it was named as. */
  products: Map<string, { gtin: string; batch: string }>;
  /** Lot id -> uids of the attestations (not revoked) about the lot or, for a delivery, its plot. */
  certifications: Map<string, string[]>;
};

/**
 * A lot's whole history as EPCIS exports it: the lot and every lot it was made from (recursive
 * over `lot_edges`), with what {@link EpcisRecords} lists. Null if the lot is unknown.
 *
 * @throws {DagTooLargeError} when the ancestry has more than {@link MAX_EPCIS_LOTS} lots.
 */
export async function getEpcisLotRecords(q: Queryable, lotId: bigint): Promise<EpcisRecords | null> {
  if (!fitsReadModelId(lotId)) return null;
  // `union` keeps each lot once, however many paths lead to it: the walk ends (a DAG) and is bounded.
  const { rows } = await q.query<{ lot_id: string }>(
    `with recursive walk(lot_id) as (
       select l.lot_id from lots l where l.lot_id = $1
       union
       select e.parent_id from walk w join lot_edges e on e.child_id = w.lot_id
     )
     select lot_id::text as lot_id from walk limit $2`,
    [lotId.toString(), MAX_EPCIS_LOTS + 1],
  );
  if (rows.length === 0) return null;
  if (rows.length > MAX_EPCIS_LOTS) throw new DagTooLargeError(lotId, "ancestors", MAX_EPCIS_LOTS, QUERY_LIMITS.maxDepth);
  return epcisRecordsOf(q, rows.map((row) => row.lot_id));
}

/** {@link EpcisRecords} of the given lots (the caller bounds how many). */
export async function epcisRecordsOf(q: Queryable, subjectLotIds: readonly string[], extraLotIds: readonly string[] = []): Promise<EpcisRecords> {
  const subjects = [...new Set(subjectLotIds)];
  const events = await getEventsOfLots(q, [...new Set([...subjects, ...extraLotIds])]);
  // The outputs of every operation that consumed a subject lot: their genesis events only.
  const known = new Set(events.map((event) => event.lotId));
  const outputs = new Set<string>();
  for (const event of events) {
    if (!(OPERATION_KINDS as readonly string[]).includes(event.kind)) continue;
    const first = BigInt(String(event.fields.firstOutputId));
    const count = BigInt(String(event.fields.outputCount));
    for (let i = 0n; i < count && i < BigInt(MAX_EPCIS_LOTS); i++) if (!known.has((first + i).toString())) outputs.add((first + i).toString());
  }
  if (outputs.size > 0) {
    const { rows } = await q.query<LotEventRow>(
      `select ${LOT_EVENT_COLUMNS}
         from lot_events where lot_id = any($1::int8[]) and kind = 'derived' order by lot_id, seq`,
      [[...outputs]],
    );
    events.push(...rows.map(lotEventFromRow));
  }
  const lotIds = [...new Set(events.map((event) => event.lotId))];
  const addresses = new Set<string>();
  for (const event of events) {
    for (const key of ["custodian", "previousCustodian", "receiver", "by"]) {
      const value = event.fields[key];
      if (typeof value === "string") addresses.add(value.toLowerCase());
    }
  }
  const [members, products, certifications] = await Promise.all([
    q.query<{ address: string; member_id: string }>("select address, member_id::text as member_id from accounts where address = any($1::text[])", [[...addresses]]),
    q.query<{ lot_id: string; gtin: string; batch: string }>(
      "select distinct on (lot_id) lot_id::text as lot_id, gtin, batch from products where lot_id = any($1::int8[]) order by lot_id, created_at, gtin, batch",
      [lotIds],
    ),
    // Attestations about the lots, and about the plots the deliveries among them came from (a
    // delivery's `origin` is its plot's commitment): uids only, never the commitment itself.
    q.query<{ lot_id: string; uid: string }>(
      `select a.lot_id::text as lot_id, a.uid from attestations a
        where a.lot_id = any($1::int8[]) and a.subject_kind = 1 and not a.revoked
       union all
       select e.lot_id::text, a.uid from lot_events e
         join attestations a on a.subject_kind = 2 and a.subject in (e.fields->>'origin', lower(e.fields->>'origin')) and not a.revoked
        where e.lot_id = any($2::int8[]) and e.kind = 'minted'
       order by 1, 2`,
      [lotIds, subjects],
    ),
  ]);
  const byLot = new Map<string, string[]>();
  for (const row of certifications.rows) byLot.set(row.lot_id, [...(byLot.get(row.lot_id) ?? []), row.uid]);
  return {
    subjectLotIds: subjects,
    events,
    members: new Map(members.rows.map((row) => [row.address.toLowerCase(), row.member_id])),
    products: new Map(products.rows.map((row) => [row.lot_id, { gtin: row.gtin, batch: row.batch }])),
    certifications: byLot,
  };
}

/** One event a query page holds: the row it is anchored at (a transformation at its first output's `derived` event). */
export type EpcisEventAnchor = { lotId: string; seq: number; position: string; kind: ObjectEventKind | OperationKind };

export type FindEpcisEventsParameters = {
  /** Only events about these lots (as inputs, outputs or the lot observed); undefined: any lot. */
  lotIds?: readonly string[] | undefined;
  /** Object events of these kinds and operations of these kinds (empty: none of that type). */
  objectKinds: readonly ObjectEventKind[];
  operationKinds: readonly OperationKind[];
  /** Event time (block time) at or after, and before. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset: after this (position, lot id). */
  after?: { position: string; lotId: string } | undefined;
  limit: number;
};

/**
 * The events EPCIS queries answer with, in chain order (position, then lot id: one batch mint is
 * one log for many lots), at most `limit + 1` (the extra one says there is a next page). Object
 * events are anchored at their own row; a split, merge or transform at the `derived` event of its
 * first output (exactly one per operation), found through the consumption event of its first input.
 */
export async function findEpcisEventAnchors(q: Queryable, parameters: FindEpcisEventsParameters): Promise<EpcisEventAnchor[]> {
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const common: string[] = [];
  if (parameters.from) common.push(`e.block_time >= ${param(parameters.from.toISOString())}`);
  if (parameters.to) common.push(`e.block_time < ${param(parameters.to.toISOString())}`);
  if (parameters.after) common.push(`(e.position, e.lot_id) > (${param(parameters.after.position)}::text, ${param(parameters.after.lotId)}::int8)`);
  const limit = param(parameters.limit + 1);
  const lots = parameters.lotIds === undefined ? null : param([...parameters.lotIds]);
  const where = (extra: string[]) => [...extra, ...common].join(" and ") || "true";
  const branches: string[] = [];
  if (parameters.objectKinds.length > 0) {
    const filters = [`e.kind = any(${param([...parameters.objectKinds])}::text[])`];
    if (lots) filters.push(`e.lot_id = any(${lots}::int8[])`);
    branches.push(`(select e.lot_id, e.seq, e.position, e.kind from lot_events e where ${where(filters)} order by e.position, e.lot_id limit ${limit})`);
  }
  if (parameters.operationKinds.length > 0) {
    const filters = ["e.kind = 'derived'"];
    // The operations touching the lots: those that consumed one, and those that made one.
    if (lots) {
      filters.push(`e.lot_id in (
        select (c.fields->>'firstOutputId')::int8 from lot_events c where c.lot_id = any(${lots}::int8[]) and c.kind in ('split', 'merged', 'transformed')
        union
        select (c.fields->>'firstOutputId')::int8 from lot_events d
          join lot_events c on c.lot_id = (d.fields->'inputIds'->>0)::int8 and c.kind in ('split', 'merged', 'transformed')
         where d.lot_id = any(${lots}::int8[]) and d.kind = 'derived')`);
    }
    branches.push(
      `(select e.lot_id, e.seq, e.position, c.kind from lot_events e
          join lot_events c on c.lot_id = (e.fields->'inputIds'->>0)::int8 and c.kind = any(${param([...parameters.operationKinds])}::text[])
                           and (c.fields->>'firstOutputId')::int8 = e.lot_id
         where ${where(filters)} order by e.position, e.lot_id limit ${limit})`,
    );
  }
  if (branches.length === 0) return [];
  const { rows } = await q.query<{ lot_id: string; seq: number; position: string; kind: string }>(
    `select lot_id::text as lot_id, seq, position, kind from (${branches.join(" union all ")}) x order by position, lot_id limit ${limit}`,
    params,
  );
  return rows.map((row) => ({ lotId: row.lot_id, seq: Number(row.seq), position: row.position, kind: row.kind as EpcisEventAnchor["kind"] }));
}

/**
 * {@link EpcisRecords} for a page of anchors: each anchor's lot, and for an operation its inputs
 * (their whole history: an input's quantity is what it held when consumed) and outputs.
 */
export async function epcisRecordsOfAnchors(q: Queryable, anchors: readonly EpcisEventAnchor[]): Promise<EpcisRecords> {
  const lots = new Set(anchors.map((anchor) => anchor.lotId));
  const operations = anchors.filter((anchor) => (OPERATION_KINDS as readonly string[]).includes(anchor.kind));
  const inputs = new Set<string>();
  if (operations.length > 0) {
    const genesis = await getEventsOfLots(q, operations.map((anchor) => anchor.lotId));
    for (const event of genesis) {
      if (event.kind === "derived" && Array.isArray(event.fields.inputIds)) for (const input of event.fields.inputIds) inputs.add(String(input));
    }
  }
  // Inputs are subjects too, so their consumption events group the operation; the caller keeps the anchors only.
  return epcisRecordsOf(q, [...lots, ...inputs]);
}

/** The lot ids of lots named as trade items (GTIN-14 and batch), for query filters; unknown pairs are left out. */
export async function lotIdsOfProducts(q: Queryable, products: ReadonlyArray<{ gtin: string; batch: string }>): Promise<string[]> {
  if (products.length === 0) return [];
  const { rows } = await q.query<{ lot_id: string }>(
    "select p.lot_id::text as lot_id from products p join unnest($1::text[], $2::text[]) as w(gtin, batch) on p.gtin = w.gtin and p.batch = w.batch",
    [products.map((p) => p.gtin), products.map((p) => p.batch)],
  );
  return rows.map((row) => row.lot_id);
}
