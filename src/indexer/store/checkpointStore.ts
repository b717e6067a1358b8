import { SQLSTATE, sqlState, type Queryable } from "../../db";
import { decodeCheckpoint, type Checkpoint } from "../checkpoint";
import { IndexerCheckpointConflictError, IndexerSourceMismatchError } from "../errors";
import { sourceKey, type IndexerSource } from "../source";
import { qualified, type ReadModelSchema } from "./schemaName";

type CheckpointRow = { chain_id: bigint; sources: string; checkpoint: string };

/**
 * The committed checkpoint of `source`, or null before the first batch.
 *
 * @throws {IndexerSourceMismatchError} if the read model was built from another chain or other contracts.
 */
export async function readCheckpoint(q: Queryable, schema: ReadModelSchema, source: IndexerSource): Promise<Checkpoint | null> {
  const { rows } = await q.query<CheckpointRow>(
    `select chain_id, sources, checkpoint from ${qualified(schema, "indexer_checkpoint")} where name = $1`,
    [source.name],
  );
  return rows.length === 0 ? null : checked(rows[0]!, source);
}

/**
 * Locks the checkpoint row for this transaction and checks it is still `expected`: if another
 * writer moved it, nothing of this batch may be written.
 *
 * @throws {IndexerCheckpointConflictError} if the checkpoint is not `expected`.
 */
export async function lockCheckpoint(tx: Queryable, schema: ReadModelSchema, source: IndexerSource, expected: Checkpoint | null): Promise<void> {
  const { rows } = await tx.query<CheckpointRow>(
    `select chain_id, sources, checkpoint from ${qualified(schema, "indexer_checkpoint")} where name = $1 for update`,
    [source.name],
  );
  const current = rows.length === 0 ? null : checked(rows[0]!, source);
  if (current !== expected) {
    throw new IndexerCheckpointConflictError(`The checkpoint moved: expected ${expected ?? "none"}, found ${current ?? "none"}`, {
      details: "another indexer wrote to this read model, or a rebuild replaced it; reloading",
    });
  }
}

/** Moves the checkpoint; call it in the transaction that wrote the rows it covers. */
export async function writeCheckpoint(tx: Queryable, schema: ReadModelSchema, source: IndexerSource, checkpoint: Checkpoint): Promise<void> {
  const { blockNumber, logIndex } = decodeCheckpoint(checkpoint);
  try {
    await tx.query(
      `insert into ${qualified(schema, "indexer_checkpoint")} (name, chain_id, sources, checkpoint, block_number, log_index)
       values ($1, $2, $3, $4, $5, $6)
       on conflict (name) do update set checkpoint = excluded.checkpoint, block_number = excluded.block_number, log_index = excluded.log_index`,
      [source.name, source.chainId, sourceKey(source), checkpoint, blockNumber, logIndex],
    );
  } catch (error) {
    // Two first batches raced to insert the row: the loser's whole batch rolls back.
    if (sqlState(error) === SQLSTATE.uniqueViolation) {
      throw new IndexerCheckpointConflictError("Another indexer wrote the first checkpoint", { cause: error });
    }
    throw error;
  }
}

function checked(row: CheckpointRow, source: IndexerSource): Checkpoint {
  const expected = sourceKey(source);
  if (Number(row.chain_id) !== source.chainId || row.sources !== expected) {
    throw new IndexerSourceMismatchError(`The read model was built from other contracts`, {
      details: `it holds chain ${row.chain_id} ${row.sources}; this indexer reads chain ${source.chainId} ${expected}`,
      metaMessages: ["Run `firstmile index rebuild` to build the read model from these contracts."],
    });
  }
  return row.checkpoint;
}
