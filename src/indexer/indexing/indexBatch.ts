import type { Database, Statement } from "../../db";
import type { Checkpoint } from "../checkpoint";
import type { IndexerSource } from "../source";
import { IndexerCheckpointConflictError } from "../errors";
import { checkpointMoved, moveCheckpointStatement, readCheckpoint } from "../store/checkpointStore";
import { loadProjectionState, ProjectionCache } from "../store/loadState";
import type { RowBatch } from "../store/rows";
import type { ReadModelSchema } from "../store/schemaName";
import { rowBatchStatements } from "../store/writeRows";
import type { IndexedEvent } from "./events";
import { projectEvents, projectEventsYielding, stateNeeds, type ProjectionState, type StateNeeds } from "./project";

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
  const { schema, source, previous } = parameters;
  const cache = parameters.cache ?? new ProjectionCache();
  try {
    const current = await readCheckpoint(db, schema, source);
    if (current !== previous) throw checkpointConflict(previous, current);
    const projected = projectBatch(parameters, await loadBatchState(db, parameters, cache), cache);
    await writeBatch(db, projected);
    cache.forgetConsumed(projected.batch.lots.values(), projected.parameters.next);
    cache.committed(projected.state);
    return projected.result;
  } catch (error) {
    // The projector changed the cached rows in place; nothing was written.
    cache.clear();
    throw error;
  }
}

/** A batch projected and ready to write (`writeBatch`). */
export type ProjectedBatch = {
  parameters: IndexBatchParameters;
  state: ProjectionState;
  batch: RowBatch;
  statements: Statement[];
  result: IndexBatchReturnType;
};

/** Reads what the batch's events touch and the cache lacks. */
export function loadBatchState(db: Database, parameters: IndexBatchParameters, cache: ProjectionCache): Promise<ProjectionState> {
  return loadProjectionState(db, parameters.schema, stateNeeds(parameters.events), cache);
}

/** Projects the batch onto `state` (the cache's rows, changed in place) and builds its statements. No I/O. */
export function projectBatch(parameters: IndexBatchParameters, state: ProjectionState, cache: ProjectionCache): ProjectedBatch {
  return projected(parameters, state, cache, projectEvents(parameters.events, state));
}

/** `projectBatch`, letting the event loop run between slices of events (beside a PostgreSQL write). */
async function projectBatchYielding(parameters: IndexBatchParameters, state: ProjectionState, cache: ProjectionCache): Promise<ProjectedBatch> {
  return projected(parameters, state, cache, await projectEventsYielding(parameters.events, state));
}

function projected(parameters: IndexBatchParameters, state: ProjectionState, cache: ProjectionCache, batch: RowBatch): ProjectedBatch {
  const { schema, source, previous, next, events } = parameters;
  // The next batch's state starts from this one's, whether or not this one has committed yet.
  cache.accountCount = state.accountCount;
  const statements = [moveCheckpointStatement(schema, source, previous, next), ...rowBatchStatements(schema, batch, { after: previous })];
  return { parameters, state, batch, statements, result: { events: events.length, rows: rowCount(batch) } };
}

/**
 * Writes a projected batch and moves the checkpoint from `previous` to `next`, in one `db.batch`:
 * all of it or none.
 *
 * @throws {IndexerCheckpointConflictError} the checkpoint was not `previous`: nothing was written.
 */
export async function writeBatch(db: Database, projected: ProjectedBatch): Promise<void> {
  const { schema, source, previous } = projected.parameters;
  try {
    await db.batch(projected.statements);
  } catch (error) {
    if (checkpointMoved(error)) throw checkpointConflict(previous, await readCheckpoint(db, schema, source).catch(() => "unknown"));
    throw error;
  }
}

/** Where `indexBatches` takes its batches from: a list, or a function that gives the next (undefined: no more). */
export type BatchSource = readonly IndexBatchParameters[] | (() => Promise<IndexBatchParameters | undefined>);

/**
 * Indexes consecutive batches (each `previous` the one before's `next`, the first's the committed
 * checkpoint), projecting each one while the one before it is written: the engine's work (on
 * PGlite's worker thread, or PostgreSQL's server) and this thread's decoding, head hashing and
 * projection overlap. `source` may be a function that reads further pages of the chain: the
 * follower's catch-up is then one pipeline however many pages it spans. At most one write is in
 * flight, and no read runs beside it:
 *
 * - batch N+1's rows are read after batch N is projected and before it is sent. What N+1 reads is
 *   what the cache lacks, and every row N touched is in the cache (until the run ends only lots
 *   whose consumption has committed leave it: no event follows them), so the read returns the same
 *   rows before and after N commits. Attestations are
 *   not cached: a batch that revokes one is read only once the batch before it has committed.
 * - while N is written, N+1 is projected and N+2 is taken from the source (the next page read
 *   and decoded); N+2's rows are read once N has committed and before N+1 is sent.
 * - each write moves the checkpoint by compare and set, so the read model and its checkpoint move
 *   together, batch by batch, exactly as when each batch is indexed alone; when a write or a
 *   projection fails, the batches after it are dropped unwritten and the cache is cleared. When
 *   the source fails (a page the node did not give), the batches already taken are written first.
 *
 * `onCommitted` is called after each batch commits, in order. The caller checks the checkpoint
 * before the first batch (a conflict is still caught by the first write). On PostgreSQL the
 * projection beside a write lets the event loop run every 100 events: the write's transaction
 * moves one round trip at a time on this thread.
 */
