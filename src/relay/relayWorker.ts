import { randomUUID } from "node:crypto";
import { getAddress, toBeHex, type JsonRpcProvider } from "ethers";
import type { Logger } from "pino";
import type { RelayConfig } from "../config/config";
import type { Database } from "../db/database";
import { NonRetryableError, isRetryable } from "../errors/base";
import { Role } from "../membership/roles";
import type { CustodialSigner } from "../chain/keystore/custodialSigner";
import type { Keystore } from "../chain/keystore/keystore";
import { encodeExecuteBatch, signedTransaction, unsignedTransactionHash } from "./batchTransaction";
import { describeRevert, type DecodedRevert } from "./contractErrors";
import { noCrash, type CrashHook } from "./crashPoints";
import { domainSeparator, forwardRequestDigest, forwarderDomain } from "./forwardRequest";
import { RelayTargetMissingError } from "./errors";
import { callAddressOf, encodeCall, isCallKind } from "./callKinds";
import { LOT_REGISTRY, MAX_BATCH, deliveriesOf, encodeMintBatch, type Delivery } from "./lotCalls";
import {
  OUTBOX_CHANNEL,
  claimRelayRequests,
  expireExhaustedRelayRequests,
  failRelayRequests,
  findSubmittedRelayRequests,
  hasLiveCall,
  highestLiveNonce,
  markHeldRelayRequestsMined,
  markRelayRequestsMined,
  markRelayTransactionsMined,
  recordRelayTransactions,
  releaseRelayRequests,
  releaseRelayRequestsOfPreviousRuns,
  requeueSubmittedRelayRequests,
  unsignRelayRequests,
  type ForwardRequest,
  type MarkRelayRequestsMinedParameters,
  type RelayErrorRecord,
  type RelayRequest,
  type RelayResult,
} from "./outboxStore";
import { FORWARDER, callKey, outputsOf, splitLogsByCall, type LogLike } from "./receiptOutputs";
import { jsonRpcOf, type JsonRpc } from "./jsonRpc";
import { mintGasFor, requestGasFor, simulateCall, type SimulateCallReturnType } from "./simulateCall";

/**
 * The relay worker: takes requests from the outbox, signs the custodial ones, and submits them
 * through the forwarder's `executeBatch`, then records each request's outcome from the receipt.
 *
 * One pass ("tick") claims due requests and, without waiting for blocks:
 * 1. checks signed calls it got back (after a restart or a lost transaction) against the chain:
 *    already executed (the forwarder's nonce moved) -> outcome recorded from that execution;
 *    expired -> a custodial call is signed again, a member's fails;
 * 2. plans the queued ones: mints of one custodial account coalesce into one `mintBatch` (one
 *    signature for many lots); every call is simulated first and a call the contract would refuse
 *    fails with the decoded error (a coalesced call that would revert falls back to its requests
 *    one by one, so one bad delivery sinks nothing else);
 * 3. signs them with consecutive forwarder nonces per account (kept in memory: a crash now loses
 *    only signatures nobody has seen, and the requests get the same nonces again);
 * 4. packs calls into `executeBatch` transactions (up to `batchSize` calls, with the relayer as
 *    refund receiver so an invalid request is skipped rather than reverting the batch), signs each
 *    with the relayer's nonce, records the calls and the transactions carrying them in one
 *    statement (`submitted`) and only then broadcasts them.
 * A watcher reads each new block's receipts and attributes the logs to calls by the forwarder's
 * `ExecutedForwardRequest` events.
 *
 * Exactly once: a call's (signer, nonce) executes at most once on chain whatever is resubmitted,
 * a custodial request keeps its nonce until its deadline has passed on chain, and an outcome is
 * always read from the chain (by the forwarder's event), never assumed.
 */
export type RelayWorkerParameters = {
  db: Database;
  provider: JsonRpcProvider;
  chainId: bigint;
  forwarder: string;
  registry: string;
  /** The attestation registry, target of `attestations.*` requests (without it they fail). */
  attestationRegistry?: string | undefined;
  /** Sends the forwarder's transactions and pays their gas. */
  relayer: CustodialSigner;
  /** Custodial keys of member accounts. */
  keystore: Keystore;
  config: RelayConfig;
  logger: Logger;
  /** Seconds a custodial call stays valid (its EIP-712 deadline); default 1 hour. */
  deadlineSeconds?: number | undefined;
  /** A transaction the node no longer knows after this long is considered dropped; default 20 s. */
  dropAfterMs?: number | undefined;
  /** How often the receipt watcher looks for new blocks; default 250 ms. */
  receiptPollMs?: number | undefined;
  crash?: CrashHook | undefined;
  /** JSON-RPC for the hot calls (receipts, broadcasts, simulations); default: through `provider`. */
  rpc?: JsonRpc | undefined;
  /**
   * After a pass that found work, wait this long before the next claim so that requests arriving
   * meanwhile share calls and transactions (default 200 ms; not with `batchSize` 1). Blocks come
   * every second: submitting more often than a few times a block buys nothing.
   */
  batchWindowMs?: number | undefined;
};

/** One call as the worker plans, submits and settles it. */
type PlannedCall = {
  forwardRequest: ForwardRequest;
  signature: string;
  custodial: boolean;
  rows: Array<{ id: bigint; memberId: bigint; kind: string; offset: number; items: number }>;
  /** A gap filler carries no request: it only uses up a forwarder nonce nobody else will. */
  filler?: boolean;
  /** Signed in this pass and not recorded yet: recorded together with its transaction. */
  fresh?: boolean;
};

type Inflight = { hash: string; calls: PlannedCall[]; sentAt: number };

/** A call planned from queued requests, before it is signed. */
type Candidate = {
  from: string;
  /** The contract called: the request kind's target. */
  to: string;
  data: string;
  rows: Array<{ request: RelayRequest; offset: number; items: number }>;
  gas?: bigint;
  /** Deliveries, for a mint or mintBatch call (its gas is known). */
  deliveries?: number;
  /** While coalescing: the deliveries so far. */
  mints?: Delivery[];
};

