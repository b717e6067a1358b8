import { getAddress, toBeHex } from "ethers";
import { describeRevert } from "../contractErrors";
import {
  failRelayRequests,
  markHeldRelayRequestsMined,
  markRelayRequestsMined,
  requeueSubmittedRelayRequests,
  unsignRelayRequests,
  type MarkRelayRequestsMinedParameters,
  type RelayErrorRecord,
  type RelayResult,
} from "../outbox";
import { EXECUTED_TOPIC, callKey, outputsOf, splitLogsByCall, type LogLike } from "../receiptOutputs";
import { simulateCall } from "../simulateCall";
import { DEFER_MS, requestIdsOf, revertRecord, type Inflight, type PlannedCall, type RpcReceipt } from "./calls";
import type { WorkerContext } from "./context";

/**
 * Records what a mined transaction did for each request in it; with `batch`, the plain outcomes
 * are added to it for the caller to write (and remove the transaction from the in-flight set).
 * Outcomes are read from the chain, by the forwarder's `ExecutedForwardRequest` events, never assumed.
 */
export async function settleTransaction(context: WorkerContext, entry: Inflight, receipt: RpcReceipt, batch?: MarkRelayRequestsMinedParameters[]): Promise<void> {
  const { db } = context.parameters;
  const ids = requestIdsOf(entry.calls);
  const blockNumber = BigInt(receipt.blockNumber);
  if (!batch) context.crash("before-mined");
  if (Number(receipt.status) !== 1) {
    context.log.warn({ tx: entry.hash }, "relay transaction reverted as a whole; requeued");
    if (ids.length > 0) {
      await requeueSubmittedRelayRequests(db, { ids, txHash: entry.hash, delayMs: DEFER_MS, error: { name: "RelayTransactionReverted", message: "the batch transaction reverted; submitting again" } });
    }
    if (!batch) context.inflight.delete(entry.hash);
    return;
  }
  const executions = splitLogsByCall(receipt.logs, context.parameters.forwarder);
  const results: RelayResult[] = [];
  const skipped: PlannedCall[] = [];
  for (const call of entry.calls) {
    const execution = executions.get(callKey(call.forwardRequest.from, call.forwardRequest.nonce));
    if (!execution) {
      if (!call.filler) skipped.push(call);
      continue;
    }
    if (execution.success) {
      results.push(...requestOutputs(context, call, execution.logs));
    } else {
      const error = await whyReverted(context, call);
      for (const row of call.rows) results.push({ id: row.id, error });
    }
  }
  const requeue = skipped.length > 0 ? await settleSkipped(context, entry, receipt, skipped, results) : [];
  if (batch) batch.push({ txHash: entry.hash, blockNumber, results });
  else if (results.length > 0) await markRelayRequestsMined(db, { txHash: entry.hash, blockNumber, results, quiet: true });
  if (requeue.length > 0) {
    await requeueSubmittedRelayRequests(db, { ids: requeue, txHash: entry.hash, delayMs: DEFER_MS, error: { name: "RelayCallSkipped", message: "the forwarder skipped the call (an earlier nonce was not executed yet); submitting again" } });
  }
  if (!batch) context.inflight.delete(entry.hash);
  context.log.debug({ tx: entry.hash, block: receipt.blockNumber, requests: ids.length }, "relay transaction mined");
}

/**
 * The forwarder nonces of `calls`' signers at the block before `blockNumber`; empty when the node
 * no longer keeps that block's state (a pruned node settling an old receipt): the calls are then
 * sent again, and a badly signed one is skipped and told apart at its next block.
 */
async function noncesBeforeBlock(context: WorkerContext, calls: PlannedCall[], blockNumber: number): Promise<Map<string, bigint>> {
  try {
    return await context.nonces.onChain([...new Set(calls.map((call) => call.forwardRequest.from))], Math.max(0, blockNumber - 1));
  } catch (error) {
    context.log.warn({ err: error, block: blockNumber - 1 }, "forwarder nonces before the block not readable; skipped calls sent again");
    return new Map();
  }
}

/**
 * Skipped calls were invalid when they ran: finds out why, on chain. Adds final outcomes to
 * `results`; returns the requests to submit again (waiting for an earlier nonce, or a custodial
 * call to be signed again).
 */
