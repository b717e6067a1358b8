import { describeRevert } from "../contractErrors";
import { lotRegistryInterface } from "../../chain/contracts";
import { failRelayRequests, hasLiveCall, unsignRelayRequests, type ForwardRequest, type RelayRequest } from "../outbox";
import { groupByCall, revertRecord, sameSigner, type PlannedCall } from "./calls";
import type { WorkerContext } from "./context";
import { settleExecutedElsewhere } from "./settle";

/** Gas of a gap filler: a view call through the forwarder. */
const FILLER_GAS = 60_000n;

/**
 * Signed calls the worker got back (after a restart or a lost transaction), checked against the
 * chain before they go out again: executed already (the forwarder's nonce moved) -> outcome
 * recorded from that execution; expired -> a custodial call is signed again, a member's fails;
 * an earlier nonce of a custodial account held by no live call -> a filler uses it up, so that
 * the calls after it can run. Returns the calls to submit, fillers first.
 */
export async function resumeSignedCalls(context: WorkerContext, requests: RelayRequest[]): Promise<PlannedCall[]> {
  if (requests.length === 0) return [];
  const { db } = context.parameters;
  const calls = groupByCall(requests);
  const chainNonces = await context.nonces.onChain([...new Set(calls.map((call) => call.forwardRequest.from))]);
  const now = await chainTime(context);
  const ready: PlannedCall[] = [];
  const fillers: PlannedCall[] = [];
  for (const call of calls) {
    const { from, nonce, deadline } = call.forwardRequest;
    const chainNonce = chainNonces.get(from.toLowerCase())!;
    if (chainNonce > nonce) {
      // Executed already (an earlier submission reached the chain), or the nonce went to another request.
      await settleExecutedElsewhere(context, call);
      continue;
    }
    if (deadline < now) {
      if (call.custodial) {
        // Dead for good: signed again with a fresh nonce and deadline.
        await unsignRelayRequests(db, { workerId: context.workerId, ids: call.rows.map((row) => row.id), error: { name: "RelayCallExpired", message: "the signed call expired before it was executed; signing it again" } });
        context.nonces.forget(from);
      } else {
        await failRelayRequests(db, {
          workerId: context.workerId,
          failures: call.rows.map((row) => ({ id: row.id, retryable: false, error: revertRecord(describeRevert("ERC2771ForwarderExpiredRequest", { deadline: deadline.toString() })) })),
        });
      }
      continue;
    }
    if (call.custodial && chainNonce < nonce && !calls.some((other) => sameSigner(other, from) && other.forwardRequest.nonce === chainNonce)) {
      // An earlier nonce of this account is held by no live call (it died): fill the gap.
      if (!(await hasLiveCall(db, { account: from, nonce: chainNonce })) && !fillers.some((filler) => sameSigner(filler, from))) {
        fillers.push(await filler(context, from, chainNonce));
      }
    }
    ready.push(call);
  }
  return [...fillers, ...ready];
}

/** A call that only uses up `nonce` of `account` (a view call through the forwarder). */
async function filler(context: WorkerContext, account: string, nonce: bigint): Promise<PlannedCall> {
  const forwardRequest: ForwardRequest = {
    from: account,
    to: context.parameters.registry,
    value: 0n,
    gas: FILLER_GAS,
    nonce,
    deadline: (await chainTime(context)) + context.deadlineSeconds,
    data: lotRegistryInterface.encodeFunctionData("nextLotId", [account]),
  };
  context.log.warn({ account, nonce: nonce.toString() }, "filling a forwarder nonce gap");
  return { forwardRequest, signature: await context.accounts.sign(forwardRequest), custodial: true, rows: [], filler: true };
}

async function chainTime(context: WorkerContext): Promise<bigint> {
  const block = await context.parameters.provider.getBlock("latest");
  return BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000));
}
