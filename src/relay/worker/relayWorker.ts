import { NonRetryableError, isRetryable } from "../../errors/base";
import { OUTBOX_CHANNEL, claimRelayRequests, failRelayRequests, releaseRelayRequests, type RelayRequest } from "../outbox";
import { submitCalls } from "./broadcast";
import { errorRecord } from "./calls";
import { chainLimitsFor, createWorkerContext, timed, type RelayWorkerParameters, type RelayWorkerStats, type WorkerContext } from "./context";
import { planCalls } from "./plan";
import { ReceiptWatcher } from "./receipts";
import { recoverPreviousRuns } from "./recover";
import { resumeSignedCalls } from "./resume";

/**
 * The relay worker: takes requests from the outbox, signs the custodial ones, and submits them
 * through the forwarder's `executeBatch`, then records each request's outcome from the receipt.
 *
 * One pass ("tick") claims due requests and, without waiting for blocks:
 * 1. checks signed calls it got back (after a restart or a lost transaction) against the chain:
 *    already executed (the forwarder's nonce moved) -> outcome recorded from that execution;
 *    expired -> a custodial call is signed again, a member's fails (resume.ts);
 * 2. plans the queued ones: mints of one custodial account coalesce into one `mintBatch` (one
 *    signature for many lots); every call is simulated first and a call the contract would refuse
 *    fails with the decoded error (a coalesced call that would revert falls back to its requests
 *    one by one, so one bad delivery sinks nothing else) (plan.ts, candidates.ts, prechecks.ts);
 * 3. signs them with consecutive forwarder nonces per account (kept in memory: a crash now loses
 *    only signatures nobody has seen, and the requests get the same nonces again) (nonces.ts);
 * 4. packs calls into `executeBatch` transactions (up to `batchSize` calls, with the relayer as
 *    refund receiver so an invalid request is skipped rather than reverting the batch), signs each
 *    with the relayer's nonce, records the calls and the transactions carrying them in one
 *    statement (`submitted`) and only then broadcasts them (pack.ts, broadcast.ts).
 * A watcher reads each new block's receipts and attributes the logs to calls by the forwarder's
 * `ExecutedForwardRequest` events (receipts.ts, settle.ts); at start, what an earlier run left is
 * taken up (recover.ts).
 *
 * Exactly once: a call's (signer, nonce) executes at most once on chain whatever is resubmitted,
 * a custodial request keeps its nonce until its deadline has passed on chain, and an outcome is
 * always read from the chain (by the forwarder's event), never assumed.
 */
export class RelayWorker {
  readonly workerId: string;
  readonly #context: WorkerContext;
  readonly #receipts: ReceiptWatcher;
  #running = false;
  /** Stopping: passes take only what was handed over, nothing more from the database. */
  #draining = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #woken = false;
  #unlisten: (() => Promise<void>) | null = null;
  /** Requests the local outbox writer inserted already claimed for this worker, not yet processed. */
  #handed: RelayRequest[] = [];
  #lastClaim = 0;

  constructor(parameters: RelayWorkerParameters) {
    this.#context = createWorkerContext(parameters);
    this.workerId = this.#context.workerId;
    this.#receipts = new ReceiptWatcher(this.#context);
  }

