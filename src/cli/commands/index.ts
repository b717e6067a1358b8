import type { Writable } from "node:stream";
import type { Command } from "commander";
import { readDeployments, type Deployments } from "../../chain/deployments";
import { useNativeKeccak } from "../../chain/nativeKeccak";
import type { EmbeddedChain } from "../../gateway/embeddedChain";
import { loadConfig, redactUrl, type Config } from "../../config";
// The modules these commands use, not the packages' indexes: no query module, driver or contract
// factory is loaded that a rebuild does not run.
import { openDatabase } from "../../db/openDatabase";
import { decodeCheckpoint } from "../../indexer/checkpoint";
import { rebuildIndex } from "../../indexer/rebuild";
import { indexerSourceFromDeployments } from "../../indexer/source";
import { readCheckpoint } from "../../indexer/store/checkpointStore";
import { createJsonRpcChainReader, type ChainReader } from "../../indexer/sync/chainReader";

/** What the commands read and write; the real process by default, a test's buffers otherwise. */
export type IndexCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

type IndexOptions = { dataDir?: string; deployments?: string };

/**
 * `firstmile index rebuild|status`: the indexer's read model from the command line, with the
 * gateway's configuration (database, chain RPC URL, page and batch sizes).
 */
export function registerIndexCommand(program: Command, io: IndexCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const index = program.command("index").description("the SQL read model of the chain's events");
  const print = (line: string) => io.stdout.write(`${line}\n`);

  index
    .command("rebuild")
    .description("replay the chain from the contracts' deployment block into fresh tables, then swap them in")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .option("--deployments <file>", "deployments file (default <data dir>/deployments/embedded.json)")
    .option("--to-block <number>", "replay up to this block (default: the head when the rebuild starts)")
    .action(async (options: IndexOptions & { toBlock?: string }) => {
      // Every lot event's history head is recomputed (two hashes each): the native keccak when installed, as the gateway does.
      useNativeKeccak();
      await withIndexer(io, options, async ({ config, db, chain, deployments }) => {
        const source = indexerSourceFromDeployments(deployments);
        print(`rebuilding the read model of chain ${source.chainId} from block ${source.lotRegistry.deploymentBlock} (${config.database.engine})`);
        const result = await rebuildIndex({
          db,
          chain,
          source,
          pageBlocks: config.indexer.pageBlocks,
          batchLogs: config.indexer.batchLogs,
          toBlock: options.toBlock === undefined ? undefined : parseBlock(options.toBlock),
        });
        const block = result.checkpoint ? decodeCheckpoint(result.checkpoint).blockNumber : source.lotRegistry.deploymentBlock;
        print(`rebuilt: ${result.events} events up to block ${block} in ${(result.durationMs / 1000).toFixed(1)} s; swapped in ${result.tables.length} tables`);
      });
    });

  index
    .command("status")
    .description("print the read model's checkpoint and how far it is behind the chain's head")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .option("--deployments <file>", "deployments file (default <data dir>/deployments/embedded.json)")
    .action(async (options: IndexOptions) => {
      await withIndexer(io, options, async ({ db, chain, deployments }) => {
        const source = indexerSourceFromDeployments(deployments);
        const checkpoint = await readCheckpoint(db, "public", source);
        const head = await chain.blockNumber();
        if (!checkpoint) {
          print(`nothing indexed yet; head ${head}`);
          return;
        }
        const { blockNumber, logIndex } = decodeCheckpoint(checkpoint);
        print(`checkpoint ${checkpoint} (block ${blockNumber}, log ${logIndex}); head ${head}; ${Math.max(0, head - blockNumber)} blocks behind`);
      });
    });
}

function parseBlock(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--to-block expects a block number, got ${JSON.stringify(text)}`);
  return value;
}

type IndexerContext = {
  config: Config;
  db: Awaited<ReturnType<typeof openDatabase>>["db"];
  chain: ChainReader;
  deployments: Deployments;
};

/**
 * Opens the database (applying migrations) and the chain: the configured RPC URL, or, on the
 * embedded profile when no node answers there, the embedded chain itself for the command's duration.
 */
async function withIndexer(io: IndexCommandIo, options: IndexOptions, work: (context: IndexerContext) => Promise<void>): Promise<void> {
  const config = loadConfig({ env: io.env, argv: options.dataDir ? [`--data-dir=${options.dataDir}`] : [], cwd: io.cwd });
  const deploymentsFile = options.deployments ?? config.paths.deploymentsFile;
  const deployments = readDeployments(deploymentsFile);
  if (!deployments) throw new Error(`no deployments file at ${deploymentsFile}: start the chain once (firstmile start) or pass --deployments`);
  let embedded: EmbeddedChain | undefined;
  let chain = createJsonRpcChainReader({ url: config.chain.rpcUrl });
  const answers = await chain.chainId().then(
    (id) => id,
    () => null,
  );
  if (answers === null) {
    if (!config.chain.node) throw new Error(`the chain node at ${redactUrl(config.chain.rpcUrl)} does not answer`);
    // The embedded chain (and the contracts' deployment code) only when no node answers.
    const { startEmbeddedChain } = require("../../gateway/embeddedChain") as typeof import("../../gateway/embeddedChain");
    embedded = await startEmbeddedChain({ paths: config.paths, port: config.chain.node.port, chainId: config.chain.node.chainId });
    chain = createJsonRpcChainReader({ url: embedded.node.url });
  }
  const chainId = await chain.chainId();
  if (chainId !== deployments.chainId) throw new Error(`${deploymentsFile} is for chain ${deployments.chainId}, the node is chain ${chainId}`);
  const { db } = await openDatabase({ config: config.database });
  try {
    await work({ config, db, chain, deployments });
  } finally {
    await db.close();
    await embedded?.stop();
  }
}
