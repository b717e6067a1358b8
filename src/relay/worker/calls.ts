import type { DecodedRevert } from "../contractErrors";
import type { ForwardRequest, RelayErrorRecord, RelayRequest } from "../outbox";
import type { LogLike } from "../receiptOutputs";

/** One call as the worker plans, submits and settles it. */
export type PlannedCall = {
  forwardRequest: ForwardRequest;
  signature: string;
  custodial: boolean;
  rows: Array<{ id: bigint; memberId: bigint; kind: string; offset: number; items: number }>;
  /** A gap filler carries no request: it only uses up a forwarder nonce nobody else will. */
  filler?: boolean;
  /** Signed in this pass and not recorded yet: recorded together with its transaction. */
  fresh?: boolean;
};

/** A transaction broadcast and not mined yet, with the calls it carries. */
export type Inflight = { hash: string; calls: PlannedCall[]; sentAt: number };

/** A receipt as JSON-RPC returns it. */
export type RpcReceipt = { transactionHash: string; blockNumber: string; status: string; logs: Array<LogLike & { transactionHash?: string }> };

/** How long a request waits before it runs again when it only waits for earlier work. */
export const DEFER_MS = 1_000;

/** Signed requests as the calls that carry them (a coalesced call carries several). */
export function groupByCall(requests: RelayRequest[]): PlannedCall[] {
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

export function sameSigner(call: PlannedCall, account: string): boolean {
  return call.forwardRequest.from.toLowerCase() === account.toLowerCase();
}

/** The ids of the requests a call carries. */
export function requestIdsOf(calls: readonly PlannedCall[]): bigint[] {
  return calls.flatMap((call) => call.rows.map((row) => row.id));
}

export function revertRecord(revert: DecodedRevert): RelayErrorRecord {
  return { name: revert.error, message: revert.summary, revert: { error: revert.error, args: revert.args } };
}

/** What the outbox keeps of an error: its decoded revert, or its name and first line. */
export function errorRecord(error: unknown): RelayErrorRecord {
  const e = error as { name?: string; shortMessage?: string; message?: string; revert?: DecodedRevert };
  if (e?.revert && typeof e.revert === "object" && "error" in e.revert) return revertRecord(e.revert);
  return { name: e?.name ?? "Error", message: (e?.shortMessage ?? e?.message ?? String(error)).split("\n")[0]!.slice(0, 300) };
}
