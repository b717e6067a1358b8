/**
 * The real chain of `bench:indexer`'s end-to-end mode: an embedded data dir (anvil state, the
 * contracts deployed, the deployments record, the database migrated) holding one first-mile
 * season's registry traffic, built once and kept under bench/out/real-chain (ignored by git):
 *
 * - 40 `mintBatch` of 500 deliveries (20,000 lots),
 * - 5,000 evidence attachments (the first 5,000 deliveries' weigh tickets),
 * - 500 merges of 10 (those 5,000 deliveries bulked),
 * - 3,000 handovers offered and accepted (the 500 bulks and 2,500 single deliveries).
 *
 * The transactions go to anvil's unlocked accounts as JSON-RPC batches with their nonces and gas
 * set (no estimate, no signing round trip per transaction) and are mined on the node's 1 s blocks,
 * phase by phase: each phase's lot ids are read from the previous phase's events.
 */
import fs from "node:fs";
import path from "node:path";
import { Interface, ZeroHash, id } from "ethers";
import { dataPaths } from "../src/config";
import { startEmbeddedChain, type EmbeddedChain } from "../src/gateway/embeddedChain";
import { migrate, openPglite } from "../src/db";
import { Role } from "../src/membership/roles";
import { LotRegistry__factory } from "../typechain-types";

export const REAL_CHAIN_SHAPE = { mintBatches: 40, batchSize: 500, evidence: 5_000, merges: 500, mergeSize: 10, handovers: 3_000 } as const;

/** Bumped when the shape or the way it is built changes: an older cache is built again. */
const CACHE_VERSION = "1";

export type RealChainTemplate = { dataDir: string; registryLogs: number };

/**
 * The data dir of the real chain, built if `root` has none of this version (a few minutes); a
 * run copies it (`copyTemplate`) so that each rebuild starts from the same state.
 */
export async function realChainTemplate(root: string, port: number, log: (line: string) => void = console.log): Promise<RealChainTemplate> {
  const dataDir = path.join(root, "template");
  const stamp = path.join(root, "built.json");
  if (fs.existsSync(stamp)) {
    const built = JSON.parse(fs.readFileSync(stamp, "utf8")) as { version: string; registryLogs: number };
    if (built.version === CACHE_VERSION && fs.existsSync(dataDir)) return { dataDir, registryLogs: built.registryLogs };
  }
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const paths = dataPaths(dataDir);
  const chain = await startEmbeddedChain({ paths, port });
  let registryLogs: number;
  try {
    registryLogs = await buildSeason(chain, log);
  } finally {
    await chain.stop();
  }
  // The user's database exists before a rebuild: migrated here, not in the measured run.
  const db = await openPglite({ dir: paths.pgdata });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  fs.writeFileSync(stamp, JSON.stringify({ version: CACHE_VERSION, registryLogs }));
  return { dataDir, registryLogs };
}

/** A copy of the template's data dir at `target` (replacing what is there). */
export function copyTemplate(template: RealChainTemplate, target: string): void {
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(template.dataDir, target, { recursive: true });
}

const registryInterface = LotRegistry__factory.createInterface();

