import { unwrap } from "idb";
import { canonicalJson } from "../../../encoding/canonicalJson";
import type { PolygonGeometry } from "../../../origins/geometryRules";
import { amountToPay, batchGas, type PaymentBody, mintBatchCalldata, pointCommitment, receiptDigest, type Delivery, type PriceBasis } from "./deliveries";
import { randomHex, randomId, toHex, utf8 } from "./hex";
import { markPhase } from "./phases";
import { sealKey } from "./pinVault";
import { addressOf, keccak, newSecretKey, signedByKey, signForwardRequest, signMessage, type ForwardRequest } from "./signing";
import { getDevice, putDevice, takeNumbers, type Device, type FieldStore, type Plot, type QueueItem } from "./store";

/**
 * What the agent does, each made and signed on the phone and kept in IndexedDB before anything is
 * sent: enrol, register a farmer or a point plot (signed private records), record a delivery
 * with its payment (the payment is a signed record; the delivery waits for its day's batch),
 * and close the day (one signed `mintBatch` ForwardRequest for the day's deliveries).
 */

/** A request is good for 30 days of no signal. */
const DEADLINE_SECONDS = 30 * 24 * 3600;
/** Most deliveries in one `mintBatch` (what fits one 30M-gas block with room to spare). */
export const MAX_BATCH = 200;

export async function enrol(db: FieldStore, token: string, pin: string, base = ""): Promise<{ device: Device; secretKey: Uint8Array }> {
  const secretKey = newSecretKey();
  const address = addressOf(secretKey);
  const sealedKey = await sealKey(secretKey, pin);
  const response = await fetch(`${base}/v1/field/enrol`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, address }) });
  const answer = (await response.json()) as { memberId: string; apiToken: string; request: { id: string }; domain: Device["domain"]; registry: string; error?: { message: string } };
  if (!response.ok) throw new Error(answer.error?.message ?? `enrolment refused (${response.status})`);
  const device: Device = {
    address,
    memberId: answer.memberId,
    apiToken: answer.apiToken,
    domain: answer.domain,
    registry: answer.registry,
    sealedKey,
    enrolRequestId: answer.request.id,
    nextNonce: 0,
    nextSeq: 0,
    country: "ID",
    province: "",
    district: "",
    currency: "IDR",
    minorUnits: 2,
  };
  await putDevice(db, device);
  return { device, secretKey };
}

async function queueRecord(db: FieldStore, secretKey: Uint8Array, kind: "farmer" | "plot" | "payment", body: unknown, label: string, extra: Partial<QueueItem> = {}): Promise<QueueItem> {
  const { seq, device } = await takeNumbers(db, { seq: true });
  const message = JSON.stringify({ kind, device: device.address, seq, body });
  const item: QueueItem = { key: `r${seq}`, status: "pending", reason: null, type: "record", label, message, signature: signMessage(message, secretKey), ...extra };
  await db.add("queue", item);
  return item;
}

export async function registerFarmer(db: FieldStore, secretKey: Uint8Array, input: { name: string; village: string; phone?: string; gender?: string; language: string; consent: boolean }) {
  const id = randomId("f");
  const farmer = { name: input.name, village: input.village || undefined, phone: input.phone || undefined, gender: input.gender || undefined, language: input.language };
  const device = (await getDevice(db))!;
  // Consent by thumbprint on the agent's paper form, recorded by this phone.
  const consents = input.consent ? (["traceability", "payments"] as const).map((scope) => ({ scope, method: "thumbprint", recordedBy: `field phone ${device.address}` })) : [];
  await db.put("farmers", { id, name: input.name, village: input.village, code: null, local: true });
  await queueRecord(db, secretKey, "farmer", { id, farmer, consents }, `${input.name}`);
  return id;
}

export async function registerPointPlot(
  db: FieldStore,
  secretKey: Uint8Array,
  input: { farmerId: string; latitude: number; longitude: number; accuracyM: number; areaHa: number; country: string; province: string; district: string },
) {
  if (!(input.areaHa > 0 && input.areaHa <= 4)) throw new Error("pointTooLarge");
  const id = randomId("p", 20);
  const salt = randomHex(32);
  const longitude = sixDecimals(input.longitude);
  const latitude = sixDecimals(input.latitude);
  const commitment = pointCommitment(input.farmerId, longitude, latitude, salt);
  await db.put("plots", { id, farmerId: input.farmerId, commitment, latitude, longitude, accuracyM: input.accuracyM, areaHa: input.areaHa, local: true });
  const device = (await getDevice(db))!;
  await putDevice(db, { ...device, country: input.country, province: input.province, district: input.district });
  await queueRecord(db, secretKey, "plot", { id, farmerId: input.farmerId, longitude, latitude, accuracyM: input.accuracyM, declaredAreaHa: input.areaHa, country: input.country, province: input.province, district: input.district, salt }, id);
  return id;
}

