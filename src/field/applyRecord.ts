import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { createFarmer, recordConsent } from "../farmers";
import { createPayment } from "../payments";
import type { PlotRegistry } from "../origins";
import { FieldRecordError, paymentOf, type FieldRecord } from "./signedRecords";

/**
 * Applies a phone's signed private record once: registers the farmer or the plot (a point or a walked boundary) under the
 * ids the phone chose offline (so the plot's commitment is the origin its deliveries already
 * carry), or records the payment of deliveries named by their receipts' metadata digests. The
 * answer is kept with the record by (device, seq): the same record sent again answers the same.
 */
export type ApplyFieldRecordParameters = {
  db: Queryable;
  records: RecordSealer;
  plots: PlotRegistry;
  memberId: bigint;
  record: FieldRecord;
  message: string;
  signature: string;
  recordedByToken: number | null;
};

export type FieldRecordResult = { kind: FieldRecord["kind"]; id: string; replayed: boolean; [key: string]: unknown };

type EarlierRecord = { message: string; result: FieldRecordResult };

/**
 * What a batch of records needs from the database, read once for all of them rather than twice a
 * record (a phone's sync sends hundreds): the records kept before under the same (device, seq),
 * and the cooperative's delivery lots carrying the payments' receipts.
 */
export type FieldRecordBatch = { earlier: Map<string, EarlierRecord>; lots: Map<string, bigint> };

const recordKey = (device: string, seq: number) => `${device.toLowerCase()}:${seq}`;

/** What a record says of itself before its signature is checked (only read with, never applied). */
export type UncheckedRecord = { kind: string; device: string; seq: number; digests: string[] };

/** The (device, seq) and paid receipts a record's text names, or null if it is not a record's shape. */
export function uncheckedRecord(message: string): UncheckedRecord | null {
  try {
    const parsed = JSON.parse(message) as { kind?: unknown; device?: unknown; seq?: unknown; body?: { deliveryMetadata?: unknown } };
    if (typeof parsed.device !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(parsed.device) || !Number.isSafeInteger(parsed.seq) || typeof parsed.kind !== "string") return null;
    const listed = Array.isArray(parsed.body?.deliveryMetadata) ? (parsed.body!.deliveryMetadata as unknown[]) : [];
    const digests = listed.filter((digest): digest is string => typeof digest === "string" && /^0x[0-9a-fA-F]{64}$/.test(digest)).map((digest) => digest.toLowerCase());
    return { kind: parsed.kind, device: parsed.device, seq: parsed.seq as number, digests };
  } catch {
    return null;
  }
}

/** Reads what a batch's records need (see FieldRecordBatch), before any is applied; reads only. */
export async function readFieldRecordBatch(db: Queryable, memberId: bigint, records: readonly UncheckedRecord[]): Promise<FieldRecordBatch> {
  const earlier = new Map<string, EarlierRecord>();
  for (const device of new Set(records.map((record) => record.device.toLowerCase()))) {
    const seqs = records.filter((record) => record.device.toLowerCase() === device).map((record) => record.seq);
    const { rows } = await db.query<EarlierRecord & { seq: number }>("select seq, message, result from field_records where device = $1 and seq = any($2::int4[])", [device, seqs]);
    for (const row of rows) earlier.set(recordKey(device, Number(row.seq)), { message: row.message, result: row.result });
  }
  const digests = records.flatMap((record) => (record.kind === "payment" ? record.digests : []));
  return { earlier, lots: digests.length > 0 ? await lotsByDigest(db, memberId, digests) : new Map() };
}

/**
 * Whether a payment record surely waits for its deliveries' lots (not yet indexed, as read for the
 * batch) and was not kept before: answered `deliveries_not_found` at once, without the cost of
 * checking its signature first (the phone sends it again a moment later, and it is checked then).
 */
export function waitsForLots(batch: FieldRecordBatch, record: UncheckedRecord): boolean {
  return record.kind === "payment" && !batch.earlier.has(recordKey(record.device, record.seq)) && record.digests.some((digest) => !batch.lots.has(digest));
}

