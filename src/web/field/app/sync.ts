import { closeDay, resign } from "./actions";
import { getDevice, putDevice, type Device, type FieldStore, type QueueItem } from "./store";

/**
 * Sync, when a connection is there: seal the open deliveries into batches, then send the queue in
 * the order it was made, each item once (an Idempotency-Key per item and nonce, so a resend after a
 * lost answer is the same request), and pull the cooperative's farmers and plots for offline search.
 *
 * Nonces: the phone signed its batches with consecutive nonces offline. The gateway refuses a
 * request before it takes a nonce (bad signature, expired, a plot over its capacity), so a refused
 * request leaves its nonce unused: the next request is re-signed with the nonce expected now (read
 * from the forwarder at the start), and so on; nothing waits forever on a gap. A request refused on
 * chain after acceptance used its nonce: the next sync starts from the chain's nonce again.
 */
export type SyncProgress = { done: number; total: number; item: QueueItem | null };
export type SyncReport = { accepted: number; refused: number; total: number };

const POLL_MS = 250;

export class OfflineError extends Error {}

async function call(device: Device, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { authorization: `Bearer ${device.apiToken}`, "content-type": "application/json", ...(init.headers ?? {}) } });
  } catch {
    throw new OfflineError("offline");
  }
  if (response.status >= 500 || response.status === 429) throw new OfflineError(`gateway ${response.status}`);
  return { status: response.status, body: await response.json().catch(() => null) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The refusal's reason as the agent reads it: the contract's or the gateway's error name and message. */
function reasonOf(body: any): string {
  const error = body?.error;
  if (!error) return "refused";
  const name = error.details?.error ?? error.code;
  return name ? `${name}: ${error.message}` : error.message;
}

async function waitForRequest(device: Device, id: string): Promise<{ ok: boolean; reason: string | null; outputs: unknown }> {
  for (;;) {
    const { body } = await call(device, `/v1/requests/${id}`);
    if (body?.status === "mined") return { ok: true, reason: null, outputs: body.outputs };
    if (body?.status === "failed") return { ok: false, reason: `${body.error?.name ?? "failed"}: ${body.error?.message ?? ""}`, outputs: null };
    await sleep(POLL_MS);
  }
}

/** Records per request to /v1/field/records/batch (the gateway takes at most 100). */
const RECORDS_PER_REQUEST = 100;

export async function sync(db: FieldStore, secretKey: Uint8Array, onProgress: (progress: SyncProgress) => void = () => undefined): Promise<SyncReport> {
  const mark = (name: string) => performance.mark(`field:sync:${name}`);
  mark("start");
  await closeDay(db, secretKey);
  mark("closed");
  let device = (await getDevice(db))!;
  // The enrolment must be on chain before the phone's own requests can be.
  await waitForRequest(device, device.enrolRequestId);
  const queue = await db.getAll("queue");
  const items = queue.filter((item) => item.status === "pending" || item.status === "sent");
  const report: SyncReport = { accepted: 0, refused: 0, total: items.length };
  const { body: forwarder } = await call(device, `/v1/relay/forwarder?account=${device.address}`);
  let expected = Number(forwarder.nonce);
  /** Every batch by key, as it stands now (a payment waits on its batch). */
  const batches = new Map(queue.filter((item) => item.type === "forward").map((item) => [item.key, item]));
  let done = 0;
  const settle = async (settled: QueueItem[]) => {
    const tx = db.transaction("queue", "readwrite");
    for (const item of settled) {
      void tx.store.put(item);
      if (item.type === "forward") batches.set(item.key, item);
      if (item.status === "done") report.accepted++;
      else if (item.status === "refused") report.refused++;
      if (item.status === "done" || item.status === "refused") done++;
    }
    await tx.done;
    onProgress({ done, total: items.length, item: settled[settled.length - 1] ?? null });
  };

  // Two walks down the queue at once. (1) In the order made: the farmers and plots (a batch's
  // deliveries may come from them) and the batches, each sent as soon as the one before is
  // accepted, with no waiting for blocks (the gateway holds a request whose nonce is ahead until
  // the ones before it are mined). (2) Behind it, each batch followed until mined, in order, and
  // then its payments (a payment names its deliveries by their receipts, which the gateway finds
  // once the batch is mined and indexed): the first batch's payments go while the next batches
  // are still being accepted.
  const payments = items.filter((item) => item.type === "record" && item.batchKey);
  const batchKeys = [...new Set(payments.map((payment) => payment.batchKey!))];
  for (const item of items) if (item.type === "forward" && !batchKeys.includes(item.key)) batchKeys.push(item.key);
  const handed = new Map(batchKeys.map((key) => {
    let resolve = () => undefined as void;
    const promise = new Promise<void>((done) => (resolve = done));
    return [key, { promise, resolve }] as const;
  }));
  let stopped = false;

  const sending = (async () => {
    let records: QueueItem[] = [];
    const flushRecords = async () => {
      for (let at = 0; at < records.length; at += RECORDS_PER_REQUEST) await settle(await sendRecords(device, records.slice(at, at + RECORDS_PER_REQUEST)));
      records = [];
    };
    for (const queued of items) {
      if (queued.type === "record") {
        if (!queued.batchKey) records.push(queued);
        continue;
      }
      await flushRecords();
      let item = queued;
      if (item.status === "pending") {
        if (Number(item.request!.nonce) !== expected) item = resign(item, expected, device, secretKey);
        const { status, body } = await call(device, "/v1/relay", {
          method: "POST",
          headers: { "idempotency-key": `field:${device.address}:${item.key}:${item.request!.nonce}` },
          body: JSON.stringify({ request: item.request, signature: item.signature }),
        });
        if (status !== 202) {
          // Refused before it took its nonce: the next batch is re-signed with it.
          await settle([{ ...item, status: "refused", reason: reasonOf(body) }]);
        } else {
          expected++;
          const sent: QueueItem = { ...item, status: "sent", requestId: body.id };
          await db.put("queue", sent);
          batches.set(sent.key, sent);
        }
      }
      handed.get(item.key)?.resolve();
    }
    await flushRecords();
    mark("sent");
  })().finally(() => {
    // Sent or not (no signal), the second walk is let go: it stops at the first batch not sent.
    stopped = true;
    for (const { resolve } of handed.values()) resolve();
  });

  let failedOnChain = false;
  const paying = (async () => {
    for (const key of batchKeys) {
      await handed.get(key)!.promise;
      let batch = batches.get(key);
      if (batch?.status === "sent") {
        const outcome = await waitForRequest(device, batch.requestId!);
        if (outcome.ok || !failedOnChain) {
          batch = { ...batch, status: outcome.ok ? "done" : "refused", reason: outcome.reason, result: outcome.outputs };
          failedOnChain ||= !outcome.ok;
        } else {
          // Sent behind a batch that failed on chain, it may have failed only for the nonce that
          // batch left unused: it waits for the next sync, re-signed with the chain's nonce then.
          batch = { ...batch, status: "pending", reason: outcome.reason, requestId: undefined };
        }
        await settle([batch]);
        mark(`mined:${key}`);
      }
      const own = payments.filter((payment) => payment.batchKey === key);
      if (batch?.status === "refused") {
        await settle(own.map((payment) => ({ ...payment, status: "refused" as const, reason: "the delivery's batch was refused" })));
        continue;
      }
      if (batch?.status !== "done") {
        if (stopped) return;
        continue;
      }
      for (let at = 0; at < own.length; at += RECORDS_PER_REQUEST) await settle(await sendRecords(device, own.slice(at, at + RECORDS_PER_REQUEST)));
    }
  })();
  const [first, second] = await Promise.allSettled([sending, paying]);
  if (first.status === "rejected") throw first.reason;
  if (second.status === "rejected") throw second.reason;
  onProgress({ done, total: items.length, item: null });
  mark("settled");
  // Nonces from the chain on: the next batch signed offline starts there.
  const { body: after } = await call(device, `/v1/relay/forwarder?account=${device.address}`);
  device = (await getDevice(db))!;
  // A batch that failed on chain may have left its nonce unused: then the chain's nonce is the next.
  await putDevice(db, { ...device, nextNonce: failedOnChain ? Number(after.nonce) : Math.max(Number(after.nonce), expected) });
  await pull(db, device);
  mark("pulled");
  return report;
}

/**
 * Sends records in one request to /v1/field/records/batch and answers each settled: applied,
 * refused with its reason, or (its paid deliveries not yet indexed, a block behind) sent again a
 * little later. A record the gateway failed on (5xx) stays pending for the next sync.
 */
async function sendRecords(device: Device, items: QueueItem[]): Promise<QueueItem[]> {
  const settled = new Map<string, QueueItem>();
  let waiting = items;
  for (let attempt = 0; waiting.length > 0; attempt++) {
    const { status, body } = await call(device, "/v1/field/records/batch", { method: "POST", body: JSON.stringify({ records: waiting.map((item) => ({ message: item.message, signature: item.signature })) }) });
    if (status !== 200) {
      for (const item of waiting) settled.set(item.key, { ...item, status: "refused", reason: reasonOf(body) });
      break;
    }
    const again: QueueItem[] = [];
    waiting.forEach((item, index) => {
      const result = body.results[index] as { status: number; body: any };
      if (result.status === 200 || result.status === 201) settled.set(item.key, { ...item, status: "done", reason: null, result: result.body });
      else if (result.status === 409 && result.body?.error?.code === "deliveries_not_found" && attempt < 40) again.push(item);
      else if (result.status >= 500) settled.set(item.key, item);
      else settled.set(item.key, { ...item, status: "refused", reason: reasonOf(result.body) });
    });
    waiting = again;
    if (waiting.length > 0) await sleep(POLL_MS);
  }
  return items.map((item) => settled.get(item.key) ?? item);
}

/** The cooperative's farmers and plots, for search and deliveries with no signal. */
async function pull(db: FieldStore, device: Device): Promise<void> {
  let after: string | null = null;
  do {
    const { body }: { body: any } = await call(device, `/v1/farmers?limit=500${after ? `&after=${encodeURIComponent(after)}` : ""}`);
    const tx = db.transaction("farmers", "readwrite");
    for (const farmer of body.farmers ?? []) await tx.store.put({ id: farmer.id, name: farmer.name ?? "", village: farmer.village ?? "", code: farmer.code ?? null, local: false });
    await tx.done;
    after = body.next ?? null;
  } while (after);
  let cursor: string | null = null;
  do {
    const { body }: { body: any } = await call(device, `/v1/plots?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    const tx = db.transaction("plots", "readwrite");
    for (const plot of body.plots ?? []) {
      const point = plot.geometry?.type === "Point" ? plot.geometry.coordinates : null;
      await tx.store.put({ id: plot.id, farmerId: plot.farmerId ?? "", commitment: plot.commitment, longitude: point?.[0] ?? null, latitude: point?.[1] ?? null, accuracyM: null, areaHa: (plot.areaM2 ?? 0) / 10_000 || null, local: false });
    }
    await tx.done;
    cursor = body.next ?? null;
  } while (cursor);
}
