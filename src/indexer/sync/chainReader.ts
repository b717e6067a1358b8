import { fetchFailureOf, rpcEndpoint } from "../../chain/rpcEndpoint";
import { IndexerRpcError } from "../errors";
import type { ChainLog } from "../indexing/events";

/** The few JSON-RPC reads the indexer makes; an interface so tests can put a faulty node in front. */
export type ChainReader = {
  chainId(): Promise<number>;
  blockNumber(): Promise<number>;
  /** Logs of `addresses` in blocks `fromBlock`..`toBlock` (inclusive), in chain order. */
  getLogs(parameters: { addresses: readonly string[]; fromBlock: number; toBlock: number }): Promise<ChainLog[]>;
  /** Timestamps of the given blocks. */
  blockTimes(blockNumbers: readonly number[]): Promise<Map<number, Date>>;
};

export type CreateJsonRpcChainReaderParameters = {
  url: string;
  /** Per request; a node that does not answer in time counts as unreachable (default 10 s). */
  timeoutMs?: number;
  /** Blocks per JSON-RPC batch when reading timestamps (default 100). */
  blocksPerBatch?: number;
};

/** A log as `eth_getLogs` answers it (numbers as hex quantities). */
export type RpcLog = {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
  blockTimestamp?: string;
};

/** The logs of an `eth_getLogs` answer, as the indexer reads them: removed ones left out, in chain order. */
export function chainLogsOf(logs: readonly RpcLog[]): ChainLog[] {
  return logs
    .filter((log) => !log.removed)
    .map((log) => ({
      address: log.address.toLowerCase(),
      topics: log.topics,
      data: log.data,
      blockNumber: Number(log.blockNumber),
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
      logIndex: Number(log.logIndex),
    }))
    .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

/**
 * A chain reader over plain JSON-RPC (`fetch`, a timeout per request, batches for block headers).
 * Every failure, from a refused connection to a JSON-RPC error object, is an `IndexerRpcError`:
 * the follower backs off and tries again.
 */
export function createJsonRpcChainReader({ url, timeoutMs = 10_000, blocksPerBatch = 100 }: CreateJsonRpcChainReaderParameters): ChainReader {
  const endpoint = rpcEndpoint(url);
  const headers = { "content-type": "application/json", ...endpoint.headers };
  let nextId = 1;
  const post = async (body: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(endpoint.url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new IndexerRpcError(`The chain node at ${endpoint.shown} is unreachable`, { cause: error, details: fetchFailureOf(error) });
    }
    if (!response.ok) throw new IndexerRpcError(`The chain node at ${endpoint.shown} answered HTTP ${response.status}`);
    try {
      return await response.json();
    } catch (error) {
      throw new IndexerRpcError(`The chain node at ${endpoint.shown} sent a malformed answer`, { cause: error });
    }
  };
  const call = async <T>(method: string, params: unknown[]): Promise<T> => {
    const answer = (await post({ jsonrpc: "2.0", id: nextId++, method, params })) as { result?: T; error?: { code: number; message: string } };
    if (answer.error) throw new IndexerRpcError(`${method} failed: ${answer.error.message}`, { details: `JSON-RPC error ${answer.error.code}` });
    return answer.result as T;
  };
  return {
    chainId: async () => Number(await call<string>("eth_chainId", [])),
    blockNumber: async () => Number(await call<string>("eth_blockNumber", [])),
    async getLogs({ addresses, fromBlock, toBlock }) {
      return chainLogsOf(await call<RpcLog[]>("eth_getLogs", [{ address: [...addresses], fromBlock: hex(fromBlock), toBlock: hex(toBlock) }]));
    },
    async blockTimes(blockNumbers) {
      const times = new Map<number, Date>();
      const unique = [...new Set(blockNumbers)];
      for (let start = 0; start < unique.length; start += blocksPerBatch) {
        const chunk = unique.slice(start, start + blocksPerBatch);
        const requests = chunk.map((number) => ({ jsonrpc: "2.0", id: nextId++, method: "eth_getBlockByNumber", params: [hex(number), false] }));
        const answers = (await post(requests)) as Array<{ id: number; result?: { number: string; timestamp: string } | null; error?: { message: string } }>;
        if (!Array.isArray(answers)) throw new IndexerRpcError("eth_getBlockByNumber batch: the node did not answer with a batch");
        for (const answer of answers) {
          if (answer.error || !answer.result) throw new IndexerRpcError(`eth_getBlockByNumber failed: ${answer.error?.message ?? "no such block"}`);
          times.set(Number(answer.result.number), new Date(Number(answer.result.timestamp) * 1000));
        }
      }
      for (const number of unique) if (!times.has(number)) throw new IndexerRpcError(`The node did not return block ${number}`);
      return times;
    },
  };
}

const hex = (value: number) => `0x${value.toString(16)}`;
