import { getAddress, verifyMessage } from "ethers";
import { z } from "zod";
import { consentCreateSchema, farmerCreateSchema } from "../farmers";
import { plotGeometrySchema, type PolygonGeometry } from "../origins/geometry";
import { paymentCreateSchema } from "../payments/schemas";

/**
 * A private record a field agent's phone signed offline (farmer, plot, payment): the exact text it
 * signed (JSON) and its EIP-191 `personal_sign` signature by the phone's key. The gateway checks
 * the signer is the record's `device`, an enrolled account of the cooperative, and never sees the
 * key. `seq` orders one device's records; the gateway keeps each (device, seq) once.
 */
export class FieldRecordError extends Error {
  override name = "FieldRecordError";
  constructor(
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "0x and 64 hex digits").transform((value) => value.toLowerCase());
const coordinate = (min: number, max: number, what: string) => z.number().min(min, `${what}: ${min} to ${max}`).max(max, `${what}: ${min} to ${max}`);

export const farmerRecordSchema = z.strictObject({
  id: z.string().regex(/^f_[0-9a-z]{16,40}$/, "a farmer id chosen on the phone: f_ and 16 to 40 lower-case letters or digits"),
  farmer: farmerCreateSchema,
  consents: z.array(consentCreateSchema).max(5).default([]).describe("the consents the farmer gave at registration (traceability, payments), recorded with it"),
});

const plotPlace = {
  id: z.string().regex(/^p_[0-9a-z]{16,40}$/, "a plot id chosen on the phone: p_ and 16 to 40 lower-case letters or digits"),
  farmerId: z.string().regex(/^f_[0-9a-z]{16,40}$/),
  accuracyM: z.number().min(0).max(10_000).describe("the GPS fix's accuracy, metres (95 %); of a walked boundary, its worst fix kept"),
  country: z.string().regex(/^[A-Z]{2}$/),
  province: z.string().trim().min(1).max(120),
  district: z.string().trim().min(1).max(120),
  salt: bytes32.describe("32 random bytes the phone chose: the plot commitment's salt"),
};

/** A plot as a GPS point (at most 4 ha), or as the boundary the agent walked (a Polygon, checked as POST /v1/plots checks it). */
export const plotRecordSchema = z.union([
  z.strictObject({
    ...plotPlace,
    longitude: coordinate(-180, 180, "longitude"),
    latitude: coordinate(-90, 90, "latitude"),
    declaredAreaHa: z.number().positive().max(4, "a point plot is at most 4 ha (EUDR): walk its boundary instead"),
  }),
  z.strictObject({
    ...plotPlace,
    geometry: plotGeometrySchema.refine((geometry) => geometry.type === "Polygon", "a walked boundary is one Polygon") as unknown as z.ZodType<PolygonGeometry>,
  }),
]);

/** A payment as POST /v1/payments takes it, the lots named by the metadata digests of the phone's receipts (the lot ids are not known offline). */
export const paymentRecordSchema = z.strictObject({
  deliveryMetadata: z.array(bytes32).min(1).max(100).describe("the metadata digests of the deliveries paid for (the phone's receipts)"),
  payment: z.record(z.string(), z.unknown()).refine((payment) => !("deliveryLotIds" in payment), "deliveryLotIds: named by deliveryMetadata instead"),
});

/** The payment with the lot ids the gateway found for its deliveries, checked as POST /v1/payments checks it. */
export function paymentOf(body: z.output<typeof paymentRecordSchema>, deliveryLotIds: readonly bigint[]) {
  return paymentCreateSchema.parse({ ...body.payment, deliveryLotIds: deliveryLotIds.map(String) });
}

export const fieldRecordSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("farmer"), device: z.string(), seq: z.number().int().min(0), body: farmerRecordSchema }),
  z.strictObject({ kind: z.literal("plot"), device: z.string(), seq: z.number().int().min(0), body: plotRecordSchema }),
  z.strictObject({ kind: z.literal("payment"), device: z.string(), seq: z.number().int().min(0), body: paymentRecordSchema }),
]);
export type FieldRecord = z.output<typeof fieldRecordSchema>;

/** Checks the signature and the record's shape; answers the record with its device checksummed. */
export function verifyFieldRecord(message: string, signature: string): FieldRecord {
  let signer: string;
  try {
    signer = verifyMessage(message, signature);
  } catch {
    throw new FieldRecordError("invalid_signature", "the signature is not a 65-byte secp256k1 signature of the message");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new FieldRecordError("bad_request", "the message is not JSON");
  }
  const record = fieldRecordSchema.parse(parsed);
  if (!/^0x[0-9a-fA-F]{40}$/.test(record.device) || getAddress(record.device) !== signer) {
    throw new FieldRecordError("invalid_signature", `the record is signed by ${signer}, not by its device ${record.device}`, { signer, device: record.device });
  }
  return { ...record, device: signer };
}