  /** Where the worker's time went since it started: per phase, wall milliseconds and how often. */
  get stats(): RelayWorkerStats {
    return structuredClone(this.#context.stats);
  }

  /**
   * Takes requests the outbox writer of this process has just inserted, already claimed for this
   * worker (`enqueueRelayRequests(..., { lockFor: workerId })`): no claim statement needed.
   */
  take(requests: RelayRequest[]): void {
    if (requests.length === 0) return;
    this.#handed.push(...requests);
    this.#signal();
  }

  /** Requests in transactions not yet mined (the watcher's work). */
  get inflightTransactions(): number {
    return this.#context.inflight.size;
  }

  /** Recovers what an earlier run left (locks, submitted transactions), then starts working. */
  async start(): Promise<void> {
    const context = this.#context;
    const { db, provider, relayer } = context.parameters;
    const latest = await provider.getBlock("latest");
    if (latest?.gasLimit) context.limits = chainLimitsFor(latest.gasLimit);
    await recoverPreviousRuns(context);
    const nonce = await context.relayerNonce.load();
    this.#unlisten = await db.listen(OUTBOX_CHANNEL, () => this.#signal());
    this.#draining = false;
    this.#running = true;
    this.#loop = this.#run();
    this.#receipts.start(latest ? latest.number : 0, context.parameters.receiptPollMs ?? 250);
    context.log.info({ relayer: relayer.address, nonce: nonce.toString() }, "relay worker started");
  }

  /**
   * Drains: stops claiming from the database, finishes the pass in progress, submits what this
   * gateway accepted and handed over but had not taken into a pass yet, and waits for the receipts
   * of what was submitted; all within `drainMs`. What is left then stays safe in the outbox (handed
   * requests released, transactions found by the next start).
   */
  async stop({ drainMs = 15_000 }: { drainMs?: number } = {}): Promise<void> {
    if (!this.#running && !this.#loop) return;
    const deadline = Date.now() + drainMs;
    this.#running = false;
    this.#signal();
    await this.#loop;
    this.#loop = null;
    this.#draining = true;
    while (this.#handed.length > 0 && Date.now() < deadline) {
      try {
        await this.tick();
      } catch (error) {
        // The pass put its requests back (retried later); the rest is released below.
        this.#context.log.warn({ err: error }, "relay drain pass failed");
        break;
      }
    }
    const handed = this.#handed.splice(0).map((request) => request.id);
    if (handed.length > 0) await releaseRelayRequests(this.#context.parameters.db, { ids: handed, workerId: this.workerId }).catch(() => {});
    await this.#receipts.drained(deadline - Date.now());
    await this.#receipts.stop();
    await this.#unlisten?.().catch(() => {});
    this.#unlisten = null;
    this.#context.log.info({ inflight: this.#context.inflight.size }, "relay worker stopped");
  }

  #signal(): void {
    this.#woken = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (error) {
        this.#context.log.error({ err: error }, "relay pass failed");
        await sleep(1000);
      }
      if (!this.#running) break;
      if (claimed >= this.#claimLimit()) continue;
      const window = this.#context.parameters.batchWindowMs ?? 200;
      if (claimed > 0 && window > 0) {
        await sleep(window);
        continue;
      }
      if (this.#woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#context.parameters.config.pollIntervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /**
   * Requests per pass. With batching off (`batchSize` 1) a pass still takes many requests, each in
   * a transaction of its own, so that the comparison is calls per transaction, not one at a time.
   */
  #claimLimit(): number {
    return Math.min(2_000, Math.max(200, this.#context.parameters.config.batchSize * 20));
  }

  /** One pass: claims due requests and takes each as far as submission. Returns how many it claimed. */
  async tick(): Promise<number> {
    const context = this.#context;
    const { db, config } = context.parameters;
    const limit = this.#claimLimit();
    const claimed = this.#handed.splice(0, limit);
    // The database holds what was not handed over: retries, requests from other processes, and
    // everything after a restart. Looked at whenever nothing was handed, and at least every poll.
    if (!this.#draining && claimed.length < limit && (claimed.length === 0 || Date.now() - this.#lastClaim >= config.pollIntervalMs)) {
      this.#lastClaim = Date.now();
      const known = new Set(claimed.map((request) => request.id));
      const fromDb = await timed(context, "claim (SQL)", () => claimRelayRequests(db, { workerId: this.workerId, limit: limit - claimed.length, staleLockMs: config.staleLockMs }));
      claimed.push(...fromDb.filter((request) => !known.has(request.id)));
    }
    if (claimed.length === 0) return 0;
    context.stats.requests += claimed.length;
    try {
      const resumed = await resumeSignedCalls(context, claimed.filter((request) => request.status === "signed"));
      const planned = await planCalls(context, claimed.filter((request) => request.status === "queued"));
      await submitCalls(context, [...resumed, ...planned]);
    } catch (error) {
      // Nonces handed out in memory for calls never recorded are free again: ask the chain next time.
      context.nonces.forgetAll();
      // So may the relayer's: transactions signed but never recorded were never broadcast, and a
      // nonce kept past them would leave a gap the node waits on forever.
      context.relayerNonce.markStale();
      // Whatever this pass still holds goes back with the error (retried by class).
      const held = claimed.map((request) => request.id);
      await failRelayRequests(db, {
        workerId: this.workerId,
        // Unexpected here means transient (node, database) far more often than not: retried with backoff.
        failures: held.map((id) => ({ id, retryable: isRetryable(error) || !(error instanceof NonRetryableError), error: errorRecord(error) })),
      }).catch(() => releaseRelayRequests(db, { ids: held, workerId: this.workerId }));
      throw error;
    }
    return claimed.length;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
