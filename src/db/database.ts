import { BatchRowCountError } from "./errors";

/**
 * The one SQL interface the gateway uses. Two engines implement it (PGlite embedded, PostgreSQL
 * through `pg` in production) and return the same JavaScript values for the same SQL, so every
 * query above this line is plain PostgreSQL and runs unchanged on both.
 *
 * Values, identical on both engines:
 * - `int8` (bigint) -> `bigint`, always (never a lossy `number`); `int2`/`int4` -> `number`
 * - `numeric` -> `string` (uint256 values stay exact); `bytea` -> `Buffer`
 * - `timestamptz` -> `Date`; `date` and `timestamp` -> `string` as PostgreSQL prints them
 * - `json`/`jsonb` -> parsed value. Pass JSON parameters as `JSON.stringify(value)` with a
 *   `$n::jsonb` cast: `pg` would turn a JavaScript array into a PostgreSQL array literal.
 */
export type Row = Record<string, unknown>;

export type QueryResult<T extends Row = Row> = {
  rows: T[];
  /** Rows written by INSERT/UPDATE/DELETE, or rows returned by SELECT. */
  rowCount: number;
};

export type Engine = "pglite" | "postgres";

/** One statement of `Database.batch`. */
export type Statement = {
  sql: string;
  params?: readonly unknown[] | undefined;
  /**
   * With `sql` a `COPY table (columns) FROM STDIN`: its rows, in COPY's text format (UTF-8, one
   * line per row, tab between columns, `\N` for NULL; see `copyText`). Both engines load them
   * with COPY (PGlite from a file of its in-memory file system, PostgreSQL through the protocol's copy-in): for many
   * new rows, a fraction of an `insert`'s work for the engine and for the driver.
   */
  copyRows?: Uint8Array<ArrayBuffer> | undefined;
  /** The rows it must write (or return): any other count rolls the batch back. */
  expectRows?: number | undefined;
};

/** Runs SQL: the database itself, or the handle a transaction passes to its callback. */
export interface Queryable {
  readonly engine: Engine;
  /** One statement with `$1`-style parameters. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** A script of several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  /**
   * Runs `fn` in one transaction (READ COMMITTED): commit if it resolves, roll back if it throws.
   * Inside `fn`, use only `tx`: calling the database itself there throws (on PGlite it would wait
   * for the transaction forever; on PostgreSQL it would silently run outside it).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `statements` in order in one transaction, all of them on the engine's side: nothing waits
   * for the caller between two statements (on the embedded engine every other statement waits
   * while a transaction is open, and the caller's thread may be busy). Commits if every statement
   * succeeds and affects the rows its `expectRows` says, else rolls back. Returns each result.
   *
   * @throws {BatchRowCountError} a statement affected another number of rows than expected.
   */
  batch(statements: readonly Statement[]): Promise<QueryResult[]>;
  /**
   * Calls `onNotify` for each `NOTIFY channel` (or `pg_notify('channel', payload)`) committed on
   * this database. Returns a function that stops listening. `channel`: lower-case letters, digits, `_`.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** Channel names go into LISTEN unquoted-safe: refuse anything else. */
export function assertChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new TypeError(`invalid notification channel ${JSON.stringify(channel)}: use [a-z_][a-z0-9_]*`);
}

/** The SQLSTATE of a database error from either engine (`23505` unique violation, ...), else undefined. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const SQLSTATE = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  checkViolation: "23514",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
} as const;

/** Runs one `COPY ... FROM STDIN` with its rows on an engine's transaction. */
export type CopyFrom = (sql: string, rows: Uint8Array<ArrayBuffer>) => Promise<QueryResult>;

/**
 * `Database.batch` on a transaction handle: each statement in turn, its row count checked;
 * statements with `copyRows` through the engine's `copy`.
 */
export async function runStatements(tx: Queryable, statements: readonly Statement[], copy?: CopyFrom): Promise<QueryResult[]> {
  const results: QueryResult[] = [];
  for (const [index, statement] of statements.entries()) {
    let result: QueryResult;
    if (statement.copyRows === undefined) result = await tx.query(statement.sql, statement.params ?? []);
    else if (!copy) throw new TypeError("this engine cannot run COPY statements in a batch");
    else result = await copy(assertCopyFromStdin(statement.sql), statement.copyRows);
    if (statement.expectRows !== undefined && result.rowCount !== statement.expectRows) {
      throw new BatchRowCountError(index, statement.expectRows, result.rowCount);
    }
    results.push(result);
  }
  return results;
}

const COPY_FROM_STDIN = /^\s*copy\s[\s\S]*\sfrom\s+stdin\s*;?\s*$/i;

/** `sql` if it is a `COPY ... FROM STDIN` (text format, the default), else a TypeError. */
export function assertCopyFromStdin(sql: string): string {
  if (!COPY_FROM_STDIN.test(sql) || /\swith\s*\(/i.test(sql)) throw new TypeError(`a statement with copyRows must be a COPY ... FROM STDIN without options, got ${JSON.stringify(sql.slice(0, 80))}`);
  return sql;
}
