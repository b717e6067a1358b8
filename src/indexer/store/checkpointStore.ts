import type { Queryable, Statement } from "../../db";
import { BatchRowCountError } from "../../db/errors";
import { decodeCheckpoint, type Checkpoint } from "../checkpoint";
import { IndexerSourceMismatchError } from "../errors";
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
 * The statement that moves the checkpoint from `previous` to `next`, first in the batch that writes
 * the rows it covers: it affects one row only if the checkpoint is still `previous` (compare and
 * set; on PostgreSQL a concurrent writer waits for it, then finds the checkpoint moved). Any other
 * count means another writer moved it: the batch rolls back (`expectRows`).
 */
export function moveCheckpointStatement(schema: ReadModelSchema, source: IndexerSource, previous: Checkpoint | null, next: Checkpoint): Statement {
  const { blockNumber, logIndex } = decodeCheckpoint(next);
  const table = qualified(schema, "indexer_checkpoint");
  if (previous === null) {
    // The first batch: two racing first batches both insert; the loser's does nothing.
    return {
      sql: `insert into ${table} (name, chain_id, sources, checkpoint, block_number, log_index)
            values ($1, $2, $3, $4, $5, $6) on conflict (name) do nothing`,
      params: [source.name, source.chainId, sourceKey(source), next, blockNumber, logIndex],
      expectRows: 1,
    };
  }
  return {
    sql: `update ${table} set checkpoint = $3, block_number = $4, log_index = $5
           where name = $1 and checkpoint = $2`,
    params: [source.name, previous, next, blockNumber, logIndex],
    expectRows: 1,
  };
}

/** Whether a failed batch failed because its checkpoint statement found the checkpoint moved. */
export function checkpointMoved(error: unknown): boolean {
  return error instanceof BatchRowCountError && error.statement === 0;
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