async function settleSkipped(context: WorkerContext, entry: Inflight, receipt: RpcReceipt, skipped: PlannedCall[], results: RelayResult[]): Promise<bigint[]> {
  const requeue: bigint[] = [];
  const chainNonces = await context.nonces.onChain([...new Set(skipped.map((call) => call.forwardRequest.from))]);
  const block = await context.parameters.provider.getBlock(receipt.blockNumber);
  // A member's call whose nonce is the chain's now may still have been skipped for an earlier one:
  // another gateway's transaction carrying it can run later in the same block. Only a nonce that
  // was already the chain's before the block makes the signature the reason.
  const suspects = skipped.filter((call) => !call.custodial && chainNonces.get(call.forwardRequest.from.toLowerCase()) === call.forwardRequest.nonce);
  const noncesBefore = suspects.length > 0 ? await noncesBeforeBlock(context, suspects, Number(receipt.blockNumber)) : new Map<string, bigint>();
  for (const call of skipped) {
    const { from, nonce, deadline } = call.forwardRequest;
    const chainNonce = chainNonces.get(from.toLowerCase())!;
    if (chainNonce > nonce) {
      // Executed by an earlier transaction (this one carried it again): that one's outcome counts.
      const found = await findExecution(context, call);
      if (found) {
        await markRelayRequestsMined(context.parameters.db, { txHash: entry.hash, minedTxHash: found.txHash, blockNumber: found.blockNumber, results: found.results });
      } else {
        for (const row of call.rows) results.push({ id: row.id, error: revertRecord(describeRevert("InvalidAccountNonce", { account: getAddress(from), currentNonce: chainNonce.toString() })) });
      }
    } else if (block && BigInt(block.timestamp) > deadline && !call.custodial) {
      for (const row of call.rows) results.push({ id: row.id, error: revertRecord(describeRevert("ERC2771ForwarderExpiredRequest", { deadline: deadline.toString() })) });
    } else if (chainNonce === nonce && noncesBefore.get(from.toLowerCase()) === nonce && !call.custodial && (!block || BigInt(block.timestamp) <= deadline)) {
      for (const row of call.rows) {
        results.push({ id: row.id, error: { name: "ERC2771ForwarderInvalidSigner", message: "the forwarder does not recover the request's `from` from its signature" } });
      }
    } else {
      requeue.push(...call.rows.map((row) => row.id));
    }
  }
  return requeue;
}

/** A signed call that came back but whose nonce the chain has used: record where it ran. */
export async function settleExecutedElsewhere(context: WorkerContext, call: PlannedCall): Promise<void> {
  const found = await findExecution(context, call);
  const { db } = context.parameters;
  if (found) {
    await markHeldRelayRequestsMined(db, { workerId: context.workerId, txHash: found.txHash, blockNumber: found.blockNumber, results: found.results });
    return;
  }
  const chainNonce = (await context.nonces.onChain([call.forwardRequest.from])).get(call.forwardRequest.from.toLowerCase())!;
  const error = revertRecord(describeRevert("InvalidAccountNonce", { account: getAddress(call.forwardRequest.from), currentNonce: chainNonce.toString() }));
  if (call.custodial) {
    // Our own nonce went to something else (should not happen): sign the requests again.
    await unsignRelayRequests(db, { workerId: context.workerId, ids: call.rows.map((row) => row.id), error });
    context.nonces.forget(call.forwardRequest.from);
  } else {
    await failRelayRequests(db, { workerId: context.workerId, failures: call.rows.map((row) => ({ id: row.id, retryable: false, error })) });
  }
}

function requestOutputs(context: WorkerContext, call: PlannedCall, logs: LogLike[]): RelayResult[] {
  const shared = call.rows.length > 1;
  return call.rows.map((row) => {
    try {
      return {
        id: row.id,
        outputs: outputsOf(logs, context.parameters.registry, { offset: row.offset, items: row.items, shared }, context.parameters.attestationRegistry, context.parameters.ddsRegistry, context.parameters.payoutRegistry),
      };
    } catch (error) {
      // The call ran and succeeded; a decoding bug must not hold the request (or the relay) back.
      context.log.error({ err: error, request: row.id.toString() }, "could not decode a request's outputs");
      return { id: row.id, outputs: { undecoded: true, logs: logs.length } };
    }
  });
}

/** The reason a call failed when the forwarder ran it: the same call simulated now, decoded. */
async function whyReverted(context: WorkerContext, call: PlannedCall): Promise<RelayErrorRecord> {
  try {
    const result = await simulateCall({ rpc: context.rpc, forwarder: context.parameters.forwarder, from: call.forwardRequest.from, to: call.forwardRequest.to, data: call.forwardRequest.data, mode: "call" });
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
async function findExecution(context: WorkerContext, call: PlannedCall): Promise<{ txHash: string; blockNumber: bigint; results: RelayResult[] } | null> {
  const { provider, forwarder } = context.parameters;
  const { from, nonce } = call.forwardRequest;
  const head = await provider.getBlockNumber();
  const logs = (await context.rpc.call("eth_getLogs", [
    {
      address: forwarder,
      fromBlock: toBeHex(Math.max(0, head - 100_000)),
      toBlock: "latest",
      topics: [EXECUTED_TOPIC, `0x${from.slice(2).toLowerCase().padStart(64, "0")}`],
    },
  ])) as Array<{ transactionHash: string; data: string }>;
  const log = logs.find((candidate) => BigInt(`0x${candidate.data.slice(2, 66)}`) === nonce);
  if (!log) return null;
  const [transaction, receipt] = await Promise.all([
    context.rpc.call<{ input: string } | null>("eth_getTransactionByHash", [log.transactionHash]),
    context.rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [log.transactionHash]),
  ]);
  if (!transaction || !receipt || !transaction.input.toLowerCase().includes(call.signature.slice(2).toLowerCase())) return null;
  const execution = splitLogsByCall(receipt.logs, forwarder).get(callKey(from, nonce));
  if (!execution) return null;
  const results = execution.success
    ? requestOutputs(context, call, execution.logs)
    : await whyReverted(context, call).then((error) => call.rows.map((row) => ({ id: row.id, error })));
  return { txHash: log.transactionHash, blockNumber: BigInt(receipt.blockNumber), results };
}