/**
 * Registers a plot as the boundary the agent walked (boundary.ts made and checked it): a signed
 * private record with the Polygon, its commitment computed here as the gateway computes it
 * (keccak-256 of the canonical JSON of farmer, geometry and salt, src/origins/plotCommitment.ts).
 */
export async function registerBoundaryPlot(
  db: FieldStore,
  secretKey: Uint8Array,
  input: { farmerId: string; geometry: PolygonGeometry; areaM2: number; accuracyM: number; country: string; province: string; district: string },
) {
  const id = randomId("p", 20);
  const salt = randomHex(32);
  const commitment = toHex(keccak(utf8(canonicalJson({ farmerRef: input.farmerId, geometry: input.geometry, salt }))));
  const [longitude, latitude] = input.geometry.coordinates[0]![0]!;
  await db.put("plots", { id, farmerId: input.farmerId, commitment, latitude: latitude!, longitude: longitude!, accuracyM: input.accuracyM, areaHa: Math.round(input.areaM2 / 100) / 100, local: true });
  const device = (await getDevice(db))!;
  await putDevice(db, { ...device, country: input.country, province: input.province, district: input.district });
  await queueRecord(db, secretKey, "plot", { id, farmerId: input.farmerId, geometry: input.geometry, accuracyM: input.accuracyM, country: input.country, province: input.province, district: input.district, salt }, id);
  return id;
}

/** At least six decimals (EUDR): a value whose sixth decimal is 0 keeps a seventh. */
function sixDecimals(value: number): number {
  const six = Math.round(value * 1e6) / 1e6;
  return (String(six).split(".")[1]?.length ?? 0) >= 6 ? six : Math.round(value * 1e7) / 1e7;
}

export type DeliveryInput = {
  farmerId: string;
  plotId: string;
  form: number;
  grams: number;
  qualityBps: number;
  perKgMinor: number;
  basis: PriceBasis;
  deductionMinor: number;
  premiumMinor: number;
};

/** What recording a delivery reads before the agent taps "record", when its form opens. */
export type DeliveryContext = { plot: Plot; device: Pick<Device, "address" | "currency" | "minorUnits"> };

/** The plot's commitment and the device's address and currency, for the form of a delivery from `plotId`. */
export async function deliveryContext(db: FieldStore, plotId: string): Promise<DeliveryContext> {
  const [plot, device] = await Promise.all([db.get("plots", plotId), getDevice(db)]);
  if (!plot) throw new Error("noPlot");
  return { plot, device: device! };
}

export type Recording = {
  /** The delivery as it is being stored: its receipt can be drawn while IndexedDB commits it. */
  delivery: Delivery;
  /** Settles when the delivery and its payment are committed to IndexedDB: only then is the receipt shown. */
  stored: Promise<Delivery>;
};

/**
 * Records a delivery and its cash payment at once, in one IndexedDB transaction that only writes:
 * what it needs was read when the form opened (`context`: the plot's commitment, which never
 * changes, and the device's address and currency, fixed at enrolment), so the agent waits for one
 * commit and nothing else, and the app draws the receipt while IndexedDB commits. The delivery
 * holds everything its payment says; the payment's record number and signature are added in the
 * page's next idle moment (signPayments), not while the agent waits for the receipt.
 */
export function recordDelivery(db: FieldStore, secretKey: Uint8Array, input: DeliveryInput, context: DeliveryContext): Recording {
  const { plot, device } = context;
  const id = randomId("d");
  const recordedAt = new Date().toISOString();
  const amountMinor = amountToPay(input);
  const receiptText = JSON.stringify({ id, device: device.address, ...input, origin: plot.commitment, amountMinor, currency: device.currency, recordedAt });
  const { metadata, shortCode } = receiptDigest(receiptText);
  const delivery: Delivery = { id, ...input, origin: plot.commitment, currency: device.currency, minorUnits: device.minorUnits, recordedAt, metadata, shortCode, amountMinor, batchId: null };
  const rubber = input.form >= 20;
  const quality = input.qualityBps > 0 ? (rubber ? { drcBps: input.qualityBps } : { moistureBps: input.qualityBps }) : {};
  const payment: PaymentBody = {
    deliveryMetadata: [metadata],
    payment: {
      farmerId: input.farmerId,
      grossGrams: input.grams,
      quality,
      price: { perKg: input.perKgMinor, basis: input.basis === "dry" && rubber ? "drc" : input.basis },
      currency: device.currency,
      minorUnits: device.minorUnits,
      deductions: input.deductionMinor > 0 ? [{ reason: "field deduction", amount: input.deductionMinor }] : [],
      premiums: input.premiumMinor > 0 ? [{ component: "other", amount: input.premiumMinor }] : [],
      paidAt: recordedAt,
      method: "cash",
    },
  };
  // The plain IndexedDB transaction, not idb's wrapper: its promises for the write's answer and the
  // commit ran a few milliseconds of script (four times that on a slow phone) on the agent's wait.
  const tx = unwrap(db).transaction("deliveries", "readwrite");
  // Numbered and signed a moment later, off the agent's wait (signPayments); before anything leaves the phone.
  tx.objectStore("deliveries").add({ ...delivery, open: 1, payment: { body: payment, message: null, signature: null } });
  // Committed with the write, not after its answer comes back to a page busy drawing the receipt: one round trip.
  tx.commit();
  markPhase("field:record:queued");
  const stored = new Promise<Delivery>((resolve, reject) => {
    tx.oncomplete = () => {
      whenIdle(() => void signPayments(db, secretKey));
      resolve(delivery);
    };
    // A refused write (its error event comes first) or any other abort: nothing was stored.
    tx.onabort = () => reject(tx.error ?? new DOMException("The delivery was not stored", "AbortError"));
  });
  return { delivery, stored };
}

