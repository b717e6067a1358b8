import { callAddressOf, encodeCall, isCallKind } from "../callKinds";
import { RelayTargetMissingError } from "../errors";
import { deliveriesOf, encodeMintBatch, isPlainMintKind, type Delivery } from "../lotCalls";
import type { FailRelayRequestsParameters, RelayRequest } from "../outbox";
import { errorRecord } from "./calls";
import type { WorkerContext } from "./context";

/** A call planned from queued requests, before it is signed. */
export type Candidate = {
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

/** A request that will not be submitted, and whether it runs again. */
export type Refusal = FailRelayRequestsParameters["failures"][number];

/**
 * Calls for queued requests and the accounts they act from: mints of one account coalesce (in
 * claim order, with batching on) into one `mintBatch`; everything else is a call of its own.
 * A request that cannot be encoded is added to `failures`.
 */
export function candidatesFor(context: WorkerContext, accepted: ReadonlyArray<{ request: RelayRequest; from: string }>, failures: Refusal[]): Candidate[] {
  const coalesce = context.parameters.config.batchSize > 1;
  const candidates: Candidate[] = [];
  const openMint = new Map<string, Candidate & { mints: Delivery[] }>();
  for (const { request, from } of accepted) {
    const deliveries = coalesce && isPlainMintKind(request.kind) ? deliveriesOf(request.kind, request.payload) : null;
    if (deliveries) {
      let group = openMint.get(from);
      if (!group || group.mints.length + deliveries.length > context.limits.maxCoalesce) {
        group = { from, to: context.parameters.registry, data: "", rows: [], mints: [] };
        openMint.set(from, group);
        candidates.push(group);
      }
      group.rows.push({ request, offset: group.mints.length, items: deliveries.length });
      group.mints.push(...deliveries);
      continue;
    }
    try {
      const mints = deliveriesOf(request.kind, request.payload)?.length;
      candidates.push({ from, to: targetOf(context, request), data: encodeRequest(request), rows: [{ request, offset: 0, items: mints ?? 1 }], ...(mints === undefined ? {} : { deliveries: mints }) });
    } catch (error) {
      failures.push({ id: request.id, retryable: false, error: errorRecord(error) });
    }
  }
  for (const candidate of candidates) {
    if (candidate.mints) {
      candidate.data = candidate.rows.length === 1 ? encodeRequest(candidate.rows[0]!.request) : encodeMintBatch(candidate.mints);
      candidate.deliveries = candidate.mints.length;
      delete candidate.mints;
    }
  }
  return candidates;
}

/** A coalesced call split back into one call per request. */
export function singleCalls(candidate: Candidate): Candidate[] {
  return candidate.rows.map((row) => ({
    from: candidate.from,
    to: candidate.to,
    data: encodeRequest(row.request),
    rows: [{ request: row.request, offset: 0, items: row.items }],
    deliveries: candidate.deliveries === undefined ? undefined : row.items,
  }));
}

/** A request's calldata for its kind's contract. */
function encodeRequest(request: RelayRequest): string {
  if (!isCallKind(request.kind)) throw new Error(`unknown request kind ${request.kind}`);
  return encodeCall(request.kind, request.payload);
}

/** The contract a request's kind calls. */
function targetOf(context: WorkerContext, request: RelayRequest): string {
  if (!isCallKind(request.kind)) throw new Error(`unknown request kind ${request.kind}`);
  const to = callAddressOf(request.kind, {
    lotRegistry: context.parameters.registry,
    attestationRegistry: context.parameters.attestationRegistry,
    ddsRegistry: context.parameters.ddsRegistry,
    payoutRegistry: context.parameters.payoutRegistry,
  });
  if (!to) throw new RelayTargetMissingError(`No contract for ${request.kind} requests on this network (its registry is not deployed)`);
  return to;
}
