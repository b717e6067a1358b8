import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { SealedKey } from "./pinVault";
import type { Delivery, PaymentBody } from "./deliveries";
import type { Domain, ForwardRequest } from "./signing";

/**
 * Everything the phone keeps, in IndexedDB (it survives a reload, a closed app and a dead
 * battery): the device (address, sealed key, API token, next nonce and record number), the
 * cooperative's farmers and plots (synced, and those made here), the deliveries, and the queue of
 * signed items in the order they were made.
 */
export type Device = {
  address: string;
  memberId: string;
  apiToken: string;
  domain: Domain;
  registry: string;
  sealedKey: SealedKey;
  enrolRequestId: string;
  /** The next forwarder nonce this phone signs with. */
  nextNonce: number;
  /** The next private record number. */
  nextSeq: number;
  country: string;
  province: string;
  district: string;
  currency: string;
  minorUnits: number;
};

export type Farmer = { id: string; name: string; village: string; code: string | null; local: boolean };
export type Plot = { id: string; farmerId: string; commitment: string; latitude: number | null; longitude: number | null; accuracyM: number | null; areaHa: number | null; local: boolean };

export type QueueStatus = "pending" | "sent" | "done" | "refused";
export type QueueItem = {
  /** Position in the queue (auto-increment: the order the items were made). */
  position?: number;
  key: string;
  status: QueueStatus;
  reason: string | null;
  /** "forward": a ForwardRequest for /v1/relay; "record": a signed private record for /v1/field/records. */
  type: "forward" | "record";
  label: string;
  request?: ForwardRequest;
  signature: string;
  message?: string;
  /** For a payment: the batch its delivery is in (refused with it). */
  batchKey?: string;
  requestId?: string;
  result?: unknown;
  deliveryIds?: string[];
};

interface FieldDb extends DBSchema {
  meta: { key: string; value: unknown };
  farmers: { key: string; value: Farmer };
  plots: { key: string; value: Plot; indexes: { farmer: string } };
  /** `open: 1` while the delivery waits for its day's batch (absent after: IndexedDB indexes only what has the field). */
  /**
   * A payment's record text (with its number) and signature are null for the moment between
   * recording and the idle time it is numbered and signed in (signPayments); `body` is what it says.
   */
  deliveries: { key: string; value: Delivery & { open?: 1; payment: { body?: PaymentBody; message: string | null; signature: string | null } }; indexes: { open: number; recordedAt: string } };
  queue: { key: number; value: QueueItem; indexes: { key: string; status: string } };
}

export type FieldStore = IDBPDatabase<FieldDb>;

export function openStore(name = "firstmile-field"): Promise<FieldStore> {
  return openDB<FieldDb>(name, 2, {
    upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        db.createObjectStore("meta");
        db.createObjectStore("farmers", { keyPath: "id" });
        db.createObjectStore("plots", { keyPath: "id" }).createIndex("farmer", "farmerId");
        db.createObjectStore("deliveries", { keyPath: "id" });
        db.createObjectStore("queue", { keyPath: "position", autoIncrement: true }).createIndex("key", "key", { unique: true });
      }
      if (oldVersion < 2) {
        // Counted, not read whole, on every home screen: what waits, the open deliveries, today's.
        tx.objectStore("queue").createIndex("status", "status");
        const deliveries = tx.objectStore("deliveries");
        deliveries.createIndex("open", "open");
        deliveries.createIndex("recordedAt", "recordedAt");
        if (oldVersion >= 1) {
          void deliveries.openCursor().then(async function mark(cursor): Promise<void> {
            if (!cursor) return;
            if (cursor.value.batchId === null) await cursor.update({ ...cursor.value, open: 1 });
            return cursor.continue().then(mark);
          });
        }
      }
    },
  });
}

/** What the home screen counts: items waiting to be sent, open deliveries, deliveries since `since` (ISO). */
export async function counts(db: FieldStore, since: string): Promise<{ pending: number; open: number; today: number }> {
  const tx = db.transaction(["queue", "deliveries"]);
  const queue = tx.objectStore("queue").index("status");
  const deliveries = tx.objectStore("deliveries");
  const [pending, sent, open, today] = await Promise.all([
    queue.count("pending"),
    queue.count("sent"),
    deliveries.index("open").count(),
    deliveries.index("recordedAt").count(IDBKeyRange.lowerBound(since)),
  ]);
  return { pending: pending + sent, open, today };
}

export async function getDevice(db: FieldStore): Promise<Device | null> {
  return ((await db.get("meta", "device")) as Device | undefined) ?? null;
}

export async function putDevice(db: FieldStore, device: Device): Promise<void> {
  await db.put("meta", device, "device");
}

/** Takes the next record number (and nonce), atomically with the device row. */
export async function takeNumbers(db: FieldStore, what: { seq?: boolean; nonce?: boolean }): Promise<{ seq: number; nonce: number; device: Device }> {
  const tx = db.transaction("meta", "readwrite");
  const device = (await tx.store.get("device")) as Device;
  const seq = device.nextSeq;
  const nonce = device.nextNonce;
  if (what.seq) device.nextSeq++;
  if (what.nonce) device.nextNonce++;
  await tx.store.put(device, "device");
  await tx.done;
  return { seq, nonce, device };
}
