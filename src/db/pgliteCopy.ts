import type { Row } from "./database";

/** What of a PGlite connection or transaction a COPY needs. */
type PgliteQueryable = { query<T>(sql: string, params: unknown[]): Promise<{ rows: T[]; affectedRows?: number }> };

/** PGlite's in-memory file system (Emscripten's, inside the WASM instance: `PGlite.Module.FS`). */
export type PgliteFileSystem = { writeFile(path: string, data: Uint8Array): void; unlink(path: string): void };

let copies = 0;

/**
 * A `COPY ... FROM STDIN` and its rows as PGlite runs them: it has no copy-in protocol, so the
 * rows become a file of its in-memory file system (under /tmp, which is not the data directory)
 * that the COPY reads, removed after. For the in-process engine and its worker thread alike.
 *
 * Not PGlite's `/dev/blob`: that device copies the rows into PostgreSQL's buffer byte by byte in
 * JavaScript, after reading them back out of a Blob. A COPY of 11.5 MB took 190 to 250 ms that
 * way and 85 to 130 ms from a file; the indexer's catch-up sends about 120 MB per 100k events
 * this way, on the thread that is its bottleneck.
 */
export async function copyOnPglite(tx: PgliteQueryable, fs: PgliteFileSystem, sql: string, rows: Uint8Array<ArrayBuffer>): Promise<{ rows: Row[]; affectedRows?: number }> {
  const file = `/tmp/firstmile-copy-${++copies}`;
  fs.writeFile(file, rows);
  try {
    return await tx.query<Row>(sql.replace(/\sfrom\s+stdin\s*;?\s*$/i, ` from '${file}'`), []);
  } finally {
    fs.unlink(file);
  }
}
