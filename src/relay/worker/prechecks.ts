import type { Interface } from "ethers";
import { lotRegistryInterface } from "../../chain/contracts";
import { Role } from "../../membership/roles";
import { deliveriesOf, isPlainMintKind } from "../lotCalls";
import { hasEarlierLiveRequest, type RelayErrorRecord, type RelayRequest } from "../outbox";
import { mintGasFor, requestGasFor, simulateCall, type SimulateCallReturnType } from "../simulateCall";
import { DEFER_MS, revertRecord } from "./calls";
import { singleCalls, type Candidate, type Refusal } from "./candidates";
import { timed, type WorkerContext } from "./context";

/** Times a refusal waits for earlier work of its member before it is final. */
const DEFERRALS = 5;

/**
 * The candidates the contracts would accept, each with its gas; the others go to `failures` with
 * the decoded error. Mints whose rules hold by cheap reads (a cooperative account, registered
 * forms) need no simulation: executing a 500-delivery mintBatch costs the node as much as mining
 * it. The others are simulated; a coalesced call that would revert is split into its requests,
 * simulated one by one, so one bad delivery sinks nothing else.
 */
export async function acceptableCalls(context: WorkerContext, candidates: Candidate[], batch: RelayRequest[], failures: Refusal[]): Promise<Candidate[]> {
  const good: Candidate[] = [];
  const cooperative = new Map<string, Promise<boolean>>();
  const prechecked = await Promise.all(candidates.map((candidate) => mintRulesHold(context, candidate, cooperative)));
  for (const [index, candidate] of candidates.entries()) {
    if (prechecked[index]) {
      candidate.gas = mintGasFor(candidate.deliveries!);
      good.push(candidate);
    }
  }
  let pending = candidates.filter((_, index) => !prechecked[index]);
  while (pending.length > 0) {
    const results = await timed(context, "simulate (eth_call / eth_estimateGas)", () => Promise.all(pending.map((candidate) => simulate(context, candidate))));
    const retry: Candidate[] = [];
    for (const [index, candidate] of pending.entries()) {
      const result = results[index]!;
      if (result.ok) {
        candidate.gas = result.gas === null ? mintGasFor(candidate.deliveries ?? 1) : requestGasFor(result.gas);
        good.push(candidate);
      } else if (candidate.rows.length > 1) {
        retry.push(...singleCalls(candidate));
      } else {
        failures.push(await refusal(context, candidate.rows[0]!.request, result, batch));
      }
    }
    pending = retry;
  }
  return good;
}

/**
 * Whether a mint candidate passes the registry's mint rules by reads: its account may mint (the
 * cooperative role, account and member active) and every delivery's form is registered (grams > 0
 * and form ids are the schema's). Anything else (false) goes through a full simulation, which
 * also names the error.
 */
async function mintRulesHold(context: WorkerContext, candidate: Candidate, cooperative: Map<string, Promise<boolean>>): Promise<boolean> {
  if (candidate.deliveries === undefined) return false;
  // An observed mint also runs the attestation registry's hook (an origin claim per delivery and
  // scheme): its gas is not a plain mint's, so it is estimated.
  if (!candidate.rows.every((row) => isPlainMintKind(row.request.kind))) return false;
  const forms = new Set(candidate.rows.flatMap((row) => (deliveriesOf(row.request.kind, row.request.payload) ?? []).map((delivery) => delivery.form)));
  let mayMint = cooperative.get(candidate.from);
  if (!mayMint) {
    mayMint = view(context, "hasRole", [candidate.from, Role.cooperative]).then(([allowed]) => allowed === true);
    cooperative.set(candidate.from, mayMint);
  }
  const checks = await Promise.all([mayMint, ...[...forms].map((form) => formRegistered(context, form))]);
  return checks.every(Boolean);
}

/** Registered forms stay registered: remembered once seen. */
async function formRegistered(context: WorkerContext, form: number): Promise<boolean> {
  if (context.registeredForms.has(form)) return true;
  const [registered] = await view(context, "getForm", [form]);
  if ((registered as { registered: boolean }).registered) context.registeredForms.add(form);
  return context.registeredForms.has(form);
}

async function view(context: WorkerContext, fn: "hasRole" | "getForm", args: unknown[]) {
  const registry: Interface = lotRegistryInterface;
  const data = registry.encodeFunctionData(fn, args);
  return registry.decodeFunctionResult(fn, await context.rpc.call<string>("eth_call", [{ to: context.parameters.registry, data }, "latest"]));
}

function simulate(context: WorkerContext, candidate: Candidate): Promise<SimulateCallReturnType> {
  return simulateCall({
    rpc: context.rpc,
    forwarder: context.parameters.forwarder,
    from: candidate.from,
    to: candidate.to,
    data: candidate.data,
    mode: candidate.deliveries !== undefined && candidate.rows.every((row) => isPlainMintKind(row.request.kind)) ? "call" : "estimate",
  });
}

/** Why a request that would revert is not submitted: failed now, or deferred while earlier work of its member is in flight. */
async function refusal(context: WorkerContext, request: RelayRequest, result: SimulateCallReturnType, batch: RelayRequest[]): Promise<Refusal> {
  const revert = result.ok ? null : result.revert;
  const error: RelayErrorRecord = revert
    ? revertRecord(revert)
    : { name: "ContractRevert", message: "the contract refuses the request (revert data not recognised)", details: result.ok ? undefined : result.data ?? undefined };
  // An earlier request of the same member may be what this one needs (an offer after its mint):
  // wait for it a few times before calling the refusal final.
  const earlier =
    batch.some((other) => other.memberId === request.memberId && other.id < request.id) ||
    (await hasEarlierLiveRequest(context.parameters.db, { memberId: request.memberId, id: request.id }));
  if (earlier && request.attempts < DEFERRALS) return { id: request.id, retryable: true, error, delayMs: DEFER_MS };
  return { id: request.id, retryable: false, error };
}
