import { recordRelayTransactions, requeueSubmittedRelayRequests } from "../outbox";
import { DEFER_MS, errorRecord, type PlannedCall } from "./calls";
import { timed, type WorkerContext } from "./context";
import { packCalls, signTransactions, type SignedBatch } from "./pack";

/**
 * Submits calls: packs them into transactions and signs those, records every call and the
 * transaction carrying it in one statement (`submitted`), and only then broadcasts them. A
 * transaction the node refuses goes back to signed (the same calls go out again).
 */
export async function submitCalls(context: WorkerContext, calls: PlannedCall[]): Promise<void> {
  if (calls.length === 0) return;
  const { db, config } = context.parameters;
  const transactions = await signTransactions(context, packCalls(calls, config.batchSize, context.limits.txGasCap));
  await timed(context, "record signed + submitted (SQL)", () => record(context, transactions));
  for (const transaction of transactions) for (const call of transaction.calls) call.fresh = false;
  context.crash("after-submit");
  const sentAt = Date.now();
  for (const transaction of transactions) context.inflight.set(transaction.hash, { hash: transaction.hash, calls: transaction.calls, sentAt });

  const sent = await timed(context, "broadcast (eth_sendRawTransaction)", () =>
    Promise.all(
      transactions.map((transaction) =>
        context.rpc.call("eth_sendRawTransaction", [transaction.raw]).then(
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
      context.inflight.delete(transaction.hash);
      context.log.warn({ tx: transaction.hash, err: error }, "the node refused a relay transaction");
      if (transaction.ids.length > 0) {
        await requeueSubmittedRelayRequests(db, { ids: transaction.ids, txHash: transaction.hash, error: errorRecord(error), delayMs: DEFER_MS });
      }
    }
    await context.relayerNonce.load();
  }
  context.crash("after-broadcast");
  context.log.debug({ transactions: transactions.length, calls: calls.length }, "relay transactions sent");
}

/** Before anything is broadcast: every call and the transaction carrying it, in one statement. */
function record(context: WorkerContext, transactions: SignedBatch[]): Promise<number> {
  return recordRelayTransactions(context.parameters.db, {
    workerId: context.workerId,
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
  });
}
