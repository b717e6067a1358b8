import { randomUUID } from "node:crypto";
import type { JsonRpcProvider } from "ethers";
import type { Logger } from "pino";
import type { CustodialSigner } from "../../chain/keystore/custodialSigner";
import type { Keystore } from "../../chain/keystore/keystore";
import type { RelayConfig } from "../../config/config";
import type { Database } from "../../db/database";
import { noCrash, type CrashHook } from "../crashPoints";
import { jsonRpcOf, type JsonRpc } from "../../chain/jsonRpc";
import { MAX_BATCH } from "../lotCalls";
import { CustodialAccounts } from "./accounts";
import type { Inflight } from "./calls";
import { ForwarderNonces, RelayerNonce } from "./nonces";
import { FeeCache } from "./pack";

export type RelayWorkerParameters = {
  db: Database;
  provider: JsonRpcProvider;
  chainId: bigint;
  forwarder: string;
  registry: string;
  /** The attestation registry, target of `attestations.*` requests (without it they fail). */
  attestationRegistry?: string | undefined;
  /** The payout registry, target of `payouts.*` requests (without it they fail). */
  payoutRegistry?: string | undefined;
  /** The DDS registry, target of `dds.*` requests (without it they fail). */
  ddsRegistry?: string | undefined;
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

/** Counters of a worker's work, for operators and the relay benchmark. */
export type RelayWorkerStats = {
  requests: number;
  calls: number;
  transactions: number;
  phases: Record<string, { ms: number; count: number }>;
};

/**
 * What the stages of one worker share: its parameters and identity, the state that outlives a pass
 * (nonces, signers, transactions in flight) and its counters. Each stage is a function of it.
 */
export type WorkerContext = {
  readonly workerId: string;
  readonly parameters: RelayWorkerParameters;
  readonly log: Logger;
  readonly crash: CrashHook;
  readonly rpc: JsonRpc;
  readonly stats: RelayWorkerStats;
  readonly accounts: CustodialAccounts;
  readonly nonces: ForwarderNonces;
  readonly relayerNonce: RelayerNonce;
  readonly fees: FeeCache;
  /** Transactions broadcast and not yet mined, by hash (the receipt watcher's work). */
  readonly inflight: Map<string, Inflight>;
  /** Forms seen registered: they stay registered. */
  readonly registeredForms: Set<number>;
  /** Seconds a custodial call stays valid. */
  readonly deadlineSeconds: bigint;
  /** What the chain's blocks allow, read at start. */
  limits: ChainLimits;
};

export type ChainLimits = {
  /** Most gas one relay transaction may use. */
  txGasCap: bigint;
  /** Most deliveries in one coalesced mintBatch: MAX_BATCH, fewer on a chain with small blocks. */
  maxCoalesce: number;
};

/** A delivery in a mintBatch costs about 51k gas; with the forwarder and margin, 70k. */
const PER_DELIVERY_GAS = 70_000n;

/** A quarter of a block per transaction, and a coalesced mint of at most half a block. */
export function chainLimitsFor(blockGasLimit: bigint): ChainLimits {
  return { txGasCap: blockGasLimit / 4n, maxCoalesce: Math.max(1, Math.min(MAX_BATCH, Number(blockGasLimit / 2n / PER_DELIVERY_GAS))) };
}

export function createWorkerContext(parameters: RelayWorkerParameters): WorkerContext {
  const workerId = `${parameters.relayer.address.toLowerCase()}/${randomUUID().slice(0, 8)}`;
  const rpc = parameters.rpc ?? jsonRpcOf(parameters.provider);
  return {
    workerId,
    parameters,
    log: parameters.logger.child({ component: "relay", worker: workerId }),
    crash: parameters.crash ?? noCrash,
    rpc,
    stats: { requests: 0, calls: 0, transactions: 0, phases: {} },
    accounts: new CustodialAccounts(parameters.keystore, parameters.chainId, parameters.forwarder),
    nonces: new ForwarderNonces(parameters.db, rpc, parameters.forwarder),
    relayerNonce: new RelayerNonce(parameters.provider, parameters.relayer.address),
    fees: new FeeCache(parameters.provider),
    inflight: new Map(),
    registeredForms: new Set(),
    deadlineSeconds: BigInt(parameters.deadlineSeconds ?? 3600),
    limits: { txGasCap: 100_000_000n, maxCoalesce: MAX_BATCH },
  };
}

/** Runs `fn` and adds its wall time to `phase`. */
export async function timed<T>(context: WorkerContext, phase: string, fn: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    addToPhase(context, phase, performance.now() - started, 1);
  }
}

/** Adds `ms` of wall time and `count` items to `phase`. */
export function addToPhase(context: WorkerContext, phase: string, ms: number, count: number): void {
  const entry = (context.stats.phases[phase] ??= { ms: 0, count: 0 });
  entry.ms += ms;
  entry.count += count;
}
