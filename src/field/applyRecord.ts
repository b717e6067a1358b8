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

export async function applyFieldRecord(parameters: ApplyFieldRecordParameters): Promise<FieldRecordResult> {
  const { db, memberId, record } = parameters;
  const earlier = await db.query<{ message: string; result: FieldRecordResult; member_id: bigint }>(
    "select message, result, member_id from field_records where device = $1 and seq = $2",
    [record.device.toLowerCase(), record.seq],
  );
  if (earlier.rows[0]) {
    if (earlier.rows[0].message !== parameters.message) {
      throw new FieldRecordError("sequence_reused", `record ${record.seq} of ${record.device} was another record`, { seq: record.seq });
    }
    return { ...earlier.rows[0].result, replayed: true };
  }
  const result = await apply(parameters);
  await db.query(
    `insert into field_records (device, seq, member_id, kind, signature, message, result) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (device, seq) do nothing`,
    [record.device.toLowerCase(), record.seq, memberId.toString(), record.kind, parameters.signature, parameters.message, JSON.stringify(result)],
  );
  return result;
}

async function apply({ db, records, plots, memberId, record, recordedByToken }: ApplyFieldRecordParameters): Promise<FieldRecordResult> {
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
      const { rows } = await db.query<{ lot_id: bigint; metadata: string }>(
        "select lot_id, metadata from lots where creator_member = $1 and genesis = 'minted' and metadata = any($2::text[])",
        [memberId.toString(), digests],
      );
      const byDigest = new Map(rows.map((row) => [row.metadata.toLowerCase(), BigInt(row.lot_id)]));
      const missing = digests.filter((digest) => !byDigest.has(digest));
      if (missing.length > 0) {
        // The deliveries' batch may be mined but not yet indexed: the phone tries again.
        throw new FieldRecordError("deliveries_not_found", `no delivery lot of this cooperative carries ${missing.length === 1 ? "the receipt" : `${missing.length} of the receipts`} ${missing.join(", ")} yet`, { missing });
      }
      const payment = await createPayment(db, records, { memberId, payment: paymentOf(record.body, digests.map((digest) => byDigest.get(digest)!)), recordedByToken });
      return { kind: "payment", id: payment.id, lotIds: digests.map((digest) => byDigest.get(digest)!.toString()), replayed: false };
    }
  }
}
