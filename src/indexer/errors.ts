import { BaseError, NonRetryableError, RetryableError } from "../errors/base";

/**
 * The lot registry emitted a history head that differs from the one recomputed with the shared
 * TypeScript twin (`src/lots/historyHead.ts`). Either the encoding drifted between the contract
 * and the twin, or the read model is not the chain's: the indexer stops rather than serve it.
 */
export class HistoryHeadMismatchError extends NonRetryableError {
  override name = "HistoryHeadMismatchError";
  constructor(
    readonly lotId: bigint,
    readonly event: string,
    readonly position: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`History head mismatch on lot ${lotId} at its ${event} event (position ${position})`, {
      details: `the contract emitted ${expected}, the shared TypeScript twin computes ${actual}`,
      metaMessages: [
        "The history-head encoding of contracts/lots/LotHistory.sol and src/lots/historyHead.ts differ,",
        "or the read model missed an event of this lot. The indexer stopped; fix the encoding, then rebuild the index.",
      ],
    });
  }
}

/** An event refers to a lot, member or account the read model does not have (events missed or out of order). */
export class IndexerStateError extends NonRetryableError {
  override name = "IndexerStateError";
}

/** A log from an indexed contract could not be decoded (ABI drift between the contracts and the indexer). */
export class IndexerDecodeError extends NonRetryableError {
  override name = "IndexerDecodeError";
}

/** The database was indexed from other contracts or another chain: rebuild it for these. */
export class IndexerSourceMismatchError extends NonRetryableError {
  override name = "IndexerSourceMismatchError";
}

/**
 * The checkpoint moved under this indexer (another indexer, or a rebuild swapped the tables in):
 * nothing was written; reload the checkpoint and go on from there.
 */
export class IndexerCheckpointConflictError extends RetryableError {
  override name = "IndexerCheckpointConflictError";
}

/** The chain's node did not answer, or answered with an error: back off and try again. */
export class IndexerRpcError extends RetryableError {
  override name = "IndexerRpcError";
}

export type IndexerErrorType =
  | HistoryHeadMismatchError
  | IndexerStateError
  | IndexerDecodeError
  | IndexerSourceMismatchError
  | IndexerCheckpointConflictError
  | IndexerRpcError;

/** Errors after which the indexer must stop (the read model would be wrong if it went on). */
export function isFatalIndexerError(error: unknown): boolean {
  return error instanceof NonRetryableError;
}

export { BaseError };
