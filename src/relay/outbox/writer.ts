import type { Database } from "../../db/database";
import { enqueueRelayRequests, type EnqueueRelayRequestReturnType, type EnqueueRelayRequestsItem } from "./enqueue";
import type { RelayRequest } from "./schema";

/** Inserts so far and the requests they carried. */
export type OutboxWriterStats = { batches: number; requests: number };

/**
 * Group commit for the outbox: requests that arrive within `windowMs` (default 2 ms) of the first
 * one, or while a write is in progress, are written together in one transaction (one multi-row
 * insert). Every caller still gets its answer only after its own row is committed, so "written
 * before acknowledged" holds; under load the database does one transaction per batch instead of
 * one per request. The window pays for itself: on PGlite a statement costs about a millisecond of
 * the gateway's one thread before its first row, a row a tenth of that.
 */
export class OutboxWriter {
  readonly #db: Database;
  readonly #maxBatch: number;
  readonly #windowMs: number;
  readonly #stats: OutboxWriterStats = { batches: 0, requests: 0 };
  /** Requests enqueued in the current and the previous wall-clock second. */
  #rate = { second: 0, current: 0, previous: 0 };
  /** The local relay worker: new requests are written already claimed by it and handed over in memory. */
  #worker: { workerId: string; take(requests: RelayRequest[]): void } | null = null;
  #queue: Array<{ item: EnqueueRelayRequestsItem; resolve: (result: EnqueueRelayRequestReturnType) => void; reject: (error: unknown) => void }> = [];
  #flushing: Promise<void> | null = null;
  /** Ends the collection window early (a full batch is queued). */
  #full: (() => void) | null = null;

  constructor(db: Database, options: { maxBatch?: number; windowMs?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#windowMs = options.windowMs ?? 2;
  }

  /** Inserts so far and the requests they carried. */
  get stats(): OutboxWriterStats {
    return { ...this.#stats };
  }

  /**
   * Hands every request written from now on to `worker` (in the same process), claimed for it in
   * the same insert: the worker needs no claim statement for them. Null stops it (the worker stops).
   */
  handTo(worker: { workerId: string; take(requests: RelayRequest[]): void } | null): void {
    this.#worker = worker;
  }

  /**
   * Records one unsigned request (see `enqueueRelayRequest`); resolves once committed.
   *
   * @throws {RelayIdempotencyConflictError} the key was used for a different request.
   * @throws {RelayInvalidRequestError} malformed member id or key.
   */
  enqueue(item: EnqueueRelayRequestsItem): Promise<EnqueueRelayRequestReturnType> {
    this.#count();
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#flushing) {
        if (this.#queue.length >= this.#maxBatch) this.#full?.();
        return;
      }
      this.#flushing = this.#collect().then(() => this.#drain());
    });
  }

  /** Requests enqueued in the last one to two seconds, per second: how hard members are writing now. */
  recentRate(): number {
    this.#count(0);
    return Math.max(this.#rate.current, this.#rate.previous);
  }

  #count(requests = 1): void {
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#rate.second) {
      this.#rate = { second, previous: second === this.#rate.second + 1 ? this.#rate.current : 0, current: 0 };
    }
    this.#rate.current += requests;
  }

  /** Resolves when everything enqueued so far is written (or refused). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /** Waits the window out, or until a full batch is queued. */
  #collect(): Promise<void> {
    if (this.#windowMs <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#full?.(), this.#windowMs);
      this.#full = () => {
        clearTimeout(timer);
        this.#full = null;
        resolve();
      };
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        this.#stats.batches += 1;
        this.#stats.requests += batch.length;
        try {
          const worker = this.#worker;
          const results = await enqueueRelayRequests(this.#db, batch.map((entry) => entry.item), { lockFor: worker?.workerId });
          if (worker) worker.take(results.flatMap((result) => ("created" in result && result.created ? [result.request] : [])));
          results.forEach((result, index) => {
            if ("error" in result) batch[index]!.reject(result.error);
            else batch[index]!.resolve(result);
          });
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }
}
