import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";
import { assertChannel, runStatements, type Database, type Queryable, type QueryResult, type Row, type Statement } from "./database";
import { DatabaseOpenError, QueryOutsideTransactionError } from "./errors";
import { OID, TEXT_PARSERS } from "./typeParsers";

export type OpenPostgresParameters = {
  /** `postgres://user:password@host:port/database` */
  url: string;
  /** Pool size (default 10). */
  maxConnections?: number | undefined;
  /** Errors of idle connections and of the notification connection (default: ignored; the pool reconnects). */
  onBackgroundError?: ((error: Error) => void) | undefined;
};

type ArrayParserModule = {
  arrayParser: { create(text: string, transform: (entry: string | null) => unknown): { parse(): unknown[] } };
};

/** Same values as PGlite: `int8` -> bigint (also in arrays), `date`/`timestamp` -> text. */
const TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (format !== "binary") {
      const parser = TEXT_PARSERS[oid];
      if (parser) return parser;
      if (oid === OID.int8Array) {
        const { arrayParser } = pg.types as unknown as ArrayParserModule;
        return (text: string) => arrayParser.create(text, (entry: string | null) => (entry === null ? null : BigInt(entry))).parse();
      }
    }
    return pg.types.getTypeParser(oid, format as "text");
  },
} as unknown as pg.CustomTypesConfig;

/** The production engine: a PostgreSQL server through a `pg` connection pool. */
export async function openPostgres(parameters: OpenPostgresParameters): Promise<Database> {
  const onBackgroundError = parameters.onBackgroundError ?? (() => {});
  const pool = new pg.Pool({ connectionString: parameters.url, max: parameters.maxConnections ?? 10, types: TYPES });
  pool.on("error", onBackgroundError);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DatabaseOpenError("Cannot connect to PostgreSQL", { cause: error, details: (error as Error).message });
  }
  return new PostgresDatabase(pool, parameters.url, onBackgroundError);
}

class PostgresDatabase implements Database {
  readonly engine = "postgres" as const;
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #onBackgroundError: (error: Error) => void;
  readonly #inTransaction = new AsyncLocalStorage<true>();
  /** One connection holds every LISTEN; handlers by channel. */
  #listener: Promise<pg.Client> | null = null;
  readonly #handlers = new Map<string, Set<(payload: string) => void>>();

  constructor(pool: pg.Pool, url: string, onBackgroundError: (error: Error) => void) {
    this.#pool = pool;
    this.#url = url;
    this.#onBackgroundError = onBackgroundError;
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    this.#assertOutsideTransaction();
    return toResult<T>(await this.#pool.query<T>(sql, params as unknown[]));
  }

  async exec(sql: string): Promise<void> {
    this.#assertOutsideTransaction();
    await this.#pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertOutsideTransaction();
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("begin");
      const result = await this.#inTransaction.run(true, () => fn(new PostgresTransaction(client)));
      await client.query("commit");
      return result;
    } catch (error) {
      try {
        await client.query("rollback");
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }

  batch(statements: readonly Statement[]): Promise<QueryResult[]> {
    return this.transaction((tx) => runStatements(tx, statements, (sql, rows) => (tx as PostgresTransaction).copy(sql, rows)));
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannel(channel);
    const client = await this.#listenerClient();
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      await client.query(`listen ${channel}`);
    }
    handlers.add(onNotify);
    return async () => {
      const current = this.#handlers.get(channel);
      if (!current?.delete(onNotify) || current.size > 0) return;
      this.#handlers.delete(channel);
      await client.query(`unlisten ${channel}`).catch(this.#onBackgroundError);
    };
  }

  async close(): Promise<void> {
    const listener = this.#listener;
    this.#listener = null;
    this.#handlers.clear();
    if (listener) await (await listener.catch(() => null))?.end().catch(() => {});
    await this.#pool.end();
  }

  #listenerClient(): Promise<pg.Client> {
    if (!this.#listener) {
      const client = new pg.Client({ connectionString: this.#url, types: TYPES });
      client.on("notification", (message) => {
        for (const handler of this.#handlers.get(message.channel) ?? []) handler(message.payload ?? "");
      });
      client.on("error", (error) => {
        // The next listen() opens a new connection; workers poll meanwhile.
        this.#listener = null;
        this.#handlers.clear();
        this.#onBackgroundError(error);
      });
      this.#listener = client.connect().then(() => client);
      this.#listener.catch(() => {
        this.#listener = null;
      });
    }
    return this.#listener;
  }

  #assertOutsideTransaction(): void {
    if (this.#inTransaction.getStore()) throw new QueryOutsideTransactionError();
  }
}

class PostgresTransaction implements Queryable {
  readonly engine = "postgres" as const;
  readonly #client: pg.PoolClient;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return toResult<T>(await this.#client.query<T>(sql, params as unknown[]));
  }

  async exec(sql: string): Promise<void> {
    await this.#client.query(sql);
  }

  /** A `COPY ... FROM STDIN` with its rows, sent through the protocol's copy-in. */
  copy(sql: string, rows: Uint8Array): Promise<QueryResult> {
    return new Promise((resolve, reject) => {
      this.#client.query(
        new CopyFromStdin(sql, rows, (error, result) => {
          if (error) reject(error);
          else resolve({ rows: [], rowCount: result.rowCount ?? 0 });
        }),
      );
    });
  }
}

/**
 * `pg`'s query, answering the server's copy-in request with the rows in one CopyData message
 * (pg's own Query refuses it: it has no rows to send). Everything else, the command's completion,
 * its row count and its errors, goes through pg's Query unchanged.
 */
class CopyFromStdin extends pg.Query {
  readonly #rows: Buffer;

  constructor(sql: string, rows: Uint8Array, callback: (error: Error | undefined, result: pg.ResultBuilder) => void) {
    super(sql, callback);
    this.#rows = Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(this.#rows);
    connection.endCopyFrom();
  }
}

function toResult<T extends Row>(result: pg.QueryResult<T>): QueryResult<T> {
  return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
}
