export { startIndexer } from "./sync/follower";
export { batches } from "./sync/pageReader";
export { startConfiguredIndexer } from "./startConfiguredIndexer";
export type { StartConfiguredIndexerParameters } from "./startConfiguredIndexer";
export type { Indexer, IndexerLogger, IndexerState, IndexerStatus, StartIndexerParameters } from "./sync/follower";
export { createJsonRpcChainReader } from "./sync/chainReader";
export type { ChainReader, CreateJsonRpcChainReaderParameters } from "./sync/chainReader";
export { rebuildIndex } from "./rebuild";
export type { RebuildIndexParameters, RebuildIndexReturnType } from "./rebuild";
export { indexerSourceFromDeployments, sourceKey, sourceStartBlock, DEFAULT_SOURCE_NAME } from "./source";
export type { IndexerSource, IndexedContract } from "./source";
export { encodeCheckpoint, decodeCheckpoint, blockDone, resumeBlock, LOG_INDEX_BLOCK_DONE } from "./checkpoint";
export type { Checkpoint, Position } from "./checkpoint";
export { decodeLogs } from "./indexing/decode";
export type { ChainLog, IndexedEvent, RegistryEvent } from "./indexing/events";
export { projectEvents, stateNeeds, emptyProjectionState } from "./indexing/project";
export type { ProjectionState } from "./indexing/project";
export { indexBatch } from "./indexing/indexBatch";
export { readCheckpoint } from "./store/checkpointStore";
export { analyzeReadModel, dumpReadModel, READ_MODEL_TABLES, readModelMigrations } from "./store/readModel";
export * as queries from "./queries";
export {
  HistoryHeadMismatchError,
  IndexerCheckpointConflictError,
  IndexerDecodeError,
  IndexerRpcError,
  IndexerSourceMismatchError,
  IndexerStateError,
} from "./errors";
export type { IndexerErrorType } from "./errors";