async function buildSeason(chain: EmbeddedChain, log: (line: string) => void): Promise<number> {
  const registry = chain.deployments.contracts.LotRegistry!.address;
  const rpc = jsonRpc(chain.node.url);
  const accounts = (await rpc.call("eth_accounts", [])) as string[];
  const cooperative = accounts[1]!;
  const processor = accounts[2]!;
  const governor = LotRegistry__factory.connect(registry, chain.governor);
  await chain.withInstantBlocks(async () => {
    await (await governor.addMember(Role.cooperative, "0x4944", ZeroHash, [cooperative])).wait();
    await (await governor.addMember(Role.processor, "0x4944", ZeroHash, [processor])).wait();
  });
  const startBlock = Number(await rpc.call("eth_blockNumber", []));
  const shape = REAL_CHAIN_SHAPE;
  const send = sender(rpc, registry);

  log(`[real chain] ${shape.mintBatches} mintBatch of ${shape.batchSize}...`);
  const mints = Array.from({ length: shape.mintBatches }, (_, batch) =>
    registryInterface.encodeFunctionData("mintBatch", [
      Array.from({ length: shape.batchSize }, (_, i) => ({ form: 1, grams: 40_000n + BigInt(i), quality: 5_500, metadata: id(`m ${batch} ${i}`), origin: id(`o ${batch} ${i}`) })),
    ]),
  );
  const minted = await send(cooperative, mints, 60_000_000n);
  const deliveries: bigint[] = [];
  for (const receipt of minted) {
    for (const entry of receipt.logs) {
      const parsed = parse(entry);
      if (parsed?.name === "LotsMinted") for (let i = 0; i < parsed.args.deliveries.length; i++) deliveries.push((parsed.args.firstLotId as bigint) + BigInt(i));
    }
  }
  if (deliveries.length !== shape.mintBatches * shape.batchSize) throw new Error(`minted ${deliveries.length} lots`);

  log(`[real chain] ${shape.evidence} evidence attachments, ${shape.merges} merges of ${shape.mergeSize}...`);
  const evidence = deliveries.slice(0, shape.evidence).map((lot) => registryInterface.encodeFunctionData("attachEvidence", [lot, id(`ticket ${lot}`)]));
  const merges = Array.from({ length: shape.merges }, (_, m) =>
    registryInterface.encodeFunctionData("merge", [deliveries.slice(m * shape.mergeSize, (m + 1) * shape.mergeSize), id(`bulk ${m}`)]),
  );
  await send(cooperative, evidence, 500_000n);
  const merged = await send(cooperative, merges, 3_000_000n);
  const bulks: bigint[] = [];
  for (const receipt of merged) {
    for (const entry of receipt.logs) {
      const parsed = parse(entry);
      if (parsed?.name === "LotsDerived") bulks.push(parsed.args.firstOutputId as bigint);
    }
  }
  if (bulks.length !== shape.merges) throw new Error(`merged ${bulks.length} lots`);

  log(`[real chain] ${shape.handovers} handovers offered and accepted...`);
  const handed = [...bulks, ...deliveries.slice(shape.merges * shape.mergeSize, shape.merges * shape.mergeSize + shape.handovers - bulks.length)];
  await send(cooperative, handed.map((lot) => registryInterface.encodeFunctionData("offer", [lot, processor])), 500_000n);
  // gramsReceived: what was sent (the offered lot's grams), read from the chain in one batch.
  const lots = (await rpc.batch(handed.map((lot) => ["eth_call", [{ to: registry, data: registryInterface.encodeFunctionData("getLot", [lot]) }, "latest"]]))) as string[];
  const accepts = handed.map((lot, i) => {
    const [state] = registryInterface.decodeFunctionResult("getLot", lots[i]!);
    return registryInterface.encodeFunctionData("accept", [lot, state.grams, state.quality]);
  });
  await send(processor, accepts, 500_000n);

  const head = Number(await rpc.call("eth_blockNumber", []));
  const logs = (await rpc.call("eth_getLogs", [{ address: registry, fromBlock: "0x0", toBlock: `0x${head.toString(16)}` }])) as unknown[];
  log(`[real chain] ${logs.length} registry logs, blocks ${startBlock}-${head}`);
  return logs.length;
}

function parse(entry: { topics: string[]; data: string }) {
  try {
    return registryInterface.parseLog(entry);
  } catch {
    return null;
  }
}

type Receipt = { status: string; logs: Array<{ topics: string[]; data: string }> };

/** Sends `calls` from an unlocked account in nonce order, batched, and returns their receipts once all are mined. */
function sender(rpc: ReturnType<typeof jsonRpc>, to: string) {
  return async (from: string, calls: string[], gas: bigint): Promise<Receipt[]> => {
    const nonce = Number(await rpc.call("eth_getTransactionCount", [from, "pending"]));
    const hashes: string[] = [];
    // Requests of at most 250 transactions and about 256 kB (anvil refuses larger bodies).
    for (let start = 0; start < calls.length; ) {
      let end = start;
      for (let bytes = 0; end < calls.length && end - start < 250 && (end === start || bytes + calls[end]!.length < 256_000); end++) bytes += calls[end]!.length;
      const chunk = calls.slice(start, end);
      const first = start;
      hashes.push(
        ...((await rpc.batch(chunk.map((data, i) => ["eth_sendTransaction", [{ from, to, data, gas: `0x${gas.toString(16)}`, nonce: `0x${(nonce + first + i).toString(16)}` }]]))) as string[]),
      );
      start = end;
    }
    for (;;) {
      const receipts = (await rpc.batch(hashes.map((hash) => ["eth_getTransactionReceipt", [hash]]))) as Array<Receipt | null>;
      if (receipts.every((receipt) => receipt !== null)) {
        const failed = receipts.findIndex((receipt) => receipt!.status !== "0x1");
        if (failed >= 0) throw new Error(`transaction ${hashes[failed]} failed`);
        return receipts as Receipt[];
      }
      // The interval miner sometimes leaves a long queue of one sender pending: mine it at once.
      await rpc.call("evm_mine", []);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
}

function jsonRpc(url: string) {
  let next = 1;
  const post = async (body: unknown) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return response.json() as Promise<unknown>;
  };
  const unwrap = (reply: { result?: unknown; error?: { message: string } }) => {
    if (reply.error) throw new Error(reply.error.message);
    return reply.result;
  };
  return {
    call: async (method: string, params: unknown[]) => unwrap((await post({ jsonrpc: "2.0", id: next++, method, params })) as { result?: unknown }),
    batch: async (calls: Array<[string, unknown[]]>) => {
      const requests = calls.map(([method, params]) => ({ jsonrpc: "2.0", id: next++, method, params }));
      const replies = (await post(requests)) as Array<{ id: number; result?: unknown; error?: { message: string } }>;
      if (!Array.isArray(replies)) throw new Error(`JSON-RPC batch refused: ${JSON.stringify(replies).slice(0, 500)}`);
      const byId = new Map(replies.map((reply) => [reply.id, reply]));
      return requests.map((request) => unwrap(byId.get(request.id)!));
    },
  };
}
