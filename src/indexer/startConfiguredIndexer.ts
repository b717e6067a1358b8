import type { Deployments } from "../chain/deployments";
import type { Config } from "../config";
import type { Database } from "../db";
import { indexerSourceFromDeployments } from "./source";
import { createJsonRpcChainReader } from "./sync/chainReader";
import { startIndexer, type Indexer, type IndexerLogger } from "./sync/follower";

export type StartConfiguredIndexerParameters = {
  db: Database;
  config: Pick<Config, "chain" | "indexer">;
  deployments: Deployments;
  logger?: IndexerLogger | undefined;
  /** See `StartIndexerParameters.deferWhile`. */
  deferWhile?: (() => boolean) | undefined;
  /** See `StartIndexerParameters.beforeAdvance`. */
  beforeAdvance?: ((block: number) => Promise<unknown>) | undefined;
};

/**
 * The indexer as the gateway runs it: the configured node, the deployed contracts, the configured
 * page, batch and poll settings. Mount its `readiness` as `/readyz`'s `indexer` check and its
 * routes with `createReadRoutes({ db })` (src/api); `stop()` it before closing the database.
 */
export function startConfiguredIndexer({ db, config, deployments, logger, deferWhile, beforeAdvance }: StartConfiguredIndexerParameters): Indexer {
  return startIndexer({
    db,
    chain: createJsonRpcChainReader({ url: config.chain.rpcUrl }),
    source: indexerSourceFromDeployments(deployments),
    pageBlocks: config.indexer.pageBlocks,
    batchLogs: config.indexer.batchLogs,
    pollIntervalMs: config.indexer.pollIntervalMs,
    deferWhile,
    beforeAdvance,
    logger,
  });
}
