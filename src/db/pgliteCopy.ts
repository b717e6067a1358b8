import type { Row } from "./database";

/** What of a PGlite connection or transaction a COPY needs. */
type PgliteQueryable = { query<T>(sql: string, params: unknown[], options: { blob: Blob }): Promise<{ rows: T[]; affectedRows?: number }> };

/**
 * A `COPY ... FROM STDIN` and its rows as PGlite runs them: it has no copy-in protocol, and reads
 * the rows as the file `/dev/blob` given with the query. For the in-process engine and its
 * worker thread alike.
 */
export function copyOnPglite(tx: PgliteQueryable, sql: string, rows: Uint8Array<ArrayBuffer>): Promise<{ rows: Row[]; affectedRows?: number }> {
  return tx.query<Row>(sql.replace(/\sfrom\s+stdin\s*;?\s*$/i, " from '/dev/blob'"), [], { blob: new Blob([rows]) });
}