const FILLER_GAS = 60_000n;
/** A delivery in a mintBatch costs about 51k gas; with the forwarder and margin, 70k. */
const PER_DELIVERY_GAS = 70_000n;
const FORWARDER_OVERHEAD_GAS = 60_000n;
const DEFER_MS = 1_000;
const DEFERRALS = 5;

export class RelayWorker {
  readonly workerId: string;
  readonly #p: RelayWorkerParameters;
  readonly #log: Logger;
  readonly #crash: CrashHook;
  readonly #separator: string;
  readonly #deadlineSeconds: bigint;
  readonly #signers = new Map<string, Promise<CustodialSigner>>();
  readonly #defaultAccounts = new Map<bigint, Promise<string[]>>();
  readonly #nextNonce = new Map<string, bigint>();
  readonly #inflight = new Map<string, Inflight>();
  #relayerNonce: bigint | null = null;
  /** Set when the relayer's nonce must be read again from the node before the next transaction. */
  #relayerNonceStale = false;
  #running = false;
  /** Stopping: passes take only what was handed over, nothing more from the database. */
  #draining = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #woken = false;
  #unlisten: (() => Promise<void>) | null = null;
  #watcher: NodeJS.Timeout | null = null;
  #watching: Promise<void> | null = null;
  #lastBlock = -1;
  #blockReceipts = true;
  #txGasCap = 100_000_000n;
  /** Most deliveries in one coalesced mintBatch: MAX_BATCH, fewer on a chain with small blocks. */
  #maxCoalesce = MAX_BATCH;
  #fees: { at: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | null = null;
  #drained: Array<() => void> = [];
  readonly #rpc: JsonRpc;
  /** Requests the local outbox writer inserted already claimed for this worker, not yet processed. */
  #handed: RelayRequest[] = [];
  readonly #forms = new Set<number>();
  #lastClaim = 0;
  readonly #stats: RelayWorkerStats = { requests: 0, calls: 0, transactions: 0, phases: {} };

  constructor(parameters: RelayWorkerParameters) {
    this.#p = parameters;
    this.workerId = `${parameters.relayer.address.toLowerCase()}/${randomUUID().slice(0, 8)}`;
    this.#log = parameters.logger.child({ component: "relay", worker: this.workerId });
    this.#crash = parameters.crash ?? noCrash;
    this.#separator = domainSeparator(forwarderDomain(parameters.chainId, parameters.forwarder));
    this.#deadlineSeconds = BigInt(parameters.deadlineSeconds ?? 3600);
    this.#rpc = parameters.rpc ?? jsonRpcOf(parameters.provider);
  }

