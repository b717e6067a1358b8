import type { Database } from "../db";
import type { Checkpoint } from "./checkpoint";
import type { IndexerSource } from "./source";
import { analyzeReadModel, createReadModelSchema, dropSecondaryIndexes, swapReadModel } from "./store/readModel";
import { LIVE_SCHEMA } from "./store/schemaName";
import type { ChainReader } from "./sync/chainReader";
import { startIndexer, type IndexerLogger } from "./sync/follower";

export type RebuildIndexParameters = {
  db: Database;
  chain: ChainReader;
  source: IndexerSource;
  pageBlocks: number;
  batchLogs?: number | undefined;
  /** Replay up to this block (default: the head when the rebuild starts). */
  toBlock?: number | undefined;
  /** The schema the new read model is built in before the swap (default `indexer_rebuild`). */
  buildSchema?: string | undefined;
  logger?: IndexerLogger | undefined;
};

export type RebuildIndexReturnType = {
  checkpoint: Checkpoint | null;
  events: number;
  /** Tables swapped into `public`. */
  tables: string[];
  durationMs: number;
};

/**
 * Replays the chain from the contracts' deployment block into fresh tables and swaps them in:
 * the read-model migrations run into a build schema (its secondary indexes dropped), a follower
 * indexes it up to the head seen at start, then one transaction builds the indexes and replaces
 * the live tables; the planner's statistics are refreshed last. Until the swap, the live read model keeps
 * answering; if the rebuild fails, it is left as it was.
 */
export async function rebuildIndex(parameters: RebuildIndexParameters): Promise<RebuildIndexReturnType> {
  const started = performance.now();
  const buildSchema = parameters.buildSchema ?? "indexer_rebuild";
  await createReadModelSchema(parameters.db, buildSchema);
  // Built once over the loaded rows, in the swap's transaction, instead of row by row.
  const indexes = await dropSecondaryIndexes(parameters.db, buildSchema);
  const indexer = startIndexer({
    db: parameters.db,
    chain: parameters.chain,
    source: parameters.source,
    schema: buildSchema,
    pageBlocks: parameters.pageBlocks,
    batchLogs: parameters.batchLogs,
    pollIntervalMs: 0,
    backoff: { initialMs: 250, maxMs: 5_000 },
    stopAt: parameters.toBlock ?? "head",
    // Once, after the indexes are built (below), rather than while the rows are loaded.
    analyzeEveryRows: Number.POSITIVE_INFINITY,
    analyzeAtStop: false,
    logger: parameters.logger,
  });
  try {
    await indexer.done;
  } catch (error) {
    await parameters.db.exec(`drop schema if exists "${buildSchema}" cascade`).catch(() => {});
    throw error;
  }
  const status = indexer.status();
  const tables = await swapReadModel(parameters.db, buildSchema, indexes);
  await analyzeReadModel(parameters.db, LIVE_SCHEMA).catch((error: unknown) => parameters.logger?.warn({ err: error }, "could not refresh the planner statistics after the rebuild"));
  return { checkpoint: status.checkpoint, events: status.eventsIndexed, tables, durationMs: performance.now() - started };
}