async function lotsByDigest(db: Queryable, memberId: bigint, digests: readonly string[]): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ lot_id: bigint; metadata: string }>(
    "select lot_id, metadata from lots where creator_member = $1 and genesis = 'minted' and metadata = any($2::text[])",
    [memberId.toString(), digests],
  );
  return new Map(rows.map((row) => [row.metadata.toLowerCase(), BigInt(row.lot_id)]));
}

/** The refusal of a payment whose deliveries' lots are not (yet) in the read model: the phone tries again. */
export function deliveriesNotFound(missing: readonly string[]): FieldRecordError {
  return new FieldRecordError("deliveries_not_found", `no delivery lot of this cooperative carries ${missing.length === 1 ? "the receipt" : `${missing.length} of the receipts`} ${missing.join(", ")} yet`, { missing });
}

/** Applies one record; `batch` (readFieldRecordBatch), when given, answers what it already read. */
export async function applyFieldRecord(parameters: ApplyFieldRecordParameters, batch?: FieldRecordBatch): Promise<FieldRecordResult> {
  const { db, memberId, record } = parameters;
  const key = recordKey(record.device, record.seq);
  const earlier = batch
    ? batch.earlier.get(key)
    : (await db.query<EarlierRecord>("select message, result from field_records where device = $1 and seq = $2", [record.device.toLowerCase(), record.seq])).rows[0];
  if (earlier) {
    if (earlier.message !== parameters.message) {
      throw new FieldRecordError("sequence_reused", `record ${record.seq} of ${record.device} was another record`, { seq: record.seq });
    }
    return { ...earlier.result, replayed: true };
  }
  const result = await apply(parameters, batch);
  batch?.earlier.set(key, { message: parameters.message, result });
  await db.query(
    `insert into field_records (device, seq, member_id, kind, signature, message, result) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (device, seq) do nothing`,
    [record.device.toLowerCase(), record.seq, memberId.toString(), record.kind, parameters.signature, parameters.message, JSON.stringify(result)],
  );
  return result;
}

async function apply({ db, records, plots, memberId, record, recordedByToken }: ApplyFieldRecordParameters, batch?: FieldRecordBatch): Promise<FieldRecordResult> {
  switch (record.kind) {
    case "farmer": {
      const farmer = await createFarmer(db, records, { memberId, farmer: record.body.farmer, id: record.body.id });
      for (const consent of record.body.consents) await recordConsent(db, records, farmer.id, memberId, consent, recordedByToken);
      return { kind: "farmer", id: farmer.id, code: farmer.code, replayed: false };
    }
    case "plot": {
      const body = record.body;
      const { plot } = await plots.register(memberId, {
        owner: { farmerId: body.farmerId },
        ...("geometry" in body ? { geometry: body.geometry } : { geometry: { type: "Point", coordinates: [body.longitude, body.latitude] }, declaredAreaM2: body.declaredAreaHa * 10_000 }),
        country: body.country,
        province: body.province,
        district: body.district,
        offline: { plotId: body.id, salt: body.salt },
      });
      return { kind: "plot", id: plot.plotId, commitment: plot.commitment, accuracyM: body.accuracyM, replayed: false };
    }
    case "payment": {
      const digests = record.body.deliveryMetadata;
      const known = batch && digests.every((digest) => batch.lots.has(digest));
      const byDigest = known ? batch.lots : await lotsByDigest(db, memberId, digests);
      const missing = digests.filter((digest) => !byDigest.has(digest));
      if (missing.length > 0) {
        // The deliveries' batch may be mined but not yet indexed: the phone tries again.
        throw deliveriesNotFound(missing);
      }
      const payment = await createPayment(db, records, { memberId, payment: paymentOf(record.body, digests.map((digest) => byDigest.get(digest)!)), recordedByToken });
      return { kind: "payment", id: payment.id, lotIds: digests.map((digest) => byDigest.get(digest)!.toString()), replayed: false };
    }
  }
}