export async function indexBatches(
  db: Database,
  source: BatchSource,
  cache: ProjectionCache,
  onCommitted: (parameters: IndexBatchParameters, result: IndexBatchReturnType) => void,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const taken = typeof source === "function" ? source : listSource(source);
  // A batch that cannot be taken (a page the node failed to give) ends the run once the batches
  // already projected are written: they are not thrown away with it.
  let takeError: unknown = null;
  const take = async (): Promise<IndexBatchParameters | undefined> => {
    try {
      return await taken();
    } catch (error) {
      takeError = error;
      return undefined;
    }
  };
  let lastState: ProjectionState | null = null;
  try {
    const first = await taken();
    let projected: ProjectedBatch | null = first ? projectBatch(first, await loadBatchState(db, first, cache), cache) : null;
    let following = projected && !shouldStop() ? await take() : undefined;
    while (projected !== null) {
      // Read before the write is sent (see above); a revocation waits for the write.
      const followingState = following && !readsUncachedRows(stateNeeds(following.events)) ? await loadBatchState(db, following, cache) : null;
      const write = writeBatch(db, projected);
      let next: ProjectedBatch | null = null;
      let afterNext: IndexBatchParameters | undefined;
      let overlapError: unknown = null;
      if (following && followingState && !shouldStop()) {
        try {
          // PGlite writes on its own thread; PostgreSQL's transaction needs this one between statements.
          next = db.engine === "pglite" ? projectBatch(following, followingState, cache) : await projectBatchYielding(following, followingState, cache);
          if (!shouldStop()) afterNext = await take();
        } catch (error) {
          overlapError = error;
        }
      }
      // An error beside the write waits for it: the write's own error, if any, is the one to report.
      await write;
      // A catch-up may span millions of events: what can no longer be needed leaves as it goes.
      cache.forgetConsumed(projected.batch.lots.values(), projected.parameters.next);
      lastState = projected.state;
      onCommitted(projected.parameters, projected.result);
      if (overlapError !== null) throw overlapError;
      if (!following || shouldStop()) break;
      if (next) {
        projected = next;
        following = afterNext;
      } else {
        projected = projectBatch(following, await loadBatchState(db, following, cache), cache);
        following = shouldStop() ? undefined : await take();
      }
    }
    if (takeError !== null) throw takeError;
  } catch (error) {
    // Rows projected for batches that did not commit are in the cache: drop all of it.
    cache.clear();
    throw error;
  }
  if (lastState) cache.committed(lastState);
}

function listSource(list: readonly IndexBatchParameters[]): () => Promise<IndexBatchParameters | undefined> {
  let index = 0;
  return async () => list[index++];
}

/**
 * Whether a batch reads rows the cache never holds, which the batch before it may write: such a
 * batch is read only once the one before it has committed. Attestations (a revocation reads the
 * attestation) are the only ones today; state a new handler loads outside the cache goes here too.
 */
function readsUncachedRows(needs: StateNeeds): boolean {
  return needs.attestationUids.size > 0;
}

function rowCount(batch: RowBatch): number {
  return (
    batch.members.size + batch.accounts.size + batch.forms.size + batch.yieldBounds.size + batch.lots.size +
    batch.handovers.size + batch.lotEvents.length + batch.lotEdges.length + batch.lotEvidence.length + batch.lotIngredients.length +
    batch.schemes.size + batch.accreditations.size + batch.attestations.size + batch.lotClaims.size +
    batch.massBalanceMoves.length + batch.massBalanceCredits.size + batch.ddsReferences.length +
    batch.payoutRuns.length + batch.confirmationBatches.length
  );
}

function checkpointConflict(expected: Checkpoint | null, found: Checkpoint | null): IndexerCheckpointConflictError {
  return new IndexerCheckpointConflictError(`The checkpoint moved: expected ${expected ?? "none"}, found ${found ?? "none"}`, {
    details: "another indexer wrote to this read model, or a rebuild replaced it; reloading",
  });
}
