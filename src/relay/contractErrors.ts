import { ErrorDescription, getAddress, type ParamType } from "ethers";
import { contractErrorsInterface } from "../chain/contracts";

/**
 * Contract custom errors, decoded: `LotRegistryNotCustodian(caller, lotId, custodian)` from the
 * revert data a simulation (`eth_call`, `eth_estimateGas`) returns, with named arguments as
 * JSON-safe strings. One vocabulary for the member (GET /v1/requests/:id, a 422 answer) and the
 * operator: the contracts' own error names and parameters.
 */
export type DecodedRevert = {
  /** The custom error's name, e.g. `LotRegistryNotCustodian`; `Error` for a revert string, `Panic` for a panic. */
  error: string;
  /** Its arguments by parameter name (bigints and enums as decimal strings, addresses checksummed). */
  args: Record<string, string | string[] | boolean>;
  /** `LotRegistryNotCustodian(caller=0x…, lotId=1000000001, custodian=0x…)`. */
  summary: string;
};

/** The decoded revert, or null if `data` is empty or matches no known error. */
export function decodeRevert(data: string | null | undefined): DecodedRevert | null {
  if (!data || data === "0x" || data.length < 10) return null;
  let described: ErrorDescription | null = null;
  try {
    described = contractErrorsInterface.parseError(data);
  } catch {
    described = null;
  }
  if (!described) return null;
  const args: DecodedRevert["args"] = {};
  described.fragment.inputs.forEach((input, index) => {
    args[input.name || `arg${index}`] = jsonSafe(described!.args[index], input);
  });
  return describeRevert(described.name, args);
}

/** A revert in the same shape from a name and arguments (checks the relay makes itself, e.g. an expired deadline). */
export function describeRevert(error: string, args: DecodedRevert["args"]): DecodedRevert {
  const shown = Object.entries(args)
    .map(([name, value]) => `${name}=${Array.isArray(value) ? `[${value.join(", ")}]` : String(value)}`)
    .join(", ");
  return { error, args, summary: `${error}(${shown})` };
}

/** The revert data carried by an error from ethers or a JSON-RPC node, or null. */
export function revertDataOf(error: unknown): string | null {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as { data?: unknown; error?: unknown; info?: unknown; cause?: unknown; revert?: unknown };
    if (typeof candidate.data === "string" && /^0x[0-9a-fA-F]*$/.test(candidate.data) && candidate.data.length >= 10) return candidate.data;
    queue.push(candidate.error, candidate.info, candidate.cause, candidate.data);
  }
  return null;
}

/** Whether an error from a simulation means "the call reverts" rather than "the node did not answer". */
export function isExecutionRevert(error: unknown): boolean {
  if (revertDataOf(error) !== null) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "CALL_EXCEPTION") return true;
  const message = String((error as { message?: unknown } | null)?.message ?? "");
  return /execution reverted|revert/i.test(message) && !/timeout|ECONNREFUSED|socket/i.test(message);
}

function jsonSafe(value: unknown, type: ParamType): string | string[] | boolean {
  if (Array.isArray(value) || (value && typeof value === "object" && "length" in (value as object))) {
    return Array.from(value as ArrayLike<unknown>).map((item) => String(jsonSafe(item, type.arrayChildren ?? type)));
  }
  if (typeof value === "boolean") return value;
  if (typeof value === "bigint") return value.toString();
  if (type.type === "address" && typeof value === "string") return getAddress(value);
  return String(value);
}
