import { toBeHex } from "ethers";
import { SimulationUnavailableError } from "./errors";
import { decodeRevert, isExecutionRevert, revertDataOf, type DecodedRevert } from "./contractErrors";
import type { JsonRpc } from "../chain/jsonRpc";

/**
 * What the target would do with a call the forwarder makes for `from`: the same call with the
 * forwarder as sender and `from` appended (ERC-2771), estimated with `eth_estimateGas` on the
 * latest state. A revert comes back decoded; the gas estimate sizes the ForwardRequest's `gas`.
 * The forwarder's own checks (signature, nonce, deadline) are not part of it.
 */
export type SimulateCallParameters = {
  rpc: JsonRpc;
  forwarder: string;
  from: string;
  to: string;
  data: string;
  value?: bigint | undefined;
  /**
   * `estimate` (default): `eth_estimateGas`, which also sizes the request's gas. `call`: one
   * `eth_call`, for calls whose gas the caller knows (anvil's estimate of a 500-delivery mintBatch
   * runs the call a dozen times).
   */
  mode?: "estimate" | "call" | undefined;
};

export type SimulateCallReturnType =
  | { ok: true; gas: bigint | null }
  | { ok: false; revert: DecodedRevert | null; data: string | null };

export async function simulateCall(parameters: SimulateCallParameters): Promise<SimulateCallReturnType> {
  const { rpc, forwarder, from, to, data } = parameters;
  const call = {
    from: forwarder,
    to,
    data: `${data}${from.slice(2).toLowerCase()}`,
    ...(parameters.value ? { value: toBeHex(parameters.value) } : {}),
  };
  try {
    if (parameters.mode === "call") {
      await rpc.call("eth_call", [call, "latest"]);
      return { ok: true, gas: null };
    }
    const estimate = BigInt(await rpc.call<string>("eth_estimateGas", [call]));
    return { ok: true, gas: estimate };
  } catch (error) {
    if (!isExecutionRevert(error)) {
      throw new SimulationUnavailableError("The chain node did not answer a simulation", { cause: error, details: (error as Error).message });
    }
    const revertData = revertDataOf(error);
    return { ok: false, revert: decodeRevert(revertData), data: revertData };
  }
}

/**
 * The `gas` a ForwardRequest gets from an estimate: the estimate already counts the transaction's
 * own 21,000 and calldata, which the forwarded call does not pay, plus a fifth for state that
 * changes between the simulation and the block.
 */
export function requestGasFor(estimate: bigint): bigint {
  return estimate + estimate / 5n + 20_000n;
}

/** Gas for a mintBatch of `deliveries` (about 51k each measured, plus the call): generous, never short. */
export function mintGasFor(deliveries: number): bigint {
  return 150_000n + 80_000n * BigInt(deliveries);
}
