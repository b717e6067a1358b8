import { expireExhaustedRelayRequests, findSubmittedRelayRequests, releaseRelayRequestsOfPreviousRuns, requeueSubmittedRelayRequests, type RelayRequest } from "../outbox";
import { groupByCall, type Inflight, type RpcReceipt } from "./calls";
import type { WorkerContext } from "./context";
import { settleTransaction } from "./settle";

/**
 * What an earlier run of this relay left, taken up at start: its locks are released (its process
 * is gone), each transaction the outbox says was submitted is settled, watched again or requeued,
 * and requests it held on their last attempt fail.
 */
export async function recoverPreviousRuns(context: WorkerContext): Promise<void> {
  const { db, relayer, config } = context.parameters;
  await releaseRelayRequestsOfPreviousRuns(db, { workerIdPrefix: `${relayer.address.toLowerCase()}/`, currentWorkerId: context.workerId });
  await recoverSubmitted(context);
  const expired = await expireExhaustedRelayRequests(db, { staleLockMs: config.staleLockMs });
  if (expired.length > 0) context.log.warn({ ids: expired.map((r) => r.id.toString()) }, "requests failed: attempts exhausted");
}

/** Settle, keep watching or requeue each transaction the outbox says was submitted. */
async function recoverSubmitted(context: WorkerContext): Promise<void> {
  const { db } = context.parameters;
  const { rpc, inflight } = context;
  for (;;) {
    const submitted = await findSubmittedRelayRequests(db, { limit: 5_000 });
    if (submitted.length === 0) return;
    const byTx = new Map<string, RelayRequest[]>();
    for (const request of submitted) byTx.set(request.txHash!, [...(byTx.get(request.txHash!) ?? []), request]);
    let progressed = false;
    for (const [hash, requests] of byTx) {
      if (inflight.has(hash)) continue;
      const entry: Inflight = { hash, calls: groupByCall(requests), sentAt: Date.now() };
      const receipt = await rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [hash]);
      if (receipt) {
        await settleTransaction(context, entry, receipt);
        progressed = true;
      } else if (await rpc.call("eth_getTransactionByHash", [hash])) {
        inflight.set(hash, entry);
      } else {
        await requeueSubmittedRelayRequests(db, { ids: requests.map((request) => request.id), txHash: hash, error: { name: "RelayTransactionLost", message: "the transaction was not on the node after a restart; submitting again" } });
        progressed = true;
      }
    }
    if (!progressed || submitted.length < 5_000) {
      context.log.info({ watching: inflight.size }, "relay recovery done");
      return;
    }
  }
}
