import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { SealedKey } from "./pinVault";
import type { Delivery } from "./deliveries";
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
  deliveries: { key: string; value: Delivery & { payment: { message: string; signature: string } } };
  queue: { key: number; value: QueueItem; indexes: { key: string } };
}

export type FieldStore = IDBPDatabase<FieldDb>;

export function openStore(name = "firstmile-field"): Promise<FieldStore> {
  return openDB<FieldDb>(name, 1, {
    upgrade(db) {
      db.createObjectStore("meta");
      db.createObjectStore("farmers", { keyPath: "id" });
      db.createObjectStore("plots", { keyPath: "id" }).createIndex("farmer", "farmerId");
      db.createObjectStore("deliveries", { keyPath: "id" });
      db.createObjectStore("queue", { keyPath: "position", autoIncrement: true }).createIndex("key", "key", { unique: true });
    },
  });
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
