import { fetchFailureOf, rpcEndpoint } from "./rpcEndpoint";
import { BaseError, RetryableError } from "../errors/base";

/**
 * A lean JSON-RPC client for the relay's hot calls: `fetch` and the platform's JSON parser. The
 * relay reads whole blocks of receipts and sends transactions of tens of kilobytes; ethers'
 * provider decodes every response with a JavaScript UTF-8 decoder first, which costs more than
 * the rest of the relay's work on large responses.
 */
export type JsonRpc = {
  call<T = unknown>(method: string, params: readonly unknown[]): Promise<T>;
};

/** A JSON-RPC error answer; `data` carries revert data for `eth_call` / `eth_estimateGas`. */
export class JsonRpcError extends BaseError {
  override name = "JsonRpcError";
  readonly code: number;
  readonly data: unknown;
  constructor(method: string, error: { code?: number; message?: string; data?: unknown }) {
    super(`${method}: ${error.message ?? "error"}`, { details: `code ${error.code}` });
    this.code = error.code ?? 0;
    this.data = error.data;
  }
}

/** The node did not answer, or not with JSON-RPC: worth trying again. Names the node without credentials. */
export class JsonRpcUnreachableError extends RetryableError {
  override name = "JsonRpcUnreachableError";
}

export function jsonRpcClient(url: string, options: { timeoutMs?: number } = {}): JsonRpc {
  const endpoint = rpcEndpoint(url);
  const headers = { "content-type": "application/json", ...endpoint.headers };
  let id = 0;
  return {
    async call<T>(method: string, params: readonly unknown[]): Promise<T> {
      let response: Response;
      try {
        response = await fetch(endpoint.url, {
          method: "POST",
          headers,
          body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        throw new JsonRpcUnreachableError(`${method}: the chain node at ${endpoint.shown} is unreachable`, { cause: error, details: fetchFailureOf(error) });
      }
      // A JSON-RPC error may come with any HTTP status; only an answer that is not JSON-RPC is the node's failure.
      const answer = (await response.json().catch(() => null)) as { result?: T; error?: { code?: number; message?: string; data?: unknown } } | null;
      if (answer === null || typeof answer !== "object") {
        throw new JsonRpcUnreachableError(`${method}: the chain node at ${endpoint.shown} answered HTTP ${response.status} without a JSON-RPC answer`);
      }
      if (answer.error) throw new JsonRpcError(method, answer.error);
      return answer.result as T;
    },
  };
}

/** The same interface over an ethers provider's `send` (when no URL is at hand). */
export function jsonRpcOf(provider: { send(method: string, params: unknown[]): Promise<unknown> }): JsonRpc {
  return { call: <T>(method: string, params: readonly unknown[]) => provider.send(method, [...params]) as Promise<T> };
}