  /** Where the worker's time went since it started: per phase, wall milliseconds and how often. */
  get stats(): RelayWorkerStats {
    return structuredClone(this.#stats);
  }

  async #time<T>(phase: string, fn: () => Promise<T> | T): Promise<T> {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      const entry = (this.#stats.phases[phase] ??= { ms: 0, count: 0 });
      entry.ms += performance.now() - started;
      entry.count += 1;
    }
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
    return this.#inflight.size;
  }

  /** Recovers what an earlier run left (locks, submitted transactions), then starts working. */
  async start(): Promise<void> {
    const { db, provider, relayer } = this.#p;
    const latest = await provider.getBlock("latest");
    this.#lastBlock = latest ? latest.number : 0;
    if (latest?.gasLimit) {
      this.#txGasCap = latest.gasLimit / 4n;
      this.#maxCoalesce = Math.max(1, Math.min(MAX_BATCH, Number(latest.gasLimit / 2n / PER_DELIVERY_GAS)));
    }
    await releaseRelayRequestsOfPreviousRuns(db, { workerIdPrefix: `${relayer.address.toLowerCase()}/`, currentWorkerId: this.workerId });
    await this.#recoverSubmitted();
    const expired = await expireExhaustedRelayRequests(db, { staleLockMs: this.#p.config.staleLockMs });
    if (expired.length > 0) this.#log.warn({ ids: expired.map((r) => r.id.toString()) }, "requests failed: attempts exhausted");
    this.#relayerNonce = BigInt(await provider.getTransactionCount(relayer.address, "pending"));
    this.#unlisten = await db.listen(OUTBOX_CHANNEL, () => this.#signal());
    this.#draining = false;
    this.#running = true;
    this.#loop = this.#run();
    this.#watcher = setInterval(() => {
      if (!this.#watching) this.#watching = this.#watchReceipts().finally(() => (this.#watching = null));
    }, this.#p.receiptPollMs ?? 250);
    this.#log.info({ relayer: relayer.address, nonce: this.#relayerNonce.toString() }, "relay worker started");
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
        this.#log.warn({ err: error }, "relay drain pass failed");
        break;
      }
    }
    const handed = this.#handed.splice(0).map((request) => request.id);
    if (handed.length > 0) await releaseRelayRequests(this.#p.db, { ids: handed, workerId: this.workerId }).catch(() => {});
    if (this.#inflight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.#watcher) clearInterval(this.#watcher);
    this.#watcher = null;
    await this.#watching;
    await this.#unlisten?.().catch(() => {});
    this.#unlisten = null;
    this.#log.info({ inflight: this.#inflight.size }, "relay worker stopped");
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
        this.#log.error({ err: error }, "relay pass failed");
        await sleep(1000);
      }
      if (!this.#running) break;
      if (claimed >= this.#claimLimit()) continue;
      const window = this.#p.batchWindowMs ?? 200;
      if (claimed > 0 && window > 0) {
        await sleep(window);
        continue;
      }
      if (this.#woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#p.config.pollIntervalMs);
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
    return Math.min(2_000, Math.max(200, this.#p.config.batchSize * 20));
  }

  /** One pass: claims due requests and takes each as far as submission. Returns how many it claimed. */
  async tick(): Promise<number> {
    const { db, config } = this.#p;
    const limit = this.#claimLimit();
    const claimed = this.#handed.splice(0, limit);
    // The database holds what was not handed over: retries, requests from other processes, and
    // everything after a restart. Looked at whenever nothing was handed, and at least every poll.
    if (!this.#draining && claimed.length < limit && (claimed.length === 0 || Date.now() - this.#lastClaim >= config.pollIntervalMs)) {
      this.#lastClaim = Date.now();
      const known = new Set(claimed.map((request) => request.id));
      const fromDb = await this.#time("claim (SQL)", () => claimRelayRequests(db, { workerId: this.workerId, limit: limit - claimed.length, staleLockMs: config.staleLockMs }));
      claimed.push(...fromDb.filter((request) => !known.has(request.id)));
    }
    if (claimed.length === 0) return 0;
    this.#stats.requests += claimed.length;
    try {
      const resumed = await this.#checkSigned(claimed.filter((request) => request.status === "signed"));
      const planned = await this.#plan(claimed.filter((request) => request.status === "queued"));
      await this.#submit([...resumed, ...planned]);
    } catch (error) {
      // Nonces handed out in memory for calls never recorded are free again: ask the chain next time.
      this.#nextNonce.clear();
      // So may the relayer's: transactions signed but never recorded were never broadcast, and a
      // nonce kept past them would leave a gap the node waits on forever.
      this.#relayerNonceStale = true;
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

  // -------------------------------------------------------------------------------------------
  // signed calls coming back

  async #checkSigned(requests: RelayRequest[]): Promise<PlannedCall[]> {
    if (requests.length === 0) return [];
    const { db } = this.#p;
    const calls = groupByCall(requests);
    const chainNonces = await this.#forwarderNonces([...new Set(calls.map((call) => call.forwardRequest.from))]);
    const now = await this.#chainTime();
    const ready: PlannedCall[] = [];
    const fillers: PlannedCall[] = [];
    for (const call of calls) {
      const { from, nonce, deadline } = call.forwardRequest;
      const chainNonce = chainNonces.get(from.toLowerCase())!;
      if (chainNonce > nonce) {
        // Executed already (an earlier submission reached the chain), or the nonce went to another request.
        await this.#settleExecutedElsewhere(call);
        continue;
      }
      if (deadline < now) {
        if (call.custodial) {
          // Dead for good: signed again with a fresh nonce and deadline.
          await unsignRelayRequests(db, { workerId: this.workerId, ids: call.rows.map((row) => row.id), error: { name: "RelayCallExpired", message: "the signed call expired before it was executed; signing it again" } });
          this.#nextNonce.delete(from.toLowerCase());
        } else {
          await failRelayRequests(db, {
            workerId: this.workerId,
            failures: call.rows.map((row) => ({ id: row.id, retryable: false, error: revertRecord(describeRevert("ERC2771ForwarderExpiredRequest", { deadline: deadline.toString() })) })),
          });
        }
        continue;
      }
      if (call.custodial && chainNonce < nonce && !calls.some((other) => sameSigner(other, from) && other.forwardRequest.nonce === chainNonce)) {
        // An earlier nonce of this account is held by no live call (it died): fill the gap.
        if (!(await hasLiveCall(db, { account: from, nonce: chainNonce })) && !fillers.some((filler) => sameSigner(filler, from))) {
          fillers.push(await this.#filler(from, chainNonce));
        }
      }
      ready.push(call);
    }
    return [...fillers, ...ready];
  }

  /** A call that only uses up `nonce` of `account` (a view call through the forwarder). */
  async #filler(account: string, nonce: bigint): Promise<PlannedCall> {
    const forwardRequest: ForwardRequest = {
      from: account,
      to: this.#p.registry,
      value: 0n,
      gas: FILLER_GAS,
      nonce,
      deadline: (await this.#chainTime()) + this.#deadlineSeconds,
      data: LOT_REGISTRY.encodeFunctionData("nextLotId", [account]),
    };
    this.#log.warn({ account, nonce: nonce.toString() }, "filling a forwarder nonce gap");
    return { forwardRequest, signature: await this.#sign(forwardRequest), custodial: true, rows: [], filler: true };
  }

  // -------------------------------------------------------------------------------------------
  // planning queued requests

  async #plan(requests: RelayRequest[]): Promise<PlannedCall[]> {
    if (requests.length === 0) return [];
    const { db, config } = this.#p;
    const failures: Array<{ id: bigint; retryable: boolean; error: RelayErrorRecord; delayMs?: number }> = [];

    // Who acts: the payload's account, or the member's first custodial account.
    const accepted: Array<{ request: RelayRequest; from: string }> = [];
    for (const request of requests) {
      const from = await this.#accountFor(request).catch((error: unknown) => {
        failures.push({ id: request.id, retryable: false, error: errorRecord(error) });
        return null;
      });
      if (from) accepted.push({ request, from });
    }

    // Coalesce mints per account (in claim order); everything else is a call of its own.
    const coalesce = config.batchSize > 1;
    const candidates: Candidate[] = [];
    const openMint = new Map<string, Candidate & { mints: Delivery[] }>();
    for (const { request, from } of accepted) {
      const deliveries = coalesce ? deliveriesOf(request.kind, request.payload) : null;
      if (deliveries) {
        let group = openMint.get(from);
        if (!group || group.mints.length + deliveries.length > this.#maxCoalesce) {
          group = { from, to: this.#p.registry, data: "", rows: [], mints: [] };
          openMint.set(from, group);
          candidates.push(group);
        }
        group.rows.push({ request, offset: group.mints.length, items: deliveries.length });
        group.mints.push(...deliveries);
        continue;
      }
      try {
        const mints = deliveriesOf(request.kind, request.payload)?.length;
        candidates.push({ from, to: this.#targetOf(request), data: this.#encode(request), rows: [{ request, offset: 0, items: mints ?? 1 }], ...(mints === undefined ? {} : { deliveries: mints }) });
      } catch (error) {
        failures.push({ id: request.id, retryable: false, error: errorRecord(error) });
      }
    }
    for (const candidate of candidates) {
      if (candidate.mints) {
        candidate.data = candidate.rows.length === 1 ? this.#encode(candidate.rows[0]!.request) : encodeMintBatch(candidate.mints);
        candidate.deliveries = candidate.mints.length;
        delete candidate.mints;
      }
    }

    // Mints whose rules hold by cheap reads (a cooperative account, registered forms) need no
    // simulation: executing a 500-delivery mintBatch costs the node as much as mining it.
    const good: Candidate[] = [];
    const cooperative = new Map<string, Promise<boolean>>();
    const prechecked = await Promise.all(candidates.map((candidate) => this.#mintRulesHold(candidate, cooperative)));
    for (const [index, candidate] of candidates.entries()) {
      if (prechecked[index]) {
        candidate.gas = mintGasFor(candidate.deliveries!);
        good.push(candidate);
      }
    }
    // Simulate the others; a coalesced call that would revert is split into its requests, simulated one by one.
    let pending = candidates.filter((_, index) => !prechecked[index]);
    while (pending.length > 0) {
      const results = await this.#time("simulate (eth_call / eth_estimateGas)", () => Promise.all(pending.map((candidate) => this.#simulate(candidate))));
      const retry: Candidate[] = [];
      for (const [index, candidate] of pending.entries()) {
        const result = results[index]!;
        if (result.ok) {
          candidate.gas = result.gas === null ? mintGasFor(candidate.deliveries ?? 1) : requestGasFor(result.gas);
          good.push(candidate);
        } else if (candidate.rows.length > 1) {
          for (const row of candidate.rows) {
            retry.push({ from: candidate.from, to: candidate.to, data: this.#encode(row.request), rows: [{ request: row.request, offset: 0, items: row.items }], deliveries: candidate.deliveries === undefined ? undefined : row.items });
          }
        } else {
          failures.push(await this.#refusal(candidate.rows[0]!.request, result, requests));
        }
      }
      pending = retry;
    }
    if (failures.length > 0) {
      await failRelayRequests(db, { workerId: this.workerId, failures });
      this.#log.info({ failed: failures.map((failure) => [failure.id.toString(), failure.error.name]) }, "requests refused before submission");
    }
    if (good.length === 0) return [];

    // Sign with consecutive nonces per account, in claim order.
    good.sort((a, b) => (a.rows[0]!.request.id < b.rows[0]!.request.id ? -1 : 1));
    const deadline = BigInt(Math.floor(Date.now() / 1000)) + this.#deadlineSeconds;
    const planned: PlannedCall[] = [];
    const signingStarted = performance.now();
    for (const candidate of good) {
      const forwardRequest: ForwardRequest = {
        from: candidate.from,
        to: candidate.to,
        value: 0n,
        gas: candidate.gas!,
        nonce: await this.#allocateNonce(candidate.from),
        deadline,
        data: candidate.data,
      };
      planned.push({
        forwardRequest,
        signature: await this.#sign(forwardRequest),
        custodial: true,
        fresh: true,
        rows: candidate.rows.map((row) => ({ id: row.request.id, memberId: row.request.memberId, kind: row.request.kind, offset: row.offset, items: row.items })),
      });
    }
    const signing = (this.#stats.phases["sign calls (EIP-712)"] ??= { ms: 0, count: 0 });
    signing.ms += performance.now() - signingStarted;
    signing.count += planned.length;
    this.#stats.calls += planned.length;
    // Recorded with the transaction that carries them (#submit): a crash before that loses only
    // signatures nobody has seen; the requests are still queued and get the same nonces again.
    this.#crash("after-sign");
    return planned;
  }

  /**
   * Whether a mint candidate passes the registry's mint rules by reads: its account may mint (the
   * cooperative role, account and member active) and every delivery's form is registered (grams > 0
   * and form ids are the schema's). Anything else (false) goes through a full simulation, which
   * also names the error.
   */
  async #mintRulesHold(candidate: Candidate, cooperative: Map<string, Promise<boolean>>): Promise<boolean> {
    if (candidate.deliveries === undefined) return false;
    const forms = new Set(candidate.rows.flatMap((row) => (deliveriesOf(row.request.kind, row.request.payload) ?? []).map((delivery) => delivery.form)));
    let mayMint = cooperative.get(candidate.from);
    if (!mayMint) {
      mayMint = this.#view("hasRole", [candidate.from, Role.cooperative]).then(([allowed]) => allowed === true);
      cooperative.set(candidate.from, mayMint);
    }
    const checks = await Promise.all([mayMint, ...[...forms].map((form) => this.#formRegistered(form))]);
    return checks.every(Boolean);
  }

  /** Registered forms stay registered: remembered once seen. */
  async #formRegistered(form: number): Promise<boolean> {
    if (this.#forms.has(form)) return true;
    const [registered] = await this.#view("getForm", [form]);
    if ((registered as { registered: boolean }).registered) this.#forms.add(form);
    return this.#forms.has(form);
  }

  async #view(fn: "hasRole" | "getForm", args: unknown[]) {
    const data = LOT_REGISTRY.encodeFunctionData(fn, args);
    return LOT_REGISTRY.decodeFunctionResult(fn, await this.#rpc.call<string>("eth_call", [{ to: this.#p.registry, data }, "latest"]));
  }

  /** Why a request that would revert is not submitted: failed now, or deferred while earlier work of its member is in flight. */
  async #refusal(request: RelayRequest, result: SimulateCallReturnType, batch: RelayRequest[]) {
    const revert = result.ok ? null : result.revert;
    const error: RelayErrorRecord = revert
      ? revertRecord(revert)
      : { name: "ContractRevert", message: "the contract refuses the request (revert data not recognised)", details: result.ok ? undefined : result.data ?? undefined };
    // An earlier request of the same member may be what this one needs (an offer after its mint):
    // wait for it a few times before calling the refusal final.
    const earlier =
      batch.some((other) => other.memberId === request.memberId && other.id < request.id) ||
      (await this.#memberHasEarlierWork(request));
    if (earlier && request.attempts < DEFERRALS) return { id: request.id, retryable: true, error, delayMs: DEFER_MS };
    return { id: request.id, retryable: false, error };
  }

  async #memberHasEarlierWork(request: RelayRequest): Promise<boolean> {
    const { rows } = await this.#p.db.query(
      "select 1 from outbox where member_id = $1 and id < $2 and status in ('signed', 'submitted') limit 1",
      [request.memberId, request.id],
    );
    return rows.length > 0;
  }

  #encode(request: RelayRequest): string {
    if (!isCallKind(request.kind)) throw new Error(`unknown request kind ${request.kind}`);
    return encodeCall(request.kind, request.payload);
  }

  /** The contract a request's kind calls. */
  #targetOf(request: RelayRequest): string {
    if (!isCallKind(request.kind)) throw new Error(`unknown request kind ${request.kind}`);
    const to = callAddressOf(request.kind, { lotRegistry: this.#p.registry, attestationRegistry: this.#p.attestationRegistry });
    if (!to) throw new RelayTargetMissingError(`No contract for ${request.kind} requests on this network (the attestation registry is not deployed)`);
    return to;
  }

  #simulate(candidate: Candidate): Promise<SimulateCallReturnType> {
    return simulateCall({
      rpc: this.#rpc,
      forwarder: this.#p.forwarder,
      from: candidate.from,
      to: candidate.to,
      data: candidate.data,
      mode: candidate.deliveries === undefined ? "estimate" : "call",
    });
  }

  /** The custodial account a request acts from: its `account`, which must be the member's, or the member's first. */
  async #accountFor(request: RelayRequest): Promise<string> {
    let accounts = await this.#accountsOf(request.memberId);
    const wanted = (request.payload as { account?: string } | null)?.account;
    if (wanted) {
      if (!accounts.some((account) => account.toLowerCase() === wanted.toLowerCase())) {
        this.#defaultAccounts.delete(request.memberId);
        accounts = await this.#accountsOf(request.memberId);
      }
      const found = accounts.find((account) => account.toLowerCase() === wanted.toLowerCase());
      if (!found) throw new RelayAccountError(`Account ${wanted} is not a custodial account of member ${request.memberId}`);
      return found;
    }
    if (accounts.length === 0) throw new RelayAccountError(`Member ${request.memberId} has no custodial account: sign requests with its own key (POST /v1/relay)`);
    return accounts[0]!;
  }

  #accountsOf(memberId: bigint): Promise<string[]> {
    let accounts = this.#defaultAccounts.get(memberId);
    if (!accounts) {
      accounts = this.#p.keystore.listAccounts(memberId).then((list) => list.map((account) => account.address));
      accounts.catch(() => this.#defaultAccounts.delete(memberId));
      this.#defaultAccounts.set(memberId, accounts);
    }
    return accounts;
  }

  /** Next forwarder nonce of a custodial account: above the chain's and above every live call's. */
  async #allocateNonce(account: string): Promise<bigint> {
    const key = account.toLowerCase();
    let next = this.#nextNonce.get(key);
    if (next === undefined) {
      const [chain] = [...(await this.#forwarderNonces([account])).values()];
      const live = await highestLiveNonce(this.#p.db, { account });
      next = live === null || live < chain! ? chain! : live + 1n;
    }
    this.#nextNonce.set(key, next + 1n);
    return next;
  }

  async #sign(request: ForwardRequest): Promise<string> {
    const signer = await this.#signerFor(request.from);
    return signer.signDigest(forwardRequestDigest(this.#separator, request)).serialized;
  }

  #signerFor(address: string): Promise<CustodialSigner> {
    const key = address.toLowerCase();
    let signer = this.#signers.get(key);
    if (!signer) {
      signer = this.#p.keystore.signer(address);
      signer.catch(() => this.#signers.delete(key));
      this.#signers.set(key, signer);
    }
    return signer;
  }

  // -------------------------------------------------------------------------------------------
  // submission

  async #submit(calls: PlannedCall[]): Promise<void> {
    if (calls.length === 0) return;
    const { db, provider, relayer, config, chainId, forwarder } = this.#p;
    // Per account, nonces must run upwards through a batch; across accounts the order is free.
    calls.sort((a, b) => (a.forwardRequest.nonce < b.forwardRequest.nonce ? -1 : a.forwardRequest.nonce > b.forwardRequest.nonce ? 1 : 0));
    const chunks: PlannedCall[][] = [];
    let chunk: PlannedCall[] = [];
    let chunkGas = 0n;
    for (const call of calls) {
      const gas = callGas(call);
      if (chunk.length > 0 && (chunk.length >= config.batchSize || chunkGas + gas > this.#txGasCap)) {
        chunks.push(chunk);
        chunk = [];
        chunkGas = 0n;
      }
      chunk.push(call);
      chunkGas += gas;
    }
    if (chunk.length > 0) chunks.push(chunk);

    const fees = await this.#feeData();
    if (this.#relayerNonceStale) {
      this.#relayerNonceStale = false;
      this.#relayerNonce = BigInt(await provider.getTransactionCount(relayer.address, "pending"));
    }
    const encodingStarted = performance.now();
    const transactions = chunks.map((batch) => {
      const data = encodeExecuteBatch(batch, relayer.address);
      const gasLimit = 21_000n + BigInt(data.length) * 16n + batch.reduce((sum, call) => sum + callGas(call), 0n);
      const tx = { chainId, nonce: this.#relayerNonce!, to: forwarder, data, gasLimit, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas, value: 0n };
      this.#relayerNonce! += 1n;
      const { raw, hash } = signedTransaction(tx, relayer.signDigest(unsignedTransactionHash(tx)));
      return { calls: batch, raw, hash, ids: batch.flatMap((call) => call.rows.map((row) => row.id)) };
    });
    const encoding = (this.#stats.phases["encode + sign transactions"] ??= { ms: 0, count: 0 });
    encoding.ms += performance.now() - encodingStarted;
    encoding.count += transactions.length;
    this.#stats.transactions += transactions.length;
    // Before anything is broadcast: every call and the transaction carrying it, in one statement.
    await this.#time("record signed + submitted (SQL)", () =>
      recordRelayTransactions(db, {
        workerId: this.workerId,
        transactions: transactions.map((transaction) => ({
          txHash: transaction.hash,
          calls: transaction.calls
            .filter((call) => call.fresh && call.rows.length > 0)
            .map((call) => ({
              forwardRequest: call.forwardRequest,
              signature: call.signature,
              custodial: call.custodial,
              requests: call.rows.map((row) => ({ id: row.id, offset: row.offset, items: row.items })),
            })),
          resumed: transaction.calls.filter((call) => !call.fresh).flatMap((call) => call.rows.map((row) => row.id)),
        })),
      }),
    );
    for (const transaction of transactions) for (const call of transaction.calls) call.fresh = false;
    this.#crash("after-submit");
    const sentAt = Date.now();
    for (const transaction of transactions) this.#inflight.set(transaction.hash, { hash: transaction.hash, calls: transaction.calls, sentAt });

    const sent = await this.#time("broadcast (eth_sendRawTransaction)", () =>
      Promise.all(
        transactions.map((transaction) =>
          this.#rpc.call("eth_sendRawTransaction", [transaction.raw]).then(
            () => null,
            (error: unknown) => ({ transaction, error }),
          ),
        ),
      ),
    );
    const refused = sent.filter((result) => result !== null);
    if (refused.length > 0) {
      // Not in the node: back to signed (the same calls go out again); the relayer nonce is re-read.
      for (const { transaction, error } of refused) {
        this.#inflight.delete(transaction.hash);
        this.#log.warn({ tx: transaction.hash, err: error }, "the node refused a relay transaction");
        if (transaction.ids.length > 0) {
          await requeueSubmittedRelayRequests(db, { ids: transaction.ids, txHash: transaction.hash, error: errorRecord(error), delayMs: DEFER_MS });
        }
      }
      this.#relayerNonce = BigInt(await provider.getTransactionCount(relayer.address, "pending"));
    }
    this.#crash("after-broadcast");
    this.#log.debug({ transactions: transactions.length, calls: calls.length }, "relay transactions sent");
  }

  async #feeData(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    if (this.#fees && Date.now() - this.#fees.at < 2_000) return this.#fees;
    const block = await this.#p.provider.getBlock("latest");
    const base = block?.baseFeePerGas ?? 0n;
    // Priority fees buy nothing on a permissioned chain; a doubled base fee covers a few full blocks.
    this.#fees = { at: Date.now(), maxFeePerGas: base * 2n + 1n, maxPriorityFeePerGas: 1n };
    return this.#fees;
  }

  // -------------------------------------------------------------------------------------------
  // receipts

  async #watchReceipts(): Promise<void> {
    const { provider } = this.#p;
    try {
      // The head first, then the in-flight set: a transaction registered after this look is sent
      // after it too, so it lands in a later block. With nothing in flight the scan jumps ahead.
      const head = await provider.getBlockNumber();
      if (this.#inflight.size === 0) {
        this.#lastBlock = Math.max(this.#lastBlock, head);
        this.#notifyDrained();
        return;
      }
      for (let block = this.#lastBlock + 1; block <= head && this.#inflight.size > 0; block++) {
        const receipts = await this.#time("receipts (eth_getBlockReceipts)", () => this.#receiptsOf(block));
        if (receipts === null) break;
        const ours = receipts.flatMap((receipt) => {
          const entry = this.#inflight.get(receipt.transactionHash);
          return entry ? [{ entry, receipt }] : [];
        });
        if (ours.length > 0) {
          // A block's outcomes are written together: one statement, however many transactions.
          await this.#time("settle (outputs + SQL)", async () => {
            this.#crash("before-mined");
            const mined: MarkRelayRequestsMinedParameters[] = [];
            for (const { entry, receipt } of ours) await this.#settle(entry, receipt, mined);
            await markRelayTransactionsMined(this.#p.db, mined);
            for (const { entry } of ours) this.#inflight.delete(entry.hash);
          });
        }
        this.#lastBlock = block;
      }
      if (this.#inflight.size > 0) this.#lastBlock = Math.max(this.#lastBlock, head);
      await this.#checkDropped();
    } catch (error) {
      this.#log.warn({ err: error }, "receipt watch failed; retrying");
    }
    if (this.#inflight.size === 0) this.#notifyDrained();
  }

  #notifyDrained(): void {
    const waiting = this.#drained;
    this.#drained = [];
    for (const resolve of waiting) resolve();
  }

  /** Every receipt of a block, or those of our in-flight transactions where `eth_getBlockReceipts` is missing. */
  async #receiptsOf(block: number): Promise<RpcReceipt[] | null> {
    const { provider } = this.#p;
    if (this.#blockReceipts) {
      try {
        return ((await this.#rpc.call<RpcReceipt[] | null>("eth_getBlockReceipts", [toBeHex(block)]))) ?? [];
      } catch (error) {
        if (!/method|not (found|supported|available)/i.test(String((error as Error).message))) throw error;
        this.#blockReceipts = false;
      }
    }
    const receipts = await Promise.all([...this.#inflight.keys()].map((hash) => this.#rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [hash])));
    return receipts.filter((receipt): receipt is RpcReceipt => receipt !== null && Number(receipt.blockNumber) <= block);
  }

  /** In-flight transactions the node has forgotten (dropped, or lost with a node restart) go back to signed. */
  async #checkDropped(): Promise<void> {
    const dropAfter = this.#p.dropAfterMs ?? 20_000;
    const old = [...this.#inflight.values()].filter((entry) => Date.now() - entry.sentAt > dropAfter);
    for (const entry of old) {
      const [receipt, known] = await Promise.all([
        this.#rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [entry.hash]),
        this.#rpc.call("eth_getTransactionByHash", [entry.hash]),
      ]);
      if (receipt) {
        await this.#settle(entry, receipt);
      } else if (!known) {
        this.#log.warn({ tx: entry.hash }, "relay transaction dropped by the node; requeued");
        this.#inflight.delete(entry.hash);
        const ids = entry.calls.flatMap((call) => call.rows.map((row) => row.id));
        if (ids.length > 0) await requeueSubmittedRelayRequests(this.#p.db, { ids, txHash: entry.hash, error: { name: "RelayTransactionDropped", message: "the node dropped the transaction; submitting again" } });
        this.#relayerNonceStale = true;
      } else {
        entry.sentAt = Date.now();
      }
    }
  }

  /**
   * Records what a mined transaction did for each request in it; with `batch`, the plain outcomes
   * are added to it for the caller to write (and remove the transaction from the in-flight set).
   */
  async #settle(entry: Inflight, receipt: RpcReceipt, batch?: MarkRelayRequestsMinedParameters[]): Promise<void> {
    const { db } = this.#p;
    const ids = entry.calls.flatMap((call) => call.rows.map((row) => row.id));
    const blockNumber = BigInt(receipt.blockNumber);
    if (!batch) this.#crash("before-mined");
    if (Number(receipt.status) !== 1) {
      this.#log.warn({ tx: entry.hash }, "relay transaction reverted as a whole; requeued");
      if (ids.length > 0) {
        await requeueSubmittedRelayRequests(db, { ids, txHash: entry.hash, delayMs: DEFER_MS, error: { name: "RelayTransactionReverted", message: "the batch transaction reverted; submitting again" } });
      }
      if (!batch) this.#inflight.delete(entry.hash);
      return;
    }
    const executions = splitLogsByCall(receipt.logs, this.#p.forwarder);
    const results: RelayResult[] = [];
    const requeue: bigint[] = [];
    const skipped: PlannedCall[] = [];
    for (const call of entry.calls) {
      const execution = executions.get(callKey(call.forwardRequest.from, call.forwardRequest.nonce));
      if (!execution) {
        if (!call.filler) skipped.push(call);
        continue;
      }
      if (execution.success) {
        results.push(...this.#outputs(call, execution.logs));
      } else {
        const error = await this.#whyReverted(call);
        for (const row of call.rows) results.push({ id: row.id, error });
      }
    }
    // Skipped calls were invalid when they ran: find out why, on chain.
    if (skipped.length > 0) {
      const chainNonces = await this.#forwarderNonces([...new Set(skipped.map((call) => call.forwardRequest.from))]);
      const block = await this.#p.provider.getBlock(receipt.blockNumber);
      for (const call of skipped) {
        const { from, nonce, deadline } = call.forwardRequest;
        const chainNonce = chainNonces.get(from.toLowerCase())!;
        if (chainNonce > nonce) {
          // Executed by an earlier transaction (this one carried it again): that one's outcome counts.
          const found = await this.#findExecution(call);
          if (found) {
            await markRelayRequestsMined(db, { txHash: entry.hash, minedTxHash: found.txHash, blockNumber: found.blockNumber, results: found.results });
          } else {
            for (const row of call.rows) results.push({ id: row.id, error: revertRecord(describeRevert("InvalidAccountNonce", { account: getAddress(from), currentNonce: chainNonce.toString() })) });
          }
        } else if (block && BigInt(block.timestamp) > deadline && !call.custodial) {
          for (const row of call.rows) results.push({ id: row.id, error: revertRecord(describeRevert("ERC2771ForwarderExpiredRequest", { deadline: deadline.toString() })) });
        } else if (chainNonce === nonce && !call.custodial && (!block || BigInt(block.timestamp) <= deadline)) {
          for (const row of call.rows) {
            results.push({ id: row.id, error: { name: "ERC2771ForwarderInvalidSigner", message: "the forwarder does not recover the request's `from` from its signature" } });
          }
        } else {
          // Waiting for an earlier nonce, or a custodial call to be signed again: back to signed.
          requeue.push(...call.rows.map((row) => row.id));
        }
      }
    }
    if (batch) batch.push({ txHash: entry.hash, blockNumber, results });
    else if (results.length > 0) await markRelayRequestsMined(db, { txHash: entry.hash, blockNumber, results, quiet: true });
    if (requeue.length > 0) {
      await requeueSubmittedRelayRequests(db, { ids: requeue, txHash: entry.hash, delayMs: DEFER_MS, error: { name: "RelayCallSkipped", message: "the forwarder skipped the call (an earlier nonce was not executed yet); submitting again" } });
    }
    if (!batch) this.#inflight.delete(entry.hash);
    this.#log.debug({ tx: entry.hash, block: receipt.blockNumber, requests: ids.length }, "relay transaction mined");
  }

  #outputs(call: PlannedCall, logs: LogLike[]): RelayResult[] {
    const shared = call.rows.length > 1;
    return call.rows.map((row) => {
      try {
        return { id: row.id, outputs: outputsOf(logs, this.#p.registry, { offset: row.offset, items: row.items, shared }, this.#p.attestationRegistry) };
      } catch (error) {
        // The call ran and succeeded; a decoding bug must not hold the request (or the relay) back.
        this.#log.error({ err: error, request: row.id.toString() }, "could not decode a request's outputs");
        return { id: row.id, outputs: { undecoded: true, logs: logs.length } };
      }
    });
  }

  /** The reason a call failed when the forwarder ran it: the same call simulated now, decoded. */
  async #whyReverted(call: PlannedCall): Promise<RelayErrorRecord> {
    try {
      const result = await simulateCall({ rpc: this.#rpc, forwarder: this.#p.forwarder, from: call.forwardRequest.from, to: call.forwardRequest.to, data: call.forwardRequest.data, mode: "call" });
      if (!result.ok && result.revert) return revertRecord(result.revert);
    } catch {
      // the generic record below
    }
    return { name: "ForwardedCallReverted", message: "the contract reverted the call when the forwarder ran it" };
  }

  /**
   * Where the call's (signer, nonce) was executed, from the forwarder's `ExecutedForwardRequest`
   * event: if that transaction carried this very call (same signature), its outcome is this
   * call's. Null if the nonce went to another request.
   */
  async #findExecution(call: PlannedCall): Promise<{ txHash: string; blockNumber: bigint; results: RelayResult[] } | null> {
    const { provider, forwarder } = this.#p;
    const { from, nonce } = call.forwardRequest;
    const head = await provider.getBlockNumber();
    const logs = (await this.#rpc.call("eth_getLogs", [
      {
        address: forwarder,
        fromBlock: toBeHex(Math.max(0, head - 100_000)),
        toBlock: "latest",
        topics: [FORWARDER.getEvent("ExecutedForwardRequest")!.topicHash, `0x${from.slice(2).toLowerCase().padStart(64, "0")}`],
      },
    ])) as Array<{ transactionHash: string; data: string }>;
    const log = logs.find((candidate) => BigInt(`0x${candidate.data.slice(2, 66)}`) === nonce);
    if (!log) return null;
    const [transaction, receipt] = await Promise.all([
      this.#rpc.call<{ input: string } | null>("eth_getTransactionByHash", [log.transactionHash]),
      this.#rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [log.transactionHash]),
    ]);
    if (!transaction || !receipt || !transaction.input.toLowerCase().includes(call.signature.slice(2).toLowerCase())) return null;
    const execution = splitLogsByCall(receipt.logs, forwarder).get(callKey(from, nonce));
    if (!execution) return null;
    const results = execution.success
      ? this.#outputs(call, execution.logs)
      : await this.#whyReverted(call).then((error) => call.rows.map((row) => ({ id: row.id, error })));
    return { txHash: log.transactionHash, blockNumber: BigInt(receipt.blockNumber), results };
  }

  /** A signed call that came back but whose nonce the chain has used: record where it ran. */
  async #settleExecutedElsewhere(call: PlannedCall): Promise<void> {
    const found = await this.#findExecution(call);
    const { db } = this.#p;
    if (found) {
      await markHeldRelayRequestsMined(db, { workerId: this.workerId, txHash: found.txHash, blockNumber: found.blockNumber, results: found.results });
      return;
    }
    const chainNonce = (await this.#forwarderNonces([call.forwardRequest.from])).get(call.forwardRequest.from.toLowerCase())!;
    const error = revertRecord(describeRevert("InvalidAccountNonce", { account: getAddress(call.forwardRequest.from), currentNonce: chainNonce.toString() }));
    if (call.custodial) {
      // Our own nonce went to something else (should not happen): sign the requests again.
      await unsignRelayRequests(db, { workerId: this.workerId, ids: call.rows.map((row) => row.id), error });
      this.#nextNonce.delete(call.forwardRequest.from.toLowerCase());
    } else {
      await failRelayRequests(db, { workerId: this.workerId, failures: call.rows.map((row) => ({ id: row.id, retryable: false, error })) });
    }
  }

  /** After a restart: settle, keep watching or requeue each transaction the outbox says was submitted. */
  async #recoverSubmitted(): Promise<void> {
    const { db, provider } = this.#p;
    for (;;) {
      const submitted = await findSubmittedRelayRequests(db, { limit: 5_000 });
      if (submitted.length === 0) return;
      const byTx = new Map<string, RelayRequest[]>();
      for (const request of submitted) byTx.set(request.txHash!, [...(byTx.get(request.txHash!) ?? []), request]);
      let progressed = false;
      for (const [hash, requests] of byTx) {
        if (this.#inflight.has(hash)) continue;
        const entry: Inflight = { hash, calls: groupByCall(requests), sentAt: Date.now() };
        const receipt = await this.#rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [hash]);
        if (receipt) {
          await this.#settle(entry, receipt);
          progressed = true;
        } else if (await this.#rpc.call("eth_getTransactionByHash", [hash])) {
          this.#inflight.set(hash, entry);
        } else {
          await requeueSubmittedRelayRequests(db, { ids: requests.map((request) => request.id), txHash: hash, error: { name: "RelayTransactionLost", message: "the transaction was not on the node after a restart; submitting again" } });
          progressed = true;
        }
      }
      if (!progressed || submitted.length < 5_000) {
        this.#log.info({ watching: this.#inflight.size }, "relay recovery done");
        return;
      }
    }
  }

  async #forwarderNonces(accounts: string[]): Promise<Map<string, bigint>> {
    const { provider, forwarder } = this.#p;
    const values = await Promise.all(
      accounts.map((account) => this.#rpc.call<string>("eth_call", [{ to: forwarder, data: FORWARDER.encodeFunctionData("nonces", [account]) }, "latest"])),
    );
    return new Map(accounts.map((account, index) => [account.toLowerCase(), BigInt(values[index]!)]));
  }

  async #chainTime(): Promise<bigint> {
    const block = await this.#p.provider.getBlock("latest");
    return BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
  }
}

/** Counters of a worker's work, for operators and the relay benchmark. */
export type RelayWorkerStats = {
  requests: number;
  calls: number;
  transactions: number;
  phases: Record<string, { ms: number; count: number }>;
};

/** A receipt as JSON-RPC returns it. */
type RpcReceipt = { transactionHash: string; blockNumber: string; status: string; logs: Array<LogLike & { transactionHash?: string }> };

/** The member may not act from the account it named (or has none). */
export class RelayAccountError extends NonRetryableError {
  override name = "RelayAccountError";
}

function groupByCall(requests: RelayRequest[]): PlannedCall[] {
  const calls = new Map<bigint, PlannedCall>();
  for (const request of requests) {
    if (request.callId === null || !request.forwardRequest || !request.signature) continue;
    let call = calls.get(request.callId);
    if (!call) {
      call = { forwardRequest: request.forwardRequest, signature: request.signature, custodial: request.custodial ?? false, rows: [] };
      calls.set(request.callId, call);
    }
    call.rows.push({ id: request.id, memberId: request.memberId, kind: request.kind, offset: request.callOffset ?? 0, items: request.callItems ?? 1 });
  }
  return [...calls.values()];
}

function sameSigner(call: PlannedCall, account: string): boolean {
  return call.forwardRequest.from.toLowerCase() === account.toLowerCase();
}

/** Gas a call needs inside the batch: its own, what the 63/64 rule keeps back, and the forwarder's checks. */
function callGas(call: PlannedCall): bigint {
  return call.forwardRequest.gas + call.forwardRequest.gas / 63n + FORWARDER_OVERHEAD_GAS;
}

function revertRecord(revert: DecodedRevert): RelayErrorRecord {
  return { name: revert.error, message: revert.summary, revert: { error: revert.error, args: revert.args } };
}

function errorRecord(error: unknown): RelayErrorRecord {
  const e = error as { name?: string; shortMessage?: string; message?: string; revert?: DecodedRevert };
  if (e?.revert && typeof e.revert === "object" && "error" in e.revert) return revertRecord(e.revert);
  return { name: e?.name ?? "Error", message: (e?.shortMessage ?? e?.message ?? String(error)).split("\n")[0]!.slice(0, 300) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
