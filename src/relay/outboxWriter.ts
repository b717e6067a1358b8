import type { Database } from "../db/database";
import { enqueueRelayRequests, type EnqueueRelayRequestReturnType, type EnqueueRelayRequestsItem, type RelayRequest } from "./outboxStore";

/**
 * Group commit for the outbox: requests that arrive while a write is in progress are written
 * together in the next transaction (one multi-row insert, one notification). Every caller still
 * gets its answer only after its own row is committed, so "written before acknowledged" holds;
 * under load the database does one transaction per batch instead of one per request.
 */
export class OutboxWriter {
  readonly #db: Database;
  readonly #maxBatch: number;
  /** The local relay worker: new requests are written already claimed by it and handed over in memory. */
  #worker: { workerId: string; take(requests: RelayRequest[]): void } | null = null;
  #queue: Array<{ item: EnqueueRelayRequestsItem; resolve: (result: EnqueueRelayRequestReturnType) => void; reject: (error: unknown) => void }> = [];
  #flushing: Promise<void> | null = null;

  constructor(db: Database, options: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 500;
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
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#flushing) this.#flushing = new Promise<void>((started) => setImmediate(started)).then(() => this.#drain());
    });
  }

  /** Resolves when everything enqueued so far is written (or refused). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
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
