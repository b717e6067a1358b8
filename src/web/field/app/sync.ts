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

export async function sync(db: FieldStore, secretKey: Uint8Array, onProgress: (progress: SyncProgress) => void = () => undefined): Promise<SyncReport> {
  await closeDay(db, secretKey);
  let device = (await getDevice(db))!;
  // The enrolment must be on chain before the phone's own requests can be.
  await waitForRequest(device, device.enrolRequestId);
  const items = (await db.getAll("queue")).filter((item) => item.status === "pending" || item.status === "sent");
  const report: SyncReport = { accepted: 0, refused: 0, total: items.length };
  const { body: forwarder } = await call(device, `/v1/relay/forwarder?account=${device.address}`);
  let expected = Number(forwarder.nonce);
  const refusedBatches = new Set((await db.getAll("queue")).filter((item) => item.type === "forward" && item.status === "refused").map((item) => item.key));
  let done = 0;
  const tally = (item: QueueItem) => {
    if (item.status === "done") report.accepted++;
    else report.refused++;
    done++;
  };
  for (let index = 0; index < items.length; index++) {
    let item = items[index]!;
    onProgress({ done, total: items.length, item });
    if (item.type === "record" && item.batchKey) {
      // A batch's payments depend only on the batch, not on each other: a few at a time.
      const group: QueueItem[] = [];
      while (index < items.length && items[index]!.type === "record" && items[index]!.batchKey) group.push(items[index++]!);
      index--;
      await pool(group, 6, async (payment) => {
        const sent = refusedBatches.has(payment.batchKey!) ? { ...payment, status: "refused" as const, reason: "the delivery's batch was refused" } : await sendRecord(device, payment);
        await db.put("queue", sent);
        tally(sent);
        onProgress({ done, total: items.length, item: sent });
      });
      continue;
    }
    if (item.type === "forward") {
      if (item.status === "pending") {
        if (Number(item.request!.nonce) !== expected) {
          item = resign(item, expected, device, secretKey);
          await db.put("queue", item);
        }
        const { status, body } = await call(device, "/v1/relay", {
          method: "POST",
          headers: { "idempotency-key": `field:${device.address}:${item.key}:${item.request!.nonce}` },
          body: JSON.stringify({ request: item.request, signature: item.signature }),
        });
        if (status !== 202) {
          item = { ...item, status: "refused", reason: reasonOf(body) };
          refusedBatches.add(item.key);
          await db.put("queue", item);
          report.refused++;
          done++;
          continue;
        }
        expected++;
        item = { ...item, status: "sent", requestId: body.id };
        await db.put("queue", item);
      }
      const outcome = await waitForRequest(device, item.requestId!);
      item = { ...item, status: outcome.ok ? "done" : "refused", reason: outcome.reason, result: outcome.outputs };
      if (!outcome.ok) {
        refusedBatches.add(item.key);
        // A request that failed on chain may have used its nonce: ask the forwarder again.
        const { body: again } = await call(device, `/v1/relay/forwarder?account=${device.address}`);
        expected = Number(again.nonce);
      }
      await db.put("queue", item);
    } else {
      if (item.batchKey && refusedBatches.has(item.batchKey)) {
        item = { ...item, status: "refused", reason: "the delivery's batch was refused" };
      } else {
        item = await sendRecord(device, item);
      }
      await db.put("queue", item);
    }
    tally(item);
  }
  onProgress({ done, total: items.length, item: null });
  // Nonces from the chain on: the next batch signed offline starts there.
  const { body: after } = await call(device, `/v1/relay/forwarder?account=${device.address}`);
  device = (await getDevice(db))!;
  await putDevice(db, { ...device, nextNonce: Math.max(Number(after.nonce), expected) });
  await pull(db, device);
  return report;
}

/** Runs `work` over `items`, at most `width` at once. */
async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

async function sendRecord(device: Device, item: QueueItem): Promise<QueueItem> {
  for (let attempt = 0; ; attempt++) {
    const { status, body } = await call(device, "/v1/field/records", { method: "POST", body: JSON.stringify({ message: item.message, signature: item.signature }) });
    if (status === 200 || status === 201) return { ...item, status: "done", reason: null, result: body };
    // The paid deliveries are mined but the read model may be a block behind.
    if (status === 409 && body?.error?.code === "deliveries_not_found" && attempt < 40) {
      await sleep(POLL_MS);
      continue;
    }
    return { ...item, status: "refused", reason: reasonOf(body) };
  }
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
