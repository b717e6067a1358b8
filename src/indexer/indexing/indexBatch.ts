import type { Database } from "../../db";
import type { Checkpoint } from "../checkpoint";
import type { IndexerSource } from "../source";
import { IndexerCheckpointConflictError } from "../errors";
import { checkpointMoved, moveCheckpointStatement, readCheckpoint } from "../store/checkpointStore";
import { loadProjectionState, ProjectionCache } from "../store/loadState";
import type { ReadModelSchema } from "../store/schemaName";
import { rowBatchStatements } from "../store/writeRows";
import type { IndexedEvent } from "./events";
import { projectEvents, stateNeeds } from "./project";

export type IndexBatchParameters = {
  schema: ReadModelSchema;
  source: IndexerSource;
  /** The checkpoint this batch follows (null: the first batch). */
  previous: Checkpoint | null;
  /** The checkpoint after this batch: its last log, or the end of the page it closes. */
  next: Checkpoint;
  /** The batch's events, in chain order, all after `previous` and up to `next`. */
  events: readonly IndexedEvent[];
  /**
   * The state the previous batches left, kept by the caller between batches (the follower does);
   * without it every batch reads what it touches. Cleared here when the batch does not commit.
   */
  cache?: ProjectionCache | undefined;
};

export type IndexBatchReturnType = { events: number; rows: number };

/**
 * One batch: check the checkpoint, load the state the events touch (what the cache lacks), project
 * them (recomputing every history head), then write all rows with multi-row statements and move
 * the checkpoint in one `db.batch`, with no round trip to this thread while its transaction is
 * open. The reads need no transaction: the checkpoint moves only if it is still `previous` (compare
 * and set, first in the batch), so a batch computed from state another writer changed meanwhile
 * never commits. Either all of it commits or none of it does.
 *
 * @throws {IndexerCheckpointConflictError} the checkpoint moved under us: nothing was written.
 * @throws {HistoryHeadMismatchError} | {IndexerStateError} from the projector: nothing was written.
 */
export async function indexBatch(db: Database, parameters: IndexBatchParameters): Promise<IndexBatchReturnType> {
  const { schema, source, previous, next, events } = parameters;
  const cache = parameters.cache ?? new ProjectionCache();
  try {
    const current = await readCheckpoint(db, schema, source);
    if (current !== previous) throw checkpointConflict(previous, current);
    const state = await loadProjectionState(db, schema, stateNeeds(events), cache);
    const batch = projectEvents(events, state);
    try {
      await db.batch([moveCheckpointStatement(schema, source, previous, next), ...rowBatchStatements(schema, batch, { after: previous })]);
    } catch (error) {
      if (checkpointMoved(error)) throw checkpointConflict(previous, await readCheckpoint(db, schema, source).catch(() => "unknown"));
      throw error;
    }
    cache.committed(state, batch.lots.values());
    const rows =
      batch.members.size + batch.accounts.size + batch.forms.size + batch.yieldBounds.size + batch.lots.size +
      batch.handovers.size + batch.lotEvents.length + batch.lotEdges.length + batch.lotEvidence.length + batch.lotIngredients.length +
      batch.schemes.size + batch.accreditations.size + batch.attestations.size + batch.lotClaims.size +
      batch.massBalanceMoves.length + batch.massBalanceCredits.size + batch.ddsReferences.length;
    return { events: events.length, rows };
  } catch (error) {
    // The projector changed the cached rows in place; nothing was written.
    cache.clear();
    throw error;
  }
}

function checkpointConflict(expected: Checkpoint | null, found: Checkpoint | null): IndexerCheckpointConflictError {
  return new IndexerCheckpointConflictError(`The checkpoint moved: expected ${expected ?? "none"}, found ${found ?? "none"}`, {
    details: "another indexer wrote to this read model, or a rebuild replaced it; reloading",
  });
}