/** After the receipt is drawn, when the page has nothing else to do (within a second at most). */
function whenIdle(work: () => void): void {
  if (typeof requestIdleCallback === "function") requestIdleCallback(work, { timeout: 1000 });
  else setTimeout(work, 50);
}

/**
 * Numbers and signs the open deliveries' payments not signed yet, in the order recorded: in the
 * idle moment after a receipt is on screen, and at the latest when the day is closed. One
 * transaction with the device's record number, so two of these at once never give a payment two
 * numbers (the second finds it signed).
 */
export async function signPayments(db: FieldStore, secretKey: Uint8Array): Promise<number> {
  const unsigned = (await db.getAllFromIndex("deliveries", "open")).filter((delivery) => delivery.payment.signature === null).sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  if (unsigned.length === 0) return 0;
  performance.mark("field:sign:start");
  const tx = db.transaction(["meta", "deliveries"], "readwrite");
  const device = (await tx.objectStore("meta").get("device")) as Device;
  let nextSeq = device.nextSeq;
  for (const delivery of unsigned) {
    const current = await tx.objectStore("deliveries").get(delivery.id);
    if (!current || current.payment.signature !== null) continue;
    const message = current.payment.message ?? JSON.stringify({ kind: "payment", device: device.address, seq: nextSeq++, body: current.payment.body });
    void tx.objectStore("deliveries").put({ ...current, payment: { ...current.payment, message, signature: signMessage(message, secretKey) } });
  }
  if (nextSeq !== device.nextSeq) void tx.objectStore("meta").put({ ...device, nextSeq }, "device");
  await tx.done;
  performance.mark("field:sign:end");
  return unsigned.length;
}

/**
 * Closes the open deliveries into `mintBatch` ForwardRequests (at most MAX_BATCH each), each
 * signed with the phone's next nonce and queued, then the deliveries' payments after it.
 */
export async function closeDay(db: FieldStore, secretKey: Uint8Array): Promise<number> {
  await signPayments(db, secretKey);
  // A delivery recorded since signPayments waits for the next batch (its payment has no number yet).
  const open = (await db.getAllFromIndex("deliveries", "open")).filter((delivery) => delivery.payment.message !== null).sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  let batches = 0;
  for (let start = 0; start < open.length; start += MAX_BATCH) {
    const part = open.slice(start, start + MAX_BATCH);
    const { nonce, device } = await takeNumbers(db, { nonce: true });
    const request: ForwardRequest = {
      from: device.address,
      to: device.registry,
      value: "0",
      gas: String(batchGas(part.length)),
      nonce: String(nonce),
      deadline: String(Math.floor(Date.now() / 1000) + DEADLINE_SECONDS),
      data: mintBatchCalldata(part),
    };
    const key = `b${nonce}-${randomHex(4).slice(2)}`;
    const tx = db.transaction(["queue", "deliveries"], "readwrite");
    // The writes are queued in order without waiting for each (IndexedDB keeps their order); one commit.
    void tx.objectStore("queue").add({ key, status: "pending", reason: null, type: "forward", label: `${part.length}`, request, signature: signForwardRequest(device.domain, request, secretKey), deliveryIds: part.map((d) => d.id) });
    for (const delivery of part) {
      const { open: _open, ...closed } = delivery;
      void tx.objectStore("deliveries").put({ ...closed, batchId: key });
      const message = delivery.payment.message!;
      const seq = (JSON.parse(message) as { seq: number }).seq;
      void tx.objectStore("queue").add({ key: `r${seq}`, status: "pending", reason: null, type: "record", label: delivery.shortCode, message, signature: delivery.payment.signature ?? signMessage(message, secretKey), batchKey: key });
    }
    await tx.done;
    batches++;
  }
  return batches;
}

/**
 * Re-signs a queued ForwardRequest with another nonce (an earlier one was refused: its nonce is
 * free). Only a request this key really signed as it stands: a tampered one keeps its signature
 * and is refused.
 */
export function resign(item: QueueItem, nonce: number, device: Device, secretKey: Uint8Array): QueueItem {
  if (!signedByKey(device.domain, item.request!, item.signature, secretKey)) return item;
  const request = { ...item.request!, nonce: String(nonce) };
  return { ...item, request, signature: signForwardRequest(device.domain, request, secretKey) };
}
