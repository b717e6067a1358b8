import type { Database, Queryable } from "../../db";

/**
 * Runs `read` on one consistent snapshot of the read model (a repeatable-read transaction), with
 * the last block the indexer committed (null before its first batch): a reader that checks rows
 * against the chain asks the chain at that block, so both sides describe the same moment.
 */
export async function readModelSnapshot<T>(db: Database, read: (q: Queryable, indexedBlock: number | null) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query("set transaction isolation level repeatable read");
    const { rows } = await tx.query<{ block_number: string | number }>("select block_number from indexer_checkpoint order by block_number desc limit 1");
    return read(tx, rows[0] ? Number(rows[0].block_number) : null);
  });
}
