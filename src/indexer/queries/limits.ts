/**
 * Hard limits of the read-model queries: no request can make the server read an unbounded number
 * of rows. Lists are keyset-paginated and each page examines at most `scanRows` rows; DAG walks
 * stop at `maxDepth` and at `maxPathRows` path rows.
 */
export const QUERY_LIMITS = {
  /** Items per page unless asked otherwise, and the most a caller may ask for. */
  defaultPage: 50,
  maxPage: 500,
  /** Rows one list page may examine before it answers (with a cursor to go on from). */
  scanRows: 5_000,
  /** Deepest ancestry or descendants walk (a chocolate bar is ~10 operations from the farm). */
  maxDepth: 64,
  /** Most paths a DAG walk may follow before it refuses (each path is counted once). */
  maxPathRows: 200_000,
  /** Longest date range of a member's deliveries by day. */
  maxDays: 366,
} as const;

export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(1, limit ?? QUERY_LIMITS.defaultPage), QUERY_LIMITS.maxPage);
}

/** Ids (lots, members) are SQL `int8` in the read model: a larger number names nothing. */
export const MAX_READ_MODEL_ID = 2n ** 63n - 1n;

/** Whether `id` can name a row at all (and may be bound as an `int8` parameter). */
export function fitsReadModelId(id: bigint): boolean {
  return id >= 0n && id <= MAX_READ_MODEL_ID;
}
