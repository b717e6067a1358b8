import { failRelayRequests, type ForwardRequest, type RelayRequest } from "../outbox";
import { errorRecord, type PlannedCall } from "./calls";
import { candidatesFor, type Candidate, type Refusal } from "./candidates";
import { addToPhase, type WorkerContext } from "./context";
import { acceptableCalls } from "./prechecks";

/**
 * Queued requests as signed calls: who acts for each, which requests share a call, whether the
 * contracts would accept it (refused requests fail now, with the decoded error), then signed
 * with consecutive forwarder nonces per account. Nothing is written but the refusals: the calls
 * are recorded with the transaction that carries them.
 */
export async function planCalls(context: WorkerContext, requests: RelayRequest[]): Promise<PlannedCall[]> {
  if (requests.length === 0) return [];
  const failures: Refusal[] = [];

  // Who acts: the payload's account, or the member's first custodial account.
  const accepted: Array<{ request: RelayRequest; from: string }> = [];
  for (const request of requests) {
    const from = await context.accounts.accountFor(request).catch((error: unknown) => {
      failures.push({ id: request.id, retryable: false, error: errorRecord(error) });
      return null;
    });
    if (from) accepted.push({ request, from });
  }

  const candidates = candidatesFor(context, accepted, failures);
  const good = await acceptableCalls(context, candidates, requests, failures);
  if (failures.length > 0) {
    await failRelayRequests(context.parameters.db, { workerId: context.workerId, failures });
    context.log.info({ failed: failures.map((failure) => [failure.id.toString(), failure.error.name]) }, "requests refused before submission");
  }
  if (good.length === 0) return [];

  const planned = await signCalls(context, good);
  // Recorded with the transaction that carries them (broadcast): a crash before that loses only
  // signatures nobody has seen; the requests are still queued and get the same nonces again.
  context.crash("after-sign");
  return planned;
}

/** Signs with consecutive nonces per account, in claim order. */
async function signCalls(context: WorkerContext, good: Candidate[]): Promise<PlannedCall[]> {
  good.sort((a, b) => (a.rows[0]!.request.id < b.rows[0]!.request.id ? -1 : 1));
  const deadline = BigInt(Math.floor(Date.now() / 1000)) + context.deadlineSeconds;
  const planned: PlannedCall[] = [];
  const signingStarted = performance.now();
  for (const candidate of good) {
    const forwardRequest: ForwardRequest = {
      from: candidate.from,
      to: candidate.to,
      value: 0n,
      gas: candidate.gas!,
      nonce: await context.nonces.allocate(candidate.from),
      deadline,
      data: candidate.data,
    };
    planned.push({
      forwardRequest,
      signature: await context.accounts.sign(forwardRequest),
      custodial: true,
      fresh: true,
      rows: candidate.rows.map((row) => ({ id: row.request.id, memberId: row.request.memberId, kind: row.request.kind, offset: row.offset, items: row.items })),
    });
  }
  addToPhase(context, "sign calls (EIP-712)", performance.now() - signingStarted, planned.length);
  context.stats.calls += planned.length;
  return planned;
}
