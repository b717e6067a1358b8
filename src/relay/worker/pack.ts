import type { JsonRpcProvider } from "ethers";
import { encodeExecuteBatch, signedTransaction, unsignedTransactionHash } from "../batchTransaction";
import { requestIdsOf, type PlannedCall } from "./calls";
import { addToPhase, type WorkerContext } from "./context";

/** The forwarder's own checks around each call of a batch. */
const FORWARDER_OVERHEAD_GAS = 60_000n;

/** A relay transaction, signed, with the calls it carries. */
export type SignedBatch = { calls: PlannedCall[]; raw: string; hash: string; ids: bigint[] };

/**
 * Calls in batches of at most `batchSize` calls and `gasCap` gas, in nonce order: per account,
 * nonces must run upwards through a batch; across accounts the order is free. Sorts `calls`.
 */
export function packCalls(calls: PlannedCall[], batchSize: number, gasCap: bigint): PlannedCall[][] {
  calls.sort((a, b) => (a.forwardRequest.nonce < b.forwardRequest.nonce ? -1 : a.forwardRequest.nonce > b.forwardRequest.nonce ? 1 : 0));
  const chunks: PlannedCall[][] = [];
  let chunk: PlannedCall[] = [];
  let chunkGas = 0n;
  for (const call of calls) {
    const gas = callGas(call);
    if (chunk.length > 0 && (chunk.length >= batchSize || chunkGas + gas > gasCap)) {
      chunks.push(chunk);
      chunk = [];
      chunkGas = 0n;
    }
    chunk.push(call);
    chunkGas += gas;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Gas a call needs inside the batch: its own, what the 63/64 rule keeps back, and the forwarder's checks. */
export function callGas(call: PlannedCall): bigint {
  return call.forwardRequest.gas + call.forwardRequest.gas / 63n + FORWARDER_OVERHEAD_GAS;
}

/**
 * One `executeBatch` transaction per chunk, with the relayer as refund receiver (an invalid call
 * is skipped rather than reverting the batch), signed under consecutive relayer nonces.
 */
export async function signTransactions(context: WorkerContext, chunks: PlannedCall[][]): Promise<SignedBatch[]> {
  const { relayer, chainId, forwarder } = context.parameters;
  const fees = await context.fees.current();
  await context.relayerNonce.loadIfStale();
  const encodingStarted = performance.now();
  const transactions = chunks.map((batch) => {
    const data = encodeExecuteBatch(batch, relayer.address);
    const gasLimit = 21_000n + BigInt(data.length) * 16n + batch.reduce((sum, call) => sum + callGas(call), 0n);
    const tx = { chainId, nonce: context.relayerNonce.take(), to: forwarder, data, gasLimit, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas, value: 0n };
    const { raw, hash } = signedTransaction(tx, relayer.signDigest(unsignedTransactionHash(tx)));
    return { calls: batch, raw, hash, ids: requestIdsOf(batch) };
  });
  addToPhase(context, "encode + sign transactions", performance.now() - encodingStarted, transactions.length);
  context.stats.transactions += transactions.length;
  return transactions;
}

/** Fee caps from the latest block's base fee, read at most every 2 seconds. */
export class FeeCache {
  readonly #provider: JsonRpcProvider;
  #fees: { at: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | null = null;

  constructor(provider: JsonRpcProvider) {
    this.#provider = provider;
  }

  async current(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    if (this.#fees && Date.now() - this.#fees.at < 2_000) return this.#fees;
    const block = await this.#provider.getBlock("latest");
    const base = block?.baseFeePerGas ?? 0n;
    // Priority fees buy nothing on a permissioned chain; a doubled base fee covers a few full blocks.
    // A free-gas network (Besu QBFT with zeroBaseFee, min-gas-price 0) costs nothing: a relayer there holds no ether.
    this.#fees = base === 0n ? { at: Date.now(), maxFeePerGas: 0n, maxPriorityFeePerGas: 0n } : { at: Date.now(), maxFeePerGas: base * 2n + 1n, maxPriorityFeePerGas: 1n };
    return this.#fees;
  }
}
